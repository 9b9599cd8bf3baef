//! The reports in headless Chromium: the DOM it builds from each page, a
//! screenshot and a PDF. Skipped, with a message, where Chromium is not installed
//! (`apt-get install chromium`). Set `SIGNOFF_REPORT_ARTIFACTS=DIR` to keep the
//! HTML, PNG and PDF files for a person to look at.

use std::path::Path;

use signoff_report::{render_period_html, render_trace_html};

use crate::util;

fn count(html: &str, needle: &str) -> usize {
    html.matches(needle).count()
}

/// The number of pages of a PDF Chromium wrote: its `/Type /Page` objects (page
/// tree nodes are `/Type /Pages`).
fn pdf_pages(bytes: &[u8]) -> usize {
    let text = String::from_utf8_lossy(bytes);
    count(&text, "/Type /Page") - count(&text, "/Type /Pages")
}

/// Renders `html` in Chromium: its DOM, after writing a screenshot and a PDF
/// next to the HTML file.
fn in_browser(binary: &Path, dir: &Path, name: &str, html: &str) -> String {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, html).unwrap();
    let url = format!("file://{}", page.display());
    let profile = dir.join(format!("{name}-profile"));

    let dom = util::run_chromium(binary, &profile, &["--dump-dom".to_owned(), url.clone()]);
    assert!(dom.status.success(), "chromium --dump-dom: {}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8(dom.stdout).unwrap();

    let png = dir.join(format!("{name}.png"));
    let shot = util::run_chromium(
        binary,
        &profile,
        &[format!("--screenshot={}", png.display()), "--window-size=1280,2000".to_owned(), url.clone()],
    );
    assert!(shot.status.success(), "chromium --screenshot: {}", String::from_utf8_lossy(&shot.stderr));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.len() > 10_000, "a {} byte screenshot", bytes.len());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");

    let pdf = dir.join(format!("{name}.pdf"));
    let print = util::run_chromium(
        binary,
        &profile,
        &[format!("--print-to-pdf={}", pdf.display()), "--no-pdf-header-footer".to_owned(), url],
    );
    assert!(print.status.success(), "chromium --print-to-pdf: {}", String::from_utf8_lossy(&print.stderr));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    // Several pages: the print CSS breaks before the big sections.
    assert!(pdf_pages(&bytes) >= 3, "{} pages", pdf_pages(&bytes));

    for file in [&page, &png, &pdf] {
        util::keep(file);
    }
    dom
}

#[test]
fn reports_in_chromium() {
    let Some(binary) = util::chromium() else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();

    let period = util::period();
    let dom = in_browser(&binary, dir.path(), "period", &render_period_html(&period).unwrap());
    assert!(dom.contains("<h1>Q3 2026 release evidence — ACME Payments</h1>"));
    assert_eq!(count(&dom, "<tr class=\"release\">"), 14);
    assert!(dom.contains("<div class=\"release-name\">payments-api <span class=\"nowrap\">4.2.1</span></div>"));
    assert_eq!(count(&dom, "<svg"), 3, "three charts");
    assert_eq!(count(&dom, "<circle class=\"point\""), period.series.pass_rate.len());
    assert_eq!(count(&dom, "<g class=\"bar\">"), period.series.findings.len());
    assert_eq!(count(&dom, "<g class=\"framework\">"), 5);
    assert!(!dom.contains("<script"));

    let trace = util::trace();
    let dom = in_browser(&binary, dir.path(), "trace", &render_trace_html(&trace).unwrap());
    assert!(dom.contains("<title>Release trace: payments-api 4.2.1</title>"));
    assert_eq!(count(&dom, "<tr class=\"criterion criterion-fail\">"), 2);
    let failing = dom.split("<tr class=\"criterion criterion-fail\">").nth(1).unwrap();
    assert!(failing.contains("✗ FAIL") && failing.contains("changes-reviewed"));
    assert_eq!(count(&dom, "<tr class=\"change\">"), 6);
    // The data's "<script>" stays text.
    assert!(dom.contains("(&lt;script&gt; in test data escaped)"));
    assert!(!dom.contains("<script"));
    assert_eq!(count(&dom, "<g class=\"framework\">"), 2);
}
