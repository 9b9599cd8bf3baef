//! The grammar: every kind of mistake is reported at its exact line and column, and
//! valid policies read as documented.

use signoff_core::{EvidenceKind, Severity};

use super::*;
use crate::testing::no_rego;

/// The error for `text`, as `line:column: message` (the file name is checked once).
fn error(text: &str) -> String {
    error_with(text, &no_rego)
}

fn error_with(text: &str, resolve: RegoResolver<'_>) -> String {
    match Policy::parse(text, "policy.yaml", resolve) {
        Ok(_) => panic!("parsed:\n{text}"),
        Err(error) => {
            let shown = error.to_string();
            assert!(shown.starts_with(&format!("{}:{}:{}: ", error.file, error.line, error.column)), "{shown}");
            shown.strip_prefix(&format!("{}:", error.file)).map(str::to_owned).unwrap_or(shown)
        }
    }
}

const HEAD: &str = "version: 1\nname: t\nenvironments: [prod]\ncriteria:\n";

/// A policy whose criteria start at line 5.
fn with_criteria(criteria: &str) -> String {
    format!("{HEAD}{criteria}")
}

#[test]
fn yaml_syntax_errors() {
    assert_eq!(error("version: 1\nname: [a\n"), "2:7: unclosed bracket '['");
    let shown = error("version: 1\nname: t\ncriteria:\n  - id: a\n   use: tests_pass\n");
    assert!(shown.starts_with("5:"), "{shown}");
    assert_eq!(
        error("version: 1\nname: t\nname: u\n"),
        "3:1: duplicate mapping key: name, set DuplicateKeyPolicy in Options if acceptable"
    );
    assert_eq!(error(""), "1:1: missing key `version` in the policy (the file is empty)");
    assert_eq!(error("- a\n"), "1:1: the policy: expected a mapping, found a list");
}

#[test]
fn top_level_mistakes() {
    assert_eq!(
        error("version: 1\nname: t\ncriterias: []\n"),
        "3:1: unknown key `criterias` in the policy (expected one of: version, name, description, environments, exceptions, triage, release, criteria, rego, projects)"
    );
    assert_eq!(error("name: t\n"), "1:1: missing key `version` in the policy");
    assert_eq!(error("version: 2\nname: t\n"), "1:10: unsupported policy version 2 (this signoff reads version 1)");
    assert_eq!(error("version: one\nname: t\n"), "1:10: version: expected a whole number, found a string");
    assert_eq!(error("version: 1\nname: [t]\n"), "2:7: name: expected a string, found a list");
    assert_eq!(
        error("version: 1\nname: t\nexceptions: { max_days: -3 }\n"),
        "3:25: exceptions.max_days: must not be negative"
    );
    assert_eq!(
        error("version: 1\nname: t\nenvironments: [prod, prod]\n"),
        "3:22: environments: `prod` is listed twice"
    );
}

#[test]
fn unknown_criterion() {
    let shown = error(&with_criteria("  - id: a\n    use: evidence_presnt\n"));
    assert!(
        shown.starts_with(
            "6:10: unknown criterion `evidence_presnt` (built-in criteria: evidence_present, sbom_and_provenance,"
        ),
        "{shown}"
    );
    assert_eq!(error(&with_criteria("  - id: a\n")), "5:5: missing key `use` in criteria[0]");
    assert_eq!(error(&with_criteria("  - use: tests_pass\n")), "5:5: missing key `id` in criteria[0]");
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: tests_pass\n    blockng: false\n")),
        "7:5: unknown key `blockng` in criteria[0] (expected one of: id, title, description, use, with, blocking, scope)"
    );
}

