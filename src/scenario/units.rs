//! Values with units, as a scenario writes them: durations (`"4h 17m"`), sizes (`"120 TB"`),
//! rates (`"2 GB/s"`) and percentages (`"85%"`). Each parser returns `None` on anything it
//! does not accept; the caller turns that into a positioned error that says what is allowed.

use crate::time::SimDuration;

/// What a duration looks like, for error messages.
pub const DURATION_FORMAT: &str =
    "a duration with units, such as \"90s\", \"4h 17m\", \"2 hours\" or \"1.5d\" (units: ms, s, m, h, d, w, y, or spelled out: \"sec\", \"mins\", \"hours\", \"days\" …)";
/// What a size looks like, for error messages.
pub const SIZE_FORMAT: &str =
    "a size with units, such as \"120 TB\" (units: B, KB, MB, GB, TB, PB, EB, KiB … EiB)";
/// What a rate looks like, for error messages.
pub const RATE_FORMAT: &str =
    "a rate with units, such as \"2 GB/s\" or \"500 TB/h\" (a size per s, m or h, or per second, minute or hour)";
/// What a percentage looks like, for error messages.
pub const PERCENT_FORMAT: &str = "a percentage such as \"85%\"";

/// Splits `"4h 17m"` into `[(4.0, "h"), (17.0, "m")]`. Numbers are plain decimals.
fn terms(s: &str) -> Option<Vec<(f64, &str)>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let number: f64 = rest[..num_len].replace('_', "").parse().ok()?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !(c.is_ascii_alphabetic() || c == '/'))
            .unwrap_or(rest.len());
        out.push((number, &rest[..unit_len]));
        rest = rest[unit_len..].trim_start();
    }
    (!out.is_empty()).then_some(out)
}

/// The duration units and how each may be spelled, with its length in milliseconds. The
/// one vocabulary for every duration (and, from `s` to `h`, for a rate's time).
pub const TIME_UNITS: &[(&[&str], f64)] = &[
    (&["ms", "msec", "msecs", "millisecond", "milliseconds"], 1.0),
    (&["s", "sec", "secs", "second", "seconds"], 1e3),
    (&["m", "min", "mins", "minute", "minutes"], 60e3),
    (&["h", "hr", "hrs", "hour", "hours"], 3600e3),
    (&["d", "day", "days"], 86_400e3),
    (&["w", "wk", "wks", "week", "weeks"], 7.0 * 86_400e3),
    (&["y", "yr", "yrs", "year", "years"], 365.0 * 86_400e3),
];

fn time_unit_ms(unit: &str) -> Option<f64> {
    TIME_UNITS
        .iter()
        .find(|(names, _)| names.contains(&unit))
        .map(|&(_, ms)| ms)
}

/// Parses `"90s"`, `"4h 17m"`, `"1.5d"`, `"0s"`. Every number needs a unit.
pub fn parse_duration(s: &str) -> Option<SimDuration> {
    let mut ms = 0.0;
    for (number, unit) in terms(s)? {
        ms += number * time_unit_ms(unit)?;
    }
    // Whole milliseconds must fit; 2^53 ms (~285,000 years) keeps the float exact.
    (ms.is_finite() && ms < 9.0e15).then(|| SimDuration::from_millis(ms.round() as u64))
}

fn size_unit_bytes(unit: &str) -> Option<f64> {
    const K: f64 = 1024.0;
    Some(match unit {
        "B" => 1.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        "TB" => 1e12,
        "PB" => 1e15,
        "EB" => 1e18,
        "KiB" => K,
        "MiB" => K * K,
        "GiB" => K * K * K,
        "TiB" => K * K * K * K,
        "PiB" => K * K * K * K * K,
        "EiB" => K * K * K * K * K * K,
        _ => return None,
    })
}

/// Parses a single `"120 TB"`; the result is in bytes.
pub fn parse_size(s: &str) -> Option<f64> {
    match terms(s)?.as_slice() {
        [(number, unit)] => {
            let bytes = number * size_unit_bytes(unit)?;
            bytes.is_finite().then_some(bytes)
        }
        _ => None,
    }
}

