//! The standard audit questions (deployed without certification, scans for a
//! period, who approved, the sampling population) and search (F1), answered as
//! tables that render as text, JSON or CSV.

use super::*;

/// A standard audit question.
#[derive(Debug, Clone)]
pub enum Question {
    /// Deployments to `environment` in the period with no valid certificate, and
    /// snapshots that found uncertified artifacts running there.
    DeployedWithoutCertification {
        /// Environment.
        environment: String,
        /// The period.
        period: Period,
    },
    /// Security scan results captured in the period.
    ScansForPeriod {
        /// The period.
        period: Period,
        /// Only this project.
        project: Option<ProjectName>,
    },
    /// Who approved a release (and who certified and deployed it).
    WhoApproved {
        /// The release.
        release: ReleaseRef,
    },
    /// The SOC 2 sampling population: each release deployed to `environment` in
    /// the period, with its reviews, scans and approvals.
    Population {
        /// Environment.
        environment: String,
        /// The period.
        period: Period,
    },
}

impl Question {
    /// The question's name.
    pub fn name(&self) -> &'static str {
        match self {
            Question::DeployedWithoutCertification { .. } => "deployed-without-certification",
            Question::ScansForPeriod { .. } => "scans-for-period",
            Question::WhoApproved { .. } => "who-approved",
            Question::Population { .. } => "population",
        }
    }
}

/// An answer: a table, with the time it took.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Answer {
    /// The question.
    pub question: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// Rows that exist beyond those listed, when the answer was cut short.
    pub more: u64,
    /// How long answering took, in milliseconds.
    pub elapsed_ms: f64,
}

impl Answer {
    /// The table as CSV (RFC 4180; cells that a spreadsheet would run as formulas
    /// are prefixed with `'`).
    ///
    /// # Errors
    /// Only if writing to memory fails.
    pub fn to_csv(&self) -> Result<String, AppError> {
        Ok(signoff_report::table_csv(&self.columns, &self.rows)?)
    }
}

/// No limit: every row (the largest limit both databases accept).
const ALL_ROWS: u64 = i64::MAX.unsigned_abs();

/// Answers a standard question, completely: every row.
///
/// # Errors
/// A bad date or release, or a store failure.
pub async fn ask(signoff: &Signoff, question: &Question) -> Result<Answer, AppError> {
    ask_limited(signoff, question, None).await
}

/// Answers a standard question, listing at most `limit` rows (all when `None`)
/// and saying in [`Answer::more`] how many it left out.
///
/// # Errors
/// A bad date or release, or a store failure.
pub async fn ask_limited(signoff: &Signoff, question: &Question, limit: Option<u64>) -> Result<Answer, AppError> {
    let mut answer = answer(signoff, question, limit).await?;
    if let Some(limit) = limit
        && answer.rows.len() as u64 > limit
    {
        let cut = answer.rows.len() as u64 - limit;
        answer.rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        answer.more += cut;
    }
    Ok(answer)
}

