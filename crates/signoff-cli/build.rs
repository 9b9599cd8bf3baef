//! Stamps the binary with the commit it was built from, for `signoff --version`.
//!
//! The date is the commit's, not the build's, so two builds of one commit are the
//! same binary. Without git (a source tarball), the version is the package's alone.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    // Rebuild the stamp when HEAD moves (a commit, a checkout) or the branch it names does.
    for path in ["HEAD", "refs/heads", "packed-refs"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    if let Some(commit) = git(&["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=SIGNOFF_BUILD_COMMIT={commit}");
    }
    if let Some(date) = git(&["log", "-1", "--format=%cs"]) {
        println!("cargo:rustc-env=SIGNOFF_BUILD_DATE={date}");
    }
}
