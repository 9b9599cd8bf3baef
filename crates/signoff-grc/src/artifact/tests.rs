//! Tests of the artifact builder over a realistic certification.

use super::*;

fn digest(label: &str) -> Digest {
    Digest::of(label.as_bytes())
}

fn evidence(kind: EvidenceKind, tool: &str, file: &str, seq: u64) -> EvidenceInput {
    EvidenceInput {
        kind,
        digest: digest(file),
        tool: tool.to_owned(),
        captured_at: "2025-06-02T10:06:40Z".to_owned(),
        file_name: Some(file.to_owned()),
        passed: None,
        ledger: Some(LedgerRef {
            seq,
            proof: Some(InclusionProof::Rfc6962 {
                leaf_index: seq,
                tree_size: 40,
                root_hash: digest("root").to_hex(),
                hashes: vec![digest("sibling").to_hex()],
            }),
        }),
    }
}

fn input(decision: Decision) -> ArtifactInput {
    ArtifactInput {
        release: ReleaseRef {
            project: "shop".into(),
            version: "4.2.1".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            artifacts: vec![digest("shop-4.2.1.tar.gz")],
        },
        certificate: CertificateRef {
            id: "0197a0c4-0000-7000-8000-000000000001".into(),
            decision,
            statement_digest: digest("statement"),
            evaluated_at: "2025-06-02T10:14:30Z".into(),
            policy: PolicyRef { name: "release-gate".into(), version: Some(3), digest: digest("policy") },
            ledger: Some(LedgerRef {
                seq: 39,
                proof: Some(InclusionProof::TlogProof { text: "c2sp.org/tlog-proof@v1\nindex 39\n…".into() }),
            }),
        },
        criteria: vec![
            CriterionRef {
                id: "tests-pass".into(),
                title: "Tests pass".into(),
                status: CriterionStatus::Pass,
                evidence: vec![digest("junit.xml")],
                exceptions: vec![],
            },
            CriterionRef {
                id: "no-high-sast".into(),
                title: "No high SAST findings".into(),
                status: CriterionStatus::Waived,
                evidence: vec![digest("semgrep.sarif")],
                exceptions: vec!["EXC-42".into()],
            },
        ],
        evidence: vec![
            evidence(EvidenceKind::Sast, "semgrep", "semgrep.sarif", 31),
            evidence(EvidenceKind::TestResults, "pytest", "junit.xml", 32),
            evidence(EvidenceKind::ChangeRecord, "jira", "ticket.json", 33),
            evidence(EvidenceKind::Provenance, "slsa-github-generator", "provenance.intoto.jsonl", 34),
        ],
        facts: CoverageFacts {
            certificate: None,
            approvals: vec!["approval 0197a0c4 by alice (release-manager)".into()],
            reviews: vec!["PR #42 approved by bob".into()],
            exceptions: vec![],
            ledger_checkpoint: Some("size 40, root sha256:…".into()),
        },
        frameworks: vec!["soc2".into(), "nist-800-53".into()],
        server_url: Some("https://signoff.example.com/".into()),
    }
}

fn find<'a>(artifacts: &'a [ComplianceArtifact], framework: &str, control: &str) -> &'a ComplianceArtifact {
    artifacts
        .iter()
        .find(|artifact| artifact.framework.id == framework && artifact.control.id == control)
        .unwrap_or_else(|| panic!("no artifact for {framework} {control}"))
}

