//! How much of the input is known to be stored exactly as it is, while it is
//! still being parsed.
//!
//! A caller that keeps the input's bytes (capture stores them as a blob) can copy
//! them on another thread while the parser runs, instead of after it, but only the
//! bytes that will be stored unchanged: a secrets report is stored redacted, and
//! its original bytes must never be written anywhere. The parser says how far the
//! input is clear ([`Clearance::cleared`]): bytes before that offset hold no value
//! that redaction would replace. A SARIF log is cleared run by run, once each run's
//! tool is known not to be a secret scanner; the streamed XML formats and LCOV, which
//! are never redacted, are cleared whole at once; the other JSON formats, which
//! may be redacted, are never cleared while they are parsed.
//!
//! The caller ends it: [`Clearance::clear_all`] once the parse succeeded and said
//! the bytes to store are the input's, [`Clearance::withdraw`] otherwise (an error, a
//! redacted document); the copy is then thrown away. Whichever is called first
//! stands.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// How far the input is clear; shared between the parser and a copier.
#[derive(Debug, Default)]
pub struct Clearance {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug, Default, Clone, Copy)]
struct State {
    cleared: u64,
    end: Option<Cleared>,
}

/// What a copier may do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cleared {
    /// Copy the bytes before this offset.
    UpTo(u64),
    /// Copy everything, to the end of the input.
    All,
    /// Stop and throw the copy away.
    Withdrawn,
}

impl Clearance {
    /// Nothing cleared yet.
    pub fn new() -> Clearance {
        Clearance::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is two plain values, valid whatever a panicking holder did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The parser: the bytes before `offset` will be stored as they are (if the
    /// capture succeeds). Offsets only grow; a smaller one is ignored.
    pub(crate) fn clear_to(&self, offset: u64) {
        let mut state = self.state();
        if state.end.is_none() && offset > state.cleared {
            state.cleared = offset;
            self.changed.notify_all();
        }
    }

    /// The caller: the whole input is stored as it is.
    pub fn clear_all(&self) {
        self.end(Cleared::All);
    }

    /// The caller: the input is not stored as it is (or not at all); a copy made
    /// so far must be thrown away.
    pub fn withdraw(&self) {
        self.end(Cleared::Withdrawn);
    }

    fn end(&self, end: Cleared) {
        let mut state = self.state();
        if state.end.is_none() {
            state.end = Some(end);
            self.changed.notify_all();
        }
    }

    /// The copier: how far it may copy, waiting until that is past `copied` (or
    /// the clearance has ended).
    pub fn wait_past(&self, copied: u64) -> Cleared {
        let mut state = self.state();
        loop {
            if let Some(end) = state.end {
                return end;
            }
            if state.cleared > copied {
                return Cleared::UpTo(state.cleared);
            }
            state = self.changed.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// How far the input is cleared now (for tests and progress).
    pub fn cleared(&self) -> Cleared {
        let state = self.state();
        state.end.unwrap_or(Cleared::UpTo(state.cleared))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn a_copier_follows_the_parser_and_the_first_ending_stands() {
        let clearance = Arc::new(Clearance::new());
        let copier = {
            let clearance = Arc::clone(&clearance);
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                let mut copied = 0;
                loop {
                    match clearance.wait_past(copied) {
                        Cleared::UpTo(offset) => {
                            seen.push(offset);
                            copied = offset;
                        }
                        end => return (seen, end),
                    }
                }
            })
        };
        for offset in [10, 5, 20, 20, 30] {
            clearance.clear_to(offset);
        }
        clearance.clear_all();
        clearance.withdraw();
        clearance.clear_to(40);
        let (seen, end) = copier.join().unwrap();
        assert_eq!(end, Cleared::All);
        assert!(seen.windows(2).all(|pair| pair[0] < pair[1]), "offsets only grow: {seen:?}");
        assert!(seen.iter().all(|offset| [10, 20, 30].contains(offset)), "{seen:?}");
        assert_eq!(clearance.cleared(), Cleared::All);
    }

    #[test]
    fn withdrawing_stops_a_waiting_copier() {
        let clearance = Arc::new(Clearance::new());
        let copier = {
            let clearance = Arc::clone(&clearance);
            std::thread::spawn(move || clearance.wait_past(0))
        };
        clearance.withdraw();
        assert_eq!(copier.join().unwrap(), Cleared::Withdrawn);
        clearance.clear_all();
        assert_eq!(clearance.cleared(), Cleared::Withdrawn);
    }
}
