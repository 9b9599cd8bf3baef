//! Report errors. Rendering the built-in templates does not fail on any input (the
//! tests render every shape); errors come from templates a user supplied, and from
//! the CSV writer.

/// A report that could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A template does not compile or fails to render.
    #[error("template {name}: {message}")]
    Template {
        /// The template's name (`period.html.j2`).
        name: String,
        /// What went wrong, with the template line when known.
        message: String,
        /// The template engine's error.
        #[source]
        source: minijinja::Error,
    },
    /// The CSV writer failed.
    #[error("writing CSV")]
    Csv(#[from] csv::Error),
    /// CSV output that is not UTF-8 (cannot happen: every cell is a `String`).
    #[error("CSV output is not UTF-8")]
    NotUtf8,
}

impl ReportError {
    pub(crate) fn template(name: &str, source: minijinja::Error) -> ReportError {
        let message = match source.line() {
            Some(line) => format!("line {line}: {}", source.kind()),
            None => source.kind().to_string(),
        };
        let message = match source.detail() {
            Some(detail) => format!("{message}: {detail}"),
            None => message,
        };
        ReportError::Template { name: name.to_owned(), message, source }
    }
}
