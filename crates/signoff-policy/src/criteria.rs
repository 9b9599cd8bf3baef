//! The built-in criteria (D1, J3), one function each.
//!
//! Rules that hold for all of them:
//! - only evidence not marked `post_certification` and its findings are looked at;
//! - approvals and reviews count only when given by a `human`; bots' and AI agents'
//!   never count, and neither do an author's on their own change (the author side of
//!   a change is its author, its co-authors and the humans any of them acts for);
//! - a reviewer's last review of a change is their current state;
//! - each pass over the findings is linear; lookups go through hash sets.

use std::collections::{BTreeMap, HashMap, HashSet};

use signoff_core::{Digest, EvidenceKind, Severity};
use time::Duration;

use crate::evaluate::{Context, Outcome, Verdict, truncate};
use crate::fix;
use crate::input::{ActorKind, ApprovalDecision, Change, Evidence, InputFinding, ReviewState, SignatureStatus};
use crate::policy::{Check, CriterionSpec, Scope, join, join_or, percent};

pub(crate) fn run(context: &Context<'_>, spec: &CriterionSpec) -> Outcome {
    let scope = &spec.scope;
    match &spec.check {
        Check::EvidencePresent { kinds } => evidence_present(context, kinds, scope),
        Check::SbomAndProvenance => evidence_present(context, &[EvidenceKind::Sbom, EvidenceKind::Provenance], scope),
        Check::FindingsThreshold { max, include_suppressed } => {
            findings_threshold(context, &spec.id, max, *include_suppressed, scope)
        }
        Check::EvidenceFresh { max_age_days, kinds } => evidence_fresh(context, *max_age_days, kinds, scope),
        Check::TestsPass => tests_pass(context, scope),
        Check::CoverageMin { line_rate, branch_rate } => coverage_min(context, *line_rate, *branch_rate, scope),
        Check::ChangesReviewed { min_approvals } => changes_reviewed(context, *min_approvals, false),
        Check::AgentChangesReviewed { min_human_reviews } => changes_reviewed(context, *min_human_reviews, true),
        Check::ApprovalByRole { role, min } => approval_by_role(context, role, *min),
        Check::SignedCommits { require_verified } => signed_commits(context, *require_verified),
        Check::NoNewFindings { severities, include_suppressed } => {
            no_new_findings(context, &spec.id, severities, *include_suppressed, scope)
        }
        Check::SeparationOfDuties => separation_of_duties(context),
    }
}

fn tools_phrase(scope: &Scope) -> String {
    if scope.tools.is_empty() { String::new() } else { format!(" from {}", scope.tools.join(" or ")) }
}

fn evidence_in_scope<'c>(context: &'c Context<'_>, scope: &'c Scope) -> impl Iterator<Item = &'c Evidence> + 'c {
    context.evidence.iter().copied().filter(move |evidence| scope.tool_matches(&evidence.tool.name))
}

fn evidence_present(context: &Context<'_>, kinds: &[EvidenceKind], scope: &Scope) -> Outcome {
    let mut found: BTreeMap<EvidenceKind, Vec<&Evidence>> = BTreeMap::new();
    for evidence in evidence_in_scope(context, scope) {
        if kinds.contains(&evidence.kind) {
            found.entry(evidence.kind).or_default().push(evidence);
        }
    }
    let missing: Vec<EvidenceKind> = kinds.iter().copied().filter(|kind| !found.contains_key(kind)).collect();
    let actual: Vec<String> = kinds
        .iter()
        .map(|kind| match found.get(kind) {
            Some(items) => {
                let mut tools: Vec<&str> = Vec::new();
                for evidence in items {
                    if !tools.contains(&evidence.tool.name.as_str()) {
                        tools.push(&evidence.tool.name);
                    }
                }
                format!("{kind}: {} ({})", items.len(), tools.join(", "))
            }
            None => format!("{kind}: none"),
        })
        .collect();
    let mut outcome = Outcome::new(
        missing.is_empty(),
        format!("evidence of {}{}", join(kinds), tools_phrase(scope)),
        actual.join("; "),
    );
    outcome.evidence = found.values().flatten().map(|evidence| evidence.digest).collect();
    outcome.missing = missing.iter().map(|kind| format!("{kind} evidence{}", tools_phrase(scope))).collect();
    outcome.fix = missing.iter().map(|kind| fix::capture(*kind)).collect();
    outcome
}

