//! Hostile inputs (issue 18): documented limits hold in every parser, special files
//! are refused without being read, a file is never read past its size limit, and an
//! encoding other than UTF-8 is named.

use std::sync::mpsc;
use std::time::Duration;

use signoff_core::Format;
use signoff_ingest::{Discard, IngestError, IngestErrorKind, Limits, Options, parse_bytes, parse_path};

fn options(format: Option<Format>, limits: Limits) -> Options {
    Options { format, limits, ..Options::default() }
}

/// Runs `parse` on a thread and waits at most a minute for it: a parser that would
/// hang fails the test instead of hanging it.
fn bounded<T: Send + 'static>(parse: impl FnOnce() -> T + Send + 'static) -> T {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(parse());
    });
    receiver.recv_timeout(Duration::from_secs(60)).expect("the parse did not end within a minute")
}

#[test]
fn a_sarif_result_nested_past_the_limit_is_refused() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let log = format!(
        r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"name": "x"}}}}, "results": [{{"ruleId": "a", "message": {{"text": "m"}}, "properties": {{"deep": {deep}}}}}]}}]}}"#
    );
    let error = parse_bytes(log.as_bytes(), "deep.sarif", &Options::default(), &mut Discard).unwrap_err();
    assert!(error.to_string().contains("nesting deeper than 128 levels"), "{error}");
    // Just within the limit is fine.
    let within = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let log = log.replace(&deep, &within);
    parse_bytes(log.as_bytes(), "ok.sarif", &Options::default(), &mut Discard).unwrap();
}

#[test]
fn a_junit_suite_nest_past_the_limit_is_refused() {
    let nest = format!(
        "<testsuites>{}<testcase name=\"t\"/>{}</testsuites>",
        "<testsuite>".repeat(100_000),
        "</testsuite>".repeat(100_000)
    );
    let error = parse_bytes(nest.as_bytes(), "nest.xml", &Options::default(), &mut Discard).unwrap_err();
    assert!(error.to_string().contains("nested deeper than 128 levels"), "{error}");
}

#[test]
fn xml_text_and_attributes_are_capped_while_read() {
    let limits = Limits { max_value: 1 << 20, ..Limits::default() };
    let big = "x".repeat(3 << 20);
    let system_out = format!(
        "<testsuite name=\"s\" tests=\"1\"><testcase name=\"t\"><system-out>{big}</system-out></testcase></testsuite>"
    );
    let attribute = format!("<testsuite name=\"{big}\"><testcase name=\"t\"/></testsuite>");
    let cdata =
        format!("<testsuite><testcase name=\"t\"><system-out><![CDATA[{big}]]></system-out></testcase></testsuite>");
    let cobertura =
        format!("<coverage line-rate=\"1\"><sources><source>{big}</source></sources><packages/></coverage>");
    for (name, text, format) in [
        ("system-out", &system_out, Format::Junit),
        ("attribute", &attribute, Format::Junit),
        ("cdata", &cdata, Format::Junit),
        ("cobertura", &cobertura, Format::Cobertura),
    ] {
        let error = parse_bytes(text.as_bytes(), name, &options(Some(format), limits), &mut Discard).unwrap_err();
        assert_eq!(error.format, Some(format), "{name}: {error}");
        assert!(error.to_string().contains("the limit for one XML value"), "{name}: {error}");
        // Under the default limit the same report is read.
        parse_bytes(text.as_bytes(), name, &options(Some(format), Limits::default()), &mut Discard).unwrap();
    }
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_by_name_without_being_read() {
    // A character device that never ends, read as every streamed format.
    for format in [None, Some(Format::Junit), Some(Format::Lcov), Some(Format::Cobertura), Some(Format::Jacoco)] {
        let error: IngestError = bounded(move || {
            parse_path("/dev/zero".as_ref(), "/dev/zero", &options(format, Limits::default()), &mut Discard)
                .unwrap_err()
        });
        let text = error.to_string();
        assert!(text.starts_with("/dev/zero: "), "{text}");
        assert!(text.contains("not a regular file but a character device"), "{text}");
    }
    // A FIFO with no writer: opening it would wait forever.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("scan.sarif");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let path = fifo.clone();
    let error = bounded(move || parse_path(&path, "scan.sarif", &Options::default(), &mut Discard).unwrap_err());
    assert!(error.to_string().contains("not a regular file but a FIFO"), "{error}");
    let error = bounded(|| parse_path("/tmp".as_ref(), "/tmp", &Options::default(), &mut Discard).unwrap_err());
    assert!(error.to_string().contains("a directory"), "{error}");
}

#[test]
fn utf16_and_utf32_are_named() {
    let text = r#"{"version": "2.1.0", "runs": []}"#;
    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let cases = [
        ([b"\xFF\xFE".as_slice(), &le].concat(), "UTF-16LE"),
        ([b"\xFE\xFF".as_slice(), &be].concat(), "UTF-16BE"),
        (le.clone(), "UTF-16LE"),
        (be, "UTF-16BE"),
        (b"\xFF\xFE\0\0{\0\0\0".to_vec(), "UTF-32LE"),
    ];
    for (bytes, encoding) in cases {
        let error = parse_bytes(&bytes, "scan.sarif", &Options::default(), &mut Discard).unwrap_err();
        assert!(matches!(error.kind, IngestErrorKind::Encoding { .. }), "{error}");
        assert!(error.to_string().contains(&format!("the file is {encoding}, not UTF-8")), "{error}");
    }
}
