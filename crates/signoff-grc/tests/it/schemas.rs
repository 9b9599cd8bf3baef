//! OSCAL and VEX exports validated against the vendored published schemas
//! (`schemas/`), and VEX read back.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::Digest as _;
use signoff_controls::Catalog;
use signoff_grc::artifact::{ComplianceArtifact, build_artifacts};
use signoff_grc::oscal::{OscalError, Scope, assessment_results};
use signoff_grc::testkit::sample;
use signoff_grc::vex::{
    Disposition, DispositionStatus, Justification, VexError, export_cyclonedx, export_openvex, import_cyclonedx,
    import_openvex,
};

fn schema(path: &str) -> Value {
    let full = format!("{}/schemas/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))).unwrap()
}

/// Resolves the CycloneDX schema's relative `$ref`s to the vendored files; nothing is
/// fetched from the network.
struct Vendored(BTreeMap<String, Value>);

impl jsonschema::Retrieve for Vendored {
    fn retrieve(&self, uri: &jsonschema::Uri<String>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        self.0.get(uri.as_str()).cloned().ok_or_else(|| format!("{} is not vendored", uri.as_str()).into())
    }
}

fn validator(path: &str) -> jsonschema::Validator {
    let retriever = Vendored(BTreeMap::from([
        ("http://cyclonedx.org/schema/spdx.schema.json".to_owned(), schema("cyclonedx/spdx.schema.json")),
        ("http://cyclonedx.org/schema/jsf-0.82.schema.json".to_owned(), schema("cyclonedx/jsf-0.82.schema.json")),
    ]));
    jsonschema::options().with_retriever(retriever).should_validate_formats(true).build(&schema(path)).unwrap()
}

fn errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator.iter_errors(document).map(|error| format!("{} at {}", error, error.instance_path())).collect()
}

fn assert_valid(validator: &jsonschema::Validator, document: &Value) {
    let errors = errors(validator, document);
    assert!(errors.is_empty(), "{} schema errors:\n{}", errors.len(), errors.join("\n"));
}

