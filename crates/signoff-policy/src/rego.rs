//! Custom rules in Rego (D2), evaluated in process with regorus.
//!
//! Every module of a policy is loaded into one regorus engine when the policy is
//! parsed, and the engine is prepared there (parsed, analysed, scheduled), so that
//! compile errors surface with file and line before anything is evaluated. Each
//! evaluation clones the prepared engine, sets `input` and reads each module's
//! `deny` and `warn` sets.
//!
//! Failing closed: builtin errors are errors (OPA's `--strict-builtin-errors`), and a
//! module whose rule cannot be evaluated FAILs, with the error as its actual value.
//!
//! Purity: `time.now_ns` and `rand.intn` are refused at compile time — a verdict
//! must depend only on the input (use `input.evaluated_at`). The engine is built
//! without regorus's `http`, `opa-runtime` and `uuid` builtins.
//!
//! Performance: see `rego_input.rs`. The findings (and baseline fingerprints) are
//! converted only when some module's text names them; a module that builds the key
//! dynamically (`input[concat("", ["find", "ings"])]`) sees an empty list.

use regorus::Value as RegoValue;

use crate::error::{Place, PolicyError, PolicyErrorKind};
use crate::input::PolicyInput;
use crate::policy::RegoModuleInfo;
use crate::rego_input::{self, Wants};

/// A module as the policy file gives it, before compiling.
#[derive(Debug, Clone)]
pub(crate) struct RegoSource {
    pub(crate) id: String,
    pub(crate) title: String,
    /// The path as written, for `file:` modules.
    pub(crate) file: Option<String>,
    pub(crate) text: String,
    /// Where an inline `source:` starts in the policy file.
    pub(crate) inline_at: Option<Place>,
    /// The line of the entry's `id`.
    pub(crate) line: u64,
    pub(crate) blocking: bool,
    pub(crate) environment: Option<String>,
}

/// The compiled modules of one policy.
#[derive(Debug, Clone)]
pub(crate) struct RegoRules {
    engine: Option<regorus::Engine>,
    modules: Vec<Module>,
    wants: Wants,
}

#[derive(Debug, Clone)]
struct Module {
    info: RegoModuleInfo,
    /// The name the engine knows the module by.
    engine_path: String,
    inline_at: Option<Place>,
}

/// What one module said about one input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RegoOutcome {
    pub(crate) info: RegoModuleInfo,
    /// `deny` messages, when the module declares `deny`.
    pub(crate) deny: Option<Result<Vec<String>, String>>,
    /// `warn` messages, when the module declares `warn`.
    pub(crate) warn: Option<Result<Vec<String>, String>>,
}

/// Builtins that read the clock or a random source: refused, so a verdict depends
/// only on the input.
const IMPURE_BUILTINS: &[(&str, &str)] = &[
    ("time.now_ns", "reads the clock; use `time.parse_rfc3339_ns(input.evaluated_at)`"),
    ("rand.intn", "is random; a verdict must depend only on the input"),
];

