//! P4: a typical release's package (about 50 members, a few MB) verifies offline in
//! at most a second. This prints the figures; it asserts no timing.

use std::time::Instant;

use signoff_package::{build, verify};

use crate::util::*;

#[test]
fn verifying_a_typical_release_package() {
    // 15 evidence files of 200 KB: 15 blobs, 17 entries and 17 proofs, a certificate,
    // the checkpoint, two keys, the index and the manifest: 54 members, 3 MB of evidence.
    let fixture = fixture_with_key(ledger_key(), 15, 200_000);
    let started = Instant::now();
    let zip = build(&fixture.contents).unwrap();
    let build_time = started.elapsed();
    let members = unpack(&zip).len();

    let options = trusted(&fixture.key);
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let report = verify(&zip, &options);
        times.push(started.elapsed());
        assert!(report.is_ok(), "{report}");
    }
    times.sort();
    eprintln!(
        "P4: package of {members} members, {} bytes zipped ({} bytes of evidence): build {:?} (includes one verify), verify median {:?} (min {:?}, max {:?})",
        zip.len(),
        fixture.contents.evidence.iter().map(|blob| blob.bytes.len()).sum::<usize>(),
        build_time,
        times[2],
        times[0],
        times[4],
    );
}