/// Findings in a criterion's scope.
fn findings_in_scope<'c>(
    context: &'c Context<'_>,
    scope: &'c Scope,
    include_suppressed: bool,
) -> impl Iterator<Item = &'c InputFinding> + 'c {
    context.findings.iter().copied().filter(move |finding| {
        (include_suppressed || !finding.suppressed)
            && scope.kind_matches(finding.kind)
            && scope.tool_matches(&finding.tool)
    })
}

/// Scans in a criterion's scope: evidence that carries findings.
fn scans_in_scope(context: &Context<'_>, scope: &Scope) -> Vec<Digest> {
    context
        .evidence
        .iter()
        .filter(|evidence| {
            (evidence.summary.findings.is_some() || evidence.kind.is_scan())
                && scope.kind_matches(evidence.kind)
                && scope.tool_matches(&evidence.tool.name)
        })
        .map(|evidence| evidence.digest)
        .collect()
}

fn describe_finding(finding: &InputFinding) -> String {
    let mut text = format!("{} {}: {}", finding.severity, finding.rule_id, finding.title);
    if let Some(package) = &finding.package {
        text.push_str(&format!(" in {package}"));
        if let Some(version) = &finding.package_version {
            text.push_str(&format!(" {version}"));
        }
    }
    if let Some(path) = &finding.location.path {
        text.push_str(&format!(" at {path}"));
        if let Some(line) = finding.location.start_line {
            text.push_str(&format!(":{line}"));
        }
    }
    text.push_str(&format!(" ({}, {})", finding.tool, finding.fingerprint));
    text
}

fn suppressed_phrase(include_suppressed: bool) -> &'static str {
    if include_suppressed { "" } else { ", not counting findings the tool suppressed" }
}

fn counts_phrase(counts: &BTreeMap<Severity, u64>) -> String {
    if counts.values().all(|count| *count == 0) {
        return "none".to_owned();
    }
    counts.iter().rev().map(|(severity, count)| format!("{severity} {count}")).collect::<Vec<_>>().join(", ")
}

/// Offending findings, most severe first, as detail lines; and the fix lines.
fn offending(findings: &mut Vec<&InputFinding>) -> (Vec<String>, Vec<String>) {
    findings.sort_by_key(|finding| std::cmp::Reverse(finding.severity));
    let details = truncate(findings.iter().map(|finding| describe_finding(finding)).collect());
    let mut fixes = vec!["fix the findings listed and re-capture the scans".to_owned()];
    if let Some(first) = findings.first() {
        fixes.push(fix::finding_exception(&first.fingerprint));
    }
    (details, fixes)
}

