//! Rego modules over the same input document: `deny` fails (blocking or not),
//! `warn` advises, environment scopes, exceptions, evaluation errors fail closed,
//! and the findings are given only to policies whose modules mention them.

use signoff_policy::*;

use crate::util::*;

fn policy_with(rego: &str) -> EffectivePolicy {
    parse(&format!("version: 1\nname: r\nenvironments: [prod]\nrego:\n{rego}")).for_project("shop")
}

const BLOCKLIST: &str = "  - id: cves\n    source: |\n      package signoff.cves\n\n      deny contains msg if {\n        some finding in input.findings\n        \"CVE-2021-44228\" in finding.cve\n        msg := sprintf(\"log4shell in %s\", [finding.package])\n      }\n\n      warn contains \"many findings\" if count(input.findings) > 100\n";

#[test]
fn deny_and_warn() {
    let policy = policy_with(BLOCKLIST);
    assert_eq!(policy.rego.len(), 1);
    assert_eq!(
        (policy.rego[0].package.as_str(), policy.rego[0].deny, policy.rego[0].warn),
        ("data.signoff.cves", true, true)
    );
    let mut input = realistic(24, 50);
    let evaluation = evaluate(&policy, &input);
    let ids: Vec<(&str, Status, bool)> =
        evaluation.criteria.iter().map(|r| (r.id.as_str(), r.status, r.blocking)).collect();
    assert_eq!(ids, [("cves", Status::Pass, true), ("cves.warn", Status::Pass, false)]);
    assert_eq!(evaluation.decision, Decision::Certified);

    let mut log4shell = critical_finding(&input, "log4j");
    log4shell.cve = vec!["CVE-2021-44228".into()];
    log4shell.package = Some("log4j-core".into());
    input.findings.push(log4shell);
    input.findings.extend(realistic(24, 100).findings);
    let evaluation = evaluate(&policy, &input);
    let deny = evaluation.criterion("cves").unwrap();
    assert_eq!(deny.status, Status::Fail);
    assert_eq!(deny.criterion, "rego");
    assert_eq!(deny.details, ["log4shell in log4j-core"]);
    assert_eq!(deny.actual, "1 `deny` message");
    assert_eq!(deny.expected, "no `deny` messages from data.signoff.cves (policy.yaml)");
    let warn = evaluation.criterion("cves.warn").unwrap();
    assert_eq!(
        (warn.status, warn.blocking, warn.details.as_slice()),
        (Status::Fail, false, ["many findings".to_owned()].as_slice())
    );
    assert_eq!(evaluation.decision, Decision::Rejected);

    // A criterion exception names the module's id.
    input.exceptions.push(exception("EXC-7", ExceptionTarget::Criterion("cves".into()), 30));
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.criterion("cves").unwrap().status, Status::Waived);
    assert_eq!(evaluation.decision, Decision::Certified);
}

#[test]
fn advisory_and_environment_scoped_modules() {
    let rego = "  - id: always\n    blocking: false\n    source: |\n      package a\n      deny contains \"advice\" if true\n  - id: prod-only\n    scope: { environment: prod }\n    source: |\n      package b\n      deny contains \"not in prod\" if input.environment == \"prod\"\n";
    let policy = policy_with(rego);
    let mut input = realistic(12, 10);
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.criterion("always").unwrap().status, Status::Fail);
    assert_eq!(evaluation.criterion("prod-only").unwrap().status, Status::Pass, "input.environment is not prod");
    assert_eq!(evaluation.decision, Decision::Certified);
    input.environment = Some("prod".into());
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.criterion("prod-only").unwrap().environment.as_deref(), Some("prod"));
    assert_eq!(evaluation.decision, Decision::Rejected);
    assert_eq!(evaluation.environments["prod"], Decision::Rejected);
}