#[test]
fn one_artifact_per_control_the_evidence_bears_on() {
    let artifacts = build_artifacts(&input(Decision::Certified), &Catalog::built_in()).unwrap();
    let cm3 = find(&artifacts, "nist-800-53", "CM-3");
    assert!(cm3.satisfied, "{}", cm3.summary);
    assert_eq!(cm3.status, Status::Satisfied);
    assert_eq!(cm3.control.nist_800_53, vec!["cm-3"]);
    let kinds: Vec<EvidenceType> = cm3.evidence.iter().map(|item| item.kind).collect();
    assert_eq!(
        kinds,
        [
            EvidenceType::ChangeRecord,
            EvidenceType::CodeReview,
            EvidenceType::TestResults,
            EvidenceType::DeploymentApproval,
            EvidenceType::AuditLogIntegrity
        ]
    );
    let junit = cm3.evidence.iter().find(|item| item.kind == EvidenceType::TestResults).unwrap();
    assert_eq!(junit.digest, Some(digest("junit.xml")));
    assert_eq!(junit.ledger.as_ref().unwrap().seq, 32);
    assert_eq!(junit.passed, Some(true), "a passing criterion relied on it");
    assert_eq!(
        junit.url.as_deref(),
        Some(format!("https://signoff.example.com/ui/releases/shop/4.2.1/evidence/{}", digest("junit.xml")).as_str())
    );
    assert_eq!(cm3.link.as_deref(), Some("https://signoff.example.com/ui/releases/shop/4.2.1"));
    assert_eq!(cm3.certificate.ledger.as_ref().unwrap().seq, 39);
    assert_eq!(cm3.criteria.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["tests-pass"]);

    // SOC 2 CC8.1 lists eleven types; only some are present, so it is partial.
    let cc81 = find(&artifacts, "soc2", "CC8.1");
    assert!(!cc81.satisfied);
    assert_eq!(cc81.status, Status::Partial);
    assert!(cc81.gaps.iter().any(|gap| gap.kind == Some(EvidenceType::Dast)));
    assert!(cc81.control.nist_800_53.is_empty(), "the catalog has no SOC 2 to 800-53 crosswalk");

    // CM-5 needs access_review, deployment_approval, code_review, audit_log_integrity: bears on it.
    // SOC 2 CC6.1 (access_review, secrets_scan, iac_scan): nothing of it here, so no artifact.
    assert!(!artifacts.iter().any(|artifact| artifact.control.id == "CC6.1"));
    let frameworks: BTreeSet<&str> = artifacts.iter().map(|artifact| artifact.framework.id.as_str()).collect();
    assert_eq!(frameworks, BTreeSet::from(["soc2", "nist-800-53"]));
}

#[test]
fn ids_and_keys_are_stable_and_content_derived() {
    let catalog = Catalog::built_in();
    let first = build_artifacts(&input(Decision::Certified), &catalog).unwrap();
    let second = build_artifacts(&input(Decision::Certified), &catalog).unwrap();
    assert_eq!(first, second, "a pure function of its input");
    let ids: BTreeSet<Uuid> = first.iter().map(|artifact| artifact.id).collect();
    assert_eq!(ids.len(), first.len(), "ids are unique");
    for artifact in &first {
        assert_eq!(artifact.id.get_version_num(), 5);
        assert_eq!(artifact.content_key().unwrap(), artifact.idempotency_key);
        assert_eq!(artifact.idempotency_key.as_str().len(), 64);
    }

    // Another summary-relevant fact changes the key, not the id.
    let mut changed = input(Decision::Certified);
    changed.facts.reviews.push("PR #43 approved by carol".into());
    let third = build_artifacts(&changed, &catalog).unwrap();
    let before = find(&first, "nist-800-53", "CM-3");
    let after = find(&third, "nist-800-53", "CM-3");
    assert_eq!(before.id, after.id);
    assert_ne!(before.idempotency_key, after.idempotency_key);

    // A tampered artifact no longer matches its key.
    let mut tampered = before.clone();
    tampered.satisfied = !tampered.satisfied;
    assert_ne!(tampered.content_key().unwrap(), tampered.idempotency_key);
}