fn findings_threshold(
    context: &Context<'_>,
    id: &str,
    max: &BTreeMap<Severity, u64>,
    include_suppressed: bool,
    scope: &Scope,
) -> Outcome {
    let mut all: BTreeMap<Severity, u64> = max.keys().map(|severity| (*severity, 0)).collect();
    let mut counted = all.clone();
    let mut excepted: Vec<(&InputFinding, &str)> = Vec::new();
    let mut limited: Vec<&InputFinding> = Vec::new();
    for finding in findings_in_scope(context, scope, include_suppressed) {
        let Some(total) = all.get_mut(&finding.severity) else {
            continue;
        };
        *total += 1;
        match context.finding_exceptions.get(&finding.fingerprint) {
            Some(exception) => excepted.push((finding, exception)),
            None => {
                *counted.entry(finding.severity).or_default() += 1;
                limited.push(finding);
            }
        }
    }
    let over = |counts: &BTreeMap<Severity, u64>| -> Vec<Severity> {
        max.iter()
            .filter(|(severity, limit)| counts.get(severity).copied().unwrap_or(0) > **limit)
            .map(|(s, _)| *s)
            .collect()
    };
    let over_all = over(&all);
    let over_counted = over(&counted);

    let limits =
        max.iter().rev().map(|(severity, limit)| format!("{severity} ≤ {limit}")).collect::<Vec<_>>().join(", ");
    let kinds = if scope.kinds.is_empty() { String::new() } else { format!(" in {} evidence", join(&scope.kinds)) };
    let expected = format!("findings{kinds}{}: {limits}{}", tools_phrase(scope), suppressed_phrase(include_suppressed));
    let mut actual = counts_phrase(&counted);
    if !excepted.is_empty() {
        actual.push_str(&format!(" ({} more covered by exceptions)", excepted.len()));
    }
    let mut outcome = Outcome::fail(expected, actual);
    outcome.evidence = scans_in_scope(context, scope);
    if outcome.evidence.is_empty() {
        outcome
            .notes
            .push("no scan evidence in scope: nothing was counted (require it with evidence_present)".to_owned());
    }
    if over_all.is_empty() {
        outcome.verdict = Verdict::Pass;
    } else if over_counted.is_empty() {
        let mut ids: Vec<String> = excepted
            .iter()
            .filter(|(finding, _)| over_all.contains(&finding.severity))
            .map(|(_, exception)| (*exception).to_owned())
            .collect();
        ids.sort();
        ids.dedup();
        outcome.verdict = Verdict::PassByExceptions(ids);
    } else {
        let mut offenders: Vec<&InputFinding> =
            limited.into_iter().filter(|finding| over_counted.contains(&finding.severity)).collect();
        let (details, mut fixes) = offending(&mut offenders);
        outcome.details = details;
        fixes.push(fix::criterion_exception(id));
        outcome.fix = fixes;
    }
    outcome
}

fn no_new_findings(
    context: &Context<'_>,
    id: &str,
    severities: &[Severity],
    include_suppressed: bool,
    scope: &Scope,
) -> Outcome {
    let previous = context
        .input
        .release
        .previous
        .as_ref()
        .map_or_else(|| "the last certified release".to_owned(), |v| v.to_string());
    let expected = format!(
        "no {} findings that {previous} did not have{}",
        join_or(severities),
        suppressed_phrase(include_suppressed)
    );
    let Some(baseline) = &context.baseline else {
        let mut outcome = Outcome::pass(expected, "no baseline");
        outcome.notes.push("no previous certified release: there is no baseline to compare with".to_owned());
        return outcome;
    };
    let mut new_findings: Vec<&InputFinding> = Vec::new();
    let mut excepted: Vec<&str> = Vec::new();
    let mut counts: BTreeMap<Severity, u64> = severities.iter().map(|severity| (*severity, 0)).collect();
    for finding in findings_in_scope(context, scope, include_suppressed) {
        if !severities.contains(&finding.severity) || baseline.contains(&finding.fingerprint) {
            continue;
        }
        match context.finding_exceptions.get(&finding.fingerprint) {
            Some(exception) => excepted.push(exception),
            None => {
                *counts.entry(finding.severity).or_default() += 1;
                new_findings.push(finding);
            }
        }
    }
    let mut actual = if new_findings.is_empty() {
        "no new findings".to_owned()
    } else {
        format!("{} new ({})", new_findings.len(), counts_phrase(&counts))
    };
    if !excepted.is_empty() {
        actual.push_str(&format!(" ({} more covered by exceptions)", excepted.len()));
    }
    let mut outcome = Outcome::fail(expected, actual);
    outcome.evidence = scans_in_scope(context, scope);
    if new_findings.is_empty() && excepted.is_empty() {
        outcome.verdict = Verdict::Pass;
    } else if new_findings.is_empty() {
        let mut ids: Vec<String> = excepted.into_iter().map(str::to_owned).collect();
        ids.sort();
        ids.dedup();
        outcome.verdict = Verdict::PassByExceptions(ids);
    } else {
        let (details, mut fixes) = offending(&mut new_findings);
        outcome.details = details;
        fixes.push(fix::criterion_exception(id));
        outcome.fix = fixes;
    }
    outcome
}