/// Parses `"2 GB/s"`; the result is in bytes per second.
pub fn parse_rate(s: &str) -> Option<f64> {
    let (size, per) = s.split_once('/')?;
    let bytes = parse_size(size)?;
    let secs = time_unit_ms(per.trim()).filter(|&ms| (1e3..=3600e3).contains(&ms))? / 1e3;
    let rate = bytes / secs;
    rate.is_finite().then_some(rate)
}

/// Parses `"85%"` or `"12.5 %"` into a fraction (0.85). Any non-negative percentage.
pub fn parse_percent(s: &str) -> Option<f64> {
    let number: f64 = s.trim().strip_suffix('%')?.trim().parse().ok()?;
    (number.is_finite() && number >= 0.0).then_some(number / 100.0)
}

/// Parses a percentage exactly, as a fraction `numerator / denominator` of whole numbers:
/// `"12.5%"` is 125/1000. For rounding counts of servers without floating point (`"7%"` of
/// 100 must be 7, not 7.000000000000001 rounded up to 8). At most 12 decimals.
pub fn parse_percent_exact(s: &str) -> Option<(u128, u128)> {
    let number = s.trim().strip_suffix('%')?.trim();
    let (whole, decimals) = number.split_once('.').unwrap_or((number, ""));
    let digits = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(decimals)
        || whole.len() > 20
        || decimals.len() > 12
    {
        return None;
    }
    let numerator: u128 = format!("{whole}{decimals}").parse().ok()?;
    Some((numerator, 100 * 10u128.pow(decimals.len() as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| parse_duration(s).map(SimDuration::as_millis);
        assert_eq!(d("90s"), Some(90_000));
        assert_eq!(d("4h 17m"), Some((4 * 60 + 17) * 60_000));
        assert_eq!(d("4h17m"), Some((4 * 60 + 17) * 60_000));
        assert_eq!(d("1.5h"), Some(5_400_000));
        assert_eq!(d("250ms"), Some(250));
        assert_eq!(d("0s"), Some(0));
        assert_eq!(d("1y"), Some(365 * 86_400_000));
        // Every spelling of a unit means the same, with or without a space.
        for (names, ms) in TIME_UNITS {
            for name in *names {
                let want = Some(2 * *ms as u64);
                assert_eq!(
                    parse_duration(&format!("2 {name}")).map(SimDuration::as_millis),
                    want,
                    "{name}"
                );
                assert_eq!(
                    parse_duration(&format!("2{name}")).map(SimDuration::as_millis),
                    want,
                    "{name}"
                );
            }
        }
        assert_eq!(d("2 hours 30 mins"), Some(9_000_000));
        for bad in [
            "2 Hours",
            "2 hourss",
            "2 mo",
            "",
            "90",
            "5x",
            "-5s",
            "NaN",
            "inf s",
            "1e3s",
            "s",
            "1000000000y",
        ] {
            assert_eq!(d(bad), None, "{bad:?} should be rejected");
        }
    }

    #[test]
    fn sizes_rates_percents() {
        assert_eq!(parse_size("120 TB"), Some(120e12));
        assert_eq!(parse_size("1 KiB"), Some(1024.0));
        assert_eq!(parse_size("120"), None);
        assert_eq!(parse_size("1 TB 2 GB"), None);
        assert_eq!(parse_rate("2 GB/s"), Some(2e9));
        assert_eq!(parse_rate("3600 GB/h"), Some(1e9));
        assert_eq!(parse_rate("2 GB"), None);
        assert_eq!(parse_rate("60 GB/minute"), Some(1e9));
        assert_eq!(parse_rate("1 GB/d"), None);
        assert_eq!(parse_percent("85%"), Some(0.85));
        assert_eq!(parse_percent("12.5 %"), Some(0.125));
        assert_eq!(parse_percent("85"), None);
        assert_eq!(parse_percent("-5%"), None);
        assert_eq!(parse_percent_exact("7%"), Some((7, 100)));
        assert_eq!(parse_percent_exact("12.5 %"), Some((125, 1000)));
        assert_eq!(parse_percent_exact("-5%"), None);
        assert_eq!(parse_percent_exact("1e2%"), None);
    }
}
