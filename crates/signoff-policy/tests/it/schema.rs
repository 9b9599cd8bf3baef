//! `docs/policy-input.schema.json` must be what [`input_schema`] generates, so the
//! published schema never drifts from the types. `UPDATE_SCHEMA=1 cargo test -p
//! signoff-policy --test it schema` rewrites it.

use std::path::PathBuf;

use signoff_policy::{PolicyInput, input_schema};

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/policy-input.schema.json")
}

#[test]
fn committed_schema_is_current() {
    let generated = input_schema();
    let path = schema_path();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is out of date with the PolicyInput types; regenerate it with\n    UPDATE_SCHEMA=1 cargo test -p signoff-policy --test it schema\nand commit the result",
        path.display()
    );
}

#[test]
fn schema_describes_the_document() {
    let schema: serde_json::Value = serde_json::from_str(&input_schema()).unwrap();
    assert_eq!(schema["title"], "signoff policy input");
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(required, ["release", "actor", "evaluated_at"]);
    let definitions = &schema["$defs"];
    assert_eq!(
        definitions["ActorKind"]["oneOf"]
            .as_array()
            .map(Vec::len)
            .or(definitions["ActorKind"]["enum"].as_array().map(Vec::len)),
        Some(3)
    );
    assert!(definitions["EvidenceKind"]["enum"].as_array().unwrap().iter().any(|kind| kind == "container_scan"));
    assert_eq!(definitions["Digest"]["pattern"], "^sha256:[0-9a-f]{64}$");
    assert!(
        definitions["Evidence"]["properties"]["post_certification"]["description"].as_str().unwrap().contains("replay")
    );
}

#[test]
fn a_realistic_input_round_trips_through_json() {
    let input = crate::util::realistic(20, 300);
    let json = serde_json::to_string(&input).unwrap();
    let back: PolicyInput = serde_json::from_str(&json).unwrap();
    assert_eq!(back, input);
}
