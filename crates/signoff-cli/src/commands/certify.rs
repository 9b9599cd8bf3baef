//! `signoff certify`, `signoff certificate`, `signoff gate` and `signoff replay`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use signoff_app::{Certification, CertifyRequest, Environment, Signoff};
use signoff_policy::{CriterionResult, Status};

use crate::Outcome;
use crate::cli::{CertificateCommand, CertifyArgs, GateArgs, ReplayArgs, ReportFormat};
use crate::render::print_json;

pub(crate) async fn certify(store: &Path, args: CertifyArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let environment = Environment::from_process();
    let certification = signoff_app::certify(
        &signoff,
        CertifyRequest {
            release: args.release.clone(),
            policy: args.policy.clone(),
            environment: args.environment.clone(),
            dry_run: args.dry_run,
            at: args.at.clone(),
            actor: args.actor.clone(),
            env: environment.clone(),
        },
    )
    .await?;
    let format = if args.json { ReportFormat::Json } else { args.format };
    match format {
        ReportFormat::Json => print_json(&certification)?,
        ReportFormat::Text => print!("{}", text(&certification)),
        ReportFormat::Markdown => print!("{}", markdown(&certification)),
        ReportFormat::Junit => print!("{}", junit(&certification)),
    }
    if let Some(summary) = environment.var("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) {
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&summary)?;
        file.write_all(markdown(&certification).as_bytes())?;
    }
    Ok(if certification.certified() { Outcome::Success } else { Outcome::No })
}

fn release_name(certification: &Certification) -> String {
    format!("{}@{}", certification.release.project, certification.release.version)
}

fn policy_line(certification: &Certification) -> String {
    let policy = &certification.policy;
    let version = policy.version.map(|version| format!(" v{version}")).unwrap_or_default();
    format!("{}{version} ({}, {})", policy.name, policy.source, policy.digest)
}

fn verdict(certification: &Certification) -> &'static str {
    match (certification.dry_run, certification.certified()) {
        (false, true) => "CERTIFIED",
        (false, false) => "NOT CERTIFIED",
        (true, true) => "WOULD BE CERTIFIED",
        (true, false) => "WOULD NOT BE CERTIFIED",
    }
}

fn failing(certification: &Certification) -> Vec<&CriterionResult> {
    certification.evaluation.criteria.iter().filter(|result| result.status == Status::Fail && result.blocking).collect()
}

/// The terminal report.
pub(crate) fn text(certification: &Certification) -> String {
    let evaluation = &certification.evaluation;
    let mut out = String::new();
    let mode = if certification.dry_run { "preflight" } else { "certify" };
    let _ = writeln!(out, "signoff {mode} {} at {}", release_name(certification), certification.release.commit);
    let _ = writeln!(out, "policy {}", policy_line(certification));
    let _ = writeln!(out, "evaluated at {}", signoff_core_time(evaluation.evaluated_at));
    if let Some(environment) = &evaluation.environment {
        let _ = writeln!(out, "environment {environment}");
    }
    let _ = writeln!(out);
    for result in &evaluation.criteria {
        let label = match (result.status, result.blocking) {
            (Status::Fail, false) => "WARN".to_owned(),
            (status, _) => status.to_string(),
        };
        let _ = writeln!(out, "  {label:<6} {:<28} {}", result.id, result.title);
        if result.status != Status::Pass {
            let _ = writeln!(out, "         expected: {}", result.expected);
            let _ = writeln!(out, "         actual:   {}", result.actual);
            for line in result.details.iter().take(8) {
                let _ = writeln!(out, "           - {line}");
            }
            for missing in &result.missing {
                let _ = writeln!(out, "         missing:  {missing}");
            }
            for fix in &result.fix {
                let _ = writeln!(out, "         fix:      {fix}");
            }
            if !result.exceptions.is_empty() {
                let _ = writeln!(out, "         waived by {}", result.exceptions.join(", "));
            }
        }
        if !result.evidence.is_empty() && result.status != Status::Pass {
            let shown: Vec<String> = result.evidence.iter().take(4).map(|digest| short(&digest.to_string())).collect();
            let _ = writeln!(out, "         evidence: {}", shown.join(", "));
        }
    }
    for skipped in &evaluation.exceptions_not_applied {
        let _ = writeln!(out, "  note: exception {} not applied: {}", skipped.id, skipped.reason);
    }
    for note in &evaluation.notes {
        let _ = writeln!(out, "  note: {note}");
    }
    let _ = writeln!(out);
    let failures = failing(certification);
    let counts = summary_counts(certification);
    let _ = write!(out, "{}: {counts}", verdict(certification));
    if !failures.is_empty() {
        let ids: Vec<&str> = failures.iter().map(|result| result.id.as_str()).collect();
        let _ = write!(out, "; failing: {}", ids.join(", "));
    }
    let _ = writeln!(out);
    for (environment, decision) in &evaluation.environments {
        let _ = writeln!(out, "  {environment}: {decision}");
    }
    match &certification.certificate {
        Some(certificate) => {
            let _ = writeln!(
                out,
                "certificate {} ({}) signed and recorded at ledger entry {}; `signoff certificate export {}` prints its DSSE envelope",
                certificate.record.id,
                certificate.record.decision,
                certificate.entry,
                release_name(certification)
            );
        }
        None => {
            let _ = writeln!(out, "dry run: nothing was recorded");
        }
    }
    out
}

