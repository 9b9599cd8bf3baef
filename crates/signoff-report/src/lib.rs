//! signoff's reports (F2, B2): self-contained, printable HTML and CSV.
//!
//! Architecture Invariant: this crate is pure rendering. Data comes in as the
//! structs of [`model`] (filled by the application from the store, the policy
//! evaluation and `signoff-controls`), bytes go out; no files, network, database or
//! clock. The same input renders to the same bytes: the only times in a report are
//! those in its data (`generated_at` included).
//!
//! ```text
//! let html = render_period_html(&period)?;      // F2: trends, releases, control coverage, ledger appendix
//! let html = render_trace_html(&trace)?;        // B2: one release, every change, scan, approval, deployment
//! let csv  = releases_to_csv(&period.releases)?; // and population_to_csv, coverage_to_csv
//! let json = serde_json::to_string(&period)?;   // the JSON form is the model itself
//! let text = text::trace_text(&trace);          // and a certification as text, Markdown, JUnit XML
//! ```
//!
//! A report is one HTML file: CSS inline, charts inline SVG drawn in Rust (the
//! private `chart` module: pass rate as a line, findings by severity as stacked
//! bars, control coverage as 100 % bars per framework), no JavaScript, fonts or
//! CDNs, so it opens offline and archives as is. It prints: `@media print` rules,
//! page breaks before the big sections, repeated table headers, page numbers, and
//! status chips that carry a symbol and a word (✓ PASS, ✗ FAIL, ~ WAIVED,
//! ✓ Certified, ✗ Rejected, ● Satisfied, ◐ Partial, ○ Missing) besides their colour,
//! so greyscale prints stay unambiguous. Save as PDF from a browser, or
//! `chromium --headless --print-to-pdf`.
//!
//! Templates are minijinja (HTML autoescaped), compiled into the crate; a
//! [`Renderer`] can replace them with an organisation's own
//! ([`Renderer::set_template`]).

pub mod chart;
pub mod error;
pub mod export;
pub mod model;
pub mod render;
pub mod text;

pub use error::ReportError;
pub use export::{coverage_to_csv, population_to_csv, releases_to_csv, table_csv};
pub use model::{PeriodReport, TraceReport};
pub use render::{Renderer, render_period_html, render_trace_html};
