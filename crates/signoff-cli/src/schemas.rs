//! The JSON shapes signoff prints, and their JSON Schemas (docs/schemas/).
//!
//! Each schema is generated with schemars from the type that is serialized, so
//! it cannot drift from the output; `signoff schema NAME` prints one and
//! `signoff schema --dir DIR` writes them all. A test compares the generated
//! files with the checked-in ones and validates real command outputs against them.
//!
//! Every printed document and JSON line is an object whose first key is
//! `schema_version` (see `render::versioned`); the schemas say so.

use std::collections::BTreeMap;

use schemars::{JsonSchema, Schema};
use serde::Serialize;
use signoff_app::audit::Answer;

/// An answer as one JSON document: `signoff audit ask …` (and `audit search` or
/// `ask scans-for-period` with `--document` or `-o FILE`, which otherwise print
/// a JSON line per row), each row an object keyed by its column (spaces become
/// `_`), in column order.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct AnswerJson {
    /// The question (`search`, `scans-for-period`, `who-approved`, ...).
    pub(crate) question: String,
    /// The keys of each row, in order.
    pub(crate) columns: Vec<String>,
    /// The rows.
    #[schemars(with = "Vec<BTreeMap<String, String>>")]
    pub(crate) rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Rows that exist beyond those listed, when `--limit` cut the answer short.
    pub(crate) more: u64,
    /// How long answering took, in milliseconds.
    pub(crate) elapsed_ms: f64,
}

impl AnswerJson {
    /// The answer with its rows as objects.
    pub(crate) fn new(answer: &Answer) -> AnswerJson {
        let columns: Vec<String> = answer.columns.iter().map(|column| column.replace(' ', "_")).collect();
        let rows = answer
            .rows
            .iter()
            .map(|row| {
                columns.iter().cloned().zip(row.iter().map(|cell| serde_json::Value::from(cell.as_str()))).collect()
            })
            .collect();
        AnswerJson {
            question: answer.question.clone(),
            columns,
            rows,
            more: answer.more,
            elapsed_ms: answer.elapsed_ms,
        }
    }
}

/// A line of `signoff audit search --json`: one piece of evidence found.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SearchLine {
    /// The project.
    pub(crate) project: String,
    /// The release it belongs to (empty when none).
    pub(crate) release: String,
    /// The evidence kind (`sast`, `test_results`, ...).
    pub(crate) kind: String,
    /// The tool that produced it.
    pub(crate) tool: String,
    /// The file as captured.
    pub(crate) file: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    pub(crate) captured: String,
    /// Its summary in words (`3 findings (1 high, 2 low)`).
    pub(crate) summary: String,
    /// The digest of its bytes.
    pub(crate) digest: String,
    /// Its ledger entry.
    pub(crate) entry: String,
}

impl SearchLine {
    /// The line of a row in `signoff_app::audit::SEARCH_COLUMNS` order.
    pub(crate) fn new(row: Vec<String>) -> anyhow::Result<SearchLine> {
        let [project, release, kind, tool, file, captured, summary, digest, entry] = <[String; 9]>::try_from(row)
            .map_err(|row| anyhow::anyhow!("a search row has {} cells, not 9", row.len()))?;
        Ok(SearchLine { project, release, kind, tool, file, captured, summary, digest, entry })
    }
}

/// A line of `signoff audit ask scans-for-period --json`: one scan captured.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanLine {
    /// The project.
    pub(crate) project: String,
    /// The release it belongs to (empty when none).
    pub(crate) release: String,
    /// The evidence kind (`sast`, `sca`, `container_scan`, ...).
    pub(crate) kind: String,
    /// The scanner.
    pub(crate) tool: String,
    /// When it was captured.
    #[schemars(extend("format" = "date-time"))]
    pub(crate) captured: String,
    /// Critical findings (a count, as text like every cell of an answer).
    pub(crate) critical: String,
    /// High findings.
    pub(crate) high: String,
    /// Medium findings.
    pub(crate) medium: String,
    /// Low findings.
    pub(crate) low: String,
    /// Informational findings.
    pub(crate) info: String,
    /// The digest of the scan's bytes.
    pub(crate) digest: String,
}

