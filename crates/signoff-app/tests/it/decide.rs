//! People's decisions: exceptions need a human other than the requester,
//! approvals bind to the release's content, holds are placed and lifted; each
//! refusal writes only its own trace.

use signoff_app::decide::{ExceptionState, RequestException};
use signoff_app::retention::{Hold, Retention};
use signoff_app::{AppError, Missing, Refusal};
use signoff_core::ProjectName;
use signoff_core::records::ExceptionTarget;

use crate::util::*;

fn exception(actor: signoff_core::records::Actor) -> RequestException {
    RequestException {
        target: ExceptionTarget::Criterion { id: "coverage".into() },
        project: Some(ProjectName::new("shop").unwrap()),
        reason: "coverage tooling is broken this week".into(),
        expires: time::OffsetDateTime::now_utc() + time::Duration::days(30),
        actor,
    }
}

#[tokio::test]
async fn an_exception_applies_only_once_another_human_approves_it() {
    for store in stores().await {
        let backend = store.backend;
        let requested =
            signoff_app::decide::request_exception(&store.signoff, exception(human("alice"))).await.unwrap();
        assert_eq!((requested.record.id.as_str(), requested.state), ("EXC-1", ExceptionState::Requested), "{backend}");
        let before = store.size().await;

        let own =
            signoff_app::decide::approve_exception(&store.signoff, "EXC-1", None, human("alice")).await.unwrap_err();
        assert!(matches!(own, AppError::Refused(Refusal::SelfApproval { .. })), "{backend}: {own}");
        assert_eq!(own.to_string(), "alice requested EXC-1 and cannot approve it: someone else must");
        let robot =
            signoff_app::decide::approve_exception(&store.signoff, "EXC-1", None, agent("claude")).await.unwrap_err();
        assert!(matches!(robot, AppError::Refused(Refusal::NotHuman { .. })), "{backend}: {robot}");
        assert_eq!(robot.to_string(), "claude is a ai_agent: only a human can approve an exception");
        let unknown =
            signoff_app::decide::approve_exception(&store.signoff, "EXC-9", None, human("bob")).await.unwrap_err();
        assert!(matches!(unknown, AppError::NotFound(Missing::Exception(_))), "{backend}: {unknown}");
        // Each refusal is a ledger entry naming who tried what and why; the
        // unknown exception is not a refusal and writes nothing.
        assert_eq!(store.size().await, before + 2, "{backend}: refusals leave a trace");
        let refused = signoff_app::refusals(&store.signoff, Some("shop"), None).await.unwrap();
        let traced: Vec<(&str, &str, &str)> = refused
            .iter()
            .map(|row| (row.record.action.as_str(), row.record.target.as_str(), row.record.actor.id.as_str()))
            .collect();
        assert_eq!(traced, [("exception approve", "EXC-1", "alice"), ("exception approve", "EXC-1", "claude")]);
        assert_eq!(refused[1].record.reason, "claude is a ai_agent: only a human can approve an exception");

        let approved = signoff_app::decide::approve_exception(&store.signoff, "EXC-1", Some("ok".into()), human("bob"))
            .await
            .unwrap();
        assert_eq!(approved.state, ExceptionState::Approved, "{backend}");
        assert_eq!(approved.approved_by.as_ref().map(|actor| actor.id.as_str()), Some("bob"));
        assert!(approved.approved_at.is_some());
        let again =
            signoff_app::decide::approve_exception(&store.signoff, "EXC-1", None, human("carol")).await.unwrap_err();
        assert!(matches!(again, AppError::Refused(Refusal::AlreadyApproved { .. })), "{backend}: {again}");

        let past = RequestException {
            expires: time::OffsetDateTime::now_utc() - time::Duration::days(1),
            ..exception(human("alice"))
        };
        assert!(matches!(
            signoff_app::decide::request_exception(&store.signoff, past).await,
            Err(AppError::Invalid(_))
        ));
        let terse = RequestException { reason: "because".into(), ..exception(human("alice")) };
        assert!(matches!(
            signoff_app::decide::request_exception(&store.signoff, terse).await,
            Err(AppError::Invalid(_))
        ));
        let listed = signoff_app::decide::exceptions(&store.signoff).await.unwrap();
        assert_eq!(listed.len(), 1, "{backend}");
    }
}