fn evidence_fresh(context: &Context<'_>, max_age_days: u64, kinds: &[EvidenceKind], scope: &Scope) -> Outcome {
    // The newest evidence of each kind and tool: an older scan superseded by a newer
    // one of the same tool does not make the release stale.
    let mut newest: BTreeMap<(EvidenceKind, String), &Evidence> = BTreeMap::new();
    for evidence in evidence_in_scope(context, scope) {
        if !kinds.contains(&evidence.kind) {
            continue;
        }
        let key = (evidence.kind, evidence.tool.name.to_ascii_lowercase());
        let at = evidence.produced_at.unwrap_or(evidence.captured_at);
        match newest.get(&key) {
            Some(existing) if existing.produced_at.unwrap_or(existing.captured_at) >= at => {}
            _ => {
                newest.insert(key, evidence);
            }
        }
    }
    let limit = Duration::days(i64::try_from(max_age_days).unwrap_or(i64::MAX / 86_400));
    let expected = format!(
        "the newest {} evidence of each tool{} at most {max_age_days} days old",
        join(kinds),
        tools_phrase(scope)
    );
    if newest.is_empty() {
        let mut outcome = Outcome::pass(expected, "no such evidence");
        outcome.notes.push(format!("no {} evidence to check (require it with evidence_present)", join(kinds)));
        return outcome;
    }
    let mut actual = Vec::new();
    let mut stale = Vec::new();
    let mut fixes = Vec::new();
    for ((kind, _), evidence) in &newest {
        let at = evidence.produced_at.unwrap_or(evidence.captured_at);
        let age = context.now - at;
        let days = age.whole_days();
        actual.push(format!("{kind}/{}: {days} day{}", evidence.tool.name, if days == 1 { "" } else { "s" }));
        if age > limit {
            let source = if evidence.produced_at.is_some() { "produced" } else { "captured" };
            stale.push(format!(
                "{kind} from {} {source} {} ({days} days before the evaluation)",
                evidence.tool.name,
                crate::evaluation::date(at)
            ));
            fixes.push(fix::recapture(*kind, &evidence.tool.name));
        }
    }
    let mut outcome = Outcome::new(stale.is_empty(), expected, actual.join("; "));
    outcome.evidence = newest.values().map(|evidence| evidence.digest).collect();
    outcome.details = truncate(stale);
    outcome.fix = fixes;
    outcome
}