impl ScanLine {
    /// The line of a row in `signoff_app::audit::SCANS_COLUMNS` order.
    pub(crate) fn new(row: Vec<String>) -> anyhow::Result<ScanLine> {
        let [project, release, kind, tool, captured, critical, high, medium, low, info, digest] =
            <[String; 11]>::try_from(row)
                .map_err(|row| anyhow::anyhow!("a scans-for-period row has {} cells, not 11", row.len()))?;
        Ok(ScanLine { project, release, kind, tool, captured, critical, high, medium, low, info, digest })
    }
}

/// `signoff ledger checkpoint --json`.
#[derive(Debug, Serialize, serde::Deserialize, JsonSchema)]
pub(crate) struct CheckpointJson {
    /// The latest signed checkpoint, as a C2SP signed note (text).
    pub(crate) checkpoint: String,
    /// The verifier key of the signature (`name+keyid+base64`).
    pub(crate) verifier_key: String,
}

/// `signoff key public --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PublicKeyJson {
    /// The store's origin: the name its checkpoints carry.
    pub(crate) origin: String,
    /// The Ed25519 public key as SPKI PEM.
    pub(crate) pem: String,
    /// The same key as a signed-note verifier key (`name+keyid+base64`).
    pub(crate) note: String,
}

/// A list printed as one document, its items under `items`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Items<T> {
    /// The items, in order.
    pub(crate) items: Vec<T>,
}

/// What verifying an evidence package found.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PackageVerifyJson {
    /// Whether every check passed.
    pub(crate) ok: bool,
    /// Which key the signatures were checked with.
    pub(crate) key: KeySourceJson,
    /// Every check, in order.
    pub(crate) checks: Vec<PackageCheckJson>,
}

/// Where the key a package's signatures were checked with came from.
#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub(crate) enum KeySourceJson {
    /// The key given with `--key`: the package is authentic if every check passed.
    Trusted,
    /// The key inside the package: the package is consistent, not authentic.
    Package,
    /// No usable key: no signature could be checked.
    Missing,
}

impl From<signoff_package::KeySource> for KeySourceJson {
    fn from(source: signoff_package::KeySource) -> KeySourceJson {
        match source {
            signoff_package::KeySource::Trusted => KeySourceJson::Trusted,
            signoff_package::KeySource::Package => KeySourceJson::Package,
            signoff_package::KeySource::Missing => KeySourceJson::Missing,
        }
    }
}

/// One check of `verify-package`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PackageCheckJson {
    /// The member of the package it concerns (or the archive).
    pub(crate) member: String,
    /// What was checked.
    pub(crate) check: String,
    /// Whether it passed.
    pub(crate) ok: bool,
    /// The check as a line: `ok     <member>: <what>` or `FAILED … : <why>`.
    pub(crate) detail: String,
}

/// What `signoff export -o FILE --json` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ExportJson {
    /// The release packaged.
    pub(crate) release: signoff_core::ReleaseRef,
    /// The file written.
    pub(crate) file: String,
    /// Its size in bytes.
    pub(crate) size: u64,
    /// The digest of its bytes.
    pub(crate) digest: signoff_core::Digest,
}

/// `signoff sync remove NAME --json`.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SyncRemovedJson {
    /// The destination removed from signoff.toml.
    pub(crate) removed: String,
}

/// `signoff serve --json`: one line once the server listens.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ServeJson {
    /// The base URL it answers at (the port chosen when `--listen` gave port 0).
    pub(crate) listening: String,
    /// The store served.
    pub(crate) store: String,
    /// How many GRC destinations its outbox delivers to while it runs.
    pub(crate) destinations: usize,
}

