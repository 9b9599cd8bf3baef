//! Triage (D3): a finding marked false positive, not affected or an accepted risk
//! stops counting (or is waived) where the rules say, carries to later scans of
//! the same finding, shows in findings and the trace, and is refused to bots and
//! agents with a ledgered trace.

use signoff_app::certify::{Certification, CertifyRequest};
use signoff_app::findings::FindingsQuery;
use signoff_app::triage::{Triage, TriageState};
use signoff_app::{AppError, Missing, Refusal};
use signoff_core::records::CriterionStatus;
use signoff_core::triage::{Disposition, VexJustification};
use signoff_core::{ProjectName, Severity};

use crate::util::*;

fn shop() -> ProjectName {
    ProjectName::new("shop").unwrap()
}

/// The high findings of shop's scans (v1: Bandit's B602 and Semgrep's
/// subprocess-shell-true, the same `shell=True` call), as (tool, fingerprint hex).
async fn high_findings(store: &TestStore) -> Vec<(String, String)> {
    let query = FindingsQuery { project: shop(), release: None, status: None };
    let mut found: Vec<(String, String)> = signoff_app::findings::findings(&store.signoff, &query)
        .await
        .unwrap()
        .into_iter()
        .filter(|view| view.finding.severity >= Severity::High)
        .map(|view| (view.tool, view.finding.fingerprint.to_hex()))
        .collect();
    found.sort();
    found
}

fn triage(finding: &str, disposition: Disposition, actor: signoff_core::records::Actor) -> Triage {
    Triage {
        project: shop(),
        finding: finding.to_owned(),
        disposition,
        justification: None,
        reason: "the shell=True call only ever gets a constant".into(),
        expires: None,
        actor,
    }
}

async fn dry_run(store: &TestStore, name: &str) -> Certification {
    let request = CertifyRequest {
        release: release(name),
        policy: None,
        environment: None,
        dry_run: true,
        at: None,
        actor: human("release-pipeline"),
    };
    signoff_app::certify::certify(&store.signoff, request).await.unwrap()
}

fn status_of(certification: &Certification, id: &str) -> CriterionStatus {
    certification.evaluation.criteria.iter().find(|result| result.id == id).unwrap().status
}

