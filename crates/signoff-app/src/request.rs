//! The parsed values use cases take: a period, a point in time. Front ends parse
//! what people type (`2026-07-01`, an RFC 3339 time) with these functions and
//! hand the use cases checked values; a use case never parses a command line.

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Time};

/// A time as people give it, that is neither a date nor an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date (YYYY-MM-DD) or an RFC 3339 time")]
pub struct BadTime(pub String);

/// Which end of a day a bare date means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEnd {
    /// 00:00:00 UTC: a period's start, a date to evaluate at.
    Start,
    /// 23:59:59 UTC: an expiry ("until 2026-12-31").
    End,
}

/// Parses a date (`YYYY-MM-DD`, UTC) or an RFC 3339 time.
///
/// # Errors
/// When `text` is neither.
pub fn parse_time(text: &str, day: DayEnd) -> Result<OffsetDateTime, BadTime> {
    if let Ok(time) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(time);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text, &format).map_err(|_| BadTime(text.to_owned()))?;
    let time = match day {
        DayEnd::Start => Time::MIDNIGHT,
        DayEnd::End => time::macros::time!(23:59:59),
    };
    Ok(date.with_time(time).assume_utc())
}

/// A span of time: `from` inclusive, `to` exclusive; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    /// The first instant in it.
    pub from: Option<OffsetDateTime>,
    /// The first instant after it.
    pub to: Option<OffsetDateTime>,
}

impl Period {
    /// All of time.
    pub const ALL: Period = Period { from: None, to: None };

    /// A period as people give one: each end a date or an RFC 3339 time; a bare
    /// date as `to` means through the end of that day.
    ///
    /// # Errors
    /// When an end is neither a date nor a time.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Period, BadTime> {
        let from = from.map(|text| parse_time(text, DayEnd::Start)).transpose()?;
        let to = to
            .map(|text| {
                parse_time(text, DayEnd::Start).map(|start| {
                    if OffsetDateTime::parse(text, &Rfc3339).is_ok() { start } else { start + Duration::days(1) }
                })
            })
            .transpose()?;
        Ok(Period { from, to })
    }

    /// Whether `at` falls in it.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }

    /// The bounds as people read them: a bound at midnight UTC as a date (the end
    /// as the last day in the period), any other as RFC 3339.
    pub fn labels(&self) -> (Option<String>, Option<String>) {
        let date = |at: OffsetDateTime| at.date().to_string();
        let from = self.from.map(|from| if from.time() == Time::MIDNIGHT { date(from) } else { rfc3339(from) });
        let to = self.to.map(|to| if to.time() == Time::MIDNIGHT { date(to - Duration::days(1)) } else { rfc3339(to) });
        (from, to)
    }

    /// The bounds as the store compares them (RFC 3339 text).
    pub(crate) fn bounds(&self) -> (Option<String>, Option<String>) {
        (self.from.map(rfc3339), self.to.map(rfc3339))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (None, None) => f.write_str("all time"),
            (Some(from), None) => write!(f, "from {}", rfc3339(from)),
            (None, Some(to)) => write!(f, "before {}", rfc3339(to)),
            (Some(from), Some(to)) => write!(f, "{} to {}", rfc3339(from), rfc3339(to)),
        }
    }
}

/// A time as RFC 3339 text, the way entries and rows carry it.
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn times_as_people_give_them() {
        let cases = [
            ("2026-07-01", DayEnd::Start, datetime!(2026-07-01 00:00:00 UTC)),
            ("2026-12-31", DayEnd::End, datetime!(2026-12-31 23:59:59 UTC)),
            ("2026-07-01T10:15:00Z", DayEnd::End, datetime!(2026-07-01 10:15:00 UTC)),
            ("2026-07-01T10:15:00+02:00", DayEnd::Start, datetime!(2026-07-01 08:15:00 UTC)),
        ];
        for (text, day, expected) in cases {
            assert_eq!(parse_time(text, day), Ok(expected), "{text}");
        }
        assert_eq!(parse_time("july", DayEnd::Start), Err(BadTime("july".into())));
        assert_eq!(
            BadTime("2026-13-01".into()).to_string(),
            r#""2026-13-01" is not a date (YYYY-MM-DD) or an RFC 3339 time"#
        );
    }

    #[test]
    fn a_date_as_the_end_of_a_period_includes_that_day() {
        let period = Period::parse(Some("2026-07-01"), Some("2026-09-30")).unwrap();
        assert!(period.contains(datetime!(2026-07-01 00:00:00 UTC)));
        assert!(period.contains(datetime!(2026-09-30 23:59:59.999 UTC)));
        assert!(!period.contains(datetime!(2026-10-01 00:00:00 UTC)));
        assert!(!period.contains(datetime!(2026-06-30 23:59:59 UTC)));
        assert_eq!(period.labels(), (Some("2026-07-01".into()), Some("2026-09-30".into())));
        let exact = Period::parse(None, Some("2026-09-30T12:00:00Z")).unwrap();
        assert_eq!(exact.labels(), (None, Some("2026-09-30T12:00:00Z".into())));
        assert!(!exact.contains(datetime!(2026-09-30 12:00:00 UTC)));
        assert!(Period::ALL.contains(datetime!(1970-01-01 00:00:00 UTC)));
    }
}
