//! What a commit message says: its trailers, its co-authors and the pull request it
//! came from.
//!
//! Pull request numbers are read from the conventions that hosting services write
//! into commit messages, checked in this order (the first match wins):
//!
//! | Pattern | Written by |
//! | --- | --- |
//! | subject `Merge pull request #123 from owner/branch` | GitHub merge commits |
//! | a body line `See merge request group/project!45` | GitLab merge commits |
//! | subject `Merged in branch (pull request #7)` | Bitbucket merge commits |
//! | subject `Merged PR 9: title` | Azure DevOps merge commits |
//! | subject ending in `(#123)` | GitHub squash merges (the last one counts) |
//!
//! Anything else has no pull request number. Numbers that do not fit a `u64` are
//! ignored.

use gix::bstr::ByteSlice;
use gix::objs::commit::MessageRef;

use crate::{Person, Trailer};

/// The trailers of a commit message, in order, as `git interpret-trailers --parse`
/// reads them from the message's last paragraph.
pub(crate) fn trailers(message: &MessageRef<'_>) -> Vec<Trailer> {
    let Some(body) = message.body() else {
        return Vec::new();
    };
    body.trailers()
        .map(|trailer| Trailer {
            key: trailer.token.to_str_lossy().into_owned(),
            value: trailer.value.to_str_lossy().into_owned(),
        })
        .collect()
}

/// Reads `Name <email>` as a person. Without angle brackets the whole value is the
/// name and the email is empty.
pub(crate) fn parse_identity(value: &str) -> Person {
    let value = value.trim();
    match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            Person { name: value[..open].trim().to_owned(), email: value[open + 1..close].trim().to_owned() }
        }
        _ => Person { name: value.to_owned(), email: String::new() },
    }
}

/// The people named in `Co-authored-by` trailers (the key is matched without regard
/// to case, as git does).
pub(crate) fn co_authors(trailers: &[Trailer]) -> Vec<Person> {
    trailers
        .iter()
        .filter(|trailer| trailer.key.eq_ignore_ascii_case("Co-authored-by"))
        .map(|trailer| parse_identity(&trailer.value))
        .collect()
}

/// The pull (or merge) request number a commit message names, following the
/// patterns in the module documentation.
pub fn pull_request_number(subject: &str, message: &str) -> Option<u64> {
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        return leading_number(rest).filter(|(_, rest)| rest.starts_with(" from ")).map(|(n, _)| n);
    }
    if let Some(number) = message.lines().find_map(gitlab_merge_request) {
        return Some(number);
    }
    if let Some(start) = subject.find("(pull request #")
        && let Some((number, rest)) = leading_number(&subject[start + "(pull request #".len()..])
        && rest.starts_with(')')
    {
        return Some(number);
    }
    if let Some(rest) = subject.strip_prefix("Merged PR ")
        && let Some((number, rest)) = leading_number(rest)
        && rest.starts_with(':')
    {
        return Some(number);
    }
    squash_suffix(subject)
}

/// `See merge request group/sub/project!45` (GitLab's merge commit template).
fn gitlab_merge_request(line: &str) -> Option<u64> {
    let reference = line.trim().strip_prefix("See merge request ")?;
    let (project, number) = reference.rsplit_once('!')?;
    if project.is_empty() || project.contains(char::is_whitespace) {
        return None;
    }
    whole_number(number)
}

/// A subject ending in `(#123)`.
fn squash_suffix(subject: &str) -> Option<u64> {
    let inner = subject.trim_end().strip_suffix(')')?;
    let start = inner.rfind("(#")?;
    whole_number(&inner[start + 2..])
}

/// The decimal number at the start of `text` and what follows it.
fn leading_number(text: &str) -> Option<(u64, &str)> {
    let end = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let number = whole_number(&text[..end])?;
    Some((number, &text[end..]))
}

/// `text` if it is entirely a decimal number that fits a `u64`.
fn whole_number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(subject: &str, body: &str, expected: Option<u64>) {
        let message = if body.is_empty() { subject.to_owned() } else { format!("{subject}\n\n{body}") };
        assert_eq!(pull_request_number(subject, &message), expected, "{message:?}");
    }

    #[test]
    fn github_merge_commits() {
        check("Merge pull request #123 from acme/feature-x", "Add feature X", Some(123));
        check("Merge pull request #7 from fork:main", "", Some(7));
        // Not the GitHub template.
        check("Merge pull request #12", "", None);
        check("Merge pull request #abc from x/y", "", None);
        check("Merge branch 'main' into feature", "", None);
    }

    #[test]
    fn gitlab_merge_commits() {
        check(
            "Merge branch 'fix-login' into 'main'",
            "Fix login redirect\n\nCloses #3\n\nSee merge request group/sub/project!45",
            Some(45),
        );
        check("Merge branch 'x' into 'main'", "See merge request !45", None);
        check("Merge branch 'x' into 'main'", "See merge request group/proj!", None);
        // An issue reference is not a merge request.
        check("Fix thing", "Closes #3", None);
    }

    #[test]
    fn bitbucket_and_azure_merge_commits() {
        check("Merged in feature/login (pull request #7)", "", Some(7));
        check("Merged PR 9: Add login", "", Some(9));
        check("Merged PR nine: Add login", "", None);
    }

    #[test]
    fn squash_merge_subjects() {
        check("Add login page (#123)", "", Some(123));
        check("Revert \"Add login page (#123)\" (#130)", "", Some(130));
        check("Add login page (#123) ", "", Some(123));
        check("Add login page (#)", "", None);
        check("Add login page (#12a)", "", None);
        check("Add login page #123", "", None);
        check("Fix overflow (#99999999999999999999999)", "", None);
        // GitHub merge commits win over a suffix.
        check("Merge pull request #5 from a/b (#6)", "", Some(5));
    }

    #[test]
    fn identities() {
        assert_eq!(
            parse_identity(" Ada Lovelace <ada@example.com> "),
            Person { name: "Ada Lovelace".into(), email: "ada@example.com".into() }
        );
        assert_eq!(parse_identity("Claude"), Person { name: "Claude".into(), email: String::new() });
        assert_eq!(
            parse_identity("<bare@example.com>"),
            Person { name: String::new(), email: "bare@example.com".into() }
        );
    }

    #[test]
    fn trailers_and_co_authors() {
        let text = "Subject\n\nBody text.\n\nSigned-off-by: A <a@example.com>\nco-authored-by: B <b@example.com>\nCo-authored-by: Claude <noreply@anthropic.com>\n";
        let message = MessageRef::from_bytes(text.as_bytes());
        let trailers = trailers(&message);
        assert_eq!(trailers.len(), 3);
        assert_eq!(trailers[0], Trailer { key: "Signed-off-by".into(), value: "A <a@example.com>".into() });
        let people = co_authors(&trailers);
        assert_eq!(people.len(), 2);
        assert_eq!(people[1].name, "Claude");
        assert_eq!(people[1].email, "noreply@anthropic.com");
        assert!(super::trailers(&MessageRef::from_bytes(b"Only a subject\n")).is_empty());
    }
}
