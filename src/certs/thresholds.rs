//! Parsing the command line's time values: threshold durations (`30d`, `12h`, `2w`) and the
//! `--as-of` instant (a date or an RFC 3339 timestamp).

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::model::Thresholds;
use crate::record::IsoDate;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeArgError {
    #[error(
        "`{0}` is not a duration: write a whole number and a unit s, m, h, d or w (e.g. 30d, 12h, 2w)"
    )]
    Duration(String),
    #[error(
        "`{0}` is neither a date (YYYY-MM-DD) nor an RFC 3339 timestamp (2026-05-01T12:00:00Z)"
    )]
    Instant(String),
    #[error(
        "the critical threshold ({critical}) must not be longer than the warning threshold ({warning})"
    )]
    CriticalAboveWarning { warning: String, critical: String },
}

/// Parses `30d`, `7d`, `12h`, `2w`, `90m`, `3600s`.
pub fn parse_duration(text: &str) -> Result<Duration, TimeArgError> {
    let err = || TimeArgError::Duration(text.to_owned());
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(err)?;
    let (number, unit) = trimmed.split_at(split);
    let n: i64 = number.parse().map_err(|_| err())?;
    let seconds_per_unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(err()),
    };
    n.checked_mul(seconds_per_unit)
        .map(Duration::seconds)
        .ok_or_else(err)
}

/// Parses `--as-of`: a date means midnight UTC of that day.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, TimeArgError> {
    let trimmed = text.trim();
    if let Ok(date) = trimmed.parse::<IsoDate>() {
        return Ok(date.0.midnight().assume_utc());
    }
    OffsetDateTime::parse(trimmed, &Rfc3339).map_err(|_| TimeArgError::Instant(text.to_owned()))
}

/// A duration the way it is written on the command line, in its largest whole unit up to
/// days (`2w` prints as `14d`: reports speak in days left).
pub fn format_duration(duration: Duration) -> String {
    const UNITS: [(i64, &str); 3] = [(86_400, "d"), (3_600, "h"), (60, "m")];
    let seconds = duration.whole_seconds();
    UNITS
        .iter()
        .find(|(size, _)| seconds != 0 && seconds % size == 0)
        .map(|(size, unit)| format!("{}{unit}", seconds / size))
        .unwrap_or_else(|| format!("{seconds}s"))
}

/// Builds thresholds, refusing a critical window wider than the warning one.
pub fn thresholds(warning: Duration, critical: Duration) -> Result<Thresholds, TimeArgError> {
    if critical > warning {
        return Err(TimeArgError::CriticalAboveWarning {
            warning: format_duration(warning),
            critical: format_duration(critical),
        });
    }
    Ok(Thresholds { warning, critical })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("30d"), Ok(Duration::days(30)));
        assert_eq!(parse_duration("7d"), Ok(Duration::days(7)));
        assert_eq!(parse_duration("12h"), Ok(Duration::hours(12)));
        assert_eq!(parse_duration("2w"), Ok(Duration::weeks(2)));
        assert_eq!(parse_duration("90m"), Ok(Duration::minutes(90)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    }

    #[test]
    fn bad_durations_say_how_to_write_one() {
        for bad in [
            "30",
            "d",
            "-3d",
            "3 d",
            "3y",
            "1.5d",
            "",
            "99999999999999999w",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.to_string().contains("e.g. 30d"), "{bad}: {err}");
        }
    }

    #[test]
    fn as_of_takes_a_date_or_a_timestamp() {
        assert_eq!(
            parse_instant("2026-05-01").unwrap(),
            time::macros::datetime!(2026-05-01 0:00 UTC)
        );
        assert_eq!(
            parse_instant("2026-05-01T12:30:00+02:00").unwrap(),
            time::macros::datetime!(2026-05-01 10:30 UTC)
        );
        assert!(matches!(
            parse_instant("yesterday"),
            Err(TimeArgError::Instant(_))
        ));
        assert!(parse_instant("2026-02-30").is_err());
    }

    #[test]
    fn durations_print_in_their_largest_whole_unit() {
        assert_eq!(format_duration(Duration::days(30)), "30d");
        assert_eq!(format_duration(Duration::weeks(2)), "14d");
        assert_eq!(format_duration(Duration::days(7)), "7d");
        assert_eq!(format_duration(Duration::hours(12)), "12h");
        assert_eq!(format_duration(Duration::minutes(90)), "90m");
        assert_eq!(format_duration(Duration::seconds(61)), "61s");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }

    #[test]
    fn critical_must_not_exceed_warning() {
        let days = Duration::days;
        assert_eq!(
            thresholds(days(30), days(7)).unwrap(),
            Thresholds::default()
        );
        assert!(thresholds(days(7), days(7)).is_ok());
        let err = thresholds(days(7), days(14)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the critical threshold (14d) must not be longer than the warning threshold (7d)"
        );
    }
}
