//! Findings across runs and releases (A4): each finding of a project's scans with
//! when it was first and last seen, and the release it was fixed in — the first
//! later scan by the same tool of the same target (the image, path, repository or
//! SBOM subject the scan recorded) that no longer reports it. A scan of another
//! target says nothing about it; the same finding in two targets is two findings.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use signoff_core::{Digest, Finding, ProjectName, ReleaseRef, ReleaseVersion};
use signoff_store::ScanRow;
use time::OffsetDateTime;

use crate::error::AppError;
use crate::home::Signoff;

/// Open or fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    /// The tool's latest scan of its target still reports it.
    Open,
    /// A later scan by the same tool of the same target no longer reports it.
    Fixed,
}

/// Where a finding was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Sighting {
    /// The evidence's ledger entry.
    pub entry: u64,
    /// Its commit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The release it belongs to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// When captured (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub captured_at: OffsetDateTime,
}

/// One finding with its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingView {
    /// The tool reporting it.
    pub tool: String,
    /// What the scans reporting it scanned, when they said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The finding as last reported.
    #[serde(flatten)]
    pub finding: Finding,
    /// Open or fixed.
    pub status: FindingStatus,
    /// First capture reporting it.
    pub first_seen: Sighting,
    /// Last capture reporting it.
    pub last_seen: Sighting,
    /// The scan that no longer reports it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<Sighting>,
    /// How many captures reported it.
    pub times_seen: u64,
    /// The latest triage decision about it (D3), whatever its state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triage: Option<TriageMark>,
}

/// A finding's triage decision, as the findings list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TriageMark {
    /// The decision's id (`TRI-3`).
    pub id: String,
    /// What was decided.
    pub disposition: signoff_core::triage::Disposition,
    /// OpenVEX's justification, for not affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<signoff_core::triage::VexJustification>,
    /// Where it stands now.
    pub state: crate::triage::TriageState,
    /// Who decided.
    pub by: String,
}

impl TriageMark {
    /// A short text for tables: `false_positive (TRI-2)`, `accepted_risk, pending (TRI-3)`.
    pub fn label(&self) -> String {
        match self.state {
            crate::triage::TriageState::InEffect => format!("{} ({})", self.disposition, self.id),
            state => format!("{}, {} ({})", self.disposition, state.as_str(), self.id),
        }
    }
}

impl From<&crate::triage::TriageView> for TriageMark {
    fn from(view: &crate::triage::TriageView) -> TriageMark {
        TriageMark {
            id: view.record.id.clone(),
            disposition: view.record.disposition,
            justification: view.record.justification,
            state: view.state,
            by: view.record.requested_by.id.clone(),
        }
    }
}

/// A findings query.
#[derive(Debug, Clone)]
pub struct FindingsQuery {
    /// Project.
    pub project: ProjectName,
    /// Only findings reported in this release's evidence.
    pub release: Option<ReleaseVersion>,
    /// Only open or only fixed findings.
    pub status: Option<FindingStatus>,
}

/// Lists a project's findings with their history.
///
/// # Errors
/// An unknown release, or a store failure.
pub async fn findings(signoff: &Signoff, query: &FindingsQuery) -> Result<Vec<FindingView>, AppError> {
    let mut views = Vec::new();
    each(signoff, query, &mut |view| {
        views.push(view);
        Ok(())
    })
    .await?;
    Ok(views)
}

/// Hands a project's findings with their history to `take`, one at a time, in
/// bounded memory (a million findings stream; the project's scans and the
/// release's fingerprints are what is held). An error from `take` stops the read
/// and is returned.
///
/// # Errors
/// An unknown release, a store failure, or `take`'s error.
pub async fn each(
    signoff: &Signoff,
    query: &FindingsQuery,
    take: &mut (dyn FnMut(FindingView) -> Result<(), AppError> + Send),
) -> Result<(), AppError> {
    each_fixed_in(signoff, query, None, take).await
}

