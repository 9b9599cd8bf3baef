//! Access tokens (R5): issued once, stored hashed, scoped, limited to projects,
//! expiring, revocable, rotated with a grace period; agents refused and the
//! refusal ledgered (J2). Every issue and revocation is a ledger entry and the
//! ledger still verifies.

use signoff_app::AppError;
use signoff_app::access::{self, NewToken, Scope, TokenState};
use signoff_core::ProjectName;
use signoff_core::records::ActorKind;

use crate::util::{human, stores};

fn token(name: &str, scopes: &[Scope], projects: &[&str], kind: ActorKind) -> NewToken {
    NewToken {
        name: name.into(),
        scopes: scopes.to_vec(),
        projects: projects.iter().map(|project| ProjectName::new(project).unwrap()).collect(),
        kind,
        expires_in: None,
        actor: human("alice"),
    }
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_acts_as_its_name() {
    for store in stores().await {
        let before = store.size().await;
        let issued = access::create(
            &store.signoff,
            token("ci-shop", &[Scope::Capture, Scope::Release], &["shop"], ActorKind::Bot),
        )
        .await
        .unwrap();
        assert!(issued.secret.starts_with(&format!("so_{}_", issued.token.id)), "{}", issued.secret);
        assert_eq!(issued.secret.len(), 3 + 16 + 1 + 64, "256 bits of secret in hex");
        assert_eq!(store.size().await, before + 1, "{}: the issue is a ledger entry", store.backend);

        // The listing never holds the secret.
        let listed = access::list(&store.signoff).await.unwrap();
        let text = serde_json::to_string(&listed).unwrap();
        let secret_part = issued.secret.rsplit('_').next().unwrap();
        assert!(!text.contains(secret_part));
        assert_eq!(listed[0].last_used_at, None);

        let who = access::authenticate(&store.signoff, &issued.secret).await.unwrap();
        assert_eq!(who.actor.id, "ci-shop");
        assert_eq!(who.actor.kind, ActorKind::Bot);
        assert!(who.may(Scope::Capture).is_ok());
        assert!(who.may(Scope::Approve).is_err());
        let shop = ProjectName::new("shop").unwrap();
        let billing = ProjectName::new("billing").unwrap();
        assert!(who.may_on(Scope::Capture, &shop).is_ok());
        let refused = who.may_on(Scope::Capture, &billing).unwrap_err();
        assert!(refused.to_string().contains("limited to project shop"), "{refused}");
        assert_eq!(who.project_for(None).unwrap(), Some(shop.clone()), "aggregates are limited to its project");
        assert!(who.project_for(Some(billing)).is_err());
        assert!(who.every_project().is_err());
        assert!(access::list(&store.signoff).await.unwrap()[0].last_used_at.is_some(), "last use is noted");

        // A wrong secret with a right id, a malformed string, an unknown id.
        let mut wrong = issued.secret.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        for presented in
            [wrong.as_str(), "so_nope", "so_0000000000000000_00", &format!("so_0123456789abcdef_{}", "0".repeat(64))]
        {
            let error = access::authenticate(&store.signoff, presented).await.unwrap_err();
            assert!(matches!(error, AppError::Unauthenticated(_)), "{presented}: {error}");
        }
        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{}: {verified:?}", store.backend);
    }
}

#[tokio::test]
async fn revoked_expired_and_rotated_tokens() {
    for store in stores().await {
        let issued =
            access::create(&store.signoff, token("auditor", &[Scope::Read], &[], ActorKind::Human)).await.unwrap();
        let revoked = access::revoke(&store.signoff, &issued.token.id, human("alice")).await.unwrap();
        assert_eq!(revoked.state, TokenState::Revoked);
        let error = access::authenticate(&store.signoff, &issued.secret).await.unwrap_err();
        assert!(error.to_string().contains("was revoked"), "{error}");
        assert!(access::revoke(&store.signoff, &issued.token.id, human("alice")).await.is_err(), "once");
        assert!(matches!(
            access::revoke(&store.signoff, "0123456789abcdef", human("alice")).await.unwrap_err(),
            AppError::NotFound(_)
        ));

        let mut short = token("short", &[Scope::Read], &[], ActorKind::Human);
        short.expires_in = Some(time::Duration::milliseconds(1));
        let short = access::create(&store.signoff, short).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let error = access::authenticate(&store.signoff, &short.secret).await.unwrap_err();
        assert!(error.to_string().contains("has expired"), "{error}");

        // Rotation: the successor works at once, the old one through its grace.
        let old =
            access::create(&store.signoff, token("ci", &[Scope::Capture], &["shop"], ActorKind::Bot)).await.unwrap();
        let new =
            access::rotate(&store.signoff, &old.token.id, time::Duration::hours(1), human("alice")).await.unwrap();
        assert_eq!(new.token.predecessor.as_deref(), Some(old.token.id.as_str()));
        assert_eq!(new.token.scopes, vec![Scope::Capture]);
        assert_eq!(access::authenticate(&store.signoff, &new.secret).await.unwrap().actor.id, "ci");
        assert_eq!(access::authenticate(&store.signoff, &old.secret).await.unwrap().actor.id, "ci");
        let listed = access::list(&store.signoff).await.unwrap();
        let state = |id: &str| listed.iter().find(|view| view.id == id).unwrap().state;
        assert_eq!(state(&old.token.id), TokenState::Grace);
        assert_eq!(state(&new.token.id), TokenState::Active);
        // A rotation with no grace ends the old token now.
        let newest = access::rotate(&store.signoff, &new.token.id, time::Duration::ZERO, human("alice")).await.unwrap();
        assert!(access::authenticate(&store.signoff, &new.secret).await.is_err());
        assert!(access::authenticate(&store.signoff, &newest.secret).await.is_ok());

        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{}: {verified:?}", store.backend);
    }
}

#[tokio::test]
async fn agents_never_hold_decision_scopes_and_their_refusals_are_ledgered() {
    for store in stores().await {
        for scope in [Scope::Approve, Scope::Certify, Scope::Admin] {
            let error =
                access::create(&store.signoff, token("copilot", &[scope], &[], ActorKind::AiAgent)).await.unwrap_err();
            assert!(error.to_string().contains("J2"), "{error}");
        }
        let issued = access::create(
            &store.signoff,
            token("copilot", &[Scope::Capture, Scope::Read], &["shop"], ActorKind::AiAgent),
        )
        .await
        .unwrap();
        let who = access::authenticate(&store.signoff, &issued.secret).await.unwrap();
        let refusal = who.may(Scope::Approve).unwrap_err();
        assert!(refusal.to_string().contains("only a human"), "{refusal}");
        let before = store.size().await;
        let error =
            access::refuse(&store.signoff, &who, refusal, "approve", Some(&ProjectName::new("shop").unwrap())).await;
        assert!(matches!(error, AppError::Refused(_)), "{error}");
        assert_eq!(store.size().await, before + 1, "{}: the agent's attempt is an entry", store.backend);
        let denials = access::denials(&store.signoff).await.unwrap();
        assert_eq!(denials.len(), 1);
        assert_eq!(denials[0].record.actor.id, "copilot");
        assert_eq!(denials[0].record.action, "approve");
        assert_eq!(denials[0].record.token, issued.token.id);

        // A human's refusal is not an entry (it is counted and logged by the server).
        let human_token =
            access::create(&store.signoff, token("bob", &[Scope::Read], &[], ActorKind::Human)).await.unwrap();
        let bob = access::authenticate(&store.signoff, &human_token.secret).await.unwrap();
        let before = store.size().await;
        let _ = access::refuse(&store.signoff, &bob, bob.may(Scope::Approve).unwrap_err(), "approve", None).await;
        assert_eq!(store.size().await, before);
        let verified = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(verified.ok, "{}: {verified:?}", store.backend);
    }
}
