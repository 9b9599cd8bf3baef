//! GitHub pull request and review JSON, as the REST API returns it (a pull request,
//! a review, a list of reviews, a list of review comments) and as webhooks deliver
//! it (`pull_request` and `pull_request_review` events).
//!
//! # Counting
//! `summary.reviews` counts reviews by `state`: `APPROVED`, `CHANGES_REQUESTED`,
//! `COMMENTED`, `DISMISSED` (webhooks write them in lowercase); `PENDING` (not yet
//! submitted) counts as nothing. Every review counts, so one person approving twice
//! counts twice; `approvers` lists each approver once, in review order. A pull
//! request without reviews gives zeros with its `number`, `author` (`user.login`)
//! and `merge_commit` (`merge_commit_sha` as GitHub reports it: for a pull request
//! that is not merged that is GitHub's test merge commit, which never lands). A list
//! of review *comments* gives zero decisions: comments are not reviews. The pull
//! request number of a review or comment is read from its `pull_request_url`.
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
struct RawUser {
    login: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawPullRequest {
    number: Option<u64>,
    user: Option<RawUser>,
    merge_commit_sha: Option<String>,
    updated_at: Option<String>,
}

/// A review, a review comment, or (at the top level) a pull request or webhook.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawItem {
    user: Option<RawUser>,
    state: Option<String>,
    submitted_at: Option<String>,
    pull_request_url: Option<String>,
    pull_request_review_id: Option<serde::de::IgnoredAny>,
    // A pull request's own fields.
    number: Option<u64>,
    merge_commit_sha: Option<String>,
    updated_at: Option<String>,
    diff_url: Option<String>,
    // Webhook payloads.
    pull_request: Option<RawPullRequest>,
    review: Option<Box<RawItem>>,
}

#[derive(Default)]
struct Tally {
    reviews: Reviews,
    latest: Option<String>,
}

impl Tally {
    fn review(&mut self, item: &RawItem) {
        let login = item.user.as_ref().and_then(|user| user.login.clone());
        match item.state.as_deref().map(str::to_ascii_uppercase).as_deref() {
            Some("APPROVED") => {
                self.reviews.approved += 1;
                if let Some(login) = login
                    && !self.reviews.approvers.contains(&login)
                {
                    self.reviews.approvers.push(login);
                }
            }
            Some("CHANGES_REQUESTED") => self.reviews.changes_requested += 1,
            Some("COMMENTED") => self.reviews.commented += 1,
            Some("DISMISSED") => self.reviews.dismissed += 1,
            _ => {}
        }
        self.time(item.submitted_at.as_deref());
        self.number_from_url(item.pull_request_url.as_deref());
    }

    fn time(&mut self, time: Option<&str>) {
        if let Some(time) = time.filter(|time| !time.is_empty())
            && self.latest.as_deref().is_none_or(|latest| latest < time)
        {
            self.latest = Some(time.to_owned());
        }
    }

    fn number_from_url(&mut self, url: Option<&str>) {
        if self.reviews.number.is_none() {
            self.reviews.number = url.and_then(|url| url.rsplit('/').next()).and_then(|last| last.parse().ok());
        }
    }

    fn pull_request(
        &mut self,
        number: Option<u64>,
        user: Option<&RawUser>,
        merge_commit: Option<&str>,
        updated_at: Option<&str>,
    ) {
        self.reviews.number = number.or(self.reviews.number);
        self.reviews.author = user.and_then(|user| user.login.clone()).or(self.reviews.author.take());
        self.reviews.merge_commit =
            merge_commit.filter(|sha| !sha.is_empty()).map(str::to_owned).or(self.reviews.merge_commit.take());
        self.time(updated_at);
    }
}

