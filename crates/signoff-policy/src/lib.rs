//! signoff's policy engine (D1–D3, D7, D8, J3): YAML policies of built-in criteria
//! and Rego rules, evaluated over one documented input document.
//!
//! Architecture Invariant: this crate does no I/O and reads no clock. It receives
//! texts ([`Policy::parse`], with a closure that resolves Rego `file:` entries) and
//! data ([`PolicyInput`], whose `evaluated_at` is the time), and returns values
//! ([`Evaluation`]). [`evaluate`] is a pure function: the same policy and input
//! always give the same evaluation, which is what preflight (an input with a future
//! `evaluated_at`) and replay (an old input under a new policy, compared with
//! [`diff`]) rely on.
//!
//! ```text
//! let policy = Policy::parse(&text, "signoff-policy.yaml", &|file| read(file))?;   // checked + compiled once
//! let effective = policy.for_project("payments");                                   // overrides applied
//! let evaluation = evaluate(&effective, &input);                                    // pure
//! ```
//!
//! # The policy file
//!
//! YAML 1.2 (only `true`/`false` are booleans; duplicate keys are errors; comments
//! are allowed). Every problem is reported as `file:line:column: message` before
//! anything is evaluated. [`STARTER_POLICY`] is a commented example.
//!
//! ```yaml
//! version: 1                        # required; the format version, only 1 exists
//! name: default                     # required
//! description: text                 # optional
//! environments: [staging, prod]     # optional; names a `scope.environment` may use
//! exceptions:
//!   max_days: 90                    # optional; longest exception, approval to expiry
//! triage:
//!   approval: required              # optional, default none; `required`: a false positive or
//!                                   # not affected applies once a human other than its
//!                                   # requester approves it (an accepted risk always needs that)
//! release:
//!   late_evidence: refuse           # optional, default record; `refuse`: capture onto a
//!                                   # certified release is refused (B4)
//!   warn_ahead_days: 14             # optional, default 14 (1–366); how far ahead certify and
//!                                   # release show warn of expiring exceptions, stale scans (D7)
//! criteria:                         # built-in criteria, evaluated in this order
//!   - id: required-evidence         # required, unique across criteria and rego
//!                                   # (letter/digit, then letters, digits, - _; ≤ 64)
//!     title: SAST and tests present # optional; derived from `use`/`with` if absent
//!     description: text             # optional, not used in evaluation
//!     use: evidence_present         # required; a built-in criterion (below)
//!     with: { kinds: [sast] }       # its parameters; omit when it takes none
//!     blocking: true                # optional, default true; false = advisory
//!     scope:                        # optional
//!       kinds: [sast, sca]          # findings criteria only: evidence kinds counted
//!       tools: [semgrep]            # evidence/finding criteria: tools (any case)
//!       environment: prod           # any criterion: counts only for that environment
//! rego:                             # optional custom rules
//!   - id: custom-rules              # required, unique
//!     file: rules/extra.rego        # relative to the policy; read by the caller's resolver
//!     # source: |                   # ...or the module inline (exactly one of the two)
//!     title: text                   # optional
//!     blocking: true                # optional, default true (applies to `deny`)
//!     scope: { environment: prod }  # optional
//! projects:                         # optional per-project overrides, by project name
//!   payments:
//!     criteria: [ ... ]             # same shape; an existing id is replaced in place,
//!                                   # a new id is added at the end
//! ```
//!
//! Built-in criteria and their parameters (`with:`):
//!
//! | `use` | parameters | scope | passes when |
//! |---|---|---|---|
//! | `evidence_present` | `kinds: [kind…]` (required) | tools | evidence of every kind is present |
//! | `sbom_and_provenance` | — | tools | `sbom` and `provenance` evidence are present |
//! | `findings_threshold` | `max: {critical: n, high: n, medium: n, low: n, info: n}` (at least one; a severity left out is unlimited; each limit is for that severity alone), `include_suppressed: bool` (false) | kinds, tools | no severity has more findings than its limit |
//! | `evidence_fresh` | `max_age_days: n` (required, ≥ 1), `kinds: [kind…]` (default: every scan kind) | tools | the newest evidence of each kind and tool is at most n days old, its age taken from `produced_at`, else `captured_at`, at `evaluated_at` |
//! | `tests_pass` | — | tools | there are test results and failed + errored = 0 across them |
//! | `coverage_min` | `line_rate: 0.0–1.0` (required), `branch_rate: 0.0–1.0` | tools | Σ covered / Σ valid over all coverage reports reaches each rate |
//! | `changes_reviewed` | `min_approvals: n` (1) | — | every change has n approvals by humans outside its author side |
//! | `approval_by_role` | `role: text` (required), `min: n` (1) | — | n distinct humans approved the current content in that role, and none of the role rejected it |
//! | `signed_commits` | `require_verified: bool` (false) | — | every commit is signed (verified, or also unverified when false); a bad signature always fails |
//! | `no_new_findings` | `severities: [severity…]` (critical, high), `include_suppressed: bool` (false) | kinds, tools | no finding of those severities has a fingerprint outside `baseline_fingerprints` (no baseline: passes, with a note) |
//! | `separation_of_duties` | — | — | no author approves their own change; no release approver authored or committed a change of the release; the certifier (`actor`) is not the only release approver. The deployer is checked at deploy time (`signoff gate`), not here |
//! | `agent_changes_reviewed` | `min_human_reviews: n` (2) | — | every change authored or co-authored by an `ai_agent` has n human approvals from outside its author side |
//!
//! Everywhere, approvals and reviews count only when given by a `human`; `bot` and
//! `ai_agent` approvals never count (J3). A change's *author side* is its author, its
//! co-authors and the humans any of them acts for (`on_behalf_of`); their approvals
//! of it never count. A release approval counts only when `current` (given for the
//! release's current content).
//!
//! # Exceptions (D3)
//!
//! The input lists approved exceptions, each for one finding (by fingerprint) or one
//! criterion (by id, a Rego module's id included). One applies only when
//! `approved_at ≤ evaluated_at < expires_at`, its approver is a human other than its
//! requester, and it runs no longer than `exceptions.max_days`; every other one is
//! listed in [`Evaluation::exceptions_not_applied`] with the reason (so preflight can
//! say "EXC-3 expires on 2026-12-01, before the date you asked about").
//!
//! - Findings with an active exception are left out of `findings_threshold` and
//!   `no_new_findings`. A criterion that would fail with them and passes without them
//!   is WAIVED and lists the exceptions.
//! - A failing criterion with an active exception for its id is WAIVED.
//!
//! # Triage (D3)
//!
//! The input lists the latest triage decision for each finding ([`Triage`]). A
//! `false_positive` or `not_affected` decision that applies leaves its finding out
//! of every criterion, as if the scan had not reported it (the criterion PASSes
//! and the evaluation notes which decisions left findings out); an
//! `accepted_risk` that applies is an exception for its finding (WAIVED). One
//! applies when `recorded_at ≤ evaluated_at < expires_at` and, where it needs
//! approval (an accepted risk always; the others under `triage: {approval:
//! required}`), it was approved at or before `evaluated_at` by a human other than
//! its requester; an accepted risk also needs an expiry within
//! `exceptions.max_days`. Others are listed in
//! [`Evaluation::exceptions_not_applied`] with the reason.
//!
//! # Rego (D2)
//!
//! Each module receives the input document as `input` (JSON, see the schema) and
//! may declare `deny` and `warn`: sets (or arrays) of strings, or a boolean. A
//! module's `deny` gives one result with the module's id: FAIL listing the
//! messages when non-empty, blocking unless `blocking: false`. Its `warn` gives an
//! advisory result `<id>.warn`. A module that cannot be evaluated FAILs closed, and
//! builtin errors are errors (OPA's `--strict-builtin-errors`). Rego v1 syntax;
//! `time.now_ns` and `rand.intn` are refused (use `input.evaluated_at`); each module
//! has its own package. Modules are compiled once, in [`Policy::parse`]; each
//! evaluation clones the prepared engine.
//!
//! `input.findings` and `input.baseline_fingerprints` are filled only if some
//! module's text contains the word `findings` (resp. `baseline_fingerprints`);
//! otherwise they are `[]` (resp. `null`). A module cannot read them without naming
//! them, except through a computed key, which is unsupported.
//!
//! # Performance (P2)
//!
//! 200 evidence items and 50,000 findings (`cargo bench -p signoff-policy --bench
//! evaluate`, release, mimalloc as in the `signoff` binary): every built-in criterion
//! plus two Rego modules that do not read the findings evaluate in about 9 ms. Each
//! pass over the findings is linear, lookups are hashed. A policy whose Rego reads
//! `input.findings` pays for regorus building a value per finding (about half the
//! cost, even built directly rather than through JSON, see `rego_input.rs`) and
//! interpreting the rule over all of them: about 110 ms for 50,000. Prefer the
//! built-in `findings_threshold` / `no_new_findings` (with `scope`) for rules about
//! finding counts, and keep Rego for rules about the release, evidence, changes
//! and approvals.
//!
//! # Decision
//!
//! `rejected` iff a blocking criterion FAILs among those without an environment
//! scope or, when the input names an `environment`, among those scoped to it.
//! [`Evaluation::environments`] gives the decision for every declared environment.
//!
//! # The input document
//!
//! [`PolicyInput`], documented field by field; its JSON Schema (from
//! [`input_schema`]) is `docs/policy-input.schema.json`. Evidence marked
//! `post_certification` and its findings are not considered by built-in criteria.
//!
//! # The policy digest
//!
//! See [`Policy::digest`]: the SHA-256 of the policy text, or, when Rego modules
//! are read from files, of the canonical JSON of the text's digest and each file's.

