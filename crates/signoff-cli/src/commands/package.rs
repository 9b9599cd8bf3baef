//! `signoff export` and `signoff verify-package` (F3).

use std::path::Path;

use signoff_app::Signoff;
use signoff_package::KeySource;

use crate::Outcome;
use crate::cli::{ExportArgs, VerifyPackageArgs};
use crate::remote::Remote;
use crate::render::{Progress, done, json, note, outln, warning};
use crate::schemas::{ExportJson, PackageCheckJson, PackageVerifyJson};

pub(crate) async fn export(store: &Path, args: ExportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let release = super::release(&args.release)?;
    let bytes = signoff_app::package::export(&signoff, &release).await?;
    write_package(&release, &bytes, &args)
}

/// `signoff export` against a server: the same package, downloaded.
pub(crate) async fn export_remote(remote: &Remote, args: ExportArgs) -> anyhow::Result<Outcome> {
    let release = super::release(&args.release)?;
    let bytes = remote.download(&format!("{}/package", super::remote_release_path(&release))).await?;
    write_package(&release, &bytes, &args)
}

fn write_package(release: &signoff_core::ReleaseRef, bytes: &[u8], args: &ExportArgs) -> anyhow::Result<Outcome> {
    let digest = signoff_core::Digest::of(bytes);
    let to_stdout = args.output.as_os_str() == "-";
    if to_stdout {
        crate::render::write_bytes(None, bytes)?;
    } else {
        std::fs::write(&args.output, bytes).map_err(|error| anyhow::anyhow!("{}: {error}", args.output.display()))?;
    }
    if args.json.json || crate::render::jq_set() {
        if !to_stdout {
            json(&ExportJson {
                release: release.clone(),
                file: args.output.display().to_string(),
                size: bytes.len() as u64,
                digest,
            })?;
        }
    } else if to_stdout {
        note!("wrote the package of {release} ({} bytes, {digest}) to standard output", bytes.len());
    } else {
        done!(
            "wrote {} ({} bytes, {digest}); verify it anywhere with `signoff verify-package {} --key \"$(signoff key public --format note)\"`",
            args.output.display(),
            bytes.len(),
            args.output.display()
        )?;
    }
    Ok(Outcome::Success)
}

pub(crate) fn verify(args: VerifyPackageArgs) -> anyhow::Result<Outcome> {
    let bytes = if args.package.as_os_str() == "-" {
        signoff_app::package::read_package_from(std::io::stdin().lock(), "standard input", 0)?
    } else {
        signoff_app::package::read_package(&args.package)?
    };
    if args.key.is_none() {
        warning!(
            "no --key: this proves the package is intact and consistent with the key inside it, not who signed it; pass the key you trust (`signoff key public --format note` from the store's owner)"
        );
    }
    let key = match &args.key {
        Some(text) if text == "-" && args.package.as_os_str() == "-" => {
            anyhow::bail!("the package and --key cannot both be read from standard input: name one of them as a file")
        }
        Some(text) if text == "-" || Path::new(text).is_file() => {
            Some(crate::render::read_input_text(Path::new(text))?.0)
        }
        Some(text) => Some(text.clone()),
        None => None,
    };
    // The members are hashed after the archive is read: the bar shows the bytes
    // hashed of the members' whole size, once that is known.
    let watched = std::sync::Arc::new(signoff_package::VerifyProgress::default());
    let mut progress = Progress::start_if(bytes.len() > 32 << 20, 0, "verifying the package", true);
    let counters = std::sync::Arc::clone(&watched);
    progress.follow_sized(move || {
        let total = counters.total.load(std::sync::atomic::Ordering::Relaxed);
        (counters.hashed.load(std::sync::atomic::Ordering::Relaxed), (total > 0).then_some(total))
    });
    let report = signoff_app::package::verify_watched(&bytes, key.as_deref(), Some(watched))?;
    drop(progress);
    if args.output.json || crate::render::jq_set() {
        let checks = report
            .checks
            .iter()
            .map(|check| PackageCheckJson {
                member: check.member.clone(),
                check: check.description.clone(),
                ok: check.passed(),
                detail: check.to_string(),
            })
            .collect();
        json(&PackageVerifyJson { ok: report.is_ok(), key: report.key_source.into(), checks })?;
    } else {
        for failure in report.failures() {
            outln!("FAILED {failure}")?;
        }
        outln!(
            "{}",
            if report.is_ok() {
                format!(
                    "ok: {} passed ({})",
                    crate::render::count(report.checks.len() as u64, "check", "checks"),
                    match report.key_source {
                        KeySource::Trusted => "signatures checked with the key you gave",
                        KeySource::Package => "signatures checked with the key inside the package",
                        KeySource::Missing => "no key: no signature checked",
                    }
                )
            } else {
                format!(
                    "the package does not verify: {} of {} failed",
                    report.failures().count(),
                    crate::render::count(report.checks.len() as u64, "check", "checks")
                )
            }
        )?;
    }
    Ok(if report.is_ok() { Outcome::Success } else { Outcome::No })
}