fn tests_pass(context: &Context<'_>, scope: &Scope) -> Outcome {
    let (reports, superseded): (Vec<&Evidence>, Vec<&Evidence>) = evidence_in_scope(context, scope)
        .filter(|evidence| evidence.kind == EvidenceKind::TestResults && evidence.summary.tests.is_some())
        .partition(|evidence| evidence.superseded_by.is_none());
    let expected = format!("test results{} with no failed or errored test", tools_phrase(scope));
    if reports.is_empty() {
        let mut outcome = Outcome::fail(expected, "no test results");
        outcome.missing.push(format!("test_results evidence{}", tools_phrase(scope)));
        outcome.fix.push(fix::capture(EvidenceKind::TestResults));
        return outcome;
    }
    let (mut total, mut passed, mut failed, mut errored, mut skipped) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    for report in &reports {
        if let Some(tests) = &report.summary.tests {
            total += tests.total;
            passed += tests.passed;
            failed += tests.failed;
            errored += tests.errored;
            skipped += tests.skipped;
            failures.extend(tests.failures.iter().map(|name| format!("{name} ({})", report.tool.name)));
        }
    }
    let actual = format!(
        "{total} tests in {} report{}: {passed} passed, {failed} failed, {errored} errored, {skipped} skipped",
        reports.len(),
        if reports.len() == 1 { "" } else { "s" }
    );
    let mut outcome = Outcome::new(failed + errored == 0, expected, actual);
    outcome.evidence = reports.iter().map(|evidence| evidence.digest).collect();
    for earlier in &superseded {
        let tests = earlier.summary.tests.as_ref();
        outcome.notes.push(format!(
            "re-run: {} report {} ({} failed, {} errored) was superseded by a later run of the same job, {}",
            earlier.tool.name,
            earlier.id,
            tests.map_or(0, |tests| tests.failed),
            tests.map_or(0, |tests| tests.errored),
            earlier.superseded_by.as_deref().unwrap_or_default()
        ));
    }
    if total == 0 {
        outcome.notes.push("the test reports hold no tests".to_owned());
    }
    if failed + errored > 0 {
        outcome.details = truncate(failures);
        outcome.fix.push("fix the failing tests, run them again and `signoff capture` the new report".to_owned());
    }
    outcome
}

fn coverage_min(context: &Context<'_>, line_rate: f64, branch_rate: Option<f64>, scope: &Scope) -> Outcome {
    let reports: Vec<&Evidence> = evidence_in_scope(context, scope)
        .filter(|evidence| evidence.kind == EvidenceKind::Coverage && evidence.summary.coverage.is_some())
        .collect();
    let mut expected = format!("combined line coverage ≥ {}", percent(line_rate));
    if let Some(branch_rate) = branch_rate {
        expected.push_str(&format!(" and branch coverage ≥ {}", percent(branch_rate)));
    }
    expected.push_str(&tools_phrase(scope));
    if reports.is_empty() {
        let mut outcome = Outcome::fail(expected, "no coverage report");
        outcome.missing.push(format!("coverage evidence{}", tools_phrase(scope)));
        outcome.fix.push(fix::capture(EvidenceKind::Coverage));
        return outcome;
    }
    let (mut lines_covered, mut lines_valid, mut branches_covered, mut branches_valid) = (0u64, 0u64, 0u64, 0u64);
    for report in &reports {
        if let Some(coverage) = &report.summary.coverage {
            lines_covered += coverage.lines_covered;
            lines_valid += coverage.lines_valid;
            branches_covered += coverage.branches_covered;
            branches_valid += coverage.branches_valid;
        }
    }
    // A tiny tolerance, so a rate equal to the minimum in decimal is not failed by
    // binary rounding.
    let meets = |covered: u64, valid: u64, minimum: f64| valid > 0 && covered as f64 / valid as f64 + 1e-12 >= minimum;
    let rate = |covered: u64, valid: u64| {
        if valid == 0 { "no data".to_owned() } else { percent(covered as f64 / valid as f64) }
    };
    let mut actual = format!("lines {} ({lines_covered}/{lines_valid})", rate(lines_covered, lines_valid));
    let mut passed = meets(lines_covered, lines_valid, line_rate);
    if let Some(branch_rate) = branch_rate {
        actual.push_str(&format!(
            ", branches {} ({branches_covered}/{branches_valid})",
            rate(branches_covered, branches_valid)
        ));
        passed &= meets(branches_covered, branches_valid, branch_rate);
    }
    let mut outcome = Outcome::new(passed, expected, actual);
    outcome.evidence = reports.iter().map(|evidence| evidence.digest).collect();
    if lines_valid == 0 {
        outcome.missing.push("coverage reports with measurable lines".to_owned());
    }
    if branch_rate.is_some() && branches_valid == 0 {
        outcome
            .missing
            .push("branch coverage data (enable branch measurement, e.g. `coverage run --branch`)".to_owned());
    }
    if !passed {
        outcome
            .fix
            .push("add tests for the uncovered code, then re-run coverage and `signoff capture` the report".to_owned());
    }
    outcome
}

