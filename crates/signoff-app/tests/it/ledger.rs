//! The ledger's answers: proofs that outside verifiers accept, packages that
//! verify offline, and verification that names what was changed.

use signoff_app::{AppError, Missing};
use signoff_core::Digest;
use signoff_ledger::merkle;

use crate::util::*;

#[tokio::test]
async fn proofs_check_against_the_signed_checkpoints() {
    for store in stores().await {
        let backend = store.backend;
        capture_example(&store, "v1", &commit("proofs")).await;
        create_release(&store, "shop@1.0.0", &commit("proofs")).await;
        let size = store.size().await;
        let proof = signoff_app::proof::inclusion_proof(&store.signoff, 2, None).await.unwrap();
        assert_eq!(proof.size, size, "{backend}");
        let path: Vec<Digest> = proof
            .proof
            .iter()
            .map(|hex| Digest::from_bytes(<[u8; 32]>::try_from(hex::decode(hex).unwrap()).unwrap()))
            .collect();
        let leaf = merkle::leaf_hash(proof.entry_body.as_bytes());
        let root = Digest::from_bytes(<[u8; 32]>::try_from(hex::decode(&proof.root).unwrap()).unwrap());
        merkle::verify_inclusion(&leaf, 2, size, &path, &root).unwrap();
        assert!(proof.tlog_proof.starts_with("c2sp.org/tlog-proof@v1\nindex 2\n"), "{backend}");

        let consistency = signoff_app::proof::consistency_proof(&store.signoff, 5, None).await.unwrap();
        assert_eq!((consistency.old_size, consistency.new_size), (5, size));

        let beyond = signoff_app::proof::inclusion_proof(&store.signoff, size, None).await.unwrap_err();
        assert!(matches!(beyond, AppError::NotFound(Missing::NotInTree { .. })), "{backend}: {beyond}");
        let no_checkpoint = signoff_app::proof::consistency_proof(&store.signoff, 3, None).await.unwrap_err();
        assert!(matches!(no_checkpoint, AppError::NotFound(Missing::Checkpoint { .. })), "{backend}: {no_checkpoint}");
    }
}

#[tokio::test]
async fn an_empty_ledger_has_nothing_to_prove() {
    for store in stores().await {
        let empty = signoff_app::proof::inclusion_proof(&store.signoff, 0, None).await.unwrap_err();
        assert!(matches!(empty, AppError::NotFound(Missing::EmptyLedger)), "{}: {empty}", store.backend);
        assert_eq!(signoff_app::proof::latest_checkpoint(&store.signoff).await.unwrap(), None);
    }
}

#[tokio::test]
async fn an_exported_package_verifies_offline_with_the_store_key() {
    for store in stores().await {
        let backend = store.backend;
        capture_example(&store, "v2", &commit("package")).await;
        create_release(&store, "shop@1.4.1", &commit("package")).await;
        let bytes = signoff_app::package::export(&store.signoff, &release("shop@1.4.1")).await.unwrap();
        let again = signoff_app::package::export(&store.signoff, &release("shop@1.4.1")).await.unwrap();
        assert_eq!(Digest::of(&bytes), Digest::of(&again), "{backend}: packages are deterministic");
        let key = store.signoff.verifier().unwrap().to_text();
        let report = signoff_app::package::verify(&bytes, Some(&key)).unwrap();
        assert!(report.is_ok(), "{backend}: {:?}", report.failures().collect::<Vec<_>>());
        let other_store = stores().await.remove(0);
        let other_key = other_store.signoff.verifier().unwrap().to_text();
        let foreign = signoff_app::package::verify(&bytes, Some(&other_key)).unwrap();
        assert!(!foreign.is_ok(), "{backend}: a package signed by another store's key must not verify");
    }
}