/// The findings of `project` fixed by a scan captured in `[from, to)`, with
/// their history (the time-to-fix metric). Only the scans just before those
/// hold their fingerprints, so only those fingerprints are grouped.
///
/// # Errors
/// A store failure.
pub(crate) async fn fixed_between(
    signoff: &Signoff,
    project: &ProjectName,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<FindingView>, AppError> {
    let query = FindingsQuery { project: project.clone(), release: None, status: Some(FindingStatus::Fixed) };
    let mut views = Vec::new();
    each_fixed_in(signoff, &query, Some((from, to)), &mut |view| {
        if view.fixed_in.as_ref().is_some_and(|fixed| fixed.captured_at >= from && fixed.captured_at < to) {
            views.push(view);
        }
        Ok(())
    })
    .await?;
    Ok(views)
}

/// [`each`], with findings fixed in a period only when `fixed_in` names one.
async fn each_fixed_in(
    signoff: &Signoff,
    query: &FindingsQuery,
    fixed_in: Option<(OffsetDateTime, OffsetDateTime)>,
    take: &mut (dyn FnMut(FindingView) -> Result<(), AppError> + Send),
) -> Result<(), AppError> {
    let project = &query.project;
    // The first release at each commit names it (read without the records);
    // both reads at once, on two of the pool's connections.
    let (commits, scans) =
        tokio::try_join!(signoff.store.release_commits(project.as_str()), signoff.store.scans(project))?;
    let release_at_commit: HashMap<String, String> = commits.into_iter().rev().collect();
    let sighting = |scan: &ScanRow| Sighting {
        entry: scan.seq,
        commit: scan.commit.clone(),
        release: scan
            .release
            .clone()
            .or_else(|| scan.commit.as_ref().and_then(|commit| release_at_commit.get(commit).cloned())),
        captured_at: scan.captured_at,
    };
    let by_seq: HashMap<u64, &ScanRow> = scans.iter().map(|scan| (scan.seq, scan)).collect();
    let mut scans_by_tool: HashMap<&str, Vec<&ScanRow>> = HashMap::new();
    for scan in &scans {
        scans_by_tool.entry(scan.tool.as_str()).or_default().push(scan);
    }

    // Only the history of the fingerprints some scans report is grouped where
    // that is all the answer needs (a superset of it, filtered below): a
    // release's scans for its findings, the latest scan of each source (tool and
    // target) for the open ones, the scan before each fixing scan for those fixed
    // in a period.
    let mut among: Option<Vec<u64>> = None;
    let in_release: Option<HashSet<(String, Digest)>> = match &query.release {
        None => None,
        Some(version) => {
            let release = signoff.release_row(&ReleaseRef::new(project.clone(), version.clone())).await?;
            let evidence = signoff.store.release_evidence(&release.record).await?;
            let tools: HashMap<u64, &str> =
                evidence.iter().map(|row| (row.seq, row.record.tool.name.as_str())).collect();
            let scans: Vec<u64> =
                evidence.iter().filter(|row| row.record.summary.findings.is_some()).map(|row| row.seq).collect();
            let mut set = HashSet::new();
            for row in signoff.store.findings_of(&scans).await? {
                if let Some(tool) = tools.get(&row.evidence_seq) {
                    set.insert(((*tool).to_owned(), row.finding.fingerprint));
                }
            }
            among = Some(scans);
            Some(set)
        }
    };
    if among.is_none() {
        let mut by_source: HashMap<(&str, Option<&str>), Vec<&ScanRow>> = HashMap::new();
        for scan in &scans {
            by_source.entry((scan.tool.as_str(), scan.target.as_deref())).or_default().push(scan);
        }
        among = match fixed_in {
            Some((from, to)) => Some(
                by_source
                    .values()
                    .flat_map(|source| source.windows(2))
                    .filter(|pair| pair[1].captured_at >= from && pair[1].captured_at < to)
                    .map(|pair| pair[0].seq)
                    .collect(),
            ),
            None if query.status == Some(FindingStatus::Open) => {
                Some(by_source.values().filter_map(|source| source.last().map(|scan| scan.seq)).collect())
            }
            None => None,
        };
    }

    // A decision names the finding by fingerprint: it carries to every scan of it.
    let triage = crate::triage::latest(signoff, project, None).await?;
    let mut failed = None;
    signoff
        .store
        .finding_history_each(project, among.as_deref(), &mut |history| {
            if let Some(set) = &in_release
                && !set.contains(&(history.tool.clone(), history.finding.fingerprint))
            {
                return true;
            }
            let (Some(first), Some(last)) = (by_seq.get(&history.first_seq), by_seq.get(&history.last_seq)) else {
                return true;
            };
            // Fixed only by a later scan by the same tool of the same target.
            let fixed_in = scans_by_tool
                .get(history.tool.as_str())
                .and_then(|tool_scans| {
                    // In ledger order: skip to the scans after the last sighting.
                    let after = tool_scans.partition_point(|scan| scan.seq <= history.last_seq);
                    tool_scans[after..].iter().find(|scan| scan.target == last.target)
                })
                .map(|scan| sighting(scan));
            let status = if fixed_in.is_some() { FindingStatus::Fixed } else { FindingStatus::Open };
            if query.status.is_some_and(|wanted| wanted != status) {
                return true;
            }
            let mark = triage.get(&history.finding.fingerprint).map(TriageMark::from);
            let view = FindingView {
                target: last.target.clone(),
                tool: history.tool,
                finding: history.finding,
                status,
                first_seen: sighting(first),
                last_seen: sighting(last),
                fixed_in,
                times_seen: history.times_seen,
                triage: mark,
            };
            match take(view) {
                Ok(()) => true,
                Err(error) => {
                    failed = Some(error);
                    false
                }
            }
        })
        .await?;
    failed.map_or(Ok(()), Err)
}