pub(crate) fn parse(doc: &Doc<'_>, options: &Options) -> Result<Parsed> {
    let mut tally = Tally::default();
    let mut walker = doc.walker()?;
    match walker.peek()? {
        Some(b'[') => walker.array("a list of reviews or review comments", |walker, _| {
            let item: RawItem = walker.decode()?;
            if item.pull_request_review_id.is_some() {
                // A review comment: not a decision.
                tally.time(item.updated_at.as_deref());
                tally.number_from_url(item.pull_request_url.as_deref());
            } else {
                tally.review(&item);
            }
            Ok(())
        })?,
        _ => {
            let item: RawItem = walker.decode()?;
            if let Some(pull_request) = &item.pull_request {
                tally.pull_request(
                    pull_request.number.or(item.number),
                    pull_request.user.as_ref(),
                    pull_request.merge_commit_sha.as_deref(),
                    pull_request.updated_at.as_deref(),
                );
                if let Some(review) = &item.review {
                    tally.review(review);
                }
            } else if item.diff_url.is_some() || item.merge_commit_sha.is_some() || item.number.is_some() {
                tally.pull_request(
                    item.number,
                    item.user.as_ref(),
                    item.merge_commit_sha.as_deref(),
                    item.updated_at.as_deref(),
                );
            } else if item.state.is_some() && item.pull_request_url.is_some() {
                tally.review(&item);
            } else {
                return Err(doc.shape(
                    "$",
                    "neither a pull request, a review, nor a pull_request or pull_request_review webhook payload",
                    Some(0),
                ));
            }
        }
    }
    walker.finish()?;
    Ok(Parsed {
        target: None,
        format: Format::GithubPr,
        kind: kind(options, EvidenceKind::CodeReview),
        tool: Tool::new("github", None),
        summary: Summary { reviews: Some(tally.reviews), ..Summary::default() },
        produced_at: tally.latest,
        stored: None,
        redacted: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_bytes;

    fn reviews(text: &str) -> Reviews {
        let parsed = parse_bytes(text.as_bytes(), "pr.json", &Options::default(), &mut Vec::new()).unwrap();
        assert_eq!((parsed.format, parsed.kind), (Format::GithubPr, EvidenceKind::CodeReview));
        parsed.summary.reviews.unwrap()
    }

    #[test]
    fn review_lists() {
        let found = reviews(
            r#"[{"id": 1, "user": {"login": "alice"}, "state": "APPROVED", "submitted_at": "2024-01-02T00:00:00Z", "pull_request_url": "https://api.github.com/repos/o/r/pulls/6"},
                {"id": 2, "user": {"login": "bob"}, "state": "CHANGES_REQUESTED", "pull_request_url": "https://api.github.com/repos/o/r/pulls/6"},
                {"id": 3, "user": {"login": "alice"}, "state": "APPROVED", "pull_request_url": "https://api.github.com/repos/o/r/pulls/6"},
                {"id": 4, "user": {"login": "carol"}, "state": "DISMISSED", "pull_request_url": "https://api.github.com/repos/o/r/pulls/6"},
                {"id": 5, "user": {"login": "dan"}, "state": "COMMENTED", "pull_request_url": "https://api.github.com/repos/o/r/pulls/6"}]"#,
        );
        assert_eq!((found.approved, found.changes_requested, found.commented, found.dismissed), (2, 1, 1, 1));
        assert_eq!(found.approvers, ["alice"]);
        assert_eq!(found.number, Some(6));
    }

    #[test]
    fn pull_requests_comments_and_webhooks() {
        let found = reviews(
            r#"{"url": "u", "id": 1, "diff_url": "d", "number": 484, "state": "closed", "user": {"login": "maximevw"}, "merge_commit_sha": "51409ad0122b", "merged": false}"#,
        );
        assert_eq!(
            (found.approved, found.number, found.author.as_deref(), found.merge_commit.as_deref()),
            (0, Some(484), Some("maximevw"), Some("51409ad0122b"))
        );

        let found = reviews(
            r#"[{"pull_request_review_id": 9, "diff_hunk": "@@", "user": {"login": "a"}, "body": "nit", "pull_request_url": "https://api.github.com/repos/o/r/pulls/484"}]"#,
        );
        assert_eq!((found.commented, found.number), (0, Some(484)));

        let found = reviews(
            r#"{"action": "submitted", "review": {"id": 1, "user": {"login": "Codertocat"}, "state": "commented", "submitted_at": "2019-05-15T15:20:38Z"},
            "pull_request": {"number": 2, "user": {"login": "Codertocat"}, "merge_commit_sha": "c4295bd7"}, "repository": {}, "sender": {}}"#,
        );
        assert_eq!((found.commented, found.number, found.author.as_deref()), (1, Some(2), Some("Codertocat")));
    }
}
