//! `signoff export` and `signoff verify-package` (F3).

use std::path::Path;

use signoff_app::Signoff;

use crate::Outcome;
use crate::cli::{ExportArgs, VerifyPackageArgs};
use crate::render::print_json;

pub(crate) async fn export(store: &Path, args: ExportArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let bytes = signoff_app::package::export(&signoff, &super::release(&args.release)?).await?;
    std::fs::write(&args.output, &bytes).map_err(|error| anyhow::anyhow!("{}: {error}", args.output.display()))?;
    println!(
        "wrote {} ({} bytes, {}); verify it anywhere with `signoff verify-package {} --key \"$(signoff key public --format note)\"`",
        args.output.display(),
        bytes.len(),
        signoff_core::Digest::of(&bytes),
        args.output.display()
    );
    Ok(Outcome::Success)
}

pub(crate) fn verify(args: VerifyPackageArgs) -> anyhow::Result<Outcome> {
    let bytes = std::fs::read(&args.package).map_err(|error| anyhow::anyhow!("{}: {error}", args.package.display()))?;
    let key = match &args.key {
        Some(text) if Path::new(text).is_file() => Some(std::fs::read_to_string(text)?),
        Some(text) => Some(text.clone()),
        None => None,
    };
    let report = signoff_app::package::verify(&bytes, key.as_deref())?;
    if args.json {
        let checks: Vec<serde_json::Value> = report
            .checks
            .iter()
            .map(|check| serde_json::json!({ "member": check.member, "check": check.description, "ok": check.passed(), "detail": check.to_string() }))
            .collect();
        print_json(
            &serde_json::json!({ "ok": report.is_ok(), "key": format!("{:?}", report.key_source), "checks": checks }),
        )?;
    } else {
        for failure in report.failures() {
            println!("FAILED {failure}");
        }
        println!(
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
        );
    }
    Ok(if report.is_ok() { Outcome::Success } else { Outcome::No })
}
