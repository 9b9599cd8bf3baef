//! The signal inventory (E4) and evidence quality (I2): per project, every source
//! of evidence (a tool supplying a kind) that was ever captured, its formats and
//! latest version, when it last reported, which of the recent releases lack it,
//! which sources fell silent (absent from each of the last N releases), the kinds
//! the policy and the frameworks in force require that no source supplies, and
//! recent evidence missing who, when or what, or its release.
//!
//! Everything is generated from what was captured: nothing is configured here.
//! [`health`] adds what the dashboard's health page shows besides (I3):
//! exceptions about to expire that a release relies on, and the ledger.

mod health;

pub use health::{DEFAULT_WITHIN_DAYS, ExpiringException, Health, HealthQuery, LedgerHealth, health, health_of};

use serde::Serialize;
use signoff_core::{EvidenceKind, ProjectName};
use signoff_store::{EvidenceQuery, ReleaseQuery, SourceRow};
use time::OffsetDateTime;

use crate::error::AppError;
use crate::home::Signoff;

/// How many releases a source may be absent from before it counts as silent,
/// unless the caller says.
pub const DEFAULT_SILENT_AFTER: u64 = 3;
/// At least this many recent releases are looked at for what each lacks.
const RECENT_RELEASES: u64 = 10;
/// How many of a project's newest pieces of evidence the quality check reads.
const QUALITY_WINDOW: u64 = 200;
/// At most this many quality gaps are listed per project (all are counted).
const GAPS_LISTED: usize = 50;

/// What to take stock of.
#[derive(Debug, Clone)]
pub struct InventoryQuery {
    /// Only this project; every project with evidence when `None`.
    pub project: Option<ProjectName>,
    /// A source absent from each of this many latest releases is silent (at least 1).
    pub silent_after: u64,
}

impl Default for InventoryQuery {
    fn default() -> InventoryQuery {
        InventoryQuery { project: None, silent_after: DEFAULT_SILENT_AFTER }
    }
}

/// The inventory of every project asked about.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Inventory {
    /// When it was taken.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub generated_at: OffsetDateTime,
    /// A source absent from each of this many latest releases is silent.
    pub silent_after: u64,
    /// The evidence kinds the policy in force and the enabled frameworks require.
    pub required_kinds: Vec<EvidenceKind>,
    /// One inventory per project, by name.
    pub projects: Vec<ProjectInventory>,
}

impl Inventory {
    /// Every silent source of every project, as `(project, source)`.
    pub fn silent(&self) -> impl Iterator<Item = (&ProjectName, &Source)> {
        self.projects.iter().flat_map(|project| {
            project.sources.iter().filter(|source| source.silent).map(move |source| (&project.project, source))
        })
    }
}

/// One project's sources and gaps.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ProjectInventory {
    /// The project.
    pub project: ProjectName,
    /// Its latest releases (newest first) the sources are checked against.
    pub recent_releases: Vec<String>,
    /// Every source seen, by tool and kind.
    pub sources: Vec<Source>,
    /// Evidence kinds seen, with when each last reported.
    pub kinds: Vec<KindSeen>,
    /// Required kinds no source of this project supplies.
    pub missing_required: Vec<EvidenceKind>,
    /// How many of its newest pieces of evidence the quality check read.
    pub quality_checked: u64,
    /// How many of those miss something (all counted; at most 50 listed in `gaps`).
    pub quality_gaps: u64,
    /// Evidence missing who, when or what, or its release, newest first.
    pub gaps: Vec<QualityGap>,
}

/// A tool supplying one kind of evidence to a project.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Source {
    /// The tool as it names itself.
    pub tool: String,
    /// The kind of evidence.
    pub kind: EvidenceKind,
    /// The format of its latest capture.
    pub format: String,
    /// The tool's version in its latest capture, when it said.
    pub version: Option<String>,
    /// How many captures it made.
    pub captures: u64,
    /// When it first reported.
    pub first_entry: u64,
    /// Its latest capture's ledger entry.
    pub last_entry: u64,
    /// When it last reported.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub last_reported_at: OffsetDateTime,
    /// The release its latest capture belongs to, when it does.
    pub last_release: Option<String>,
    /// Recent releases (of `recent_releases`) without evidence from it.
    pub lacking: Vec<String>,
    /// Absent from each of the last `silent_after` releases: it stopped reporting.
    pub silent: bool,
}