fn short(change: &Change) -> String {
    let commit = change.commit.as_str();
    let mut text = commit.get(..12).unwrap_or(commit).to_owned();
    if let Some(pr) = change.pr {
        text.push_str(&format!(" (PR #{pr})"));
    }
    text.push_str(&format!(" by {}", change.author.id));
    text
}

/// Each reviewer's last review of a change, in order of first appearance.
fn final_reviews(change: &Change) -> Vec<(&crate::input::Actor, ReviewState)> {
    let mut order: Vec<&str> = Vec::new();
    let mut last: HashMap<&str, (&crate::input::Actor, ReviewState)> = HashMap::new();
    for review in &change.approvals {
        let id = review.reviewer.id.as_str();
        if !last.contains_key(id) {
            order.push(id);
        }
        last.insert(id, (&review.reviewer, review.state));
    }
    order.into_iter().filter_map(|id| last.get(id).copied()).collect()
}

/// The approvals of a change that count, and notes on those that do not.
fn counted_approvals(change: &Change) -> (Vec<&str>, Vec<String>) {
    let authors = change.author_ids();
    let mut counted = Vec::new();
    let mut notes = Vec::new();
    for (reviewer, state) in final_reviews(change) {
        if state != ReviewState::Approved {
            continue;
        }
        if authors.contains(&reviewer.id.as_str()) {
            notes.push(format!("{}: approval by {} not counted (an author of the change)", short(change), reviewer.id));
        } else if reviewer.kind != ActorKind::Human {
            notes.push(format!(
                "{}: approval by {} not counted ({} approvals never count)",
                short(change),
                reviewer.id,
                reviewer.kind.as_str()
            ));
        } else {
            counted.push(reviewer.id.as_str());
        }
    }
    (counted, notes)
}

/// Code review evidence for the changes: reviews whose pull request or merge commit
/// matches a change.
fn review_evidence(context: &Context<'_>, changes: &[&Change]) -> Vec<Digest> {
    let prs: HashSet<u64> = changes.iter().filter_map(|change| change.pr).collect();
    let commits: HashSet<&str> = changes.iter().map(|change| change.commit.as_str()).collect();
    context
        .evidence
        .iter()
        .filter(|evidence| {
            evidence.summary.reviews.as_ref().is_some_and(|reviews| {
                reviews.number.is_some_and(|number| prs.contains(&number))
                    || reviews.merge_commit.as_deref().is_some_and(|commit| commits.contains(commit))
            })
        })
        .map(|evidence| evidence.digest)
        .collect()
}

fn changes_reviewed(context: &Context<'_>, needed: u64, agents_only: bool) -> Outcome {
    let changes: Vec<&Change> =
        context.input.changes.iter().filter(|change| !agents_only || change.has_agent_author()).collect();
    let (who, whom) = if agents_only {
        ("change authored or co-authored by an AI agent", "changes authored or co-authored by AI agents")
    } else {
        ("change", "changes")
    };
    let expected = format!(
        "every {who} approved by at least {needed} human{} other than its authors",
        if needed == 1 { "" } else { "s" }
    );
    if changes.is_empty() {
        if let Some(reason) = &context.input.changes_unknown {
            return changes_unknown(expected, reason);
        }
        let mut outcome = Outcome::pass(expected, format!("no {whom} in the release"));
        outcome.notes.push(format!("no {whom} to check"));
        return outcome;
    }
    let mut short_of = Vec::new();
    let mut notes = Vec::new();
    for change in &changes {
        let (counted, mut not_counted) = counted_approvals(change);
        notes.append(&mut not_counted);
        if (counted.len() as u64) < needed {
            short_of.push((change, counted.len()));
        }
    }
    let actual = format!("{} of {} {whom} have enough approvals", changes.len() - short_of.len(), changes.len());
    let mut outcome = Outcome::new(short_of.is_empty(), expected, actual);
    outcome.evidence = review_evidence(context, &changes);
    outcome.missing = truncate(
        short_of
            .iter()
            .map(|(change, count)| format!("{}: {count} of {needed} human approvals", short(change)))
            .collect(),
    );
    outcome.notes = truncate(notes);
    if !short_of.is_empty() {
        outcome.fix.push(format!(
            "get approving reviews from {needed} human{} who did not author the change{} on the pull requests listed, then re-capture the reviews",
            if needed == 1 { "" } else { "s" },
            if agents_only { " (nor the human the agent acts for)" } else { "" }
        ));
    }
    outcome
}