/// `signoff schema --list --json`: one line per documented output.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SchemaListJson {
    /// The schema's name (`signoff schema NAME`, `docs/schemas/NAME.schema.json`).
    pub(crate) name: String,
    /// The commands printing it with `--json`.
    pub(crate) commands: String,
    /// Whether it is printed as JSON lines rather than one document.
    pub(crate) lines: bool,
}

/// What `signoff oscal export -o FILE --json` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct OscalWrittenJson {
    /// Always `oscal-assessment-results`.
    pub(crate) format: String,
    /// The results in the document.
    pub(crate) results: u64,
    /// The file written.
    pub(crate) file: String,
}

/// What `signoff vex export -o FILE --json` wrote.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct VexWrittenJson {
    /// `openvex` or `cyclonedx`.
    pub(crate) format: String,
    /// The triage dispositions in the document.
    pub(crate) dispositions: u64,
    /// The file written.
    pub(crate) file: String,
}

/// What a sync run delivered, and where each destination stands after it.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SyncRunJson {
    /// What the run did.
    pub(crate) run: signoff_app::sync::RunSummary,
    /// Every destination's deliveries afterwards.
    pub(crate) destinations: Vec<signoff_app::sync::DestinationStatus>,
}

/// The schema of `T` as printed: with `schema_version` first and required.
fn versioned<T: JsonSchema>() -> Schema {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12().into_generator().into_root_schema_for::<T>();
    let version = serde_json::json!({
        "description": "The version of this shape; it goes up when a field is removed or changes meaning.",
        "const": crate::render::SCHEMA_VERSION,
    });
    if let Some(object) = schema.as_object_mut() {
        let properties = object.entry("properties").or_insert_with(|| serde_json::json!({}));
        if let Some(properties) = properties.as_object_mut() {
            properties.shift_insert(0, "schema_version".to_owned(), version);
        }
        let required = object.entry("required").or_insert_with(|| serde_json::json!([]));
        if let Some(required) = required.as_array_mut() {
            required.insert(0, "schema_version".into());
        }
    }
    schema
}

/// One documented output.
pub(crate) struct Documented {
    /// The file name stem in docs/schemas/ (`findings` → `findings.schema.json`).
    pub(crate) name: &'static str,
    /// The commands printing it.
    pub(crate) commands: &'static str,
    /// Whether it is printed as JSON lines (one object per line) rather than one document.
    pub(crate) lines: bool,
    schema: fn() -> Schema,
}

impl Documented {
    /// The schema, pretty-printed with a final newline (the file's content).
    pub(crate) fn text(&self) -> anyhow::Result<String> {
        let mut schema = (self.schema)();
        if let Some(object) = schema.as_object_mut() {
            let title = format!("signoff {} --json", self.commands);
            let form = if self.lines { "Each line of output" } else { "The output" };
            object.insert("title".to_owned(), title.into());
            let description = object.get("description").and_then(|value| value.as_str()).unwrap_or_default();
            let description = format!("{form} of `signoff {} --json`. {description}", self.commands);
            object.insert("description".to_owned(), description.trim_end().into());
        }
        let mut text = serde_json::to_string_pretty(&schema)?;
        text.push('\n');
        Ok(text)
    }
}