#[test]
fn vendored_schemas_are_the_published_bytes() {
    let expected = [
        (
            "oscal/oscal_assessment-results_schema.json",
            "d9e34757f0c12aff61f52b821f0b8f83ba0ba75b3a149a202b08ba82f82bc4c3",
        ),
        ("openvex/openvex_json_schema.json", "9373597734ed1d3ea5161a8b46d3866c4a8cfe76fd632fdd16aef01fb34b3238"),
        ("cyclonedx/bom-1.6.schema.json", "efc54d749e32a6e16abd19394b80b4c67d846e12c782e04505130375f94ea541"),
        ("cyclonedx/spdx.schema.json", "c41917196639055e9f9670811bac23ef777732144f3ff5a2f39686f61580dbe6"),
        ("cyclonedx/jsf-0.82.schema.json", "8bae002c25e723db7ee1f26afde680ae1a2b1a8f6b4b4b0fd65dc3becb090aae"),
    ];
    for (path, sha256) in expected {
        let bytes = std::fs::read(format!("{}/schemas/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha256, "{path}");
    }
    assert_eq!(
        schema("oscal/oscal_assessment-results_schema.json")["$id"],
        "http://csrc.nist.gov/ns/oscal/1.1.3/oscal-ar-schema.json"
    );
}

fn release_artifacts(seed: u64) -> Vec<ComplianceArtifact> {
    build_artifacts(&sample::certification("shop", &format!("1.0.{seed}"), seed), &Catalog::built_in()).unwrap()
}

fn by_uuid(document: &Value) -> BTreeMap<String, Value> {
    document["assessment-results"]["back-matter"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|resource| (resource["uuid"].as_str().unwrap().to_owned(), resource.clone()))
        .collect()
}

#[test]
fn oscal_for_a_release_is_valid_and_says_what_the_artifacts_say() {
    let validator = validator("oscal/oscal_assessment-results_schema.json");
    let artifacts = release_artifacts(1);
    let scope = Scope::Release { project: "shop".into(), version: "1.0.1".into() };
    let document = assessment_results(&artifacts, &scope, None).unwrap();
    assert_valid(&validator, &document);

    let root = &document["assessment-results"];
    assert_eq!(root["metadata"]["oscal-version"], "1.1.3");
    let results = root["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let findings = results[0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), artifacts.len());
    let resources = by_uuid(&document);
    let import_ap = root["import-ap"]["href"].as_str().unwrap().trim_start_matches('#');
    assert!(resources.contains_key(import_ap), "import-ap points at a back-matter resource");

    // Every finding's state is its artifact's verdict, on the control's objective.
    for artifact in &artifacts {
        let props = |finding: &Value, name: &str| {
            finding["props"]
                .as_array()
                .unwrap()
                .iter()
                .find(|prop| prop["name"] == name)
                .map(|prop| prop["value"].clone())
        };
        let finding = findings
            .iter()
            .find(|finding| props(finding, "artifact-id") == Some(json!(artifact.id.to_string())))
            .unwrap();
        let state = if artifact.satisfied { "satisfied" } else { "not-satisfied" };
        assert_eq!(finding["target"]["status"]["state"], state);
        assert!(finding["target"]["target-id"].as_str().unwrap().ends_with("_obj"));
    }
    let controls: Vec<&str> = results[0]["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|control| control["control-id"].as_str().unwrap())
        .collect();
    assert!(controls.contains(&"cm-3") && controls.contains(&"soc2_cc8.1"), "{controls:?}");

    // Observations point at resources carrying the evidence's SHA-256.
    let observations = results[0]["observations"].as_array().unwrap();
    let evidence_digests: std::collections::BTreeSet<String> = artifacts
        .iter()
        .flat_map(|artifact| &artifact.evidence)
        .filter_map(|item| item.digest.map(|digest| digest.to_hex()))
        .collect();
    let mut hashed = std::collections::BTreeSet::new();
    for observation in observations {
        for evidence in observation["relevant-evidence"].as_array().unwrap() {
            let Some(href) = evidence["href"].as_str() else { continue };
            let resource = &resources[href.trim_start_matches('#')];
            let hash = &resource["rlinks"][0]["hashes"][0];
            assert_eq!(hash["algorithm"], "SHA-256");
            hashed.insert(hash["value"].as_str().unwrap().to_owned());
            let href = resource["rlinks"][0]["href"].as_str().unwrap();
            assert!(
                href.starts_with("https://signoff.example.com/ui/releases/")
                    || href.starts_with("https://signoff.example.com/ui/ledger/entries/"),
                "{href}"
            );
        }
    }
    assert_eq!(hashed, evidence_digests, "every digest is in the back matter");

    // The certificate's inclusion proof travels inline.
    let proof = resources.values().find(|resource| resource.get("base64").is_some()).unwrap();
    assert!(proof["base64"]["filename"].as_str().unwrap().ends_with(".tlog-proof"));
}

#[test]
fn oscal_for_a_period_and_a_framework_is_valid_and_deterministic() {
    let validator = validator("oscal/oscal_assessment-results_schema.json");
    let artifacts: Vec<ComplianceArtifact> = (1..=5).flat_map(release_artifacts).collect();
    let scope = Scope::Period { from: "2025-06-01T00:00:00Z".into(), to: "2025-06-30T23:59:59Z".into() };
    let document = assessment_results(&artifacts, &scope, None).unwrap();
    assert_valid(&validator, &document);
    assert_eq!(document["assessment-results"]["results"].as_array().unwrap().len(), 5);
    let rejected = document["assessment-results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["title"].as_str().unwrap().ends_with("(rejected)"))
        .count();
    assert_eq!(rejected, 1, "seed 5 is a rejection, reported too");

    // Re-export, in another order: the same document.
    let mut reversed = artifacts.clone();
    reversed.reverse();
    assert_eq!(assessment_results(&reversed, &scope, None).unwrap(), document);

    let nist = assessment_results(&artifacts, &scope, Some("fedramp")).unwrap();
    assert_valid(&validator, &nist);
    for result in nist["assessment-results"]["results"].as_array().unwrap() {
        for control in result["reviewed-controls"]["control-selections"][0]["include-controls"].as_array().unwrap() {
            let id = control["control-id"].as_str().unwrap();
            assert!(id.chars().next().unwrap().is_ascii_lowercase() && id.contains('-') && !id.contains('_'), "{id}");
        }
    }
    assert_ne!(nist["assessment-results"]["uuid"], document["assessment-results"]["uuid"]);

    let error = assessment_results(&artifacts, &scope, Some("iso27001")).unwrap_err();
    assert!(matches!(error, OscalError::Empty { .. }), "{error}");
}

#[test]
fn oscal_without_a_server_names_evidence_by_hash() {
    let validator = validator("oscal/oscal_assessment-results_schema.json");
    let mut input = sample::certification("shop", "2.0.0", 7);
    input.server_url = None;
    let artifacts = build_artifacts(&input, &Catalog::built_in()).unwrap();
    let document =
        assessment_results(&artifacts, &Scope::Release { project: "shop".into(), version: "2.0.0".into() }, None)
            .unwrap();
    assert_valid(&validator, &document);
    let resources = by_uuid(&document);
    assert!(
        resources
            .values()
            .filter_map(|resource| resource["rlinks"][0]["href"].as_str())
            .all(|href| href.starts_with("ni:///sha-256;"))
    );
}

#[test]
fn the_oscal_schema_check_catches_broken_documents() {
    // The validator is not a rubber stamp: the mistakes the research notes list are
    // each refused.
    let validator = validator("oscal/oscal_assessment-results_schema.json");
    let artifacts = release_artifacts(2);
    let document =
        assessment_results(&artifacts, &Scope::Release { project: "shop".into(), version: "1.0.2".into() }, None)
            .unwrap();
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 5] = [
        ("observation without collected", |doc| {
            doc["assessment-results"]["results"][0]["observations"][0].as_object_mut().unwrap().remove("collected");
        }),
        ("v1 UUID", |doc| doc["assessment-results"]["uuid"] = json!("c232ab00-9414-11ec-b3c8-9f6bdeced846")),
        ("naive timestamp", |doc| {
            doc["assessment-results"]["metadata"]["last-modified"] = json!("2025-06-02T10:15:00")
        }),
        ("empty array", |doc| doc["assessment-results"]["results"][0]["findings"] = json!([])),
        ("unknown key", |doc| doc["assessment-results"]["metadata"]["signoff"] = json!(true)),
    ];
    for (what, mutate) in mutations {
        let mut broken = document.clone();
        mutate(&mut broken);
        assert!(!errors(&validator, &broken).is_empty(), "{what} should be refused");
    }
}

fn dispositions() -> Vec<Disposition> {
    let image = "pkg:oci/shop@sha256%3A5b0c1e9d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c?repository_url=ghcr.io/acme/shop";
    let base = Disposition {
        vulnerability: "CVE-2024-3094".into(),
        aliases: vec![],
        product: image.into(),
        subcomponents: vec![],
        status: DispositionStatus::NotAffected,
        justification: Some(Justification::ComponentNotPresent),
        detail: None,
        action: None,
        decided_at: "2025-06-02T10:06:40Z".into(),
    };
    vec![
        Disposition { aliases: vec!["GHSA-rxwq-x6h5-x525".into()], ..base.clone() },
        Disposition {
            vulnerability: "CVE-2023-44487".into(),
            subcomponents: vec!["pkg:golang/golang.org/x/net@v0.7.0".into()],
            justification: Some(Justification::VulnerableCodeNotInExecutePath),
            detail: Some("The service does not accept HTTP/2 from clients; only the sidecar speaks it.".into()),
            decided_at: "2025-06-03T09:00:00+02:00".into(),
            ..base.clone()
        },
        Disposition {
            vulnerability: "GHSA-9wx4-h78v-vm56".into(),
            subcomponents: vec!["pkg:pypi/requests@2.31.0".into(), "pkg:pypi/urllib3@2.0.7".into()],
            justification: Some(Justification::VulnerableCodeCannotBeControlledByAdversary),
            ..base.clone()
        },
        Disposition {
            vulnerability: "CVE-2022-40897".into(),
            status: DispositionStatus::NotAffected,
            justification: Some(Justification::InlineMitigationsAlreadyExist),
            detail: Some("Package index URLs are pinned and served by the internal mirror.".into()),
            ..base.clone()
        },
        Disposition {
            vulnerability: "CVE-2024-0001".into(),
            status: DispositionStatus::FalsePositive,
            justification: None,
            detail: Some("The scanner matched libfoo by file name; the binary is libfoo-ng.".into()),
            ..base.clone()
        },
        Disposition {
            vulnerability: "CVE-2023-5678".into(),
            subcomponents: vec!["pkg:deb/debian/openssl@3.0.11-1~deb12u1".into()],
            status: DispositionStatus::Fixed,
            justification: None,
            action: Some("Rebuilt on debian:12.4 with openssl 3.0.11-1~deb12u2.".into()),
            ..base.clone()
        },
        Disposition {
            vulnerability: "CVE-2024-24786".into(),
            aliases: vec!["GO-2024-2611".into()],
            status: DispositionStatus::AcceptedRisk,
            justification: None,
            detail: Some("Denial of service through malformed protobuf JSON; input is internal only.".into()),
            action: Some("Risk accepted until 2025-09-30 (EXC-42); upgrade protobuf with the next release.".into()),
            ..base.clone()
        },
        Disposition {
            vulnerability: "CVE-2024-3094".into(),
            product: "pkg:pypi/shop-cli@4.2.1".into(),
            justification: Some(Justification::VulnerableCodeNotPresent),
            ..base
        },
    ]
}

/// The dispositions as an import gives them back: times in canonical RFC 3339.
fn normalised(dispositions: &[Disposition]) -> Vec<Disposition> {
    dispositions
        .iter()
        .cloned()
        .map(|mut disposition| {
            let at =
                time::OffsetDateTime::parse(&disposition.decided_at, &time::format_description::well_known::Rfc3339)
                    .unwrap();
            disposition.decided_at = at.format(&time::format_description::well_known::Rfc3339).unwrap();
            disposition
        })
        .collect()
}

#[test]
fn openvex_export_is_valid_and_reads_back_the_same() {
    let validator = validator("openvex/openvex_json_schema.json");
    let input = dispositions();
    let document = export_openvex(&input, "Acme Security <security@acme.example>").unwrap();
    assert_valid(&validator, &document);
    assert_eq!(document["@context"], "https://openvex.dev/ns/v0.2.0");
    let statements = document["statements"].as_array().unwrap();
    assert_eq!(statements[0]["justification"], "component_not_present");
    assert_eq!(statements[4]["status"], "not_affected", "a false positive is not_affected for other readers");
    assert_eq!(statements[6]["status"], "affected");
    assert_eq!(statements[6]["action_statement"], input[6].action.clone().unwrap());
    assert_eq!(import_openvex(&document).unwrap(), normalised(&input));
    assert_eq!(export_openvex(&input, "Acme Security <security@acme.example>").unwrap(), document, "deterministic");
}

#[test]
fn cyclonedx_export_is_valid_and_reads_back_the_same() {
    let validator = validator("cyclonedx/bom-1.6.schema.json");
    let input = dispositions();
    let document = export_cyclonedx(&input, "Acme Security").unwrap();
    assert_valid(&validator, &document);
    let vulnerabilities = document["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities[1]["analysis"]["justification"], "code_not_reachable");
    assert_eq!(vulnerabilities[4]["analysis"]["state"], "false_positive");
    assert_eq!(vulnerabilities[5]["analysis"]["response"], json!(["update"]));
    assert_eq!(vulnerabilities[6]["analysis"]["state"], "exploitable");
    assert_eq!(import_cyclonedx(&document).unwrap(), normalised(&input));
}

#[test]
fn vex_from_other_tools_reads_by_the_documented_mapping() {
    let openvex = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://vex.example.com/docs/1",
        "author": "Vendor",
        "timestamp": "2025-01-05T12:00:00Z",
        "version": 2,
        "statements": [
            {"vulnerability": {"name": "CVE-2021-44228"}, "products": [{"@id": "pkg:maven/org.acme/app@1.2"}],
             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2021-45046"}, "products": [{"@id": "pkg:maven/org.acme/app@1.2"}, {"@id": "pkg:maven/org.acme/app@1.3"}],
             "status": "fixed", "timestamp": "2025-01-06T00:00:00Z"}
        ]
    });
    assert_valid(&validator("openvex/openvex_json_schema.json"), &openvex);
    let read = import_openvex(&openvex).unwrap();
    assert_eq!(read.len(), 3, "one disposition per product");
    assert_eq!(read[0].decided_at, "2025-01-05T12:00:00Z", "the document's timestamp when the statement has none");
    assert_eq!(read[0].justification, Some(Justification::VulnerableCodeNotInExecutePath));
    assert_eq!(read[2].product, "pkg:maven/org.acme/app@1.3");
    assert_eq!(read[2].status, DispositionStatus::Fixed);

    let mut investigating = openvex.clone();
    investigating["statements"][1]["status"] = json!("under_investigation");
    let error = import_openvex(&investigating).unwrap_err();
    assert_eq!(error.to_string(), "OpenVEX document: statements[1].status: under_investigation is not a disposition");

    let cyclonedx = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"timestamp": "2025-01-05T12:00:00Z"},
        "vulnerabilities": [
            {"id": "CVE-2021-44228", "analysis": {"state": "not_affected", "justification": "protected_at_runtime"}, "affects": [{"ref": "urn:cdx:app"}]},
            {"id": "CVE-2021-45105", "analysis": {"state": "in_triage"}, "affects": [{"ref": "urn:cdx:app"}]}
        ]
    });
    let error = import_cyclonedx(&cyclonedx).unwrap_err();
    assert!(error.to_string().contains("vulnerabilities[1].analysis.state: in_triage"), "{error}");
    let mut triaged = cyclonedx.clone();
    triaged["vulnerabilities"].as_array_mut().unwrap().pop();
    let read = import_cyclonedx(&triaged).unwrap();
    assert_eq!(read[0].justification, Some(Justification::InlineMitigationsAlreadyExist));
    assert_eq!(read[0].decided_at, "2025-01-05T12:00:00Z");
}

#[test]
fn dispositions_that_break_the_formats_are_refused() {
    let base = dispositions().remove(0);
    let cases = [
        (
            Disposition { justification: None, detail: None, ..base.clone() },
            "not_affected needs a justification or a detail",
        ),
        (
            Disposition { status: DispositionStatus::AcceptedRisk, justification: None, ..base.clone() },
            "an accepted risk needs an action statement",
        ),
        (Disposition { status: DispositionStatus::Fixed, ..base.clone() }, "only not_affected takes a justification"),
        (Disposition { decided_at: "yesterday".into(), ..base.clone() }, "decided_at is not an RFC 3339 date-time"),
    ];
    for (disposition, expected) in cases {
        let error = export_openvex(&[base.clone(), disposition.clone()], "a").unwrap_err();
        assert!(error.to_string().contains(expected), "{error}");
        if let VexError::Invalid { index, .. } = error {
            assert_eq!(index, 1);
        }
        assert!(export_cyclonedx(&[disposition], "a").is_err());
    }
}
