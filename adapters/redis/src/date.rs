//! The MessagePack timestamp extension (-1) as the ISO text JavaScript prints for a Date.
//!
//! notepack encodes a JavaScript `Date` this way; a Node server receiving one re-encodes it for
//! its clients with `JSON.stringify`, which writes `toISOString()`. We do the same, with the
//! calendar arithmetic written out rather than a date crate for one conversion.

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` of a timestamp extension's data (4, 8 or 12 bytes).
pub(crate) fn timestamp_iso(data: &[u8]) -> Option<String> {
    let (seconds, nanos) = parse(data)?;
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        nanos / 1_000_000
    ))
}

/// Seconds since the epoch and nanoseconds, from the three layouts of the extension.
fn parse(data: &[u8]) -> Option<(i64, u32)> {
    match data.len() {
        4 => Some((i64::from(u32::from_be_bytes(data.try_into().ok()?)), 0)),
        8 => {
            let packed = u64::from_be_bytes(data.try_into().ok()?);
            let nanos = u32::try_from(packed >> 34).ok()?;
            Some(((packed & 0x3_ffff_ffff) as i64, nanos))
        }
        12 => {
            let nanos = u32::from_be_bytes(data[..4].try_into().ok()?);
            let seconds = i64::from_be_bytes(data[4..].try_into().ok()?);
            Some((seconds, nanos))
        }
        _ => None,
    }
}

/// (year, month, day) of a day count since 1970-01-01, in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_as_javascript_does() {
        // new Date(0), new Date(1700000000123): checked against Node's toISOString().
        assert_eq!(
            timestamp_iso(&[0, 0, 0, 0]).as_deref(),
            Some("1970-01-01T00:00:00.000Z")
        );
        let packed: u64 = (123_000_000_u64 << 34) | 1_700_000_000;
        assert_eq!(
            timestamp_iso(&packed.to_be_bytes()).as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        let mut before_epoch = vec![0, 0, 0, 0];
        before_epoch.extend_from_slice(&(-86_400_i64).to_be_bytes());
        assert_eq!(
            timestamp_iso(&before_epoch).as_deref(),
            Some("1969-12-31T00:00:00.000Z")
        );
        assert_eq!(timestamp_iso(&[1, 2, 3]), None);
    }
}
