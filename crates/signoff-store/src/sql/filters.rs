//! Dynamic filters (evidence search, record and release queries): only fixed SQL
//! and numbered placeholders go into the text; the values are bound.

use crate::EvidenceQuery;

/// A value bound into a dynamic query.
pub(super) enum Value<'a> {
    Text(&'a str),
    Integer(i64),
}

/// The WHERE clause (over `evidence e` and `releases r`) and its values for an
/// evidence search. Only fixed SQL and placeholders go into the text.
pub(super) fn evidence_conditions<'a>(query: &EvidenceQuery<'a>) -> (String, Vec<Value<'a>>) {
    struct Where<'a> {
        conditions: Vec<String>,
        values: Vec<Value<'a>>,
    }
    impl<'a> Where<'a> {
        /// Binds `value` as the next parameter and adds `condition(n)`.
        fn add(&mut self, condition: impl Fn(usize) -> String, value: Value<'a>) {
            self.values.push(value);
            self.conditions.push(condition(self.values.len()));
        }
    }
    let mut clause = Where { conditions: vec!["1 = 1".to_owned()], values: Vec::new() };
    if let Some(project) = query.project {
        clause.add(|n| format!("e.project = ${n}"), Value::Text(project));
    }
    if !query.kinds.is_empty() {
        let mut placeholders = Vec::new();
        for kind in &query.kinds {
            clause.values.push(Value::Text(kind));
            placeholders.push(format!("${}", clause.values.len()));
        }
        clause.conditions.push(format!("e.kind IN ({})", placeholders.join(", ")));
    }
    if let Some(tool) = query.tool {
        clause.add(|n| format!("LOWER(e.tool_name) = LOWER(${n})"), Value::Text(tool));
    }
    if let Some(from) = query.from {
        clause.add(|n| format!("e.captured_at >= ${n}"), Value::Text(from));
    }
    if let Some(to) = query.to {
        clause.add(|n| format!("e.captured_at < ${n}"), Value::Text(to));
    }
    if let Some(rank) = query.min_severity {
        clause.add(
            |n| format!("EXISTS (SELECT 1 FROM findings f WHERE f.evidence_seq = e.seq AND f.severity >= ${n})"),
            Value::Integer(rank),
        );
    }
    if let Some(approver) = query.approver {
        clause.add(
            |n| format!("EXISTS (SELECT 1 FROM records a WHERE a.kind = 'approval_recorded' AND a.project = r.project AND a.version = r.version AND a.subject = ${n})"),
            Value::Text(approver),
        );
    }
    if let Some(environment) = query.environment {
        clause.add(
            |n| format!("EXISTS (SELECT 1 FROM records d WHERE d.kind = 'deployment_recorded' AND d.project = r.project AND d.version = r.version AND d.subject = ${n})"),
            Value::Text(environment),
        );
    }
    match query.release_status {
        Some("uncertified") => clause.conditions.push(
            "r.seq IS NOT NULL AND NOT EXISTS (SELECT 1 FROM records c WHERE c.kind = 'certificate_issued' AND c.project = r.project AND c.version = r.version)".to_owned(),
        ),
        Some(status) => clause.add(
            |n| format!("(SELECT c.status FROM records c WHERE c.kind = 'certificate_issued' AND c.project = r.project AND c.version = r.version ORDER BY c.seq DESC LIMIT 1) = ${n}"),
            Value::Text(status),
        ),
        None => {}
    }
    (clause.conditions.join(" AND "), clause.values)
}

pub(super) fn bind_value<'q, DB, O>(
    statement: sqlx::query::QueryScalar<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    value: &Value<'q>,
) -> sqlx::query::QueryScalar<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match value {
        Value::Text(text) => statement.bind(*text),
        Value::Integer(number) => statement.bind(*number),
    }
}

pub(super) fn bind_value_as<'q, DB, O>(
    statement: sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>,
    value: &Value<'q>,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match value {
        Value::Text(text) => statement.bind(*text),
        Value::Integer(number) => statement.bind(*number),
    }
}

/// Appends ` AND column operator $n` for each filter that has a value, and the
/// value to `values` (bound in order). Only column names, operators and
/// placeholders are interpolated.
pub(super) fn push_filters<'v, const N: usize>(
    sql: &mut String,
    values: &mut Vec<&'v str>,
    filters: [(&str, &str, Option<&'v str>); N],
) {
    for (column, operator, value) in filters {
        if let Some(value) = value {
            values.push(value);
            sql.push_str(&format!(" AND {column} {operator} ${}", values.len()));
        }
    }
}
