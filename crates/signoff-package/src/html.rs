//! The default `index.html`: a plain page listing the release, the checkpoint and every
//! member with its size and SHA-256, for a reader who opens the package in a browser.
//!
//! The application normally renders a richer index with its report templates and
//! passes it in; this one is used when it does not. It is deterministic (no clock, no
//! scripts, no external resources) and escapes every value.

use std::fmt::Write as _;

use crate::manifest::{LedgerFacts, MemberRecord, Release};

/// The page for a package about `release`, whose other members are `members`.
pub(crate) fn render(release: &Release, created_at: &str, ledger: &LedgerFacts, members: &[MemberRecord]) -> String {
    let title = format!("Evidence package: {} {}", release.project, release.version);
    let mut page = String::with_capacity(4096 + members.len() * 256);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em .6em;text-align:left}");
    page.push_str("code{font-size:.85em}</style>\n");
    let _ = writeln!(page, "<title>{}</title>\n</head>\n<body>\n<h1>{}</h1>", escape(&title), escape(&title));
    page.push_str("<table>\n");
    let mut row = |name: &str, value: &str| {
        let _ = writeln!(page, "<tr><th>{}</th><td><code>{}</code></td></tr>", escape(name), escape(value));
    };
    row("Project", release.project.as_str());
    row("Version", release.version.as_str());
    row("Commit", release.commit.as_str());
    for artifact in &release.artifacts {
        row("Artifact", &artifact.to_string());
    }
    row("Package created", created_at);
    row("Ledger", &ledger.origin);
    row("Checkpoint size", &ledger.size.to_string());
    row("Checkpoint root", &ledger.root.to_hex());
    page.push_str("</table>\n<h2>Members</h2>\n<table>\n<tr><th>Path</th><th>Bytes</th><th>SHA-256</th></tr>\n");
    for member in members {
        let _ = writeln!(
            page,
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td><code>{}</code></td></tr>",
            percent_encode(&member.path),
            escape(&member.path),
            member.size,
            member.sha256.to_hex()
        );
    }
    page.push_str("</table>\n<p>Verify offline with <code>signoff verify-package</code>; ");
    page.push_str("the format is described in <code>docs/evidence-package.md</code>.</p>\n</body>\n</html>\n");
    page
}

/// HTML text and attribute escaping: minijinja's, as the report templates escape.
fn escape(text: &str) -> minijinja::HtmlEscape<'_> {
    minijinja::HtmlEscape(text)
}

/// The bytes a member path keeps in its link: RFC 3986 unreserved characters and `/`.
const PATH: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// A relative URL for a member path: every byte outside the unreserved set and `/` is
/// percent-encoded, so `#`, `?` and spaces in evidence file names stay part of the path.
/// The result holds no character HTML escapes, so it goes into `href` as it is.
fn percent_encode(path: &str) -> String {
    percent_encoding::utf8_percent_encode(path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use signoff_core::{CommitSha, Digest, ProjectName, ReleaseVersion};

    #[test]
    fn escapes_names_and_links_members() {
        let release = Release {
            project: ProjectName::new("shop").unwrap(),
            version: ReleaseVersion::new("1.0<b>").unwrap(),
            commit: CommitSha::new(&"a".repeat(40)).unwrap(),
            artifacts: vec![],
        };
        let ledger = LedgerFacts { origin: "log".into(), size: 1, root: Digest::of(b""), entries: vec![] };
        let members =
            vec![MemberRecord { path: "evidence/1-a #1<x>.txt".into(), size: 5, sha256: Digest::of(b"hello") }];
        let page = render(&release, "2026-01-01T00:00:00Z", &ledger, &members);
        assert!(page.contains("1.0&lt;b&gt;"), "{page}");
        assert!(page.contains(">evidence&#x2f;1-a #1&lt;x&gt;.txt</a>"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("href=\"evidence/1-a%20%231%3Cx%3E.txt\""), "{page}");
        assert!(page.contains(&Digest::of(b"hello").to_hex()));
        assert_eq!(page, render(&release, "2026-01-01T00:00:00Z", &ledger, &members));
    }
}
