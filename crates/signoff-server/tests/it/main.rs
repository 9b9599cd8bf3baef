//! The server from the outside: real servers on 127.0.0.1:0 over temporary
//! stores (SQLite, and PostgreSQL where `PG_URL` names a server), driven over
//! HTTP with reqwest. Each server is shut down at the end of its test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

mod api;
mod browser;
mod dashboard;
mod inventory;
mod matrix;
mod openapi;
mod pbc;
mod reports;
// CI identity without secrets: OIDC ID tokens against a JWKS on loopback.
mod oidc;