fn approval_by_role(context: &Context<'_>, role: &str, needed: u64) -> Outcome {
    let mut approvers: Vec<&str> = Vec::new();
    let mut rejections = Vec::new();
    let mut notes = Vec::new();
    for approval in context.input.approvals.iter().filter(|approval| approval.role == role) {
        let actor = &approval.actor;
        if actor.kind != ActorKind::Human {
            notes.push(format!(
                "{} by {} not counted ({} approvals never count)",
                decision_word(approval.decision),
                actor.id,
                actor.kind.as_str()
            ));
        } else if !approval.current {
            notes.push(format!(
                "{} by {} at {} was for earlier content of the release; not counted",
                decision_word(approval.decision),
                actor.id,
                crate::evaluation::date(approval.at)
            ));
        } else if approval.decision == ApprovalDecision::Reject {
            let comment = approval.comment.as_deref().map(|comment| format!(": {comment}")).unwrap_or_default();
            rejections.push(format!("rejected by {}{comment}", actor.id));
        } else if !approvers.contains(&actor.id.as_str()) {
            approvers.push(&actor.id);
        }
    }
    let expected = format!(
        "at least {needed} current approval{} by a human with the role {role}, and no rejection",
        if needed == 1 { "" } else { "s" }
    );
    let mut actual =
        if approvers.is_empty() { "no approvals".to_owned() } else { format!("approved by {}", approvers.join(", ")) };
    if !rejections.is_empty() {
        actual.push_str(&format!("; {}", rejections.join("; ")));
    }
    let passed = approvers.len() as u64 >= needed && rejections.is_empty();
    let mut outcome = Outcome::new(passed, expected, actual);
    outcome.notes = notes;
    outcome.details = rejections;
    if (approvers.len() as u64) < needed {
        outcome.missing.push(format!(
            "{} more approval{} by {role}",
            needed - approvers.len() as u64,
            if needed - approvers.len() as u64 == 1 { "" } else { "s" }
        ));
        outcome.fix.push(fix::approve(context.input, role));
    }
    if !outcome.details.is_empty() {
        outcome.fix.push(format!("resolve the rejection with the {role} who rejected, then ask for a new approval"));
    }
    outcome
}

fn decision_word(decision: ApprovalDecision) -> &'static str {
    match decision {
        ApprovalDecision::Approve => "approval",
        ApprovalDecision::Reject => "rejection",
    }
}

/// A criterion about changes when the release's changes could not be read: it
/// fails, since nothing can be shown about changes nobody saw.
fn changes_unknown(expected: impl Into<String>, reason: &str) -> Outcome {
    let mut outcome = Outcome::new(false, expected, format!("the release's changes are unknown: {reason}"));
    outcome.fix.push(
        "create the release where its git history is available (`signoff release create PROJECT VERSION --commit SHA --repo DIR`, with the previous release's commit fetched)".to_owned(),
    );
    outcome
}