/// A kind of evidence a project has, and when it last came.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct KindSeen {
    /// The kind.
    pub kind: EvidenceKind,
    /// The tools supplying it.
    pub tools: Vec<String>,
    /// When it last reported.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub last_reported_at: OffsetDateTime,
    /// Recent releases without it.
    pub lacking: Vec<String>,
}

/// A piece of evidence missing something an auditor asks for.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QualityGap {
    /// Its ledger entry.
    pub entry: u64,
    /// The file as captured.
    pub file: String,
    /// The tool.
    pub tool: String,
    /// Its kind.
    pub kind: EvidenceKind,
    /// When captured.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub captured_at: OffsetDateTime,
    /// What it misses: `who` (no pipeline actor), `when` (the tool did not say when
    /// it produced it), `what` (no commit), `release` (it belongs to no release).
    #[schemars(with = "Vec<String>")]
    pub missing: Vec<&'static str>,
}

/// Takes stock of the evidence captured.
///
/// # Errors
/// A store failure, or a policy or catalog that does not load.
pub async fn inventory(signoff: &Signoff, query: &InventoryQuery) -> Result<Inventory, AppError> {
    let silent_after = query.silent_after.max(1);
    let required_kinds = crate::insights::required_kinds(signoff).await?;
    let rows = signoff.store.evidence_sources(query.project.as_ref().map(ProjectName::as_str)).await?;
    let mut projects: Vec<ProjectInventory> = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let project = rows[start].latest.record.project.clone();
        let end =
            rows[start..].iter().position(|row| row.latest.record.project != project).map_or(rows.len(), |n| start + n);
        projects.push(project_inventory(signoff, project, &rows[start..end], silent_after, &required_kinds).await?);
        start = end;
    }
    if let Some(project) = &query.project
        && projects.is_empty()
    {
        // A project with releases but no evidence still has an inventory: empty, with every required kind missing.
        projects.push(project_inventory(signoff, project.clone(), &[], silent_after, &required_kinds).await?);
    }
    Ok(Inventory { generated_at: crate::ledger::now(), silent_after, required_kinds, projects })
}

/// A page of the inventory of every project: the projects after `after` (by
/// name), at most `limit`, each read alone (its own sources, releases and
/// newest evidence), so a page costs the same however many projects the store
/// holds. With the name to pass as `after` for the next page, if any.
///
/// # Errors
/// As [`inventory`].
pub async fn inventory_page(
    signoff: &Signoff,
    query: &InventoryQuery,
    after: Option<&ProjectName>,
    limit: u64,
) -> Result<(Inventory, Option<ProjectName>), AppError> {
    let silent_after = query.silent_after.max(1);
    let required_kinds = crate::insights::required_kinds(signoff).await?;
    let limit = limit.max(1);
    let names = signoff.store.evidence_projects(after.map(ProjectName::as_str), limit + 1).await?;
    let mut projects = Vec::new();
    for name in names.iter().take(limit as usize) {
        let project = ProjectName::new(name)?;
        let rows = signoff.store.evidence_sources(Some(project.as_str())).await?;
        projects.push(project_inventory(signoff, project, &rows, silent_after, &required_kinds).await?);
    }
    let next = if names.len() as u64 > limit { projects.last().map(|project| project.project.clone()) } else { None };
    Ok((Inventory { generated_at: crate::ledger::now(), silent_after, required_kinds, projects }, next))
}