mod criteria;
mod error;
mod evaluate;
mod evaluation;
mod fix;
mod input;
mod policy;
mod rego;
mod rego_input;
mod schema;
#[cfg(test)]
mod testing;
mod yaml;

pub use error::{PolicyError, PolicyErrorKind};
pub use evaluate::evaluate;
pub use evaluation::{
    CriterionChange, CriterionResult, Decision, EnvironmentChange, Evaluation, EvaluationDiff, ExceptionNotApplied,
    NotAppliedReason, PolicyRef, Status, StatusAndBlocking, diff,
};
pub use input::{
    Actor, ActorKind, ApprovalDecision, Artifact, Change, Disposition, Evidence, Exception, ExceptionTarget,
    InputFinding, PolicyInput, Release, ReleaseApproval, Review, ReviewState, Signature, SignatureStatus, Trailer,
    Triage, VexJustification, input_schema,
};
pub use policy::{
    BUILT_IN_CRITERIA, Check, CriterionSpec, DEFAULT_WARN_AHEAD_DAYS, EffectivePolicy, ExceptionRules, Policy,
    RegoModuleInfo, RegoResolver, ReleaseRules, Scope, TriageRules,
};

/// A commented starter policy: SAST and test evidence required, no critical or
/// high findings, tests pass, every change reviewed; the other criteria, a Rego rule
/// and a project override as commented-out examples. `signoff policy init` writes it.
pub const STARTER_POLICY: &str = include_str!("starter-policy.yaml");
