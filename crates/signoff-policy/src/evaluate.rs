//! Evaluation: a policy and an input in, an [`Evaluation`] out. Pure: no clock (the
//! time is the input's `evaluated_at`), no I/O, no randomness; the same arguments
//! always give the same result.
//!
//! The order of work: sort the input's exceptions into active and not applied;
//! drop evidence marked `post_certification` (and its findings); run each built-in
//! criterion; run the Rego modules; apply criterion exceptions to failures; decide.

use std::collections::{BTreeSet, HashMap, HashSet};

use signoff_core::Digest;
use time::{Duration, OffsetDateTime};

use crate::criteria;
use crate::evaluation::{
    CriterionResult, Decision, Evaluation, ExceptionNotApplied, NotAppliedReason, PolicyRef, Status,
};
use crate::input::{ActorKind, Disposition, Evidence, ExceptionTarget, InputFinding, PolicyInput};
use crate::policy::EffectivePolicy;
use crate::rego::RegoOutcome;

/// Evaluates `policy` over `input`.
///
/// The decision is `rejected` iff a blocking criterion FAILs among the criteria
/// without an environment scope or, when the input names an environment, among those
/// scoped to it. `environments` gives the same decision for every declared
/// environment. A Rego module that cannot be evaluated FAILs (closed), with the
/// error as its actual value.
pub fn evaluate(policy: &EffectivePolicy, input: &PolicyInput) -> Evaluation {
    let context = Context::new(policy, input);
    let mut results = Vec::with_capacity(policy.criteria.len() + policy.rego.len());
    for spec in &policy.criteria {
        let outcome = criteria::run(&context, spec);
        results.push(context.finish(
            Head {
                id: spec.id.clone(),
                title: spec.title.clone(),
                criterion: spec.check.name().to_owned(),
                blocking: spec.blocking,
                environment: spec.scope.environment.clone(),
            },
            outcome,
        ));
    }
    if !policy.rules.is_empty() {
        for outcome in policy.rules.evaluate(input) {
            rego_results(&context, outcome, &mut results);
        }
    }

    let blocks = |result: &CriterionResult| result.blocking && result.status == Status::Fail;
    let base_rejected = results.iter().any(|result| result.environment.is_none() && blocks(result));
    let rejected_in = |environment: &str| {
        base_rejected
            || results.iter().any(|result| result.environment.as_deref() == Some(environment) && blocks(result))
    };
    let decide = |rejected: bool| if rejected { Decision::Rejected } else { Decision::Certified };
    let environments =
        policy.environments.iter().map(|environment| (environment.clone(), decide(rejected_in(environment)))).collect();
    let decision = decide(match &input.environment {
        Some(environment) => rejected_in(environment),
        None => base_rejected,
    });

    let mut notes = Vec::new();
    if let Some(environment) = &input.environment
        && !policy.environments.contains(environment)
    {
        notes.push(format!(
            "the policy declares no environment `{environment}`; only the criteria without an environment scope were decisive"
        ));
    }
    if context.post_certification > 0 {
        notes.push(format!(
            "{} evidence item{} captured after certification not considered",
            context.post_certification,
            if context.post_certification == 1 { "" } else { "s" }
        ));
    }

    if context.triaged_findings > 0 {
        notes.push(format!(
            "{} finding{} triaged false positive or not affected not counted ({})",
            context.triaged_findings,
            if context.triaged_findings == 1 { "" } else { "s" },
            context.triaged.join(", ")
        ));
    }

    let exceptions_used: BTreeSet<String> =
        results.iter().flat_map(|result| result.exceptions.iter().cloned()).collect();
    let evidence_digests: BTreeSet<Digest> = context.evidence.iter().map(|evidence| evidence.digest).collect();
    Evaluation {
        policy: PolicyRef {
            name: policy.name.clone(),
            digest: policy.digest,
            project_override: policy.project_override.clone(),
        },
        evaluated_at: input.evaluated_at,
        environment: input.environment.clone(),
        decision,
        environments,
        criteria: results,
        exceptions_used: exceptions_used.into_iter().collect(),
        exceptions_not_applied: context.not_applied.clone(),
        evidence_digests: evidence_digests.into_iter().collect(),
        notes,
        triage_used: context.triaged.clone(),
    }
}

