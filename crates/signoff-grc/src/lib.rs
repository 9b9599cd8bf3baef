//! signoff's GRC engine (doc written at the end).

pub mod artifact;
pub mod controlmap;
pub mod destination;
pub mod engine;
pub mod http;
pub mod net_guard;
pub mod oscal;
pub mod outbox;
pub mod secret;
pub mod vex;
pub mod webhook_signature;
#[cfg(feature = "testkit")]
pub mod testkit;
