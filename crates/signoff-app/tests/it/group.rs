//! Group commit (P5): captures written together share one transaction and one
//! checkpoint, a member that fails is undone alone, and the server's capture
//! queue stores every concurrent capture once.

use std::sync::{Arc, Mutex};

use signoff_app::Signoff;
use signoff_app::capture::{CaptureContext, CaptureRequest, Committer, InputFile};
use signoff_core::context::CiContext;
use signoff_core::entry::Delivery;
use signoff_core::{CommitSha, ProjectName};
use signoff_ingest::Limits;

use crate::util::*;

/// The example app's outputs, both states: ten real files of five tools.
fn example_files() -> Vec<std::path::PathBuf> {
    let names = ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"];
    ["v1", "v2"]
        .iter()
        .flat_map(|state| names.iter().map(move |name| root().join("examples/evidence").join(state).join(name)))
        .collect()
}

fn request(file: &std::path::Path, commit: CommitSha, key: Option<&str>) -> CaptureRequest {
    CaptureRequest {
        files: vec![InputFile::new(file)],
        target: CaptureContext {
            project: ProjectName::new("shop").unwrap(),
            commit: Some(commit),
            release: None,
            context: CiContext { system: Some("api".into()), ..CiContext::default() },
        },
        format: None,
        kind: None,
        limits: Limits::default(),
        delivery: key.map(|key| Delivery { idempotency_key: key.into(), captured_at: None }),
    }
}

#[tokio::test]
async fn a_group_of_captures_is_one_commit_and_a_bad_member_is_undone_alone() {
    let scratch = tempfile::tempdir().unwrap();
    let truncated = scratch.path().join("bandit-truncated.sarif");
    let bandit = std::fs::read(root().join("examples/evidence/v2/bandit.sarif")).unwrap();
    std::fs::write(&truncated, &bandit[..bandit.len() / 2]).unwrap();
    for store in stores().await {
        let backend = store.backend;
        let raw = store.raw_store().await;
        let checkpoints_before = raw.checkpoints().await.unwrap().len();
        let size_before = store.size().await;
        let files = example_files();
        let mut requests: Vec<CaptureRequest> = (0..30)
            .map(|index| request(&files[index % files.len()], commit(&format!("group {index}")), None))
            .collect();
        requests[7] = request(&truncated, commit("group bad"), None);
        requests[20] = request(&files[0], commit("group keyed"), Some("delivery-20"));
        requests[21] = request(&files[0], commit("group keyed"), Some("delivery-20"));

        let answers = signoff_app::capture::capture_all(&store.signoff, requests).await;
        assert_eq!(answers.len(), 30, "{backend}");
        let error = answers[7].as_ref().unwrap_err().to_string();
        assert!(error.contains("bandit-truncated.sarif"), "{backend}: the error names the file: {error}");
        let stored: Vec<_> = answers.iter().enumerate().filter(|(index, _)| *index != 7).collect();
        for (index, answer) in &stored {
            assert!(answer.is_ok(), "{backend}: capture {index} failed: {:?}", answer.as_ref().err());
        }
        let first = answers[20].as_ref().unwrap()[0].captured.clone().unwrap();
        let again = answers[21].as_ref().unwrap()[0].captured.clone().unwrap();
        assert!(!first.redelivered && again.redelivered, "{backend}: the same key in one group is stored once");
        assert_eq!(first.evidence_id, again.evidence_id, "{backend}");

        // 28 new entries (30, less the bad one, less the redelivery), one checkpoint.
        assert_eq!(store.size().await, size_before + 28, "{backend}");
        assert_eq!(raw.checkpoints().await.unwrap().len(), checkpoints_before + 1, "{backend}: one commit");
        let entries: Vec<u64> = stored
            .iter()
            .filter(|(index, _)| *index != 21)
            .map(|(_, answer)| answer.as_ref().unwrap()[0].captured.as_ref().unwrap().entry)
            .collect();
        let expected: Vec<u64> = (size_before..size_before + 28).collect();
        assert_eq!(entries, expected, "{backend}: the members' entries follow each other in request order");
        let rows = raw.evidence_rows(0, 1000).await.unwrap();
        assert!(
            rows.iter().all(|row| row.record.file_name != "bandit-truncated.sarif"),
            "{backend}: nothing of the failed member is stored"
        );
        let report = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(report.ok, "{backend}: {report:?}");
        let staging = store.signoff.home().join("blobs/tmp");
        let left = std::fs::read_dir(&staging).map(|dir| dir.count()).unwrap_or(0);
        assert_eq!(left, 0, "{backend}: no staged blob is left behind");
    }
}