/// Every documented output, by name.
pub(crate) const DOCUMENTED: &[Documented] = &[
    Documented {
        name: "findings",
        commands: "findings",
        lines: true,
        schema: versioned::<signoff_app::findings::FindingView>,
    },
    Documented {
        name: "audit-answer",
        commands: "audit ask|search --document",
        lines: false,
        schema: versioned::<AnswerJson>,
    },
    Documented { name: "audit-search", commands: "audit search", lines: true, schema: versioned::<SearchLine> },
    Documented {
        name: "audit-scans-for-period",
        commands: "audit ask scans-for-period",
        lines: true,
        schema: versioned::<ScanLine>,
    },
    Documented {
        name: "ledger-verify",
        commands: "ledger verify",
        lines: false,
        schema: versioned::<signoff_app::verify::VerifyReport>,
    },
    Documented {
        name: "ledger-checkpoint",
        commands: "ledger checkpoint",
        lines: false,
        schema: versioned::<CheckpointJson>,
    },
    Documented { name: "key-public", commands: "key public", lines: false, schema: versioned::<PublicKeyJson> },
    Documented {
        name: "evidence",
        commands: "capture|inspect",
        lines: true,
        schema: versioned::<signoff_app::report::EvidenceReport>,
    },
    Documented {
        name: "inventory",
        commands: "inventory",
        lines: false,
        schema: versioned::<signoff_app::inventory::Inventory>,
    },
    Documented {
        name: "release-line",
        commands: "release list",
        lines: true,
        schema: versioned::<signoff_app::release::ReleaseLine>,
    },
    Documented {
        name: "pbc-import",
        commands: "pbc import",
        lines: false,
        schema: versioned::<signoff_app::pbc::ImportReport>,
    },
    Documented {
        name: "pbc-request",
        commands: "pbc list|show|answer",
        lines: true,
        schema: versioned::<signoff_app::pbc::RequestView>,
    },
    Documented {
        name: "pbc-status",
        commands: "pbc status",
        lines: false,
        schema: versioned::<signoff_app::pbc::Status>,
    },
    Documented {
        name: "release",
        commands: "release show|create",
        lines: false,
        schema: versioned::<signoff_app::release::ReleaseView>,
    },
    Documented {
        name: "certification",
        commands: "certify",
        lines: false,
        schema: versioned::<signoff_app::certify::Certification>,
    },
    Documented {
        name: "certificate",
        commands: "certificate show",
        lines: false,
        schema: versioned::<signoff_app::certify::CertificateView>,
    },
    Documented { name: "gate", commands: "gate", lines: false, schema: versioned::<signoff_app::gate::GateDecision> },
    Documented { name: "replay", commands: "replay", lines: false, schema: versioned::<signoff_app::gate::Replay> },
    Documented {
        name: "approval",
        commands: "approve",
        lines: false,
        schema: versioned::<signoff_app::decide::Approved>,
    },
    Documented {
        name: "exception",
        commands: "exception request|approve",
        lines: false,
        schema: versioned::<signoff_app::decide::ExceptionView>,
    },
    Documented {
        name: "deployment",
        commands: "deploy record",
        lines: false,
        schema: versioned::<signoff_app::deploy::Deployed>,
    },
    Documented {
        name: "env-snapshot",
        commands: "env snapshot",
        lines: false,
        schema: versioned::<signoff_app::deploy::Snapshot>,
    },
    Documented {
        name: "controls-coverage",
        commands: "controls coverage",
        lines: false,
        schema: versioned::<Items<signoff_controls::Coverage>>,
    },
    Documented {
        name: "metrics",
        commands: "metrics",
        lines: false,
        schema: versioned::<signoff_app::insights::Metrics>,
    },
    Documented {
        name: "token",
        commands: "token list",
        lines: true,
        schema: versioned::<signoff_app::access::TokenView>,
    },
    Documented {
        name: "token-issued",
        commands: "token create|rotate",
        lines: false,
        schema: versioned::<signoff_app::access::IssuedToken>,
    },
    Documented {
        name: "outbox-status",
        commands: "outbox status",
        lines: false,
        schema: versioned::<Items<crate::remote::outbox::KeptJson>>,
    },
    Documented {
        name: "outbox-flush",
        commands: "outbox flush",
        lines: false,
        schema: versioned::<crate::commands::outbox::Flushed>,
    },
    Documented {
        name: "sync-status",
        commands: "sync status",
        lines: true,
        schema: versioned::<signoff_app::sync::DestinationStatus>,
    },
    Documented { name: "sync-run", commands: "sync run --once", lines: false, schema: versioned::<SyncRunJson> },
    Documented { name: "export", commands: "export", lines: false, schema: versioned::<ExportJson> },
    Documented { name: "init", commands: "init", lines: false, schema: versioned::<signoff_app::InitReport> },
    Documented {
        name: "policy-check",
        commands: "policy check",
        lines: false,
        schema: versioned::<signoff_app::policy::PolicyCheck>,
    },
    Documented {
        name: "policy-publish",
        commands: "policy publish",
        lines: false,
        schema: versioned::<signoff_app::policy::PublishedPolicy>,
    },
    Documented {
        name: "policy-pin",
        commands: "policy pin",
        lines: false,
        schema: versioned::<signoff_app::policy::Pinned>,
    },
    Documented {
        name: "certificate-revoke",
        commands: "certificate revoke",
        lines: false,
        schema: versioned::<signoff_core::records::RevocationRecord>,
    },
    Documented {
        name: "exception-list",
        commands: "exception list",
        lines: true,
        schema: versioned::<signoff_app::decide::ExceptionView>,
    },
    Documented {
        name: "token-revoke",
        commands: "token revoke",
        lines: false,
        schema: versioned::<signoff_app::access::TokenView>,
    },
    Documented {
        name: "triage",
        commands: "triage|triage approve",
        lines: false,
        schema: versioned::<signoff_app::triage::TriageView>,
    },
    Documented {
        name: "triage-list",
        commands: "triage list",
        lines: true,
        schema: versioned::<signoff_app::triage::TriageView>,
    },
    Documented {
        name: "retention-apply",
        commands: "retention apply",
        lines: false,
        schema: versioned::<signoff_app::retention::RetentionRun>,
    },
    Documented {
        name: "hold",
        commands: "hold place|lift",
        lines: false,
        schema: versioned::<signoff_core::records::LegalHoldRecord>,
    },
    Documented {
        name: "ledger-prove-entry",
        commands: "ledger prove ENTRY",
        lines: false,
        schema: versioned::<signoff_app::proof::InclusionProof>,
    },
    Documented {
        name: "ledger-prove-consistency",
        commands: "ledger prove --consistency",
        lines: false,
        schema: versioned::<signoff_app::proof::ConsistencyProof>,
    },
    Documented { name: "report", commands: "report", lines: false, schema: versioned::<signoff_report::PeriodReport> },
    Documented {
        name: "trace",
        commands: "audit trace|report --release",
        lines: false,
        schema: versioned::<signoff_report::TraceReport>,
    },
    Documented {
        name: "sync-destination",
        commands: "sync add",
        lines: false,
        schema: versioned::<signoff_app::sync::DestinationView>,
    },
    Documented {
        name: "sync-list",
        commands: "sync list",
        lines: true,
        schema: versioned::<signoff_app::sync::DestinationView>,
    },
    Documented { name: "sync-remove", commands: "sync remove", lines: false, schema: versioned::<SyncRemovedJson> },
    Documented {
        name: "sync-reconcile",
        commands: "sync reconcile",
        lines: false,
        schema: versioned::<signoff_app::sync::ReconcileSummary>,
    },
    Documented { name: "oscal-export", commands: "oscal export", lines: false, schema: versioned::<OscalWrittenJson> },
    Documented { name: "vex-export", commands: "vex export", lines: false, schema: versioned::<VexWrittenJson> },
    Documented {
        name: "verify-package",
        commands: "verify-package",
        lines: false,
        schema: versioned::<PackageVerifyJson>,
    },
    Documented { name: "serve", commands: "serve", lines: true, schema: versioned::<ServeJson> },
    Documented { name: "schema-list", commands: "schema --list", lines: true, schema: versioned::<SchemaListJson> },
];

/// Finds a documented output by name.
pub(crate) fn find(name: &str) -> anyhow::Result<&'static Documented> {
    DOCUMENTED.iter().find(|documented| documented.name == name).ok_or_else(|| {
        let names: Vec<&str> = DOCUMENTED.iter().map(|documented| documented.name).collect();
        anyhow::anyhow!("no schema named {name:?}; the documented outputs are {}", names.join(", "))
    })
}
