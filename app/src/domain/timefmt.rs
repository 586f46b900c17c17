//! Time as the product shows it: stored as milliseconds since the epoch (UTC) on both databases,
//! shown as ISO-8601 or as a short date.

/// A UTC date and time of day, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const DAY_MS: i64 = 86_400_000;

/// Milliseconds since the epoch as a UTC calendar date and time (proleptic Gregorian calendar;
/// the civil-from-days algorithm of Howard Hinnant's `chrono`-compatible date library). Done by
/// hand because this runs in the browser too, where a date library costs more than it gives.
fn civil(ms: i64) -> Civil {
    let days = ms.div_euclid(DAY_MS);
    let secs = ms.rem_euclid(DAY_MS) / 1000;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: (secs / 3600) as u32,
        minute: (secs / 60 % 60) as u32,
        second: (secs % 60) as u32,
    }
}

/// Days since the epoch of a calendar date (the inverse of [`civil`]'s date part).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// `2026-11-27T10:00:00Z` (seconds precision).
pub fn iso_utc(ms: i64) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// `2026-11-27T10:00:00.123+00:00`: millisecond precision, as ClearML writes its objects' times
/// (strings in this form sort as the instants do).
pub fn iso_millis(ms: i64) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        ms.rem_euclid(1000)
    )
}

/// The instant an [`iso_millis`] string names; `None` for any other form.
pub fn parse_iso_millis(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 29
        || !s.ends_with("+00:00")
        || [b[4], b[7], b[10], b[13], b[16], b[19]] != *b"--T::."
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (year, month, day) = (i64::from(n(0..4)?), n(5..7)?, n(8..10)?);
    let (hour, minute, second, millis) = (n(11..13)?, n(14..16)?, n(17..19)?, n(20..23)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let secs = i64::from(hour * 3600 + minute * 60 + second);
    Some(days_from_civil(year, month, day) * DAY_MS + secs * 1000 + i64::from(millis))
}

/// `Nov 27, 2026`.
pub fn short_date(ms: i64) -> String {
    let c = civil(ms);
    format!("{} {}, {}", &month_name(c.month)[..3], c.day, c.year)
}

/// `2026-11-27 10:00 UTC`.
pub fn date_time(ms: i64) -> String {
    let c = civil(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute
    )
}

/// Parses `YYYY-MM-DD` (start of that day, UTC) as from a date input.
pub fn parse_date(field: &str, s: &str) -> Result<i64, super::AppError> {
    let invalid = || super::AppError::validation(field, "Enter a date as YYYY-MM-DD.");
    let s = s.trim();
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(invalid());
    }
    let num = |r: std::ops::Range<usize>| -> Result<u32, super::AppError> {
        let part = &s[r];
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let (year, month, day) = (i64::from(num(0..4)?), num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(invalid());
    }
    Ok(days_from_civil(year, month, day) * DAY_MS)
}

fn month_name(m: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES[(m.clamp(1, 12) - 1) as usize]
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
        assert!(parse_date("from", "2026-02-29").is_err());
        assert!(parse_date("from", "2024-02-29").is_ok());
        assert!(parse_date("from", "2026-13-01").is_err());
        assert!(parse_date("from", "+026-01-01").is_err());
        assert_eq!(iso_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(parse_iso_millis("2026-11-18T11:06:40.123+00:00"), Some(ms));
        assert_eq!(parse_iso_millis("2026-11-18T11:06:40.123Z"), None);
        assert_eq!(parse_iso_millis("2026-02-29T11:06:40.123+00:00"), None);
        assert_eq!(parse_iso_millis("2026-11-18T24:06:40.123+00:00"), None);
    }

    proptest::proptest! {
        /// Agrees with the `time` crate over five centuries around the epoch.
        #[test]
        fn agrees_with_the_time_crate(ms in -8_000_000_000_000i64..8_000_000_000_000i64) {
            let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap();
            let c = civil(ms);
            proptest::prop_assert_eq!(
                (c.year, c.month, c.day, c.hour, c.minute, c.second),
                (i64::from(t.year()), u32::from(u8::from(t.month())), u32::from(t.day()), u32::from(t.hour()), u32::from(t.minute()), u32::from(t.second()))
            );
            let date = format!("{:04}-{:02}-{:02}", c.year, c.month, c.day);
            if c.year >= 0 {
                proptest::prop_assert_eq!(parse_date("d", &date).unwrap(), ms.div_euclid(DAY_MS) * DAY_MS);
            }
        }

        /// Reading back a written instant gives it again (for years written with four digits).
        #[test]
        fn iso_millis_reads_back(ms in 0i64..253_402_300_799_999i64) {
            proptest::prop_assert_eq!(parse_iso_millis(&iso_millis(ms)), Some(ms));
        }
    }
}