async fn answer(signoff: &Signoff, question: &Question, limit: Option<u64>) -> Result<Answer, AppError> {
    let started = Instant::now();
    let strings = |items: &[&str]| items.iter().map(|item| (*item).to_owned()).collect::<Vec<String>>();
    let (columns, rows, more) = match question {
        Question::DeployedWithoutCertification { environment, period } => {
            let (from, to) = period.bounds();
            // Deployments and environment snapshots the gate recorded as uncertified.
            let uncertified = RecordQuery {
                subject: Some(environment),
                status: Some("uncertified"),
                from: from.as_deref(),
                to: to.as_deref(),
                ..RecordQuery::default()
            };
            let mut rows = Vec::new();
            for row in signoff.store.records::<DeploymentRecord>(&uncertified).await? {
                let record = row.record;
                rows.push(vec![
                    "deployment".into(),
                    format!("{}@{}", record.project, record.version),
                    rfc3339(row.at),
                    record.actor.id,
                    record.problems.join("; "),
                    row.seq.to_string(),
                ]);
            }
            for row in signoff.store.records::<SnapshotRecord>(&uncertified).await? {
                for artifact in &row.record.uncertified {
                    rows.push(vec![
                        "running".into(),
                        artifact.to_string(),
                        rfc3339(row.at),
                        row.record.actor.id.clone(),
                        "running without a valid certificate".into(),
                        row.seq.to_string(),
                    ]);
                }
            }
            (strings(&["what", "release or artifact", "at", "by", "problem", "entry"]), rows, 0)
        }
        Question::ScansForPeriod { period, project } => {
            let (from, to) = period.bounds();
            let query = scans_query(project.as_ref(), from.as_deref(), to.as_deref(), limit);
            let (hits, total) = signoff.store.search_evidence(&query).await?;
            let rows = hits.iter().map(scan_row).collect::<Vec<_>>();
            let more = total.saturating_sub(rows.len() as u64);
            (strings(&SCANS_COLUMNS), rows, more)
        }
        Question::WhoApproved { release } => {
            let row = signoff.release_row(release).await?;
            let (project, version) = (row.record.project.as_str(), row.record.version.as_str());
            let content = row.record.content_digest();
            let mut rows = Vec::new();
            for approval in signoff.store.records_of::<ApprovalRecord>(Some(project), Some(version)).await? {
                let record = approval.record;
                let counts = record.actor.kind == ActorKind::Human && record.content == content;
                rows.push(vec![
                    "approval".into(),
                    record.actor.id,
                    record.actor.kind.to_string(),
                    record.role,
                    format!("{:?}", record.decision).to_lowercase(),
                    rfc3339(approval.at),
                    if counts { "counts".into() } else { "does not count".into() },
                    approval.seq.to_string(),
                ]);
            }
            for certificate in certificates(signoff, Some(project), Some(version)).await? {
                rows.push(vec![
                    "certification".into(),
                    certificate.record.certifier.id.clone(),
                    certificate.record.certifier.kind.to_string(),
                    String::new(),
                    certificate.record.decision.to_string(),
                    rfc3339(certificate.record.evaluated_at),
                    format!("policy {}", certificate.record.policy.name),
                    certificate.entry.to_string(),
                ]);
            }
            for deployment in signoff.store.records_of::<DeploymentRecord>(Some(project), Some(version)).await? {
                let record = deployment.record;
                rows.push(vec![
                    "deployment".into(),
                    record.actor.id,
                    record.actor.kind.to_string(),
                    record.environment,
                    if record.certificate.is_some() { "certified".into() } else { "uncertified".into() },
                    rfc3339(deployment.at),
                    record.problems.join("; "),
                    deployment.seq.to_string(),
                ]);
            }
            (strings(&["what", "who", "kind", "role or environment", "decision", "at", "note", "entry"]), rows, 0)
        }
        Question::Population { environment, period } => {
            let rows = population(signoff, environment, *period).await?;
            let table = rows
                .iter()
                .map(|row| {
                    vec![
                        row.project.clone(),
                        row.version.clone(),
                        row.commit.clone(),
                        row.environment.clone(),
                        row.deployed_at.clone(),
                        row.deployed_by.clone(),
                        row.decision.label().to_owned(),
                        row.certificate.clone().unwrap_or_default(),
                        row.reviewers.join(" "),
                        row.scans.join(" "),
                        row.approvals.join(" "),
                    ]
                })
                .collect();
            (
                strings(&[
                    "project",
                    "version",
                    "commit",
                    "environment",
                    "deployed at",
                    "deployed by",
                    "decision",
                    "certificate",
                    "reviewers",
                    "scans",
                    "approvals",
                ]),
                table,
                0,
            )
        }
    };
    Ok(Answer {
        question: question.name().to_owned(),
        columns,
        rows,
        more,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The sampling population: every deployment to `environment` in the period with
/// the release's reviews, scans and approvals.
///
/// # Errors
/// A store failure.
pub async fn population(
    signoff: &Signoff,
    environment: &str,
    period: Period,
) -> Result<Vec<report::PopulationRow>, AppError> {
    let (from, to) = period.bounds();
    // One query gathers each deployment with its release's verdict, approvals and
    // scans; reviewers come from the project's captured pull requests.
    let gathered = signoff.store.population(environment, from.as_deref(), to.as_deref()).await?;
    let mut reviews_cache: HashMap<String, HashMap<String, Vec<String>>> = HashMap::new();
    let words = |text: &Option<String>| -> Vec<String> {
        text.as_deref()
            .map(|text| text.split(' ').filter(|word| !word.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for row in gathered {
        let deployment = row.deployment.decode::<DeploymentRecord>()?;
        let record = deployment.record;
        let changes = row.changes;
        let project = record.project.to_string();
        let mut reviewers: Vec<String> = Vec::new();
        if !changes.is_empty() {
            if !reviews_cache.contains_key(&project) {
                reviews_cache.insert(project.clone(), reviews_by_change(signoff, &record.project).await?);
            }
            let reviews = reviews_cache.get(&project).cloned().unwrap_or_default();
            for change in &changes {
                for login in change_reviewers(&reviews, &change.commit, change.pr) {
                    if !reviewers.contains(&login) {
                        reviewers.push(login);
                    }
                }
            }
        }
        rows.push(report::PopulationRow {
            project,
            version: record.version.to_string(),
            commit: row.commit,
            environment: record.environment.clone(),
            deployed_at: rfc3339(deployment.at),
            deployed_by: record.actor.id.clone(),
            decision: match row.decision.as_deref() {
                Some("certified") => report::Decision::Certified,
                Some(_) => report::Decision::Rejected,
                None => report::Decision::NotCertified,
            },
            certificate: record.certificate.clone(),
            reviewers,
            scans: words(&row.scans),
            approvals: words(&row.approvals),
        });
    }
    Ok(rows)
}

/// A release's certification status, as search filters by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseStatus {
    /// Its latest certificate certifies it.
    Certified,
    /// Its latest certificate rejects it.
    Rejected,
    /// Never certified.
    Uncertified,
}

impl ReleaseStatus {
    /// `certified`, `rejected` or `uncertified`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ReleaseStatus::Certified => "certified",
            ReleaseStatus::Rejected => "rejected",
            ReleaseStatus::Uncertified => "uncertified",
        }
    }
}

/// Search filters (F1).
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Project.
    pub project: Option<ProjectName>,
    /// Evidence kind.
    pub kind: Option<EvidenceKind>,
    /// Tool.
    pub tool: Option<String>,
    /// Only evidence with findings at least this severe.
    pub severity: Option<Severity>,
    /// Release status.
    pub status: Option<ReleaseStatus>,
    /// Releases approved by.
    pub approver: Option<String>,
    /// Releases deployed to.
    pub environment: Option<String>,
    /// When captured.
    pub period: Period,
    /// At most this many rows (all when absent).
    pub limit: Option<u64>,
}

/// Searches evidence across releases.
///
/// # Errors
/// A bad filter value or a store failure.
pub async fn search(signoff: &Signoff, search: &Search) -> Result<Answer, AppError> {
    let started = Instant::now();
    let (from, to) = search.period.bounds();
    let query = search_query(search, from.as_deref(), to.as_deref());
    let (hits, total) = signoff.store.search_evidence(&query).await?;
    let rows: Vec<Vec<String>> = hits.iter().map(search_row).collect();
    let more = total.saturating_sub(rows.len() as u64);
    Ok(Answer {
        question: "search".into(),
        columns: SEARCH_COLUMNS.iter().map(|column| (*column).to_owned()).collect(),
        rows,
        more,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The columns of [`search`]'s rows, and of the rows [`search_each`] hands over.
pub const SEARCH_COLUMNS: [&str; 9] =
    ["project", "release", "kind", "tool", "file", "captured", "summary", "digest", "entry"];

/// The columns of [`Question::ScansForPeriod`]'s rows, and of the rows
/// [`scans_for_period_each`] hands over.
pub const SCANS_COLUMNS: [&str; 11] =
    ["project", "release", "kind", "tool", "captured", "critical", "high", "medium", "low", "info", "digest"];

/// [`search`] a row at a time (cells in [`SEARCH_COLUMNS`] order), in bounded
/// memory: nothing is counted or collected, so a search over millions of pieces
/// of evidence streams. An error from `take` stops the read and is returned.
///
/// # Errors
/// A store failure, or `take`'s error.
pub async fn search_each(
    signoff: &Signoff,
    search: &Search,
    take: &mut (dyn FnMut(Vec<String>) -> Result<(), AppError> + Send),
) -> Result<(), AppError> {
    let (from, to) = search.period.bounds();
    let query = search_query(search, from.as_deref(), to.as_deref());
    each_hit(signoff, &query, search_row, take).await
}

/// The scans-for-period question a row at a time (cells in [`SCANS_COLUMNS`]
/// order), in bounded memory, at most `limit` rows. An error from `take` stops
/// the read and is returned.
///
/// # Errors
/// A store failure, or `take`'s error.
pub async fn scans_for_period_each(
    signoff: &Signoff,
    period: &Period,
    project: Option<&ProjectName>,
    limit: Option<u64>,
    take: &mut (dyn FnMut(Vec<String>) -> Result<(), AppError> + Send),
) -> Result<(), AppError> {
    let (from, to) = period.bounds();
    let query = scans_query(project, from.as_deref(), to.as_deref(), limit);
    each_hit(signoff, &query, scan_row, take).await
}

/// Hands the row `row` makes of each evidence hit to `take`, as the store reads them.
async fn each_hit(
    signoff: &Signoff,
    query: &EvidenceQuery<'_>,
    row: fn(&EvidenceHit) -> Vec<String>,
    take: &mut (dyn FnMut(Vec<String>) -> Result<(), AppError> + Send),
) -> Result<(), AppError> {
    let mut failed = None;
    signoff
        .store
        .search_evidence_each(query, &mut |hit| match take(row(&hit)) {
            Ok(()) => true,
            Err(error) => {
                failed = Some(error);
                false
            }
        })
        .await?;
    failed.map_or(Ok(()), Err)
}

/// The store query of a search.
fn search_query<'a>(search: &'a Search, from: Option<&'a str>, to: Option<&'a str>) -> EvidenceQuery<'a> {
    let rank =
        search.severity.map(|severity| Severity::ALL.iter().position(|each| *each == severity).unwrap_or(0) as i64);
    EvidenceQuery {
        project: search.project.as_ref().map(ProjectName::as_str),
        kinds: search.kind.map(|kind| vec![kind.as_str()]).unwrap_or_default(),
        tool: search.tool.as_deref(),
        from,
        to,
        min_severity: rank,
        release_status: search.status.map(ReleaseStatus::as_str),
        approver: search.approver.as_deref(),
        environment: search.environment.as_deref(),
        limit: search.limit.unwrap_or(ALL_ROWS),
    }
}

/// The store query of the scans-for-period question.
fn scans_query<'a>(
    project: Option<&'a ProjectName>,
    from: Option<&'a str>,
    to: Option<&'a str>,
    limit: Option<u64>,
) -> EvidenceQuery<'a> {
    EvidenceQuery {
        project: project.map(ProjectName::as_str),
        kinds: EvidenceKind::ALL.iter().filter(|kind| kind.is_scan()).map(|kind| kind.as_str()).collect(),
        from,
        to,
        limit: limit.unwrap_or(ALL_ROWS),
        ..EvidenceQuery::default()
    }
}

/// A search's row of one hit, in [`SEARCH_COLUMNS`] order.
fn search_row(hit: &EvidenceHit) -> Vec<String> {
    let record = &hit.evidence.record;
    vec![
        record.project.to_string(),
        hit.release.clone().unwrap_or_default(),
        record.kind.to_string(),
        record.tool.name.clone(),
        record.file_name.clone(),
        rfc3339(hit.evidence.captured_at),
        crate::report::summary_line(&record.summary),
        record.digest.to_string(),
        hit.evidence.seq.to_string(),
    ]
}

/// The scans-for-period row of one hit, in [`SCANS_COLUMNS`] order.
fn scan_row(hit: &EvidenceHit) -> Vec<String> {
    let record = &hit.evidence.record;
    let counts = record.summary.findings.unwrap_or_default();
    vec![
        record.project.to_string(),
        hit.release.clone().unwrap_or_default(),
        record.kind.to_string(),
        record.tool.name.clone(),
        rfc3339(hit.evidence.captured_at),
        counts.critical.to_string(),
        counts.high.to_string(),
        counts.medium.to_string(),
        counts.low.to_string(),
        counts.info.to_string(),
        record.digest.to_string(),
    ]
}