#[test]
fn parameter_mistakes() {
    // Unknown parameter, at the key.
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: evidence_present\n    with: { kind: [sast] }\n")),
        "7:13: criterion `evidence_present` has no parameter `kind` (it takes: kinds)"
    );
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: tests_pass\n    with: { min: 1 }\n")),
        "7:13: criterion `tests_pass` has no parameter `min` (it takes no parameters)"
    );
    // Missing parameter: at `with`, or at `use` when there is no `with`.
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: evidence_fresh\n    with: { kinds: [sast] }\n")),
        "7:11: criterion `evidence_fresh` needs parameter `max_age_days`"
    );
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: approval_by_role\n")),
        "6:10: criterion `approval_by_role` needs parameter `role`"
    );
    // Ill-typed parameters, at the value.
    assert_eq!(
        error(&with_criteria("  - id: fresh\n    use: evidence_fresh\n    with:\n      max_age_days: \"30\"\n")),
        "8:21: `with.max_age_days` of criterion `fresh`: expected a whole number, found a string"
    );
    assert_eq!(
        error(&with_criteria("  - id: c\n    use: coverage_min\n    with: { line_rate: 80 }\n")),
        "7:24: `with.line_rate` of criterion `c`: must be a fraction between 0.0 and 1.0 (write 0.8 for 80%), not 80"
    );
    assert_eq!(
        error(&with_criteria("  - id: s\n    use: signed_commits\n    with: { require_verified: yes }\n")),
        "7:31: `with.require_verified` of criterion `s`: expected a boolean (true or false), found a string"
    );
    assert_eq!(
        error(&with_criteria("  - id: r\n    use: changes_reviewed\n    with: { min_approvals: 0 }\n")),
        "7:28: `with.min_approvals` of criterion `r`: must be at least 1"
    );
    assert_eq!(
        error(&with_criteria("  - id: p\n    use: evidence_present\n    with: { kinds: sast }\n")),
        "7:20: `with.kinds` of criterion `p`: expected a list, found a string"
    );
    assert_eq!(
        error(&with_criteria("  - id: p\n    use: evidence_present\n    with: [kinds]\n")),
        "7:11: `with` of criterion `p`: expected a mapping, found a list"
    );
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: findings_threshold\n    with:\n      max: { hgh: 0 }\n")),
        "8:14: unknown key `hgh` in `with.max` of criterion `t` (expected one of: critical, high, medium, low, info)"
    );
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: findings_threshold\n    with:\n      max: {}\n")),
        "8:12: `with.max` of criterion `t`: must set a limit for at least one severity"
    );
    let shown = error(&with_criteria("  - id: p\n    use: evidence_present\n    with: { kinds: [sast, sbomm] }\n"));
    assert!(
        shown.starts_with(
            "7:27: `with.kinds` of criterion `p`: unknown evidence kind \"sbomm\" (expected one of: sast,"
        ),
        "{shown}"
    );
    let shown = error(&with_criteria("  - id: n\n    use: no_new_findings\n    with: { severities: [severe] }\n"));
    assert!(shown.starts_with("7:26: `with.severities` of criterion `n`: unknown severity \"severe\""), "{shown}");
}

#[test]
fn duplicate_ids_and_bad_ids() {
    assert_eq!(
        error(&with_criteria("  - id: a\n    use: tests_pass\n  - id: a\n    use: tests_pass\n")),
        "7:9: duplicate id `a` (first used at line 5)"
    );
    assert_eq!(
        error(&with_criteria("  - id: a b\n    use: tests_pass\n")),
        "5:9: id: `a b` is not a valid name (a letter or digit, then letters, digits, `-` and `_`; at most 64)"
    );
}

#[test]
fn scope_mistakes() {
    let shown = error(&with_criteria(
        "  - id: t\n    use: findings_threshold\n    with: { max: { high: 0 } }\n    scope: { kinds: [sats] }\n",
    ));
    assert!(shown.starts_with("8:22: `scope.kinds` of criterion `t`: unknown evidence kind \"sats\""), "{shown}");
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: tests_pass\n    scope: { kinds: [sast] }\n")),
        "7:21: `scope.kinds` of criterion `t`: `tests_pass` does not filter by evidence kind"
    );
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: changes_reviewed\n    scope: { tools: [github] }\n")),
        "7:21: `scope.tools` of criterion `t`: `changes_reviewed` does not look at evidence, so cannot filter by tool"
    );
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: tests_pass\n    scope: { environment: production }\n")),
        "7:27: unknown environment `production` (declared environments: prod)"
    );
    assert_eq!(
        error(&with_criteria("  - id: t\n    use: tests_pass\n    scope: { env: prod }\n")),
        "7:14: unknown key `env` in `scope` of criterion `t` (expected one of: kinds, tools, environment)"
    );
}

