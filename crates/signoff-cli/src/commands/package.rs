//! `signoff export` and `signoff verify-package` (F3).

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::{ExportArgs, VerifyPackageArgs};
use crate::remote::Remote;
use crate::render::{done, json, note, outln, warning};
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
    let bytes = signoff_app::package::read_package(&args.package)?;
    if args.key.is_none() {
        warning!(
            "no --key: this proves the package is intact and consistent with the key inside it, not who signed it; pass the key you trust (`signoff key public --format note` from the store's owner)"
        );
    }
    let key = match &args.key {
        Some(text) if Path::new(text).is_file() => Some(std::fs::read_to_string(text)?),
        Some(text) => Some(text.clone()),
        None => None,
    };
    let report = signoff_app::package::verify(&bytes, key.as_deref())?;
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
                format!("ok: {} checks passed ({:?} key)", report.checks.len(), report.key_source)
            } else {
                format!(
                    "the package does not verify: {} of {} checks failed",
                    report.failures().count(),
                    report.checks.len()
                )
            }
        )?;
    }
    Ok(if report.is_ok() { Outcome::Success } else { Outcome::No })
}
