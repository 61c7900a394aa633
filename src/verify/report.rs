//! The outcome of a verify run: one line per federation and check, PASS or FAIL with a
//! reason a partner's administrator would understand; also as JSON.

use serde::Serialize;

use crate::printable::printable;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// The record (file stem) the federation comes from.
    pub record: String,
    /// What was checked, e.g. `signature`, `audience`, `non-member refused`.
    pub check: String,
    pub passed: bool,
    /// What was found: why it passed, or why it failed.
    pub detail: String,
}

/// A check's outcome before it is attached to a record.
pub type Outcome = Result<String, String>;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    pub fn add(&mut self, record: &str, check: &str, outcome: Outcome) {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(detail) => (false, detail),
        };
        self.checks.push(Check {
            record: record.to_owned(),
            check: check.to_owned(),
            passed,
            detail,
        });
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    pub fn failures(&self) -> usize {
        self.checks.iter().filter(|c| !c.passed).count()
    }

    /// `PASS partner-example  signature: …`, then a summary line.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for check in &self.checks {
            let status = if check.passed { "PASS" } else { "FAIL" };
            out.push_str(&format!(
                "{status} {}  {}: {}\n",
                printable(&check.record),
                printable(&check.check),
                printable(&check.detail)
            ));
        }
        out.push_str(&format!(
            "\n{} check(s), {} failed.\n",
            self.checks.len(),
            self.failures()
        ));
        out
    }

    pub fn json(&self) -> String {
        let document = serde_json::json!({
            "passed": self.passed(),
            "checks": self.checks,
        });
        serde_json::to_string_pretty(&document).expect("plain data serialises") + "\n"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_failure_fails_the_report_and_is_counted() {
        let mut report = Report::default();
        report.add("a", "audience", Ok("https://sp".into()));
        assert!(report.passed());
        report.add("a", "non-member refused", Err("admitted".into()));
        assert!(!report.passed());
        let text = report.text();
        assert!(text.contains("PASS a  audience: https://sp\n"), "{text}");
        assert!(
            text.contains("FAIL a  non-member refused: admitted\n"),
            "{text}"
        );
        assert!(text.ends_with("2 check(s), 1 failed.\n"), "{text}");
        let json: serde_json::Value = serde_json::from_str(&report.json()).unwrap();
        assert_eq!(json["passed"], false);
        assert_eq!(json["checks"][1]["check"], "non-member refused");
    }
}