#[test]
fn project_override_mistakes() {
    let base = with_criteria("  - id: a\n    use: tests_pass\n");
    assert_eq!(
        error(&format!("{base}projects:\n  payments:\n    criterion: []\n")),
        "9:5: unknown key `criterion` in project `payments` (expected one of: criteria)"
    );
    assert!(
        error(&format!("{base}projects:\n  payments:\n    criteria:\n      - id: a\n        use: test_pass\n"))
            .starts_with("11:14: unknown criterion `test_pass`")
    );
    assert!(
        error(&format!("{base}projects:\n  -bad:\n    criteria: []\n"))
            .starts_with("8:3: project name: invalid project name")
    );
}

#[test]
fn rego_mistakes() {
    let policy = |rego: &str| format!("version: 1\nname: t\nrego:\n{rego}");
    let resolve = |file: &str| -> Result<String, String> {
        match file {
            "rules/syntax.rego" => Ok("package x\n\ndeny contains msg if {\n  msg := 1 +\n}\n".into()),
            "rules/unsafe.rego" => Ok("package y\n\ndeny contains msg if {\n  msg := sprintf(\"%v\", [y])\n}\n".into()),
            "rules/clock.rego" => Ok("package z\n\ndeny contains \"late\" if {\n  time.now_ns() > 0\n}\n".into()),
            "rules/empty.rego" => Ok("package e\n\nallow := true\n".into()),
            "rules/a.rego" => Ok("package same\n\ndeny contains \"a\" if { false }\n".into()),
            "rules/b.rego" => Ok("package same\n\nwarn contains \"b\" if { false }\n".into()),
            _ => Err("no such file".into()),
        }
    };
    let rego_error = |entries: &str| -> PolicyError {
        match Policy::parse(&policy(entries), "policy.yaml", &resolve) {
            Ok(_) => panic!("parsed {entries}"),
            Err(error) => error,
        }
    };
    let error = rego_error("  - id: s\n    file: rules/syntax.rego\n");
    assert_eq!((error.file.as_str(), error.line, error.column), ("rules/syntax.rego", 4, 7), "{error}");
    assert!(matches!(error.kind, PolicyErrorKind::Rego { .. }), "{error}");
    let error = rego_error("  - id: u\n    file: rules/unsafe.rego\n");
    assert_eq!(error.to_string(), "rules/unsafe.rego:4:25: rego: use of undefined variable `y` is unsafe");
    let error = rego_error("  - id: c\n    file: rules/clock.rego\n");
    assert_eq!(
        error.to_string(),
        "rules/clock.rego:4:3: rego: `time.now_ns` is not allowed: it reads the clock; use `time.parse_rfc3339_ns(input.evaluated_at)`"
    );
    let error = rego_error("  - id: e\n    file: rules/empty.rego\n");
    assert_eq!(error.to_string(), "rules/empty.rego:1:1: rego: package `data.e` declares neither `deny` nor `warn`");
    let error = rego_error("  - id: a\n    file: rules/a.rego\n  - id: b\n    file: rules/b.rego\n");
    assert_eq!(
        error.to_string(),
        "rules/b.rego:1:1: rego: package `data.same` is also the package of module `a`; give each module its own"
    );
    let error = rego_error("  - id: m\n    file: rules/missing.rego\n");
    assert_eq!(error.to_string(), "policy.yaml:5:11: cannot read rego file `rules/missing.rego`: no such file");
    let error = rego_error("  - id: m\n");
    assert_eq!(error.to_string(), "policy.yaml:4:5: missing key `file` in rego module `m` (or `source`)");
    // Inline source: the place is moved into the policy file.
    let error = rego_error(
        "  - id: inline\n    source: |\n      package inline\n\n      deny contains msg if {\n        msg := 1 +\n      }\n",
    );
    assert_eq!((error.file.as_str(), error.line, error.column), ("policy.yaml", 9, 13), "{error}");
}