#[test]
fn a_failed_criterion_makes_its_evidence_fail() {
    let mut failing = input(Decision::Rejected);
    failing.criteria[0].status = CriterionStatus::Fail;
    let artifacts = build_artifacts(&failing, &Catalog::built_in()).unwrap();
    let cm3 = find(&artifacts, "nist-800-53", "CM-3");
    assert!(!cm3.satisfied);
    let junit = cm3.evidence.iter().find(|item| item.kind == EvidenceType::TestResults).unwrap();
    assert_eq!(junit.passed, Some(false));
    assert!(cm3.summary.contains("was rejected"), "{}", cm3.summary);
    assert!(cm3.summary.contains("test_results did not pass"), "{}", cm3.summary);
    assert!(cm3.summary.contains("tests-pass failed"), "{}", cm3.summary);
}

#[test]
fn the_certificate_is_signature_evidence_only_when_certified() {
    let catalog = Catalog::built_in();
    let certified = build_artifacts(&input(Decision::Certified), &catalog).unwrap();
    let au9 = find(&certified, "nist-800-53", "AU-9");
    assert!(au9.satisfied, "{}", au9.summary);
    let signature = au9.evidence.iter().find(|item| item.kind == EvidenceType::Signature).unwrap();
    assert_eq!(signature.digest, Some(digest("statement")));
    assert_eq!(signature.ledger.as_ref().unwrap().seq, 39, "the certificate's own ledger entry");
    assert_eq!(signature.url.as_deref(), Some("https://signoff.example.com/ui/ledger/entries/39"));

    let rejected = build_artifacts(&input(Decision::Rejected), &catalog).unwrap();
    let au9 = find(&rejected, "nist-800-53", "AU-9");
    assert!(!au9.satisfied);
    assert!(au9.gaps.iter().any(|gap| gap.kind == Some(EvidenceType::Signature)));
}

#[test]
fn summary_reads_as_sentences() {
    let artifacts = build_artifacts(&input(Decision::Certified), &Catalog::built_in()).unwrap();
    let summary = &find(&artifacts, "nist-800-53", "SA-11").summary;
    assert!(
        summary.starts_with(
            "shop 4.2.1 (commit 0123456789ab) was certified on 2025-06-02T10:14:30Z under policy release-gate v3 (sha256:"
        ),
        "{summary}"
    );
    assert!(summary.contains("\"Developer Testing and Evaluation\""), "{summary}");
    assert!(summary.contains("sast from semgrep (sha256:"), "{summary}");
    assert!(summary.contains("no-high-sast waived by EXC-42"), "{summary}");
    assert!(summary.contains("ledger entry 31"), "{summary}");
    assert!(summary.ends_with("The certificate is ledger entry 39, with its inclusion proof."), "{summary}");
}

#[test]
fn without_a_server_there_are_no_links() {
    let mut local = input(Decision::Certified);
    local.server_url = None;
    let artifacts = build_artifacts(&local, &Catalog::built_in()).unwrap();
    assert!(artifacts.iter().all(|artifact| artifact.link.is_none()));
    assert!(artifacts.iter().flat_map(|artifact| &artifact.evidence).all(|item| item.url.is_none()));
}

#[test]
fn bad_input_is_named() {
    let catalog = Catalog::built_in();
    let mut bad = input(Decision::Certified);
    bad.evidence[1].captured_at = "2025-06-02 10:06".into();
    let error = build_artifacts(&bad, &catalog).unwrap_err();
    assert_eq!(error.to_string(), "evidence[1].captured_at is not an RFC 3339 date-time: \"2025-06-02 10:06\"");

    let mut bad = input(Decision::Certified);
    bad.server_url = Some("ftp://example.com".into());
    assert!(matches!(build_artifacts(&bad, &catalog), Err(ArtifactError::ServerUrl { .. })));

    let mut bad = input(Decision::Certified);
    bad.frameworks = vec!["cmmc".into()];
    assert!(matches!(build_artifacts(&bad, &catalog), Err(ArtifactError::UnknownFramework(_))));
}

