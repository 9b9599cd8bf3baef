//! Audit requests (F4): the auditor's list imported once (a bad list stores
//! nothing), each request answered by a saved query or a verified package with the
//! bytes kept and ledgered, bots refused, and open, overdue and time-to-answer
//! figures that follow the dates.

use signoff_app::AppError;
use signoff_app::deploy::RecordDeployment;
use signoff_app::pbc::{AnswerWith, Filter, RequestState, SavedQuery};
use signoff_core::pbc::{DocumentKind, PbcAnswer};
use time::macros::date;

use crate::util::*;

fn list() -> Vec<u8> {
    std::fs::read(root().join("examples/pbc/soc2-requests.csv")).unwrap()
}

#[tokio::test]
async fn an_audit_request_list_is_imported_once_and_answered_with_kept_bytes() {
    for store in stores().await {
        let backend = store.backend;
        publish_policy(&store).await;
        let v2 = commit("shop v2");
        capture_example(&store, "v2", &v2).await;
        create_release(&store, "shop@1.4.0", &v2).await;
        signoff_app::deploy::record(
            &store.signoff,
            RecordDeployment {
                release: release("shop@1.4.0"),
                environment: "prod".into(),
                actor: human("deployer"),
                context: Default::default(),
            },
        )
        .await
        .unwrap();

        // Import: five requests, one entry each; the same list again adds nothing.
        let before = store.size().await;
        let report =
            signoff_app::pbc::import(&store.signoff, "soc2-requests.csv", &list(), human("carol")).await.unwrap();
        assert_eq!(report.imported, ["REQ-1", "REQ-2", "REQ-3", "REQ-4", "REQ-5"], "{backend}");
        assert_eq!(store.size().await, before + 5, "{backend}");
        let again =
            signoff_app::pbc::import(&store.signoff, "soc2-requests.csv", &list(), human("carol")).await.unwrap();
        assert!(again.imported.is_empty() && again.unchanged.len() == 5, "{backend}: {again:?}");

        // A list that rewords a known request, or holds a bad date, stores nothing
        // and names the file and line.
        let size = store.size().await;
        let reworded = String::from_utf8(list()).unwrap().replace("with the approver of each change", "with tickets");
        let reworded = signoff_app::pbc::import(&store.signoff, "v2.csv", reworded.as_bytes(), human("carol"))
            .await
            .unwrap_err()
            .to_string();
        assert!(
            reworded.starts_with("v2.csv:2: request REQ-1 was imported from soc2-requests.csv line 2"),
            "{reworded}"
        );
        let bad = "id,text,due\nREQ-9,Access reviews,2026-10-01\nREQ-10,Pen test report,next week\n";
        let bad = signoff_app::pbc::import(&store.signoff, "q4.csv", bad.as_bytes(), human("carol")).await.unwrap_err();
        assert_eq!(
            bad.to_string(),
            "q4.csv:3: due: \"next week\" is not a date (YYYY-MM-DD) (audit request list, CSV)"
        );
        assert_eq!(store.size().await, size, "{backend}: a failed import writes nothing");
        assert!(matches!(signoff_app::pbc::one(&store.signoff, "REQ-9").await, Err(AppError::NotFound(_))));

        // As of 2026-10-20, nothing answered: REQ-1 and REQ-2 are overdue.
        let status = signoff_app::pbc::status(&store.signoff, date!(2026 - 10 - 20)).await.unwrap();
        assert_eq!((status.open, status.overdue, status.answered), (3, 2, 0), "{backend}");
        assert_eq!(status.next_due[0].request.id, "REQ-1", "{backend}");

        // An agent may not answer the auditor: refused and ledgered, no answer.
        let size = store.size().await;
        let query = SavedQuery::parse("population env=prod").unwrap();
        let refused =
            signoff_app::pbc::answer(&store.signoff, "REQ-1", AnswerWith::Query(query.clone()), None, agent("claude"))
                .await
                .unwrap_err();
        assert!(matches!(refused, AppError::Refused(_)), "{backend}: {refused}");
        assert_eq!(store.size().await, size + 1, "{backend}: the refusal is an entry");
        assert!(signoff_app::pbc::one(&store.signoff, "REQ-1").await.unwrap().answers.is_empty());

        // REQ-1 by saved query: the population, kept as CSV under its digest.
        let view = signoff_app::pbc::answer(
            &store.signoff,
            "REQ-1",
            AnswerWith::Query(query.clone()),
            Some("the whole population".into()),
            human("carol"),
        )
        .await
        .unwrap();
        assert_eq!(view.answers.len(), 1);
        let answer = &view.answers[0];
        let PbcAnswer::Query { query: text, rows, digest, .. } = &answer.record.answer else {
            panic!("{backend}: {answer:?}")
        };
        assert_eq!(text, "population env=prod");
        assert_eq!(*rows, 1, "{backend}: one release deployed to prod");
        let (_, bytes) = signoff_app::pbc::answer_bytes(&store.signoff, "REQ-1", &answer.record.id).await.unwrap();
        assert_eq!(signoff_core::Digest::of(&bytes), *digest);
        let csv = String::from_utf8(bytes).unwrap();
        assert!(csv.contains("shop") && csv.contains("1.4.0"), "{backend}: {csv}");
        assert_eq!(
            csv,
            query.run(&store.signoff).await.unwrap().to_csv().unwrap(),
            "{backend}: the query runs again alike"
        );
        // Asked on 2026-10-01 (the list's `Date Requested`), answered now.
        assert!(view.hours_to_answer.unwrap() > 24.0 * 60.0, "{backend}: {:?}", view.hours_to_answer);

        // REQ-2 by the release's evidence package, which must verify; a tampered
        // one is refused and stores nothing.
        let package = signoff_app::package::export(&store.signoff, &release("shop@1.4.0")).await.unwrap();
        let mut tampered = package.clone();
        let middle = tampered.len() / 2;
        tampered[middle] ^= 0x55;
        let size = store.size().await;
        let with = AnswerWith::Document { kind: DocumentKind::Package, file_name: "shop.zip".into(), bytes: tampered };
        let error = signoff_app::pbc::answer(&store.signoff, "REQ-2", with, None, human("carol")).await.unwrap_err();
        assert!(error.to_string().starts_with("shop.zip does not verify"), "{backend}: {error}");
        assert_eq!(store.size().await, size, "{backend}");
        let with = AnswerWith::Document { kind: DocumentKind::Package, file_name: "shop.zip".into(), bytes: package };
        let view = signoff_app::pbc::answer(&store.signoff, "REQ-2", with, None, human("carol")).await.unwrap();
        assert!(matches!(view.answers[0].record.answer, PbcAnswer::Document { kind: DocumentKind::Package, .. }));

        // Answered after their due date (2026-10-15): late, on any day.
        let answered =
            signoff_app::pbc::requests(&store.signoff, Filter::Answered, date!(2026 - 10 - 20)).await.unwrap();
        let states: Vec<(&str, RequestState)> =
            answered.iter().map(|view| (view.request.id.as_str(), view.state)).collect();
        assert_eq!(states, [("REQ-1", RequestState::AnsweredLate), ("REQ-2", RequestState::AnsweredLate)], "{backend}");
        let status = signoff_app::pbc::status(&store.signoff, date!(2026 - 10 - 20)).await.unwrap();
        assert_eq!((status.open, status.overdue, status.answered_late), (3, 0, 2), "{backend}");
        assert!(status.median_hours_to_answer.is_some());

        let unknown =
            signoff_app::pbc::answer(&store.signoff, "REQ-99", AnswerWith::Query(query), None, human("carol"))
                .await
                .unwrap_err();
        assert_eq!(unknown.to_string(), "no audit request REQ-99 (see `signoff pbc list`)");

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{backend}: {verified:?}");
    }
}