#[tokio::test]
async fn a_finding_triaged_false_positive_stops_counting_and_carries_to_later_scans() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v1 = commit("shop v1");
        capture_example(&store, "v1", &v1).await;
        create_release(&store, "shop@1.4.0", &v1).await;
        assert_eq!(status_of(&dry_run(&store, "shop@1.4.0").await, "no-critical-or-high"), CriterionStatus::Fail);
        let high = high_findings(&store).await;
        assert_eq!(high.len(), 2, "{backend}: {high:?}");
        let (bandit, semgrep) = (&high[0].1, &high[1].1);

        // An agent may not triage: refused, and the attempt is a ledger entry.
        let before = store.size().await;
        let refused = signoff_app::triage::triage(
            &store.signoff,
            triage(&bandit[..12], Disposition::FalsePositive, agent("claude")),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {refused}");
        assert_eq!(store.size().await, before + 1, "{backend}");
        let traced = signoff_app::refusals(&store.signoff, Some("shop"), None).await.unwrap();
        assert_eq!(
            (traced[0].record.action.as_str(), traced[0].record.actor.id.as_str()),
            ("triage", "claude"),
            "{backend}"
        );
        // Bad requests write nothing.
        let unknown = signoff_app::triage::triage(
            &store.signoff,
            triage("0123456789ab", Disposition::FalsePositive, human("alice")),
        )
        .await
        .unwrap_err();
        assert!(matches!(unknown, AppError::NotFound(Missing::Finding { .. })), "{backend}: {unknown}");
        let unjustified =
            signoff_app::triage::triage(&store.signoff, triage(semgrep, Disposition::NotAffected, human("alice")))
                .await
                .unwrap_err();
        assert!(unjustified.to_string().contains("vulnerable_code_not_in_execute_path"), "{unjustified}");
        let open_ended =
            signoff_app::triage::triage(&store.signoff, triage(semgrep, Disposition::AcceptedRisk, human("alice")))
                .await
                .unwrap_err();
        assert!(matches!(open_ended, AppError::Invalid(_)), "{backend}: {open_ended}");
        assert_eq!(store.size().await, before + 1, "{backend}: a bad request wrote an entry");

        // The starter of this policy needs no approval for a false positive or not
        // affected: both apply at once, and the criterion PASSes (not waived).
        let first = signoff_app::triage::triage(
            &store.signoff,
            triage(&bandit[..12], Disposition::FalsePositive, human("alice")),
        )
        .await
        .unwrap();
        assert_eq!((first.record.id.as_str(), first.state), ("TRI-1", TriageState::InEffect), "{backend}");
        assert_eq!(first.record.fingerprint.to_hex(), *bandit);
        let second = signoff_app::triage::triage(
            &store.signoff,
            Triage {
                justification: Some(VexJustification::VulnerableCodeCannotBeControlledByAdversary),
                ..triage(&format!("sha256:{semgrep}"), Disposition::NotAffected, human("alice"))
            },
        )
        .await
        .unwrap();
        assert_eq!(second.state, TriageState::InEffect, "{backend}");
        let predicted = dry_run(&store, "shop@1.4.0").await;
        assert_eq!(status_of(&predicted, "no-critical-or-high"), CriterionStatus::Pass, "{backend}");
        assert!(
            predicted.evaluation.notes.iter().any(|note| note.contains("2 findings triaged") && note.contains("TRI-2")),
            "{backend}: {:?}",
            predicted.evaluation.notes
        );

        // The decisions show in findings and in the trace.
        let query = FindingsQuery { project: shop(), release: None, status: None };
        let views = signoff_app::findings::findings(&store.signoff, &query).await.unwrap();
        let marked: Vec<(&str, Disposition)> = views
            .iter()
            .filter_map(|view| view.triage.as_ref().map(|mark| (mark.id.as_str(), mark.disposition)))
            .collect();
        assert_eq!(marked.len(), 2, "{backend}: {marked:?}");
        assert!(
            marked.contains(&("TRI-1", Disposition::FalsePositive))
                && marked.contains(&("TRI-2", Disposition::NotAffected))
        );
        let trace = signoff_app::audit::trace(&store.signoff, &release("shop@1.4.0")).await.unwrap();
        let lines: Vec<(&str, &str, Option<&str>)> = trace
            .triage
            .iter()
            .map(|line| (line.id.as_str(), line.status.as_str(), line.justification.as_deref()))
            .collect();
        assert_eq!(
            lines,
            [
                ("TRI-1", "in_effect", None),
                ("TRI-2", "in_effect", Some("vulnerable_code_cannot_be_controlled_by_adversary"))
            ],
            "{backend}"
        );
        let text = signoff_report::text::trace_text(&trace);
        assert!(text.contains("triage (2)") && text.contains("TRI-1 in_effect false_positive"), "{text}");

        // A later scan of the same code (v1 again, at a new commit, another release)
        // reports the same findings: the decisions carry to it.
        let again = commit("shop v1, rebuilt");
        capture_example(&store, "v1", &again).await;
        create_release(&store, "shop@1.4.0-1", &again).await;
        assert_eq!(
            status_of(&dry_run(&store, "shop@1.4.0-1").await, "no-critical-or-high"),
            CriterionStatus::Pass,
            "{backend}"
        );

        // A correction is a new decision: the latest for a finding counts.
        let accepted = signoff_app::triage::triage(
            &store.signoff,
            Triage {
                expires: Some(time::OffsetDateTime::now_utc() + time::Duration::days(20)),
                ..triage(bandit, Disposition::AcceptedRisk, human("alice"))
            },
        )
        .await
        .unwrap();
        assert_eq!(accepted.state, TriageState::Pending, "{backend}: an accepted risk needs approval");
        let listed = signoff_app::triage::decisions(&store.signoff, Some(&shop())).await.unwrap();
        assert_eq!(listed[0].state, TriageState::Superseded, "{backend}");
        assert_eq!(status_of(&dry_run(&store, "shop@1.4.0").await, "no-critical-or-high"), CriterionStatus::Fail);

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}

