//! The dashboard's lists, each read so that its time does not grow with the
//! store where an index can answer: a page of releases (counted up to
//! [`RELEASES_COUNTED`]), a project's finding history (optionally only the
//! fingerprints some scans report), the projects one index seek at a time, and
//! the evidence kinds of a period's releases in one read.

use signoff_core::ProjectName;

use super::filters::push_filters;
use super::{Pool, SqlStore};
use crate::rows::{HistoryColumns, ReleaseMetricsColumns, ReleaseSummaryColumns, to_i64, to_u64};
use crate::{FindingHistory, RELEASES_COUNTED, ReleaseMetricsRow, ReleaseQuery, ReleaseSummaryRow, StoreResult};

pub(super) async fn finding_history_each(
    store: &SqlStore,
    project: &ProjectName,
    among: Option<&[u64]>,
    each: &mut (dyn FnMut(FindingHistory) -> bool + Send),
) -> StoreResult<()> {
    // One pass groups the project's findings by tool, scanned target (A4: the
    // same finding in two images is two findings) and fingerprint, reading
    // the index `findings_by_scan` rather than the findings' rows; the row of
    // the latest sighting (unique: fingerprints are distinct within a file)
    // supplies the details. That row is found by primary key: the group's
    // largest (evidence_seq, ordinal), packed as evidence_seq × 2^32 + ordinal
    // (ordinals stay below 2^32 and entries below 2^31), so no index by
    // fingerprint is needed and captures do not pay for one.
    let filter = match among {
        None => String::new(),
        Some(scans) => {
            let scans: Vec<String> = scans.iter().map(|seq| to_i64(*seq).to_string()).collect();
            let column = store.dialect().scanned_fingerprint;
            format!(
                " AND {column} IN (SELECT p.fingerprint FROM findings p WHERE p.evidence_seq IN ({}))",
                if scans.is_empty() { "NULL".to_owned() } else { scans.join(", ") }
            )
        }
    };
    let sql = format!(
        "WITH seen AS (
            SELECT e.tool_name AS tool, MIN(f.evidence_seq) AS first_seq, COUNT(*) AS times_seen,
                   MAX(f.evidence_seq * 4294967296 + f.ordinal) AS latest
            FROM findings f JOIN evidence e ON e.seq = f.evidence_seq
            WHERE e.project = $1{filter}
            GROUP BY e.tool_name, e.target, f.fingerprint
        )
        SELECT seen.tool, seen.first_seq, seen.latest / 4294967296 AS last_seq, seen.times_seen, f.*
        FROM seen JOIN findings f
            ON f.evidence_seq = seen.latest / 4294967296 AND f.ordinal = seen.latest % 4294967296
        ORDER BY seen.first_seq, f.ordinal"
    );
    on!(&store.pool, |pool| {
        let mut rows =
            sqlx::query_as::<_, HistoryColumns>(sqlx::AssertSqlSafe(sql.as_str())).bind(project.as_str()).fetch(pool);
        while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
            if !each(row.into_row()?) {
                break;
            }
        }
        Ok(())
    })
}

pub(super) async fn evidence_projects(store: &SqlStore, after: Option<&str>, limit: u64) -> StoreResult<Vec<String>> {
    // The next project after each, found in the index `evidence_by_project`
    // (a DISTINCT would read every row of it).
    let sql = format!(
        "WITH RECURSIVE p(name, n) AS (
            SELECT (SELECT MIN(project) FROM evidence WHERE project > $1), 1
            UNION ALL
            SELECT (SELECT MIN(project) FROM evidence WHERE project > p.name), p.n + 1
            FROM p WHERE p.name IS NOT NULL AND p.n < {}
        )
        SELECT name FROM p WHERE name IS NOT NULL ORDER BY name",
        to_i64(limit)
    );
    if limit == 0 {
        return Ok(Vec::new());
    }
    let names: Vec<String> = on!(&store.pool, |pool| sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(after.unwrap_or(""))
        .fetch_all(pool)
        .await)?;
    Ok(names)
}

/// `SELECT {columns} FROM releases` created in `[from, to)`, optionally of one
/// project, with the values its placeholders take.
pub(super) fn releases_in_period<'v>(
    columns: &str,
    project: Option<&'v str>,
    from: Option<&'v str>,
    to: Option<&'v str>,
) -> (String, Vec<&'v str>) {
    let mut sql = format!("SELECT {columns} FROM releases WHERE 1 = 1");
    let mut values = Vec::new();
    push_filters(
        &mut sql,
        &mut values,
        [("project", "=", project), ("created_at", ">=", from), ("created_at", "<", to)],
    );
    (sql, values)
}