fn signed_commits(context: &Context<'_>, require_verified: bool) -> Outcome {
    let changes = &context.input.changes;
    let expected = if require_verified {
        "every commit signed with a verified signature"
    } else {
        "every commit signed, no bad signature"
    };
    if changes.is_empty()
        && let Some(reason) = &context.input.changes_unknown
    {
        return changes_unknown(expected, reason);
    }
    let mut problems = Vec::new();
    let (mut verified, mut signed) = (0usize, 0usize);
    for change in changes {
        let status = change.signature.status;
        match status {
            SignatureStatus::Verified => {
                verified += 1;
                signed += 1;
            }
            SignatureStatus::Unverified => signed += 1,
            SignatureStatus::None | SignatureStatus::Bad => {}
        }
        let bad = match status {
            SignatureStatus::None | SignatureStatus::Bad => true,
            SignatureStatus::Unverified => require_verified,
            SignatureStatus::Verified => false,
        };
        if bad {
            let word = match status {
                SignatureStatus::None => "not signed",
                SignatureStatus::Bad => "bad signature",
                _ => "signature not verified",
            };
            problems.push(format!("{}: {word}", short(change)));
        }
    }
    let actual = format!("{signed} of {} commits signed, {verified} verified", changes.len());
    let mut outcome = Outcome::new(problems.is_empty(), expected, actual);
    if changes.is_empty() {
        outcome.notes.push("no changes to check".to_owned());
    }
    outcome.details = truncate(problems);
    if !outcome.details.is_empty() {
        outcome.fix.push(
            "sign commits (`git config commit.gpgsign true`, or `gpg.format ssh`) and register the keys with the forge; re-create the release from signed commits"
                .to_owned(),
        );
    }
    outcome
}

fn separation_of_duties(context: &Context<'_>) -> Outcome {
    let input = context.input;
    let mut violations = Vec::new();
    // A change's authors do not approve it.
    for change in &input.changes {
        let authors = change.author_ids();
        for (reviewer, state) in final_reviews(change) {
            if state == ReviewState::Approved && authors.contains(&reviewer.id.as_str()) {
                violations.push(format!("{}: approved by {}, an author of the change", short(change), reviewer.id));
            }
        }
    }
    // Release approvers did not author or commit a change of the release.
    let mut approvers: Vec<&str> = Vec::new();
    for approval in &input.approvals {
        if approval.current
            && approval.decision == ApprovalDecision::Approve
            && approval.actor.kind == ActorKind::Human
            && !approvers.contains(&approval.actor.id.as_str())
        {
            approvers.push(&approval.actor.id);
        }
    }
    let mut made_by: HashMap<&str, Vec<String>> = HashMap::new();
    for change in &input.changes {
        for id in change.author_ids() {
            made_by.entry(id).or_default().push(format!("authored {}", short(change)));
        }
        made_by.entry(change.committer.id.as_str()).or_default().push(format!("committed {}", short(change)));
    }
    for approver in &approvers {
        if let Some(what) = made_by.get(approver) {
            let mut what = what.clone();
            what.dedup();
            violations.push(format!(
                "release approver {approver} {}{}",
                what.iter().take(3).cloned().collect::<Vec<_>>().join(", "),
                if what.len() > 3 { format!(" and {} more", what.len() - 3) } else { String::new() }
            ));
        }
    }
    // The certifier is not the only approver.
    if approvers.len() == 1 && approvers[0] == input.actor.id {
        violations.push(format!("the certifier {} is the only approver of the release", input.actor.id));
    }
    let actual = if violations.is_empty() {
        "no conflicts".to_owned()
    } else {
        format!("{} conflict{}", violations.len(), if violations.len() == 1 { "" } else { "s" })
    };
    let mut outcome = Outcome::new(
        violations.is_empty(),
        "authors do not approve their own changes; release approvers authored or committed no change of the release; the certifier is not the only approver",
        actual,
    );
    outcome.details = truncate(violations);
    outcome.notes.push("the deployer is checked when the artifact is deployed (`signoff gate`)".to_owned());
    if !outcome.details.is_empty() {
        outcome.fix.push(
            "have people who took no part in the changes approve the release, and another person certify it".to_owned(),
        );
    }
    outcome
}

#[cfg(test)]
mod tests;
