//! What the TOML reader says, in the words of a scenario's author: keys and values rather
//! than Rust fields and types, with a hint where the likely mistake is plain.

use crate::scenario::did_you_mean;
use crate::scenario::units;

/// The key whose value starts at byte `at`: `servers` in `servers = "ten"`, `parallelism`
/// in `restart = { parallelism = "x" }`.
pub(super) fn key_before(text: &str, at: usize) -> Option<&str> {
    let before = text.get(..at)?;
    let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
    let lhs = line.trim_end().strip_suffix('=')?.trim_end();
    let key = lhs
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '{' | ',' | '['))
        .next()?;
    (!key.is_empty()).then_some(key)
}

/// Serde speaks of fields and Rust types; a scenario's author writes keys and values.
pub(super) fn plain_serde_message(message: &str) -> String {
    message
        .replace("unknown field", "unknown key")
        .replace("missing field", "missing required key")
        .replace(", expected one of", "; allowed keys:")
        .replace(", expected", "; expected")
        .replace("expected i64", "expected a whole number")
        .replace("expected f64", "expected a number")
        .replace(
            "expected a sequence",
            "expected an array such as [\"index\"]",
        )
        .replace("invalid type: ", "")
        .replace("invalid value: ", "")
        .replace(" as i128", ", too large")
        .replace("map; expected a string", "a table; expected a string")
        .replace("map, expected", "a table; expected")
        .split(' ')
        .map(|word| {
            // serde names the Rust type it wanted: say what the user writes instead.
            if word.starts_with("Raw") {
                "table".to_string()
            } else {
                word.replace("struct", "a")
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `plain`, the reader's error `message` (serde's words) in plain words, with a hint about
/// `key`: the allowed key an unknown one is likely a typo of, or how to write a number
/// given in quotes.
pub(super) fn with_hint(plain: String, message: &str, key: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let Some((unknown, allowed)) = rest.split_once('`') else {
            return plain;
        };
        // ", expected one of `a`, `b`" (or "`a` or `b`"): the quoted words.
        let allowed = allowed.split('`').skip(1).step_by(2);
        return match did_you_mean(unknown, allowed) {
            Some(near) if plain.contains("; allowed keys:") => plain.replacen(
                "; allowed keys:",
                &format!("; did you mean `{near}`? Allowed keys:"),
                1,
            ),
            Some(near) => format!("{plain}; did you mean `{near}`?"),
            None => plain,
        };
    }
    let Some(rest) = message.strip_prefix("invalid type: string \"") else {
        return plain;
    };
    let Some((written, wanted)) = rest.rsplit_once("\", expected ") else {
        return plain;
    };
    let number = matches!(wanted, "f64" | "i64");
    let hint = if number && written.trim().parse::<f64>().is_ok() {
        format!(
            " (a number is written without quotes: `{key} = {}`)",
            written.trim()
        )
    } else if wanted == "f64" {
        match units::parse_percent(written) {
            Some(p) => {
                format!(" (a probability is written as a number: `{key} = {p}` for {written:?})")
            }
            None => String::new(),
        }
    } else {
        String::new()
    };
    plain + &hint
}