impl RegoRules {
    /// Loads, checks and prepares every module.
    pub(crate) fn compile(policy_file: &str, sources: Vec<RegoSource>) -> Result<RegoRules, PolicyError> {
        if sources.is_empty() {
            return Ok(RegoRules { engine: None, modules: Vec::new(), wants: Wants::default() });
        }
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(false);
        // A builtin that fails (a division by zero, a malformed date) is an error, as
        // with OPA's --strict-builtin-errors, not an undefined value: otherwise a
        // `deny` whose condition fails to evaluate would silently pass.
        engine.set_strict_builtin_errors(true);
        let mut modules: Vec<Module> = Vec::new();
        let mut wants = Wants::default();
        for source in sources {
            let display_file = source.file.clone().unwrap_or_else(|| policy_file.to_owned());
            let engine_path = match &source.file {
                Some(file) => file.clone(),
                None => format!("{policy_file}#rego.{}", source.id),
            };
            let error_at = |line: u64, column: u64, message: String| {
                let (line, column) = shift(source.inline_at, line, column);
                PolicyError { file: display_file.clone(), line, column, kind: PolicyErrorKind::Rego { message } }
            };
            if let Some(other) = modules.iter().find(|module| module.engine_path == engine_path) {
                return Err(error_at(1, 1, format!("the file is already loaded as module `{}`", other.info.id)));
            }
            for (builtin, why) in IMPURE_BUILTINS {
                if let Some((line, column)) = find(&source.text, builtin) {
                    return Err(error_at(line, column, format!("`{builtin}` is not allowed: it {why}")));
                }
            }
            wants = wants.or(Wants::of(&source.text));
            let package = engine.add_policy(engine_path.clone(), source.text.clone()).map_err(|error| {
                let (line, column, message) = locate(&error.to_string());
                error_at(line, column, message)
            })?;
            if !is_plain_package(&package) {
                return Err(error_at(1, 1, format!("package `{package}` must be a dotted name of identifiers")));
            }
            if let Some(other) = modules.iter().find(|module| module.info.package == package) {
                return Err(error_at(
                    1,
                    1,
                    format!(
                        "package `{package}` is also the package of module `{}`; give each module its own",
                        other.info.id
                    ),
                ));
            }
            let declares = |rule: &str| engine.has_declared_rule_rooted_at(&engine_path, rule).unwrap_or(false);
            let (deny, warn) = (declares("deny"), declares("warn"));
            if !deny && !warn {
                return Err(error_at(1, 1, format!("package `{package}` declares neither `deny` nor `warn`")));
            }
            modules.push(Module {
                info: RegoModuleInfo {
                    id: source.id,
                    title: source.title,
                    file: display_file,
                    package,
                    deny,
                    warn,
                    blocking: source.blocking,
                    environment: source.environment,
                },
                engine_path,
                inline_at: source.inline_at,
            });
        }
        // Analyse and schedule now, on an empty input: errors such as an unsafe
        // variable are found here, not at certification time.
        for module in &modules {
            for (declared, rule) in [(module.info.deny, "deny"), (module.info.warn, "warn")] {
                if !declared {
                    continue;
                }
                if let Err(error) = engine.eval_rule(format!("{}.{rule}", module.info.package)) {
                    let text = error.to_string();
                    let (line, column, message) = locate(&text);
                    // The analyser may report a problem in any module; name the right one.
                    let culprit =
                        modules.iter().find(|candidate| text.contains(&format!("--> {}:", candidate.engine_path)));
                    let (file, inline_at) = culprit
                        .map_or((module.info.file.clone(), module.inline_at), |m| (m.info.file.clone(), m.inline_at));
                    let (line, column) = shift(inline_at, line, column);
                    return Err(PolicyError { file, line, column, kind: PolicyErrorKind::Rego { message } });
                }
            }
        }
        Ok(RegoRules { engine: Some(engine), modules, wants })
    }