#[tokio::test]
async fn the_capture_queue_stores_each_concurrent_capture_once() {
    for store in stores().await {
        let backend = store.backend;
        let signoff = Arc::new(Signoff::open(store.signoff.home()).await.unwrap());
        let groups = Arc::new(Mutex::new(Vec::new()));
        let counted = Arc::clone(&groups);
        let committer = Committer::start(Arc::clone(&signoff), 16, move |size| counted.lock().unwrap().push(size));
        let size_before = store.size().await;
        let files = example_files();
        let mut tasks = tokio::task::JoinSet::new();
        for index in 0..48usize {
            // Every sixth capture is sent twice under one key, as a sender
            // retrying after a lost answer does, at the same time as the first.
            let key = (index % 6 == 0).then(|| format!("queue-{}", index / 6));
            let sends = if key.is_some() { 2 } else { 1 };
            for _ in 0..sends {
                let (committer, signoff, key) = (committer.clone(), Arc::clone(&signoff), key.clone());
                let file = files[index % files.len()].clone();
                tasks.spawn(async move {
                    let request = request(&file, commit(&format!("queue {}", index / 2)), key.as_deref());
                    committer.capture(&signoff, request).await
                });
            }
        }
        let mut ids = std::collections::BTreeMap::<String, usize>::new();
        while let Some(joined) = tasks.join_next().await {
            let reports = joined.unwrap().unwrap_or_else(|error| panic!("{backend}: {error}"));
            *ids.entry(reports[0].captured.clone().unwrap().evidence_id).or_default() += 1;
        }
        assert_eq!(ids.len(), 48, "{backend}: 48 captures, each stored once");
        assert_eq!(ids.values().filter(|answers| **answers == 2).count(), 8, "{backend}: 8 answered twice");
        assert_eq!(store.size().await, size_before + 48, "{backend}");
        let written: usize = groups.lock().unwrap().iter().sum();
        assert_eq!(written, 56, "{backend}: the groups held every request");
        let report = signoff_app::verify::verify(&signoff, &Default::default()).await.unwrap();
        assert!(report.ok, "{backend}: {report:?}");
    }
}

/// What a report says about the file stored, less where and when it was captured.
fn as_stored(report: &signoff_app::report::EvidenceReport) -> serde_json::Value {
    serde_json::json!({
        "format": report.format, "kind": report.kind, "tool": report.tool, "digest": report.digest,
        "size": report.size, "summary": report.summary, "original_digest": report.original_digest,
        "redacted": report.redacted, "target": report.target,
    })
}

#[tokio::test]
async fn files_held_in_memory_are_captured_as_the_same_files_on_disk() {
    let mut files = example_files();
    // Where the corpus is: a secrets scan (stored redacted, its input's digest
    // kept) and a file too large to be read ahead of its group.
    if let Some(corpus) = corpus() {
        files.push(corpus.join("gitleaks-json/gitleaks-7-data-many.json"));
        files.push(corpus.join("sarif/semgrep-0.17.0-owasp-benchmark-large.sarif"));
    }
    let held = |index: usize, file: &std::path::Path, key: Option<String>| {
        let mut request = request(file, commit(&format!("memory {index}")), key.as_deref());
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        request.files = vec![InputFile::in_memory(name, std::fs::read(file).unwrap())];
        request
    };
    for store in stores().await {
        let backend = store.backend;
        // From disk, each under a key, in one group.
        let keyed = |index: usize| Some(format!("memory-{index}"));
        let from_disk = files
            .iter()
            .enumerate()
            .map(|(index, file)| request(file, commit(&format!("memory {index}")), keyed(index).as_deref()));
        let from_disk = signoff_app::capture::capture_all(&store.signoff, from_disk.collect()).await;
        let from_disk: Vec<_> = from_disk.into_iter().map(|answer| answer.unwrap().remove(0)).collect();
        let size_before = store.size().await;

        // From memory, in one group: the same deliveries again (stored before
        // the group), each file anew under no key, and a key reused for other bytes.
        let mut requests: Vec<CaptureRequest> =
            files.iter().enumerate().map(|(index, file)| held(index, file, keyed(index))).collect();
        requests.extend(files.iter().enumerate().map(|(index, file)| held(index + 100, file, None)));
        let mut other = held(0, &files[1], keyed(0));
        other.files[0].display = "other.sarif".into();
        requests.push(other);
        let mut answers = signoff_app::capture::capture_all(&store.signoff, requests).await;

        let refused = answers.pop().unwrap().unwrap_err().to_string();
        assert!(refused.contains("memory-0") && refused.contains("other content"), "{backend}: {refused}");
        let (again, anew) = answers.split_at(files.len());
        for (index, (disk, answer)) in from_disk.iter().zip(again).enumerate() {
            let report = &answer.as_ref().unwrap_or_else(|error| panic!("{backend}: {index}: {error}"))[0];
            let (first, then) = (disk.captured.as_ref().unwrap(), report.captured.as_ref().unwrap());
            assert!(then.redelivered, "{backend}: {} sent again under its key", report.file);
            assert_eq!(first.evidence_id, then.evidence_id, "{backend}: {}", report.file);
        }
        for (disk, answer) in from_disk.iter().zip(anew) {
            let report = &answer.as_ref().unwrap_or_else(|error| panic!("{backend}: {}: {error}", disk.file))[0];
            assert!(!report.captured.as_ref().unwrap().redelivered, "{backend}: {}", report.file);
            assert_eq!(as_stored(report), as_stored(disk), "{backend}: {} from memory and from disk", report.file);
        }
        assert_eq!(store.size().await, size_before + files.len() as u64, "{backend}: only the new captures");
        // Verification re-hashes every blob: each capture's bytes are stored.
        let report = signoff_app::verify::verify(&store.signoff, &Default::default()).await.unwrap();
        assert!(report.ok, "{backend}: {report:?}");
    }
}
