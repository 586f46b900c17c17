//! Time as the product shows it: stored as milliseconds since the epoch (UTC) on both databases,
//! shown as ISO-8601 or as a short date.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

fn to_datetime(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-11-27T10:00:00Z` (seconds precision).
pub fn iso_utc(ms: i64) -> String {
    let dt = to_datetime(ms)
        .replace_millisecond(0)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    dt.format(&Rfc3339).unwrap_or_default()
}

/// `Nov 27, 2026`.
pub fn short_date(ms: i64) -> String {
    let dt = to_datetime(ms);
    format!(
        "{} {}, {}",
        &month_name(dt.month())[..3],
        dt.day(),
        dt.year()
    )
}

/// `2026-11-27 10:00 UTC`.
pub fn date_time(ms: i64) -> String {
    let dt = to_datetime(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute()
    )
}

/// Parses `YYYY-MM-DD` (start of that day, UTC) as from a date input.
pub fn parse_date(field: &str, s: &str) -> Result<i64, super::AppError> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(s.trim(), &fmt)
        .map_err(|_| super::AppError::validation(field, "Enter a date as YYYY-MM-DD."))?;
    Ok((date.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64)
}

fn month_name(m: time::Month) -> &'static str {
    use time::Month::*;
    match m {
        January => "January",
        February => "February",
        March => "March",
        April => "April",
        May => "May",
        June => "June",
        July => "July",
        August => "August",
        September => "September",
        October => "October",
        November => "November",
        December => "December",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let ms = 1_795_000_000_123;
        assert_eq!(iso_utc(ms), "2026-11-18T11:06:40Z");
        assert_eq!(short_date(ms), "Nov 18, 2026");
        assert_eq!(date_time(ms), "2026-11-18 11:06 UTC");
        assert_eq!(
            parse_date("from", "2026-11-18").unwrap(),
            1_795_046_400_000 - 86_400_000
        );
        assert!(parse_date("from", "18/11/2026").is_err());
    }
}
