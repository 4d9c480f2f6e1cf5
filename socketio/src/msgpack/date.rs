//! notepack 2.2's `Date` (fixext 8 of type 0: milliseconds since the epoch, int64) as the text
//! `JSON.stringify` writes for it, `toISOString()`: what a server with the default parser
//! would see of the same value.
//!
//! The calendar arithmetic is written out (Howard Hinnant's `civil_from_days`, as the Redis
//! adapter does for the timestamp extension) rather than a date crate for one conversion.

use serde_json::Value;

/// The farthest a JavaScript `Date` may be from the epoch, in milliseconds; past it the date
/// is invalid and `JSON.stringify` writes `null`.
const MAX_MILLIS: i64 = 8_640_000_000_000_000;

const MILLIS_PER_DAY: i64 = 86_400_000;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of `millis` (`±YYYYYY-...` for years past 0 to 9999, as
/// JavaScript writes them), or `null` for an invalid date.
pub(super) fn from_millis(millis: i64) -> Value {
    if !(-MAX_MILLIS..=MAX_MILLIS).contains(&millis) {
        return Value::Null;
    }
    let (year, month, day) = civil_from_days(millis.div_euclid(MILLIS_PER_DAY));
    let of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let year = match year {
        0..=9999 => format!("{year:04}"),
        year if year < 0 => format!("-{:06}", -year),
        year => format!("+{year:06}"),
    };
    Value::String(format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3_600_000,
        of_day / 60_000 % 60,
        of_day / 1000 % 60,
        of_day % 1000,
    ))
}

/// (year, month, day) of a day count since 1970-01-01, in the proleptic Gregorian calendar.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    // Both are small and positive: a day of 1 to 31, a month of 1 to 12.
    let day = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let month = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against Node 20's `new Date(ms).toISOString()`.
    #[test]
    fn dates_print_as_javascript_does() {
        let cases = [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_700_000_000_123, "2023-11-14T22:13:20.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (-62_198_755_200_000, "-000001-01-01T00:00:00.000Z"),
            (253_402_300_800_000, "+010000-01-01T00:00:00.000Z"),
            (MAX_MILLIS, "+275760-09-13T00:00:00.000Z"),
            (-MAX_MILLIS, "-271821-04-20T00:00:00.000Z"),
        ];
        for (millis, text) in cases {
            assert_eq!(from_millis(millis), Value::from(text), "{millis}");
        }
        assert_eq!(from_millis(MAX_MILLIS + 1), Value::Null);
        assert_eq!(from_millis(i64::MIN), Value::Null);
    }
}