pub(super) async fn release_metrics_between(
    store: &SqlStore,
    project: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    kinds: &[&str],
) -> StoreResult<Vec<ReleaseMetricsRow>> {
    let (releases, mut values) = releases_in_period("seq, project, version, commit_sha, created_at", project, from, to);
    let mut wanted = Vec::with_capacity(kinds.len());
    for kind in kinds {
        values.push(kind);
        wanted.push(format!("${}", values.len()));
    }
    let wanted = if wanted.is_empty() { "NULL".to_owned() } else { wanted.join(", ") };
    // The kinds held as `release_evidence` finds them (evidence named for the
    // release, and evidence at its commit naming none; each an indexed join),
    // each kind counted once; the first certificate through its index. The
    // CROSS JOINs keep SQLite's planner on the releases as the outer loop: left
    // to choose, SQLite 3.51 read every piece of the project's evidence and took
    // 35 ms for one project's 94 releases instead of 6 ms (PostgreSQL plans a
    // CROSS JOIN with a WHERE as any inner join).
    let sql = format!(
        "WITH r AS ({releases}),
         k AS (
             SELECT r.seq, e.kind FROM r CROSS JOIN evidence e
                 WHERE e.project = r.project AND e.release_version = r.version AND e.kind IN ({wanted})
             UNION
             SELECT r.seq, e.kind FROM r CROSS JOIN evidence e
                 WHERE e.project = r.project AND e.commit_sha = r.commit_sha AND e.release_version IS NULL
                     AND e.kind IN ({wanted})
         ),
         held AS (SELECT seq, COUNT(*) AS n FROM k GROUP BY seq)
         SELECT r.seq, r.project, r.version, r.created_at,
             (SELECT c.status FROM records c
                 WHERE c.kind = 'certificate_issued' AND c.project = r.project AND c.version = r.version
                 ORDER BY c.seq LIMIT 1) AS first_decision,
             COALESCE(held.n, 0) AS kinds_held
         FROM r LEFT JOIN held ON held.seq = r.seq
         ORDER BY r.seq"
    );
    let rows: Vec<ReleaseMetricsColumns> = on!(&store.pool, |pool| {
        let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()));
        for value in &values {
            statement = statement.bind(*value);
        }
        statement.fetch_all(pool).await
    })?;
    rows.into_iter().map(ReleaseMetricsColumns::into_row).collect()
}

pub(super) async fn release_page(
    store: &SqlStore,
    query: &ReleaseQuery<'_>,
) -> StoreResult<(Vec<ReleaseSummaryRow>, u64)> {
    let dialect = store.dialect();
    // The latest certificate of each release, found through its index.
    let latest = "(SELECT c.seq FROM records c WHERE c.kind = 'certificate_issued' AND c.project = r.project AND c.version = r.version ORDER BY c.seq DESC LIMIT 1)";
    let decision = "(SELECT c.status FROM records c WHERE c.kind = 'certificate_issued' AND c.project = r.project AND c.version = r.version ORDER BY c.seq DESC LIMIT 1)";
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut values: Vec<String> = Vec::new();
    if let Some(project) = query.project {
        values.push(project.to_owned());
        conditions.push(format!("r.project = ${}", values.len()));
    }
    match query.status {
        // Never certified: no certificate at all (one index probe, not the latest's
        // lookup), looked for through the narrow (project, version) index rather
        // than the releases' rows, as such releases are often few or none.
        Some("uncertified") => conditions.push(
            "r.seq IN (SELECT u.seq FROM releases u WHERE NOT EXISTS (SELECT 1 FROM records c WHERE c.kind = 'certificate_issued' AND c.project = u.project AND c.version = u.version))"
                .to_owned(),
        ),
        Some(status) => {
            values.push(status.to_owned());
            conditions.push(format!("{decision} = ${}", values.len()));
        }
        None => {}
    }
    if let Some(environment) = query.environment {
        values.push(environment.to_owned());
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM records d WHERE d.kind = 'deployment_recorded' AND d.project = r.project AND d.version = r.version AND d.subject = ${})",
            values.len()
        ));
    }
    for (bound, operator) in [(query.from, ">="), (query.to, "<")] {
        if let Some(bound) = bound {
            values.push(bound.to_owned());
            conditions.push(format!("r.created_at {operator} ${}", values.len()));
        }
    }
    if let Some(text) = query.search.map(str::trim).filter(|text| !text.is_empty()) {
        // A substring, any case, with LIKE's wildcards taken literally.
        let escaped = text.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        values.push(format!("%{escaped}%"));
        let n = values.len();
        conditions.push(format!(
            "(LOWER(r.project) LIKE ${n} ESCAPE '\\' OR LOWER(r.version) LIKE ${n} ESCAPE '\\' OR LOWER(r.commit_sha) LIKE ${n} ESCAPE '\\')"
        ));
    }
    if let Some(before) = query.before {
        conditions.push(format!("r.seq < {}", to_i64(before)));
    }
    let count_sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM releases r WHERE {} LIMIT {RELEASES_COUNTED}) AS matched",
        conditions.join(" AND ")
    );
    // Every deployment's environment, repeats included (the row drops them): a
    // DISTINCT here leads SQLite to read every deployment of the store through
    // the subject index for each release of the page.
    let deployed = dialect.join_words.replace("{}", "d.subject");
    let page_sql = format!(
        "SELECT r.*, {decision} AS decision, {latest} AS certificate_seq,
            (SELECT {deployed} FROM records d WHERE d.kind = 'deployment_recorded' AND d.project = r.project AND d.version = r.version) AS deployed_to
         FROM releases r WHERE {} ORDER BY r.seq DESC LIMIT {}",
        conditions.join(" AND "),
        query.limit
    );
    // Only placeholders and numbers are interpolated; values are bound.
    let rows: Vec<ReleaseSummaryColumns> = on!(&store.pool, |pool| {
        let mut statement = sqlx::query_as(sqlx::AssertSqlSafe(page_sql.as_str()));
        for value in &values {
            statement = statement.bind(value.as_str());
        }
        statement.fetch_all(pool).await
    })?;
    let page = rows.into_iter().map(ReleaseSummaryColumns::into_row).collect::<StoreResult<Vec<_>>>()?;
    // A page that is not full holds every match: nothing more to count (a rare
    // status would otherwise be looked for twice through the whole store).
    if !query.count || (page.len() as u64) < query.limit {
        let total = page.len() as u64;
        return Ok((page, total));
    }
    let total: i64 = on!(&store.pool, |pool| {
        let mut statement = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql.as_str()));
        for value in &values {
            statement = statement.bind(value.as_str());
        }
        statement.fetch_one(pool).await
    })?;
    Ok((page, to_u64(total)))
}