    pub(crate) fn infos(&self) -> Vec<RegoModuleInfo> {
        self.modules.iter().map(|module| module.info.clone()).collect()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Evaluates every module over `input`. Never fails: a module that cannot be
    /// evaluated reports the error in its outcome, and the caller fails it closed.
    pub(crate) fn evaluate(&self, input: &PolicyInput) -> Vec<RegoOutcome> {
        let Some(prepared) = &self.engine else {
            return Vec::new();
        };
        let value = match rego_input::to_value(input, self.wants) {
            Ok(value) => value,
            Err(message) => {
                let failure = || Some(Err(format!("cannot build the rego input: {message}")));
                return self
                    .modules
                    .iter()
                    .map(|module| RegoOutcome {
                        info: module.info.clone(),
                        deny: module.info.deny.then(failure).flatten(),
                        warn: module.info.warn.then(failure).flatten(),
                    })
                    .collect();
            }
        };
        let mut engine = prepared.clone();
        engine.set_input(value);
        self.modules
            .iter()
            .map(|module| {
                let mut read = |rule: &str| {
                    messages(engine.eval_rule(format!("{}.{rule}", module.info.package))).map_err(|text| {
                        // One line, placed in the policy's own files.
                        let (line, column, message) = locate(&text);
                        let (line, column) = shift(module.inline_at, line, column);
                        format!("{}:{line}:{column}: {message}", module.info.file)
                    })
                };
                RegoOutcome {
                    info: module.info.clone(),
                    deny: module.info.deny.then(|| read("deny")),
                    warn: module.info.warn.then(|| read("warn")),
                }
            })
            .collect()
    }
}

/// A rule's value as messages: a set or array of strings (other values as JSON), or
/// `true` for a boolean rule. Undefined means none.
fn messages<E: std::fmt::Display>(result: Result<RegoValue, E>) -> Result<Vec<String>, String> {
    let value = result.map_err(|error| error.to_string())?;
    let json = serde_json::to_value(&value).map_err(|error| error.to_string())?;
    let text = |item: &serde_json::Value| match item {
        serde_json::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    Ok(match json {
        serde_json::Value::Array(items) => items.iter().map(text).collect(),
        serde_json::Value::Bool(true) => vec!["denied".to_owned()],
        serde_json::Value::Bool(false) | serde_json::Value::Null => Vec::new(),
        serde_json::Value::String(undefined) if undefined == "<undefined>" => Vec::new(),
        serde_json::Value::Object(map) => map.iter().map(|(key, value)| format!("{key}: {}", text(value))).collect(),
        other => vec![text(&other)],
    })
}

/// Line and column in a regorus message (`--> file:line:col`), and the message
/// proper (the `error:` line).
fn locate(text: &str) -> (u64, u64, String) {
    let place = text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let column = parts.next()?.trim().parse::<u64>().ok()?;
        let line = parts.next()?.trim().parse::<u64>().ok()?;
        Some((line, column))
    });
    let message = text
        .lines()
        .rev()
        .find_map(|line| line.trim_start().strip_prefix("error: "))
        .map_or_else(|| text.trim().to_owned(), str::to_owned);
    let (line, column) = place.unwrap_or((1, 1));
    (line.max(1), column.max(1), message)
}

/// A module's place moved to where its inline `source:` block starts in the policy.
fn shift(inline_at: Option<Place>, line: u64, column: u64) -> (u64, u64) {
    match inline_at {
        Some(start) => (start.line + line - 1, start.column + column - 1),
        None => (line, column),
    }
}

/// The first place `needle` appears, 1-based.
fn find(text: &str, needle: &str) -> Option<(u64, u64)> {
    text.lines().enumerate().find_map(|(index, line)| {
        line.find(needle).map(|byte| (index as u64 + 1, line[..byte].chars().count() as u64 + 1))
    })
}

fn is_plain_package(package: &str) -> bool {
    let Some(rest) = package.strip_prefix("data.") else {
        return false;
    };
    rest.split('.').all(|part| {
        part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_regorus_messages() {
        let text =
            "\n--> rules/x.rego:4:29\n  |\n4 |   msg := y\n  |   ^\nerror: use of undefined variable `y` is unsafe";
        assert_eq!(locate(text), (4, 29, "use of undefined variable `y` is unsafe".to_owned()));
        assert_eq!(locate("something odd"), (1, 1, "something odd".to_owned()));
        assert_eq!(shift(Some(Place { line: 10, column: 5 }), 1, 1), (10, 5));
        assert_eq!(shift(Some(Place { line: 10, column: 5 }), 3, 2), (12, 6));
    }

    #[test]
    fn packages() {
        assert!(is_plain_package("data.signoff.custom"));
        assert!(!is_plain_package("data.a-b"));
        assert!(!is_plain_package("x"));
    }
}