#[test]
fn json_shape_round_trips() {
    let artifacts = build_artifacts(&input(Decision::Certified), &Catalog::built_in()).unwrap();
    let artifact = find(&artifacts, "nist-800-53", "CM-3");
    let json: serde_json::Value = serde_json::from_slice(&artifact.to_json_bytes().unwrap()).unwrap();
    assert_eq!(json["schema"], ARTIFACT_SCHEMA);
    assert_eq!(json["control"]["id"], "CM-3");
    assert_eq!(json["framework"]["id"], "nist-800-53");
    assert_eq!(json["satisfied"], true);
    assert_eq!(json["status"], "satisfied");
    assert_eq!(json["evidence"][0]["type"], "change_record");
    assert_eq!(json["certificate"]["ledger"]["proof"]["format"], "tlog_proof");
    assert_eq!(json["evidence"][0]["ledger"]["proof"]["format"], "rfc6962");
    let back: ComplianceArtifact = serde_json::from_value(json).unwrap();
    assert_eq!(&back, artifact);
    assert_eq!(back.content_key().unwrap(), artifact.idempotency_key);
}

#[test]
fn a_framework_named_twice_gives_each_artifact_once() {
    let catalog = Catalog::built_in();
    let once = build_artifacts(&input(Decision::Certified), &catalog).unwrap();
    // Every name the catalog answers to, aliases included, as `[controls]` defaults to.
    let mut all_names = input(Decision::Certified);
    all_names.frameworks = catalog.framework_names();
    let artifacts = build_artifacts(&all_names, &catalog).unwrap();
    let ids: BTreeSet<Uuid> = artifacts.iter().map(|artifact| artifact.id).collect();
    assert_eq!(ids.len(), artifacts.len(), "an artifact twice");
    assert!(once.iter().all(|artifact| ids.contains(&artifact.id)));
}

#[test]
fn links_are_the_dashboard_routes_with_each_segment_encoded() {
    let base = "https://signoff.example.com/prefix/";
    assert_eq!(
        links::release(base, "team/shop", "1.0+b#1"),
        "https://signoff.example.com/prefix/ui/releases/team%2Fshop/1.0+b%231"
    );
    assert_eq!(links::ledger_entry("http://127.0.0.1:8080", 7), "http://127.0.0.1:8080/ui/ledger/entries/7");
}

/// The input with every ledger reference stripped of its proof, and the proofs by entry.
fn unproven(mut input: ArtifactInput) -> (ArtifactInput, BTreeMap<u64, InclusionProof>) {
    let mut proofs = BTreeMap::new();
    let certificate = input.certificate.ledger.iter_mut();
    let evidence = input.evidence.iter_mut().filter_map(|item| item.ledger.as_mut());
    for ledger in certificate.chain(evidence) {
        proofs.insert(ledger.seq, ledger.proof.take().unwrap());
    }
    (input, proofs)
}

#[test]
fn proving_later_gives_the_artifact_built_with_its_proofs() {
    let catalog = Catalog::built_in();
    let proven = build_artifacts(&input(Decision::Certified), &catalog).unwrap();
    let (bare_input, proofs) = unproven(input(Decision::Certified));
    let bare = build_artifacts(&bare_input, &catalog).unwrap();
    assert_eq!(bare.len(), proven.len());
    for (bare, proven) in bare.into_iter().zip(&proven) {
        assert_eq!(bare.id, proven.id);
        assert_ne!(bare.idempotency_key, proven.idempotency_key, "proofs are content");
        assert!(!bare.summary.contains("with its inclusion proof"), "{}", bare.summary);
        assert!(!bare.unproven_entries().is_empty());
        let later = bare.clone().with_proofs(&proofs).unwrap();
        assert_eq!(&later, proven, "same bytes, same key");
        assert!(later.unproven_entries().is_empty());
        assert_eq!(later.clone().with_proofs(&BTreeMap::new()).unwrap(), later, "proving twice changes nothing");
        let missing = bare.with_proofs(&BTreeMap::new()).unwrap_err();
        assert!(matches!(missing, ArtifactError::Unproven { seq: 39 }), "{missing}");
    }
}
