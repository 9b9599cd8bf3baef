//! Hostile archives: path traversal, zip bombs, junk. The verifier reports them and
//! never reads a refused member.

use signoff_package::{Failure, Limits, VerifyOptions, build, verify};

use crate::util::*;

#[test]
fn traversal_and_absolute_names_are_refused() {
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();
    for name in ["../evil.sh", "evidence/../../evil.sh", "/etc/cron.d/evil", "C:evil", "keys\\..\\evil"] {
        let mut members = unpack(&zip);
        members.insert(name.to_owned(), b"#!/bin/sh\n".to_vec());
        let report = verify(&pack(&members), &trusted(&fixture.key));
        assert_fails(&report, name, |failure| matches!(failure, Failure::UnsafePath { .. }));
        // The refused member is reported once and not treated as a member.
        assert_eq!(report.failures().count(), 1, "{report}");
    }
}

#[test]
fn zip_bombs_stop_at_the_bounds() {
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();
    let mut members = unpack(&zip);
    // 64 MiB of zeros: about 64 KiB compressed.
    members.insert("evidence/1-bomb.json".into(), vec![0; 64 << 20]);
    let bomb = pack(&members);
    assert!(bomb.len() < 1 << 20, "{}", bomb.len());

    let limits = Limits { max_member_size: 16 << 20, ..Limits::default() };
    let report = verify(&bomb, &VerifyOptions { limits, ..trusted(&fixture.key) });
    assert_fails(&report, "evidence/1-bomb.json", |failure| matches!(failure, Failure::MemberTooLarge { .. }));

    let limits = Limits { max_total_size: 8 << 20, ..Limits::default() };
    let report = verify(&bomb, &VerifyOptions { limits, ..trusted(&fixture.key) });
    assert_fails(&report, "(archive)", |failure| matches!(failure, Failure::ArchiveContentTooLarge { .. }));

    let limits = Limits { max_members: 10, ..Limits::default() };
    let report = verify(&zip, &VerifyOptions { limits, ..trusted(&fixture.key) });
    assert_fails(&report, "(archive)", |failure| matches!(failure, Failure::TooManyMembers { .. }));
}

#[test]
fn junk_is_not_a_package() {
    let fixture = fixture();
    let zip = build(&fixture.contents).unwrap();
    for junk in [Vec::new(), b"PK\x05\x06".to_vec(), zip[..zip.len() / 2].to_vec(), b"{\"not\": \"a zip\"}".to_vec()] {
        let report = verify(&junk, &trusted(&fixture.key));
        assert_fails(&report, "(archive)", |failure| matches!(failure, Failure::NotZip(_)));
        assert_eq!(report.checks.len(), 1);
    }
    // A flipped byte in the compressed data of a member: its CRC or inflate fails.
    let mut corrupt = zip.clone();
    corrupt[200] ^= 0xff;
    let report = verify(&corrupt, &trusted(&fixture.key));
    assert!(!report.is_ok(), "{report}");
}
