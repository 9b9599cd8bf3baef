//! Parsed summaries: the few numbers a policy and an auditor ask about first.
//!
//! The counting rules (what is one finding, one test) are documented where each
//! format is parsed, in `signoff-ingest`, and in ARCHITECTURE.md.

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Severity};

/// The summary of one piece of evidence. Only the parts that apply are present.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Summary {
    /// Scans: findings by severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<FindingCounts>,
    /// Test reports: test outcomes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestCounts>,
    /// Coverage reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Coverage>,
    /// Code review evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<Reviews>,
    /// SBOMs: how many components (nested ones included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub components: Option<u64>,
}

/// Findings counted by severity. `total` counts every finding, suppressed ones
/// included; `suppressed` counts those the tool marked suppressed; the severity
/// counts add up to `total`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FindingCounts {
    /// Every finding.
    pub total: u64,
    /// Findings the tool marked suppressed (also in `total`).
    pub suppressed: u64,
    /// Critical.
    pub critical: u64,
    /// High.
    pub high: u64,
    /// Medium.
    pub medium: u64,
    /// Low.
    pub low: u64,
    /// Info.
    pub info: u64,
}

impl FindingCounts {
    /// Counts one more finding.
    pub fn add(&mut self, finding: &Finding) {
        self.total += 1;
        if finding.suppressed {
            self.suppressed += 1;
        }
        *self.at_mut(finding.severity) += 1;
    }

    /// Adds another summary's counts (a release's findings over its scans).
    pub fn merge(&mut self, other: &FindingCounts) {
        self.total += other.total;
        self.suppressed += other.suppressed;
        self.critical += other.critical;
        self.high += other.high;
        self.medium += other.medium;
        self.low += other.low;
        self.info += other.info;
    }

    /// The count at one severity.
    pub fn at(&self, severity: Severity) -> u64 {
        match severity {
            Severity::Critical => self.critical,
            Severity::High => self.high,
            Severity::Medium => self.medium,
            Severity::Low => self.low,
            Severity::Info => self.info,
        }
    }

    fn at_mut(&mut self, severity: Severity) -> &mut u64 {
        match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        }
    }
}

/// Test outcomes. `total = passed + failed + errored + skipped`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TestCounts {
    /// Every test case.
    pub total: u64,
    /// Passed.
    pub passed: u64,
    /// Failed an assertion.
    pub failed: u64,
    /// Errored (could not run to an outcome).
    pub errored: u64,
    /// Skipped.
    pub skipped: u64,
    /// Names of the first failed or errored tests (at most
    /// [`TestCounts::MAX_LISTED_FAILURES`]), for reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
}

impl TestCounts {
    /// How many failing test names a summary keeps.
    pub const MAX_LISTED_FAILURES: usize = 20;

    /// Adds another report's outcomes (the names of its failures are not kept).
    pub fn merge(&mut self, other: &TestCounts) {
        self.total += other.total;
        self.passed += other.passed;
        self.failed += other.failed;
        self.errored += other.errored;
        self.skipped += other.skipped;
    }

    /// Records a failure name, if there is room.
    pub fn list_failure(&mut self, name: String) {
        if self.failures.len() < TestCounts::MAX_LISTED_FAILURES {
            self.failures.push(name);
        }
    }
}

/// Line and branch coverage. Rates are fractions in `[0, 1]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    /// Lines executed.
    pub lines_covered: u64,
    /// Lines that could be executed.
    pub lines_valid: u64,
    /// `lines_covered / lines_valid`.
    pub line_rate: Option<f64>,
    /// Branches taken.
    pub branches_covered: u64,
    /// Branches that could be taken.
    pub branches_valid: u64,
    /// `branches_covered / branches_valid`.
    pub branch_rate: Option<f64>,
}

impl Coverage {
    /// Coverage from counts, with the rates computed (absent when nothing was valid).
    pub fn from_counts(lines_covered: u64, lines_valid: u64, branches_covered: u64, branches_valid: u64) -> Coverage {
        let rate = |covered: u64, valid: u64| (valid > 0).then(|| round4(covered as f64 / valid as f64));
        Coverage {
            lines_covered,
            lines_valid,
            line_rate: rate(lines_covered, lines_valid),
            branches_covered,
            branches_valid,
            branch_rate: rate(branches_covered, branches_valid),
        }
    }
}

/// Rounds to four decimals, so rates print and compare sanely.
fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// Review decisions on a change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reviews {
    /// Approvals.
    pub approved: u64,
    /// Requests for changes.
    pub changes_requested: u64,
    /// Comment-only reviews.
    pub commented: u64,
    /// Dismissed reviews.
    pub dismissed: u64,
    /// Pull or merge request number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// Who opened it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The merge commit, once merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_commit: Option<String>,
    /// Who approved (logins), in review order, without repeats.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_rates() {
        let coverage = Coverage::from_counts(2, 3, 0, 0);
        assert_eq!(coverage.line_rate, Some(0.6667));
        assert_eq!(coverage.branch_rate, None);
    }
}
