//! Integration tests of signoff-git over real repositories that the `git` CLI builds
//! in temporary folders, with fixed identities and dates. Each test skips with a
//! message when `git` (or, for signatures, `ssh-keygen` or `gpg`) is not installed.

// A failed expectation in a test is a panic; helpers outside `#[test]` functions
// need the same allowance the lints give tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod util;

// Ranges, ordering, merges, pull request numbers, trailers, agents, mailmap.
mod history;
// SSH and OpenPGP signatures, cross-checked with git's own verdict.
mod signatures;
// Clear errors that name the path or revision.
mod errors;