#[tokio::test]
async fn triage_applies_only_once_another_human_approves_where_it_must() {
    for store in stores().await {
        let backend = store.backend;
        // The example policy, with triage approval required.
        publish_policy_with(&store, "triage:\n  approval: required\n").await;
        let v1 = commit("shop v1");
        capture_example(&store, "v1", &v1).await;
        create_release(&store, "shop@1.4.0", &v1).await;
        let high = high_findings(&store).await;
        let (bandit, semgrep) = (&high[0].1, &high[1].1);

        let pending =
            signoff_app::triage::triage(&store.signoff, triage(bandit, Disposition::FalsePositive, human("alice")))
                .await
                .unwrap();
        assert_eq!(pending.state, TriageState::Pending, "{backend}");
        let predicted = dry_run(&store, "shop@1.4.0").await;
        assert_eq!(status_of(&predicted, "no-critical-or-high"), CriterionStatus::Fail, "{backend}");
        let not_applied: Vec<(&str, String)> = predicted
            .evaluation
            .exceptions_not_applied
            .iter()
            .map(|item| (item.id.as_str(), item.reason.to_string()))
            .collect();
        assert_eq!(
            not_applied,
            [("TRI-1", "not approved yet by a human other than its requester, which it needs".to_owned())],
            "{backend}"
        );

        // Self-approval and an agent's approval are refused and ledgered.
        let before = store.size().await;
        let own = signoff_app::triage::approve(&store.signoff, "TRI-1", None, human("alice")).await.unwrap_err();
        assert!(matches!(own, AppError::Refused(Refusal::SelfApproval { .. })), "{backend}: {own}");
        let robot = signoff_app::triage::approve(&store.signoff, "TRI-1", None, agent("claude")).await.unwrap_err();
        assert!(matches!(robot, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {robot}");
        let missing = signoff_app::triage::approve(&store.signoff, "TRI-9", None, human("bob")).await.unwrap_err();
        assert!(matches!(missing, AppError::NotFound(Missing::Triage(_))), "{backend}: {missing}");
        assert_eq!(store.size().await, before + 2, "{backend}");
        let refused = signoff_app::refusals(&store.signoff, Some("shop"), None).await.unwrap();
        let actions: Vec<(&str, &str)> =
            refused.iter().map(|row| (row.record.action.as_str(), row.record.actor.id.as_str())).collect();
        assert_eq!(actions, [("triage approve", "alice"), ("triage approve", "claude")], "{backend}");

        let approved =
            signoff_app::triage::approve(&store.signoff, "TRI-1", Some("checked".into()), human("bob")).await.unwrap();
        assert_eq!(approved.state, TriageState::InEffect, "{backend}");
        // The other high finding, an accepted risk approved by bob: the criterion
        // is then WAIVED by it (an accepted risk is an exception for the finding).
        signoff_app::triage::triage(
            &store.signoff,
            Triage {
                expires: Some(time::OffsetDateTime::now_utc() + time::Duration::days(20)),
                ..triage(semgrep, Disposition::AcceptedRisk, human("alice"))
            },
        )
        .await
        .unwrap();
        signoff_app::triage::approve(&store.signoff, "TRI-2", None, human("bob")).await.unwrap();
        let predicted = dry_run(&store, "shop@1.4.0").await;
        let result = predicted.evaluation.criteria.iter().find(|result| result.id == "no-critical-or-high").unwrap();
        assert_eq!((result.status, result.exceptions.clone()), (CriterionStatus::Waived, vec!["TRI-2".to_owned()]));
        // The policy's warn-ahead horizon (14 days by default) does not reach the
        // accepted risk's expiry in 20 days.
        assert!(
            predicted.ahead.iter().all(|warning| !warning.contains("no-critical-or-high")),
            "{:?}",
            predicted.ahead
        );

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {:?}", verified.failure);
    }
}