#[tokio::test]
async fn approvals_bind_to_the_release_content() {
    for store in stores().await {
        let backend = store.backend;
        create_release(&store, "shop@2.0.0", &commit("two")).await;
        approve(&store, "shop@2.0.0", human("carol")).await;
        let shown = signoff_app::release::show(&store.signoff, &release("shop@2.0.0")).await.unwrap();
        let approvals = signoff_app::audit::ask(
            &store.signoff,
            &signoff_app::audit::Question::WhoApproved { release: release("shop@2.0.0") },
        )
        .await
        .unwrap();
        assert_eq!(approvals.rows.len(), 1, "{backend}");
        assert_eq!(approvals.rows[0][1], "carol");
        assert_eq!(approvals.rows[0][6], "counts", "{backend}: {:?}", approvals.rows);
        assert!(shown.certificate.is_none());
        let bad_role = signoff_app::decide::approve(
            &store.signoff,
            signoff_app::decide::Approve {
                release: release("shop@2.0.0"),
                decision: signoff_core::records::ApprovalDecision::Approve,
                role: "release manager".into(),
                comment: None,
                actor: human("carol"),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(bad_role, AppError::Invalid(_)), "{backend}");
    }
}

#[tokio::test]
async fn holds_are_placed_and_lifted_and_retention_keeps_young_evidence() {
    for store in stores().await {
        let backend = store.backend;
        let reports = capture_example(&store, "v1", &commit("held")).await;
        let placed = signoff_app::retention::hold(
            &store.signoff,
            Hold {
                project: ProjectName::new("shop").unwrap(),
                version: None,
                reason: "litigation".into(),
                lift: None,
                actor: human("legal"),
            },
        )
        .await
        .unwrap();
        assert_eq!(placed.id, "HOLD-1", "{backend}");
        let lifted = signoff_app::retention::hold(
            &store.signoff,
            Hold {
                project: ProjectName::new("shop").unwrap(),
                version: None,
                reason: "case closed".into(),
                lift: Some("HOLD-1".into()),
                actor: human("legal"),
            },
        )
        .await
        .unwrap();
        assert!(lifted.lifted);
        let before = store.size().await;
        let again = signoff_app::retention::hold(
            &store.signoff,
            Hold {
                project: ProjectName::new("shop").unwrap(),
                version: None,
                reason: "case closed".into(),
                lift: Some("HOLD-1".into()),
                actor: human("legal"),
            },
        )
        .await
        .unwrap_err();
        assert!(matches!(again, AppError::NotFound(Missing::Hold(_))), "{backend}: {again}");

        // Evidence captured now is within every retention: nothing goes, and
        // purging one entry is refused with the date it may go.
        let run = signoff_app::retention::apply(
            &store.signoff,
            Retention { dry_run: false, only: None, actor: human("ops") },
        )
        .await
        .unwrap();
        assert!(run.purged.is_empty() && run.entry.is_none(), "{backend}");
        let entry = reports[0].captured.as_ref().unwrap().entry;
        let young = signoff_app::retention::apply(
            &store.signoff,
            Retention { dry_run: false, only: Some(entry), actor: human("ops") },
        )
        .await
        .unwrap_err();
        assert!(matches!(young, AppError::Refused(Refusal::RetentionNotEnded { .. })), "{backend}: {young}");
        let not_evidence = signoff_app::retention::apply(
            &store.signoff,
            Retention { dry_run: true, only: Some(999), actor: human("ops") },
        )
        .await
        .unwrap_err();
        assert!(matches!(not_evidence, AppError::NotFound(Missing::Evidence(999))), "{backend}: {not_evidence}");
        assert_eq!(store.size().await, before, "{backend}");
    }
}
