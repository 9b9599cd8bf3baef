//! GitLab merge request approvals JSON: the `/merge_requests/:iid/approvals`
//! response (`approved_by`, `approvals_required`, `approvals_left`) and the
//! `/approval_state` response (`rules[].approved_by`).
//!
//! # Counting
//! `summary.reviews.approved` is the number of approvers (`approved_by` entries; for
//! approval state, the distinct approvers over all rules) and `approvers` their
//! usernames. GitLab's approvals carry no other decisions, so the other counts are
//! zero. `number` is the merge request's `iid`; the approvals response names no
//! author or merge commit.
//!
//! # Kind
//! `code_review`.

use serde::Deserialize;
use signoff_core::summary::Reviews;
use signoff_core::{EvidenceKind, Format, Summary, Tool};

use super::kind;
use crate::json_walk::{Doc, Result};
use crate::{Options, Parsed};

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawApprovals {
    iid: Option<u64>,
    updated_at: Option<String>,
    approved_by: Option<Vec<RawApprover>>,
    rules: Option<Vec<RawRule>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawRule {
    approved_by: Vec<RawApprover>,
}

/// `{"user": {"username": ...}}` in approvals, `{"username": ...}` in approval state.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawApprover {
    user: Option<RawUser>,
    username: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawUser {
    username: Option<String>,
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options) -> Result<Parsed> {
    let raw: RawApprovals = doc.decode_all()?;
    let mut reviews = Reviews { number: raw.iid, ..Reviews::default() };
    let username = |approver: &RawApprover| {
        approver.user.as_ref().and_then(|user| user.username.clone()).or_else(|| approver.username.clone())
    };
    match (&raw.approved_by, &raw.rules) {
        (Some(approved_by), _) => {
            reviews.approved = approved_by.len() as u64;
            for approver in approved_by {
                if let Some(name) = username(approver)
                    && !reviews.approvers.contains(&name)
                {
                    reviews.approvers.push(name);
                }
            }
        }
        (None, Some(rules)) => {
            for approver in rules.iter().flat_map(|rule| &rule.approved_by) {
                if let Some(name) = username(approver)
                    && !reviews.approvers.contains(&name)
                {
                    reviews.approvers.push(name);
                }
            }
            reviews.approved = reviews.approvers.len() as u64;
        }
        (None, None) => {
            return Err(doc.shape(
                "$.approved_by",
                "missing `approved_by`: this is not a GitLab merge request approvals response",
                None,
            ));
        }
    }
    Ok(Parsed {
        target: None,
        format: Format::GitlabMr,
        kind: kind(options, EvidenceKind::CodeReview),
        tool: Tool::new("gitlab", None),
        summary: Summary { reviews: Some(reviews), ..Summary::default() },
        produced_at: raw.updated_at,
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    #[test]
    fn approvals_response() {
        let text = r#"{"id": 5, "iid": 5, "project_id": 1, "title": "Approvals API", "state": "opened", "updated_at": "2016-06-08T21:20:42.470Z",
          "merge_status": "cannot_be_merged", "approved": true, "approvals_required": 2, "approvals_left": 1,
          "approved_by": [{"user": {"name": "Administrator", "username": "root", "id": 1}}]}"#;
        let parsed = parse_bytes(text.as_bytes(), "mr.json", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!((parsed.format, parsed.kind), (Format::GitlabMr, EvidenceKind::CodeReview));
        let reviews = parsed.summary.reviews.unwrap();
        assert_eq!((reviews.approved, reviews.number), (1, Some(5)));
        assert_eq!(reviews.approvers, ["root"]);
    }

    #[test]
    fn approval_state_response() {
        let text = r#"{"approval_rules_overwritten": true, "rules": [
          {"id": 1, "name": "Ruby", "approved_by": [{"id": 4, "username": "john_doe"}], "approved": true},
          {"id": 2, "name": "Security", "approved_by": [{"id": 4, "username": "john_doe"}, {"id": 5, "username": "jane"}]}]}"#;
        let parsed = parse_bytes(text.as_bytes(), "state.json", &Options::default(), &mut Vec::new()).unwrap();
        let reviews = parsed.summary.reviews.unwrap();
        assert_eq!((reviews.approved, reviews.approvers.clone()), (2, vec!["john_doe".to_owned(), "jane".to_owned()]));
    }
}