#[test]
fn modules_read_the_input_as_documented() {
    // Field names and shapes as the schema says: timestamps as RFC 3339 strings,
    // digests as `sha256:` strings, kinds and severities as lowercase names.
    let rego = "  - id: shape\n    source: |\n      package shape\n      deny contains \"evaluated_at\" if not startswith(input.evaluated_at, \"2026-11-26T12:00:00\")\n      deny contains \"digest\" if not startswith(input.evidence[0].digest, \"sha256:\")\n      deny contains \"kind\" if input.evidence[0].kind != \"sast\"\n      deny contains \"agent\" if input.changes[0].co_authors[0].kind != \"ai_agent\"\n      deny contains \"time\" if time.parse_rfc3339_ns(input.evaluated_at) <= time.parse_rfc3339_ns(input.release.created_at)\n      deny contains \"approvals\" if count([a | some a in input.approvals; a.actor.kind == \"human\"]) != 1\n";
    let evaluation = evaluate(&policy_with(rego), &realistic(12, 0));
    let result = evaluation.criterion("shape").unwrap();
    assert_eq!(result.status, Status::Pass, "{result:#?}");
}

#[test]
fn evaluation_errors_fail_closed() {
    // A builtin error (division by zero) and conflicting values of a complete rule
    // are errors at evaluation time only; each fails its module.
    let rego = "  - id: division\n    source: |\n      package division\n      deny contains msg if {\n        x := count(input.changes) / count(input.approvals)\n        x > 100\n        msg := sprintf(\"%v\", [x])\n      }\n  - id: conflict\n    blocking: false\n    source: |\n      package conflict\n      deny := {\"a\"} if input.release.version != \"\"\n      deny := {\"b\"} if input.actor.id != \"\"\n";
    let policy = policy_with(rego);
    let mut input = realistic(12, 0);
    input.approvals.clear();
    let evaluation = evaluate(&policy, &input);
    for id in ["division", "conflict"] {
        let result = evaluation.criterion(id).unwrap();
        assert_eq!(result.status, Status::Fail, "{result:#?}");
        assert!(result.actual.starts_with("evaluation error: policy.yaml:"), "{result:#?}");
        assert!(!result.actual.contains('\n'), "{result:#?}");
    }
    let division = evaluation.criterion("division").unwrap();
    assert!(division.actual.starts_with("evaluation error: policy.yaml:9:35: divide by zero"), "{division:#?}");
    assert_eq!(evaluation.decision, Decision::Rejected, "the blocking module failed closed");
}

#[test]
fn findings_reach_rego_only_when_a_module_mentions_them() {
    // This module reads the findings under a computed key, which the text check
    // cannot see: it gets an empty list (documented in `rego.rs`).
    let hidden = "  - id: hidden\n    source: |\n      package hidden\n      deny contains msg if {\n        key := concat(\"\", [\"find\", \"ings\"])\n        msg := sprintf(\"%d\", [count(input[key])])\n      }\n";
    let input = realistic(12, 30);
    let evaluation = evaluate(&policy_with(hidden), &input);
    assert_eq!(evaluation.criterion("hidden").unwrap().details, ["0"]);
    // Once any module names them, every module sees them.
    let both = format!("{hidden}{BLOCKLIST}");
    let evaluation = evaluate(&policy_with(&both), &input);
    assert_eq!(evaluation.criterion("hidden").unwrap().details, ["30"]);
}

#[test]
fn rego_files_are_resolved_by_the_caller() {
    let text = "version: 1\nname: f\nrego:\n  - id: extra\n    file: rules/extra.rego\n";
    let resolve = |file: &str| -> Result<String, String> {
        assert_eq!(file, "rules/extra.rego");
        Ok("package extra\n\nwarn contains \"unsigned\" if {\n  some change in input.changes\n  change.signature.status != \"verified\"\n}\n".into())
    };
    let policy = Policy::parse(text, "policy.yaml", &resolve).unwrap().for_project("shop");
    assert_eq!(policy.rego[0].file, "rules/extra.rego");
    let mut input = realistic(12, 0);
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.criteria.len(), 1, "a module without deny has only the warn result");
    assert_eq!(evaluation.criteria[0].status, Status::Pass);
    input.changes[0].signature.status = SignatureStatus::None;
    let evaluation = evaluate(&policy, &input);
    assert_eq!(evaluation.criteria[0].status, Status::Fail);
    assert_eq!(evaluation.decision, Decision::Certified, "warnings never reject");
}
