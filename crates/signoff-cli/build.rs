//! Stamps the binary with the commit it was built from, for `signoff --version`.
//!
//! The build date is reproducible: `SOURCE_DATE_EPOCH` when the builder sets it
//! (the reproducible-builds.org convention packagers follow), else the commit's
//! date, so two builds of one commit are the same binary. Where there is no git
//! (a source tarball, a Docker build without `.git`), `SIGNOFF_BUILD_COMMIT` in the
//! build's environment names the commit; without either, the version is the
//! package's alone.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    // Rebuild the stamp when HEAD moves (a commit, a checkout) or the branch it
    // names does. Only paths that exist are watched: Cargo reruns a build script
    // on every build while one it watches is missing (a repository whose refs
    // were never packed has no `packed-refs`), relinking the binary each time.
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]).filter(|file| Path::new(file).exists()) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    println!("cargo:rerun-if-env-changed=SIGNOFF_BUILD_COMMIT");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    let given = std::env::var("SIGNOFF_BUILD_COMMIT").ok().filter(|commit| !commit.is_empty());
    if let Some(commit) = given.or_else(|| git(&["rev-parse", "--short=12", "HEAD"])) {
        println!("cargo:rustc-env=SIGNOFF_BUILD_COMMIT={commit}");
    }
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|seconds| seconds.trim().parse::<i64>().ok());
    if let Some(date) = epoch.and_then(civil_date).or_else(|| git(&["log", "-1", "--format=%cs"])) {
        println!("cargo:rustc-env=SIGNOFF_BUILD_DATE={date}");
    }
}

/// The UTC date (YYYY-MM-DD) of a Unix time; `None` when out of range.
fn civil_date(seconds: i64) -> Option<String> {
    let date = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?.date();
    Some(format!("{}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}