fn rego_results(context: &Context<'_>, outcome: RegoOutcome, results: &mut Vec<CriterionResult>) {
    let info = outcome.info;
    let source = format!("{} ({})", info.package, info.file);
    for (rule, messages) in [("deny", outcome.deny), ("warn", outcome.warn)] {
        let Some(messages) = messages else {
            continue;
        };
        let warn = rule == "warn";
        let head = Head {
            id: if warn { format!("{}.warn", info.id) } else { info.id.clone() },
            title: if warn { format!("{} (warnings)", info.title) } else { info.title.clone() },
            criterion: "rego".to_owned(),
            blocking: !warn && info.blocking,
            environment: info.environment.clone(),
        };
        let expected = format!("no `{rule}` messages from {source}");
        let outcome = match messages {
            Ok(messages) if messages.is_empty() => Outcome::pass(expected, format!("no `{rule}` messages")),
            Ok(messages) => {
                let mut outcome = Outcome::fail(
                    expected,
                    format!("{} `{rule}` message{}", messages.len(), if messages.len() == 1 { "" } else { "s" }),
                );
                outcome.details = truncate(messages);
                outcome.fix.push(format!("address the messages of {source}"));
                if !warn {
                    outcome.fix.push(crate::fix::criterion_exception(&info.id));
                }
                outcome
            }
            Err(error) => {
                let mut outcome = Outcome::fail(expected, format!("evaluation error: {error}"));
                outcome.fix.push(format!("fix the module {source}; a module that cannot be evaluated fails"));
                outcome
            }
        };
        results.push(context.finish(head, outcome));
    }
}

/// What the evaluation of one criterion needs, computed once.
pub(crate) struct Context<'a> {
    pub(crate) input: &'a PolicyInput,
    pub(crate) now: OffsetDateTime,
    /// Evidence not marked `post_certification`.
    pub(crate) evidence: Vec<&'a Evidence>,
    /// Findings of that evidence.
    pub(crate) findings: Vec<&'a InputFinding>,
    /// Active exceptions for findings: fingerprint → exception id.
    pub(crate) finding_exceptions: HashMap<Digest, &'a str>,
    /// Active exceptions for criteria: criterion id → exception id.
    criterion_exceptions: HashMap<&'a str, &'a str>,
    /// The baseline, when there is one.
    pub(crate) baseline: Option<HashSet<Digest>>,
    not_applied: Vec<ExceptionNotApplied>,
    /// Triage decisions (false positive, not affected) that left findings out.
    triaged: Vec<String>,
    /// How many findings they left out.
    triaged_findings: usize,
    post_certification: usize,
}