async fn project_inventory(
    signoff: &Signoff,
    project: ProjectName,
    rows: &[SourceRow],
    silent_after: u64,
    required: &[EvidenceKind],
) -> Result<ProjectInventory, AppError> {
    let window = RECENT_RELEASES.max(silent_after);
    let page = ReleaseQuery { project: Some(project.as_str()), limit: window, ..ReleaseQuery::default() };
    let (releases, _) = signoff.store.release_page(&page).await?;
    // What each recent release holds, newest first: (version, [(tool, kind)]).
    let mut held: Vec<(String, Vec<(String, EvidenceKind)>)> = Vec::new();
    for release in &releases {
        let evidence = signoff.store.release_evidence(&release.release.record).await?;
        let pairs = evidence.into_iter().map(|row| (row.record.tool.name, row.record.kind)).collect();
        held.push((release.release.record.version.to_string(), pairs));
    }
    let enough = held.len() as u64 >= silent_after;
    let mut sources = Vec::new();
    for row in rows {
        let record = &row.latest.record;
        let lacking: Vec<String> = held
            .iter()
            .filter(|(_, pairs)| !pairs.iter().any(|(tool, kind)| *tool == record.tool.name && *kind == record.kind))
            .map(|(version, _)| version.clone())
            .collect();
        let silent = enough && held.iter().take(silent_after as usize).all(|(version, _)| lacking.contains(version));
        sources.push(Source {
            tool: record.tool.name.clone(),
            kind: record.kind,
            format: record.format.to_string(),
            version: record.tool.version.clone(),
            captures: row.captures,
            first_entry: row.first_seq,
            last_entry: row.latest.seq,
            last_reported_at: row.latest.captured_at,
            last_release: record.release.as_ref().map(ToString::to_string).or_else(|| {
                let commit = record.commit.as_ref()?;
                releases
                    .iter()
                    .find(|release| release.release.record.commit == *commit)
                    .map(|release| release.release.record.version.to_string())
            }),
            lacking,
            silent,
        });
    }
    let mut kinds: Vec<KindSeen> = Vec::new();
    for source in &sources {
        match kinds.iter_mut().find(|seen| seen.kind == source.kind) {
            Some(seen) => {
                seen.tools.push(source.tool.clone());
                seen.last_reported_at = seen.last_reported_at.max(source.last_reported_at);
            }
            None => kinds.push(KindSeen {
                kind: source.kind,
                tools: vec![source.tool.clone()],
                last_reported_at: source.last_reported_at,
                lacking: Vec::new(),
            }),
        }
    }
    for seen in &mut kinds {
        seen.lacking = held
            .iter()
            .filter(|(_, pairs)| !pairs.iter().any(|(_, kind)| *kind == seen.kind))
            .map(|(version, _)| version.clone())
            .collect();
    }
    kinds.sort_by_key(|seen| seen.kind.to_string());
    let missing_required =
        required.iter().filter(|kind| !kinds.iter().any(|seen| seen.kind == **kind)).copied().collect();
    let (gaps, quality_checked, quality_gaps) = quality(signoff, &project).await?;
    Ok(ProjectInventory {
        project,
        recent_releases: held.into_iter().map(|(version, _)| version).collect(),
        sources,
        kinds,
        missing_required,
        quality_checked,
        quality_gaps,
        gaps,
    })
}

/// The project's newest evidence checked for who, when, what and its release.
async fn quality(signoff: &Signoff, project: &ProjectName) -> Result<(Vec<QualityGap>, u64, u64), AppError> {
    let query = EvidenceQuery { project: Some(project.as_str()), limit: QUALITY_WINDOW, ..EvidenceQuery::default() };
    let (hits, _) = signoff.store.search_evidence(&query).await?;
    let checked = hits.len() as u64;
    let mut gaps = Vec::new();
    let mut count = 0;
    for hit in hits {
        let record = &hit.evidence.record;
        let mut missing = Vec::new();
        if record.context.actor.as_deref().is_none_or(str::is_empty) {
            missing.push("who");
        }
        if record.produced_at.as_deref().is_none_or(str::is_empty) {
            missing.push("when");
        }
        if record.commit.is_none() {
            missing.push("what");
        }
        if hit.release.is_none() {
            missing.push("release");
        }
        if missing.is_empty() {
            continue;
        }
        count += 1;
        if gaps.len() < GAPS_LISTED {
            gaps.push(QualityGap {
                entry: hit.evidence.seq,
                file: record.file_name.clone(),
                tool: record.tool.name.clone(),
                kind: record.kind,
                captured_at: hit.evidence.captured_at,
                missing,
            });
        }
    }
    Ok((gaps, checked, count))
}
