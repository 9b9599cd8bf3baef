//! `signoff certify`, `signoff certificate`, `signoff gate` and `signoff replay`.

use std::io::Write as _;
use std::path::Path;

use signoff_app::certify::{Certification, CertifyRequest, PREDICATE_TYPE};
use signoff_app::request::DayEnd;
use signoff_app::{Environment, Signoff};
use signoff_report::text;

use reqwest::Method;
use signoff_app::gate::GateDecision;

use crate::Outcome;
use crate::cli::{CertificateCommand, CertifyArgs, GateArgs, ReplayArgs, ReportFormat};
use crate::remote::Remote;
use crate::render::{done, json, out, outln};

pub(crate) async fn certify(store: &Path, args: CertifyArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let environment = Environment::from_process();
    // A dry run writes nothing, so it needs no one to answer for it.
    let actor = match super::actor(&signoff, args.actor.as_deref()) {
        Ok(actor) => actor,
        Err(_) if args.dry_run => super::dry_run_actor(),
        Err(error) => return Err(error),
    };
    let request = CertifyRequest {
        release: super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "certify")?,
        policy: args.policy.clone(),
        environment: args.environment.clone(),
        dry_run: args.dry_run,
        at: args.at.as_deref().map(|text| super::time(text, DayEnd::Start)).transpose()?,
        actor,
    };
    let certification = signoff_app::certify::certify(&signoff, request).await?;
    print_certification(&certification, &args, &environment)
}

/// `signoff certify` against a server: it certifies under the policy published
/// there, as the token's identity.
pub(crate) async fn certify_remote(remote: &Remote, args: CertifyArgs) -> anyhow::Result<Outcome> {
    if args.policy.is_some() {
        anyhow::bail!(
            "--policy FILE tries a policy on a local store; a server certifies under its published policy (`signoff policy publish` there)"
        );
    }
    super::no_actor(args.actor.as_deref())?;
    let release = super::subject(args.release.as_deref(), args.legacy_release.as_deref(), "certify")?;
    let at = args.at.as_deref().map(|text| super::time(text, DayEnd::Start)).transpose()?;
    let body = serde_json::json!({
        "environment": args.environment,
        "dry_run": args.dry_run,
        "at": at.map(crate::render::time),
    });
    let path = format!("{}/certify", super::remote_release_path(&release));
    let certification: Certification = remote.call(Method::POST, &path, &[], Some(&body)).await?;
    print_certification(&certification, &args, &Environment::from_process())
}

fn print_certification(
    certification: &Certification,
    args: &CertifyArgs,
    environment: &Environment,
) -> anyhow::Result<Outcome> {
    for line in &certification.ahead {
        crate::render::warning!("{line}");
    }
    let verdict = verdict(certification);
    let format = if args.json || crate::render::jq_set() { ReportFormat::Json } else { args.format };
    match format {
        ReportFormat::Json => json(certification)?,
        ReportFormat::Text => out!("{}", text::certification_text(&verdict))?,
        ReportFormat::Markdown => out!("{}", text::certification_markdown(&verdict))?,
        ReportFormat::Junit => out!("{}", text::certification_junit(&verdict))?,
    }
    if let Some(summary) = environment.var("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&summary)?;
        file.write_all(text::certification_markdown(&verdict).as_bytes())?;
    }
    Ok(if certification.certified() { Outcome::Success } else { Outcome::No })
}

/// A certification as the shared renderers read it.
pub(crate) fn verdict(certification: &Certification) -> text::Verdict<'_> {
    text::Verdict {
        release: &certification.release,
        policy: &certification.policy,
        evaluation: &certification.evaluation,
        dry_run: certification.dry_run,
        certificate: certification.certificate.as_ref().map(|certificate| text::RecordedCertificate {
            id: &certificate.record.id,
            decision: certificate.record.decision,
            entry: certificate.entry,
        }),
    }
}