#[test]
fn valid_policy_reads_as_written() {
    let text = "version: 1\nname: org\ndescription: the bar\nenvironments: [staging, prod]\nexceptions: { max_days: 30 }\ncriteria:\n  - id: present\n    use: evidence_present\n    with: { kinds: [sast, sast, sca] }\n  - id: threshold\n    use: findings_threshold\n    with: { max: { critical: 0, high: 2, low: ~ } }\n    scope: { kinds: [sca], tools: [trivy], environment: prod }\n    blocking: false\n  - id: fresh\n    title: Fresh scans\n    use: evidence_fresh\n    with: { max_age_days: 7 }\nprojects:\n  payments:\n    criteria:\n      - id: threshold\n        use: findings_threshold\n        with: { max: { critical: 0 } }\n      - id: tests\n        use: tests_pass\n";
    let policy = Policy::parse(text, "policy.yaml", &no_rego).unwrap();
    assert_eq!(policy.name(), "org");
    assert_eq!(policy.description(), Some("the bar"));
    assert_eq!(policy.environments(), ["staging", "prod"]);
    assert_eq!(policy.digest(), Digest::of(text.as_bytes()), "without rego files the digest is the text's");
    assert_eq!(policy.projects().collect::<Vec<_>>(), ["payments"]);

    let org = policy.for_project("shop");
    assert_eq!(org.project_override, None);
    assert_eq!(org.exceptions.max_days, Some(30));
    let ids: Vec<&str> = org.criteria.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(ids, ["present", "threshold", "fresh"]);
    assert_eq!(org.criteria[0].check, Check::EvidencePresent { kinds: vec![EvidenceKind::Sast, EvidenceKind::Sca] });
    assert_eq!(org.criteria[0].title, "Evidence present: sast, sca");
    assert_eq!(
        org.criteria[1].check,
        Check::FindingsThreshold {
            max: BTreeMap::from([(Severity::Critical, 0), (Severity::High, 2)]),
            include_suppressed: false
        }
    );
    assert!(!org.criteria[1].blocking);
    assert_eq!(org.criteria[1].scope.environment.as_deref(), Some("prod"));
    assert_eq!(org.criteria[2].title, "Fresh scans");
    let Check::EvidenceFresh { kinds, .. } = &org.criteria[2].check else { panic!() };
    assert_eq!(kinds.len(), 6, "every scan kind by default");

    let payments = policy.for_project("payments");
    assert_eq!(payments.project_override.as_deref(), Some("payments"));
    let ids: Vec<&str> = payments.criteria.iter().map(|spec| spec.id.as_str()).collect();
    assert_eq!(ids, ["present", "threshold", "fresh", "tests"], "replaced in place, added at the end");
    assert!(payments.criteria[1].blocking, "the override is a whole new entry");
    assert_eq!(payments.criteria[1].title, "Findings within limits: critical ≤ 0");

    // The effective policy serializes as the policy file reads.
    let json = serde_json::to_value(&payments.criteria[1]).unwrap();
    assert_eq!(json["use"], "findings_threshold");
    assert_eq!(json["with"]["max"]["critical"], 0);
}

#[test]
fn digest_covers_rego_files() {
    let text = "version: 1\nname: t\nrego:\n  - id: r\n    file: r.rego\n";
    let with = |source: &'static str| {
        move |_: &str| -> Result<String, String> { Ok(format!("package r\n\ndeny contains \"x\" if {{ {source} }}\n")) }
    };
    let first = Policy::parse(text, "p.yaml", &with("false")).unwrap().digest();
    let second = Policy::parse(text, "p.yaml", &with("1 == 2")).unwrap().digest();
    assert_ne!(first, second);
    assert_ne!(first, Digest::of(text.as_bytes()));
    let expected = serde_json::json!({
        "policy": Digest::of(text.as_bytes()).to_string(),
        "rego": { "r.rego": Digest::of(b"package r\n\ndeny contains \"x\" if { false }\n").to_string() }
    });
    assert_eq!(first, Digest::of(&signoff_core::canonical::to_canonical_bytes(&expected).unwrap()));
}

#[test]
fn policies_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Policy>();
    assert_send_sync::<EffectivePolicy>();
}