fn summary_counts(certification: &Certification) -> String {
    let criteria = &certification.evaluation.criteria;
    let count = |status: Status| criteria.iter().filter(|result| result.status == status).count();
    format!("{} passed, {} failed, {} waived", count(Status::Pass), count(Status::Fail), count(Status::Waived))
}

fn short(digest: &str) -> String {
    digest.chars().take(19).collect()
}

fn signoff_core_time(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Markdown for PR comments and GitHub step summaries.
fn markdown(certification: &Certification) -> String {
    let evaluation = &certification.evaluation;
    let mut out = String::new();
    let mark = if certification.certified() { "✅" } else { "❌" };
    let _ = writeln!(out, "### {mark} {} — {}\n", release_name(certification), verdict(certification));
    let _ = writeln!(
        out,
        "Commit `{}` · policy {} · {}\n",
        certification.release.commit,
        policy_line(certification),
        summary_counts(certification)
    );
    let _ = writeln!(out, "| Status | Criterion | Expected | Actual |");
    let _ = writeln!(out, "|---|---|---|---|");
    for result in &evaluation.criteria {
        let status = match (result.status, result.blocking) {
            (Status::Fail, false) => "⚠️ WARN".to_owned(),
            (Status::Fail, true) => "❌ FAIL".to_owned(),
            (Status::Waived, _) => "➖ WAIVED".to_owned(),
            (Status::Pass, _) => "✅ PASS".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {status} | **{}** {} | {} | {} |",
            result.id,
            cell(&result.title),
            cell(&result.expected),
            cell(&result.actual)
        );
    }
    let failures: Vec<&CriterionResult> =
        evaluation.criteria.iter().filter(|result| result.status == Status::Fail).collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n**How to fix**\n");
        for result in failures {
            for fix in &result.fix {
                let _ = writeln!(out, "- `{}`: {}", result.id, fix);
            }
        }
    }
    if let Some(certificate) = &certification.certificate {
        let _ =
            writeln!(out, "\nCertificate `{}` recorded at ledger entry {}.", certificate.record.id, certificate.entry);
    }
    let _ = writeln!(out);
    out
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// JUnit XML: one test case per criterion, so CI test views show the verdict.
fn junit(certification: &Certification) -> String {
    let evaluation = &certification.evaluation;
    let failures = evaluation.criteria.iter().filter(|result| result.status == Status::Fail && result.blocking).count();
    let skipped = evaluation.criteria.iter().filter(|result| result.status == Status::Waived).count();
    let name = xml(&release_name(certification));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"signoff certification\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        evaluation.criteria.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{name}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" timestamp=\"{}\">",
        evaluation.criteria.len(),
        signoff_core_time(evaluation.evaluated_at)
    );
    let _ = writeln!(out, "    <properties>");
    let _ = writeln!(out, "      <property name=\"policy\" value=\"{}\"/>", xml(&policy_line(certification)));
    let _ = writeln!(out, "      <property name=\"decision\" value=\"{}\"/>", evaluation.decision);
    let _ = writeln!(out, "    </properties>");
    for result in &evaluation.criteria {
        let _ = write!(
            out,
            "    <testcase classname=\"signoff.{}\" name=\"{}: {}\"",
            xml(result.criterion.as_str()),
            xml(&result.id),
            xml(&result.title)
        );
        let body = format!("expected: {}\nactual: {}\n{}", result.expected, result.actual, result.fix.join("\n"));
        match (result.status, result.blocking) {
            (Status::Pass, _) => {
                let _ = writeln!(out, "/>");
            }
            (Status::Waived, _) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"waived by {}\"/>\n    </testcase>",
                    xml(&result.exceptions.join(", "))
                );
            }
            (Status::Fail, true) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"criterion\">{}</failure>\n    </testcase>",
                    xml(&result.actual),
                    xml(&body)
                );
            }
            (Status::Fail, false) => {
                let _ = writeln!(out, ">\n      <system-out>advisory: {}</system-out>\n    </testcase>", xml(&body));
            }
        }
    }
    let _ = writeln!(out, "  </testsuite>\n</testsuites>");
    out
}

fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            character if (character as u32) < 0x20 && !matches!(character, '\n' | '\t' | '\r') => {}
            character => escaped.push(character),
        }
    }
    escaped
}

pub(crate) async fn certificate(store: &Path, command: CertificateCommand) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    match command {
        CertificateCommand::Show(args) => {
            let view = signoff_app::certificate_of(&signoff, &args.release).await?;
            if args.json {
                print_json(&view)?;
            } else {
                let record = &view.record;
                println!("certificate {} for {}@{}", record.id, record.project, record.version);
                println!("decision    {}", record.decision);
                for (environment, decision) in &record.environments {
                    println!("  {environment}: {decision}");
                }
                println!("commit      {}", record.commit);
                for artifact in &record.artifacts {
                    println!("artifact    {artifact}");
                }
                println!("policy      {} ({}, {})", record.policy.name, record.policy.source, record.policy.digest);
                println!("evaluated   {} by {} ({})", record.evaluated_at, record.certifier.id, record.certifier.kind);
                println!(
                    "statement   {} (in-toto v1, predicate {})",
                    record.statement_digest,
                    signoff_app::PREDICATE_TYPE
                );
                println!("ledger      entry {}", view.entry);
            }
        }
        CertificateCommand::Export(args) => {
            let view = signoff_app::certificate_of(&signoff, &args.release).await?;
            let mut text = view.record.envelope.clone();
            text.push('\n');
            match &args.output {
                Some(path) => {
                    std::fs::write(path, text)?;
                    eprintln!("wrote {}", path.display());
                }
                None => print!("{text}"),
            }
        }
        CertificateCommand::Revoke(args) => {
            let record = signoff_app::revoke(
                &signoff,
                &args.release,
                &args.reason,
                args.actor.as_deref(),
                &Environment::from_process(),
            )
            .await?;
            println!(
                "revoked certificate {} of {}@{}: {}",
                record.certificate, record.project, record.version, record.reason
            );
        }
    }
    Ok(Outcome::Success)
}

pub(crate) async fn gate(store: &Path, args: GateArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let decision = signoff_app::gate(&signoff, &args.artifact, args.environment.as_deref()).await?;
    if args.json {
        print_json(&decision)?;
    } else if decision.allowed {
        println!("open: {}", decision.reason);
    } else {
        println!("closed: {}", decision.reason);
    }
    Ok(if decision.allowed { Outcome::Success } else { Outcome::No })
}

pub(crate) async fn replay(store: &Path, args: ReplayArgs) -> anyhow::Result<Outcome> {
    let signoff = Signoff::open(store).await?;
    let replay = signoff_app::replay(&signoff, &args.policy, args.since.as_deref()).await?;
    if args.json {
        print_json(&replay)?;
        return Ok(Outcome::Success);
    }
    println!("replayed {} certification(s) under policy {} ({})", replay.replayed, replay.policy, replay.digest);
    if replay.changes.is_empty() {
        println!("no verdict would change");
    }
    for change in &replay.changes {
        let diff = &change.diff;
        println!(
            "\n{}@{} (certified at {}, entry {}): {} → {}",
            change.project,
            change.version,
            change.evaluated_at,
            change.certificate_entry,
            diff.decision_before,
            diff.decision_after
        );
        for criterion in &diff.criteria {
            let status = |side: &Option<signoff_policy::StatusAndBlocking>| {
                side.as_ref().map_or("absent".to_owned(), |side| side.status.to_string())
            };
            println!(
                "  {:<28} {} → {}: {}",
                criterion.id,
                status(&criterion.before),
                status(&criterion.after),
                criterion.reason
            );
        }
    }
    Ok(Outcome::Success)
}