impl<'a> Context<'a> {
    fn new(policy: &EffectivePolicy, input: &'a PolicyInput) -> Context<'a> {
        let now = input.evaluated_at;
        let mut finding_exceptions = HashMap::new();
        let mut criterion_exceptions = HashMap::new();
        let mut not_applied = Vec::new();
        for exception in &input.exceptions {
            let span = exception.expires_at - exception.approved_at;
            let days = u64::try_from((span + Duration::DAY - Duration::nanoseconds(1)).whole_days()).unwrap_or(0);
            let reason = if exception.expires_at <= now {
                Some(NotAppliedReason::Expired { expires_at: exception.expires_at })
            } else if exception.approved_at > now {
                Some(NotAppliedReason::NotYetApproved { approved_at: exception.approved_at })
            } else if exception.approved_by.kind != ActorKind::Human {
                Some(NotAppliedReason::ApproverNotHuman)
            } else if exception.approved_by.id == exception.requested_by.id {
                Some(NotAppliedReason::SelfApproved)
            } else {
                match policy.exceptions.max_days {
                    Some(max_days) if span > Duration::days(i64::try_from(max_days).unwrap_or(i64::MAX)) => {
                        Some(NotAppliedReason::TooLong { days, max_days })
                    }
                    _ => None,
                }
            };
            match reason {
                Some(reason) => not_applied.push(ExceptionNotApplied { id: exception.id.clone(), reason }),
                None => match &exception.target {
                    ExceptionTarget::Finding(fingerprint) => {
                        finding_exceptions.entry(*fingerprint).or_insert(exception.id.as_str());
                    }
                    ExceptionTarget::Criterion(id) => {
                        criterion_exceptions.entry(id.as_str()).or_insert(exception.id.as_str());
                    }
                },
            }
        }

        // Triage (D3): the decisions that apply at `now`. Dismissals leave their
        // findings out below; accepted risks are exceptions for their findings.
        let mut dismissed: HashMap<Digest, &'a str> = HashMap::new();
        for triage in &input.triage {
            let needs_approval = triage.disposition == Disposition::AcceptedRisk || policy.triage.approval_required;
            let reason = match (triage.expires_at, triage.approved_at, &triage.approved_by) {
                (Some(expires_at), _, _) if expires_at <= now => Some(NotAppliedReason::Expired { expires_at }),
                (None, _, _) if triage.disposition == Disposition::AcceptedRisk => Some(NotAppliedReason::NoExpiry),
                _ if triage.recorded_at > now => {
                    Some(NotAppliedReason::NotYetRecorded { recorded_at: triage.recorded_at })
                }
                (_, _, None) | (_, None, _) if needs_approval => Some(NotAppliedReason::NotApproved),
                (_, Some(approved_at), Some(_)) if needs_approval && approved_at > now => {
                    Some(NotAppliedReason::NotYetApproved { approved_at })
                }
                (_, _, Some(approver)) if needs_approval && approver.kind != ActorKind::Human => {
                    Some(NotAppliedReason::ApproverNotHuman)
                }
                (_, _, Some(approver)) if needs_approval && approver.id == triage.requested_by.id => {
                    Some(NotAppliedReason::SelfApproved)
                }
                (Some(expires_at), Some(approved_at), _) if triage.disposition == Disposition::AcceptedRisk => {
                    let span = expires_at - approved_at;
                    let days =
                        u64::try_from((span + Duration::DAY - Duration::nanoseconds(1)).whole_days()).unwrap_or(0);
                    match policy.exceptions.max_days {
                        Some(max_days) if span > Duration::days(i64::try_from(max_days).unwrap_or(i64::MAX)) => {
                            Some(NotAppliedReason::TooLong { days, max_days })
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            match reason {
                Some(reason) => not_applied.push(ExceptionNotApplied { id: triage.id.clone(), reason }),
                None if triage.disposition.dismisses() => {
                    dismissed.entry(triage.fingerprint).or_insert(triage.id.as_str());
                }
                None => {
                    finding_exceptions.entry(triage.fingerprint).or_insert(triage.id.as_str());
                }
            }
        }

        let late: HashSet<Digest> = input
            .evidence
            .iter()
            .filter(|evidence| evidence.post_certification)
            .map(|evidence| evidence.digest)
            .collect();
        let evidence: Vec<&Evidence> = input.evidence.iter().filter(|evidence| !evidence.post_certification).collect();
        let mut triaged: BTreeSet<&'a str> = BTreeSet::new();
        let mut triaged_findings = 0;
        let findings: Vec<&InputFinding> = input
            .findings
            .iter()
            .filter(|finding| !late.contains(&finding.evidence_digest))
            .filter(|finding| match dismissed.get(&finding.fingerprint) {
                Some(id) => {
                    triaged.insert(id);
                    triaged_findings += 1;
                    false
                }
                None => true,
            })
            .collect();
        let baseline = input.baseline_fingerprints.as_ref().map(|fingerprints| fingerprints.iter().copied().collect());
        Context {
            input,
            now,
            evidence,
            findings,
            finding_exceptions,
            criterion_exceptions,
            baseline,
            not_applied,
            triaged: triaged.into_iter().map(str::to_owned).collect(),
            triaged_findings,
            post_certification: input.evidence.len() - input.evidence.iter().filter(|e| !e.post_certification).count(),
        }
    }

    /// Turns a criterion's outcome into its result, applying a criterion exception
    /// to a failure.
    fn finish(&self, head: Head, outcome: Outcome) -> CriterionResult {
        let Outcome { verdict, expected, actual, evidence, missing, details, mut fix, mut notes } = outcome;
        let (status, exceptions) = match verdict {
            Verdict::Pass => {
                fix.clear();
                (Status::Pass, Vec::new())
            }
            Verdict::PassByExceptions(ids) => {
                fix.clear();
                (Status::Waived, ids)
            }
            Verdict::Fail => match self.criterion_exceptions.get(head.id.as_str()) {
                Some(id) => {
                    notes.push(format!("failure accepted by exception {id}"));
                    (Status::Waived, vec![(*id).to_owned()])
                }
                None => (Status::Fail, Vec::new()),
            },
        };
        CriterionResult {
            id: head.id,
            title: head.title,
            criterion: head.criterion,
            status,
            blocking: head.blocking,
            environment: head.environment,
            expected,
            actual,
            evidence,
            missing,
            details,
            fix,
            exceptions,
            notes,
        }
    }
}

/// The parts of a result that come from the policy.
struct Head {
    id: String,
    title: String,
    criterion: String,
    blocking: bool,
    environment: Option<String>,
}

/// What a criterion found, before exceptions for criteria are applied.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) verdict: Verdict,
    pub(crate) expected: String,
    pub(crate) actual: String,
    pub(crate) evidence: Vec<Digest>,
    pub(crate) missing: Vec<String>,
    pub(crate) details: Vec<String>,
    pub(crate) fix: Vec<String>,
    pub(crate) notes: Vec<String>,
}

impl Outcome {
    pub(crate) fn new(passed: bool, expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome {
            verdict: if passed { Verdict::Pass } else { Verdict::Fail },
            expected: expected.into(),
            actual: actual.into(),
            evidence: Vec::new(),
            missing: Vec::new(),
            details: Vec::new(),
            fix: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub(crate) fn pass(expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome::new(true, expected, actual)
    }

    pub(crate) fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Outcome {
        Outcome::new(false, expected, actual)
    }
}

/// Met, not met, or met only because exceptions for findings took some out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Pass,
    Fail,
    PassByExceptions(Vec<String>),
}

/// At most [`CriterionResult::MAX_DETAILS`] lines, then a count of the rest.
pub(crate) fn truncate(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > CriterionResult::MAX_DETAILS {
        let rest = lines.len() - CriterionResult::MAX_DETAILS;
        lines.truncate(CriterionResult::MAX_DETAILS);
        lines.push(format!("… and {rest} more"));
    }
    lines
}
