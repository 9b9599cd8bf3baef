//! signoff's GRC engine (G1–G3): what a release's certification becomes for the tools
//! compliance teams work in, and how it gets there exactly once.
//!
//! # The model
//!
//! ```text
//!  certification + evidence + catalog          (plain data from the store)
//!        │  artifact::build_artifacts           pure, no I/O
//!        ▼
//!  ComplianceArtifact × (framework, control)    stable id, content idempotency key
//!        │  the store writes one outbox delivery per (destination, artifact)
//!        ▼  in the certification's transaction
//!  Outbox ──► engine::Engine ──► Destination::deliver ──► Vanta │ Drata │ webhook │ folder
//!                 │  retry with backoff (backon), Retry-After, 429
//!                 │  alert past a failure threshold (AlertSink)
//!                 └─ reconcile: Destination::list, requeue what is missing
//!
//!  artifacts ──► oscal::assessment_results     OSCAL 1.1.3 per release / period / framework
//!  dispositions ──► vex::export_openvex / export_cyclonedx (and import back)
//! ```
//!
//! - [`artifact`]: the [`artifact::ComplianceArtifact`] (control, satisfied or not,
//!   evidence types, auditor's summary, evidence digests, ledger entries with inclusion
//!   proofs, links) and its builder from an [`artifact::ArtifactInput`].
//! - [`destination`]: the [`destination::Destination`] trait and its four
//!   implementations, each idempotent in its own way (module docs); [`http`] their
//!   shared status classification; [`net_guard`] the webhook's SSRF guard;
//!   [`webhook_signature`] Standard Webhooks 1.0; [`secret`] secrets from the
//!   environment or a file, redacted.
//! - [`engine`]: attempts, backoff, alerts, reconciliation over an [`outbox::Outbox`];
//!   [`alert_webhook`] posts alerts, signed, off the delivery path.
//! - [`oscal`], [`controlmap`]: OSCAL assessment results and control-id mapping.
//! - [`vex`]: finding dispositions as OpenVEX 0.2 and CycloneDX 1.6.
//! - [`config`]: `[sync]` of `signoff.toml` and building destinations from it.
//! - `testkit` (feature `testkit`): local Vanta, Drata and webhook servers with fault
//!   injection, and sample certifications, for this crate's tests and the CLI's.
//!
//! Architecture Invariant: this crate depends on no other signoff crate but
//! `signoff-core` and `signoff-controls`: it knows nothing of the store, the CLI or the
//! server. It reads no clock except to sign webhook timestamps, schedule retries and
//! cache tokens; artifacts, OSCAL and VEX are pure functions of their input.
//!
//! Architecture Invariant: no secret value is serialised or printed: configuration
//! names a [`secret::SecretSource`]; [`secret::Secret`] and every destination have
//! redacting `Debug`; error messages carry the other side's answer, never our key.
//!
//! # Seams for the store, the CLI and the server (API Boundary)
//!
//! 1. **Artifacts.** After a certification (passing or not), the caller fills an
//!    [`artifact::ArtifactInput`] from the store: the release, the certificate record
//!    (id, decision, statement digest, evaluation time, policy, its ledger seq and
//!    tlog-proof), the evaluation's criteria (id, status, evidence digests), the
//!    release's evidence (kind, digest, tool, capture time, ledger seq and proof),
//!    the coverage facts (approvals, reviews, exceptions), the frameworks in force
//!    and the server URL; [`artifact::build_artifacts`] with the catalog gives the
//!    artifacts. Prove inclusion against the checkpoint that first covered the
//!    certification, so a rebuild gives identical artifacts and keys.
//! 2. **Outbox.** In the certification's transaction, one delivery row per
//!    (configured destination, artifact) holding the artifact JSON. The store
//!    implements [`outbox::Outbox`] over those rows (due, mark attempt with lease,
//!    mark delivered, record failure, list, requeue); [`outbox::MemoryOutbox`] is the
//!    reference behaviour and the tests' outbox.
//! 3. **Destinations.** `signoff sync add …` writes a [`config::DestinationConfig`]
//!    under `[sync.destinations.<name>]`; [`config::build_destination`] builds it.
//! 4. **Running.** `signoff sync run --once` is [`engine::Engine::run_until_idle`];
//!    `signoff serve` runs [`engine::Engine::run_until`] with its shutdown signal;
//!    `signoff sync reconcile NAME` is [`engine::Engine::reconcile`]; `sync status`
//!    reads [`outbox::Outbox::deliveries`] (state, attempts, last error, failing since).
//! 5. **Alerts.** An [`engine::AlertSink`] receives failing/recovered alerts and the
//!    store's silent-source alerts: the log ([`engine::LogAlerts`]), the metrics
//!    ([`engine::AlertTally`]) and the alert webhook ([`alert_webhook`], from
//!    `[sync.alerts]`: [`config::start_alert_webhook`]), together through
//!    [`engine::AlertSinks`].
//! 6. **OSCAL and VEX.** `signoff oscal export` selects the artifacts of a release or
//!    period and calls [`oscal::assessment_results`]; `signoff vex export` maps triage
//!    records onto [`vex::Disposition`] and calls [`vex::export_openvex`] or
//!    [`vex::export_cyclonedx`].

pub mod alert_webhook;
pub mod artifact;
pub mod config;
pub mod controlmap;
pub mod destination;
pub mod engine;
pub mod http;
pub mod net_guard;
pub mod oscal;
pub mod outbox;
pub mod secret;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod vex;
pub mod webhook_signature;