pub(crate) async fn certificate(store: &Path, command: CertificateCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        CertificateCommand::Show(args) => {
            let view = signoff_app::certify::certificate_of(&signoff, &super::release(&args.release)?).await?;
            if args.output.json || crate::render::jq_set() {
                json(&view)?;
            } else {
                let record = &view.record;
                outln!("certificate {} for {}@{}", record.id, record.project, record.version)?;
                outln!("decision    {}", record.decision)?;
                for (environment, decision) in &record.environments {
                    outln!("  {environment}: {decision}")?;
                }
                outln!("commit      {}", record.commit)?;
                for artifact in &record.artifacts {
                    outln!("artifact    {artifact}")?;
                }
                outln!(
                    "policy      {} ({}, {})",
                    record.policy.name,
                    record.policy.source.as_str(),
                    record.policy.digest
                )?;
                outln!(
                    "evaluated   {} by {} ({})",
                    crate::render::time(record.evaluated_at),
                    record.certifier.id,
                    record.certifier.kind
                )?;
                outln!("statement   {} (in-toto v1, predicate {PREDICATE_TYPE})", record.statement_digest)?;
                outln!("ledger      entry {}", view.entry)?;
            }
        }
        CertificateCommand::Export(args) => {
            let view = signoff_app::certify::certificate_of(&signoff, &super::release(&args.release)?).await?;
            let mut text = view.record.envelope.clone();
            text.push('\n');
            // The envelope is JSON that other tools verify byte for byte: written as is
            // (or through --jq, to read a field of it).
            if crate::render::jq_set() && args.output.as_deref().is_none_or(|path| path.as_os_str() == "-") {
                crate::render::json_raw(text.as_bytes())?;
            } else {
                crate::render::write_out(args.output.as_deref(), &text)?;
            }
        }
        CertificateCommand::Revoke(args) => {
            let actor = super::actor(&signoff, args.actor.as_deref())?;
            let record =
                signoff_app::gate::revoke(&signoff, &super::release(&args.release)?, &args.reason, actor).await?;
            if args.output.json || crate::render::jq_set() {
                json(&record)?;
            } else {
                done!(
                    "revoked certificate {} of {}@{}: {}",
                    record.certificate,
                    record.project,
                    record.version,
                    record.reason
                )?;
            }
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn gate(store: &Path, args: GateArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let artifact = super::artifact(&args.artifact)?;
    let deployer = args.deployer.as_deref().map(|name| signoff.actor_named(name));
    let decision =
        signoff_app::gate::gate_as(&signoff, artifact, args.environment.as_deref(), deployer.as_ref()).await?;
    print_gate(&decision, &args)
}

/// `signoff gate` against a server (an artifact file is hashed here).
pub(crate) async fn gate_remote(remote: &Remote, args: GateArgs) -> anyhow::Result<Outcome> {
    if args.deployer.is_some() {
        anyhow::bail!(
            "--deployer is checked by a local store's gate; against a server, `deploy record` checks who deploys"
        );
    }
    let artifact = super::artifact(&args.artifact)?;
    let mut query = vec![("artifact", artifact.to_string())];
    if let Some(environment) = &args.environment {
        query.push(("environment", environment.clone()));
    }
    let decision: GateDecision = remote.call(Method::GET, "/api/v1/gate", &query, None).await?;
    print_gate(&decision, &args)
}

fn print_gate(decision: &GateDecision, args: &GateArgs) -> anyhow::Result<Outcome> {
    if args.output.json || crate::render::jq_set() {
        json(decision)?;
    } else if decision.allowed {
        outln!("open: {}", decision.reason)?;
    } else {
        outln!("closed: {}", decision.reason)?;
    }
    Ok(if decision.allowed { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn replay(store: &Path, args: ReplayArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let since = args.since.as_deref().map(|text| super::time(text, DayEnd::Start)).transpose()?;
    let replay = signoff_app::gate::replay(&signoff, &args.policy, since).await?;
    if args.output.json || crate::render::jq_set() {
        json(&replay)?;
        return Ok(Outcome::Success);
    }
    outln!(
        "replayed {} under policy {} ({})",
        crate::render::count(replay.replayed, "certification", "certifications"),
        replay.policy,
        replay.digest
    )?;
    if replay.changes.is_empty() {
        outln!("no verdict would change")?;
    }
    for change in &replay.changes {
        let diff = &change.diff;
        outln!(
            "\n{}@{} (certified at {}, entry {}): {} → {}",
            change.project,
            change.version,
            crate::render::time(change.evaluated_at),
            change.certificate_entry,
            diff.decision_before,
            diff.decision_after
        )?;
        for criterion in &diff.criteria {
            let status = |side: &Option<signoff_policy::StatusAndBlocking>| {
                side.as_ref().map_or("absent".to_owned(), |side| side.status.to_string())
            };
            outln!(
                "  {:<28} {} → {}: {}",
                criterion.id,
                status(&criterion.before),
                status(&criterion.after),
                criterion.reason
            )?;
        }
    }
    Ok(Outcome::Success)
}
