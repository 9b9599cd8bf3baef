//! P2: certify a release with 200 evidence items and 50,000 findings, Rego rules
//! included, in at most 50 ms. Prints timings; asserts nothing.
//!
//! Run with `cargo bench -p signoff-policy --bench evaluate` (add `-- --quick` for
//! fewer rounds).

// A benchmark may stop on a broken setup.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use signoff_policy::{PolicyInput, evaluate};

// The allocator of the `signoff` binary, so the figures are the CLI's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

// The same realistic generator the integration tests use; not every helper is used here.
#[path = "../tests/it/util.rs"]
#[allow(dead_code)]
mod util;

fn main() {
    let rounds = if std::env::args().any(|arg| arg == "--quick") { 5 } else { 30 };
    let started = Instant::now();
    let input = util::realistic(200, 50_000);
    println!(
        "input: {} evidence items, {} findings, {} changes (generated in {:.1?})",
        input.evidence.len(),
        input.findings.len(),
        input.changes.len(),
        started.elapsed()
    );

    let started = Instant::now();
    let full = util::parse(util::FULL_POLICY);
    println!("parse + compile the full policy (12 built-ins, 2 Rego modules): {:.2?}", started.elapsed());
    let builtins_only = util::parse(&without_rego(util::FULL_POLICY));
    let (criteria, rego) = util::FULL_POLICY.split_once("\nrego:\n").unwrap();
    let rego_without_findings = util::parse(&format!("{criteria}\nrego:\n{}", rego.replace("findings", "evidence")));

    measure("full policy, Rego reads the findings", rounds, &input, || evaluate(&full.for_project("shop"), &input));
    measure("full policy, Rego does not mention findings", rounds, &input, || {
        evaluate(&rego_without_findings.for_project("shop"), &input)
    });
    measure("built-in criteria only", rounds, &input, || evaluate(&builtins_only.for_project("shop"), &input));
}

fn without_rego(policy: &str) -> String {
    policy.split("\nrego:\n").next().unwrap_or(policy).to_owned() + "\n"
}

fn measure<T>(name: &str, rounds: usize, _input: &PolicyInput, mut run: impl FnMut() -> T) {
    black_box(run());
    let mut times: Vec<Duration> = (0..rounds)
        .map(|_| {
            let started = Instant::now();
            black_box(run());
            started.elapsed()
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let p90 = times[(times.len() * 9 / 10).min(times.len() - 1)];
    println!(
        "{name}: median {:.2} ms, p90 {:.2} ms, min {:.2} ms, max {:.2} ms ({rounds} rounds)",
        ms(median),
        ms(p90),
        ms(times[0]),
        ms(times[times.len() - 1])
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1_000.0
}
