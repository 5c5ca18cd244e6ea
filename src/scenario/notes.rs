//! What a scenario file says in its comments: the opening comment (where it came from, the
//! public figures) and every value marked `ASSUMED`, which a report lists so that a reader
//! sees what is sourced and what is a guess.

/// The comments of a scenario's text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Notes {
    /// The comment lines before the first table or key, without their `#`.
    pub preface: Vec<String>,
    /// Each line whose comment says `ASSUMED`, in file order.
    pub assumed: Vec<Assumed>,
}

/// One assumption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assumed {
    /// The dotted path of the key it marks (`subsystems.index.servers`); the table's
    /// path for a comment on a line of its own.
    pub key: String,
    /// The value as written; empty for a comment on a line of its own.
    pub value: String,
    /// The comment after `#`.
    pub comment: String,
}

/// Reads the comments of scenario text `text` line by line: a `[table]` header sets the
/// path of the keys under it; `key = value # …ASSUMED…` gives an assumption about that
/// key, and so does a block of comment lines that says `ASSUMED`, about the key or table
/// right under it (or, with a blank line after it, about the table it is in). A `#`
/// inside a quoted string is not taken for a comment.
pub fn notes(text: &str) -> Notes {
    let mut notes = Notes::default();
    let mut table = String::new();
    let mut started = false;
    // The comment lines above the current line.
    let mut block: Vec<&str> = Vec::new();
    let flush = |block: &mut Vec<&str>, key: &str, notes: &mut Notes| {
        if block.iter().any(|l| l.contains("ASSUMED")) {
            notes.assumed.push(Assumed {
                key: key.to_string(),
                value: String::new(),
                comment: block.join(" "),
            });
        }
        block.clear();
    };
    for line in text.lines() {
        let (code, comment) = split_comment(line.trim());
        let code = code.trim();
        if !started {
            if code.is_empty() {
                if let Some(c) = comment {
                    notes.preface.push(c.to_string());
                }
                continue;
            }
            started = true;
        }
        if code.is_empty() {
            match comment {
                Some(c) => block.push(c),
                None => flush(&mut block, &table, &mut notes),
            }
            continue;
        }
        let key = if let Some(header) = code.strip_prefix('[') {
            table = header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string();
            table.clone()
        } else {
            let k = code.split_once('=').map_or(code, |(k, _)| k);
            let k = k.trim().trim_matches('"');
            if table.is_empty() {
                k.to_string()
            } else {
                format!("{table}.{k}")
            }
        };
        flush(&mut block, &key, &mut notes);
        let Some(comment) = comment.filter(|c| c.contains("ASSUMED")) else {
            continue;
        };
        let value = match code.split_once('=') {
            Some((_, v)) if !code.starts_with('[') => v.trim().to_string(),
            _ => String::new(),
        };
        notes.assumed.push(Assumed {
            key,
            value,
            comment: comment.to_string(),
        });
    }
    flush(&mut block, &table, &mut notes);
    while notes.preface.last().is_some_and(|l| l.is_empty()) {
        notes.preface.pop();
    }
    notes
}

/// The code and the comment of a line: the comment starts at the first `#` outside a
/// string, and is trimmed.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut quote: Option<char> = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return (&line[..i], Some(line[i + 1..].trim())),
            _ => {}
        }
    }
    (line, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preface_and_each_assumed_value_with_its_key() {
        let text =
            "# S3, 2017.\n#\n# Public timeline.\n\n[scenario]\nname = \"x # y\"  # sourced\n\
                    [subsystems.index]\nservers = 240   # ASSUMED: a guess\n\
                    # ASSUMED growth\n# of 45% a year\nrestart = { parallelism = 60 }\n";
        let n = notes(text);
        assert_eq!(n.preface, ["S3, 2017.", "", "Public timeline."]);
        assert_eq!(
            n.assumed,
            [
                Assumed {
                    key: "subsystems.index.servers".into(),
                    value: "240".into(),
                    comment: "ASSUMED: a guess".into(),
                },
                Assumed {
                    key: "subsystems.index.restart".into(),
                    value: String::new(),
                    comment: "ASSUMED growth of 45% a year".into(),
                },
            ]
        );
    }

    #[test]
    fn every_builtin_marks_what_it_assumes() {
        for b in crate::scenario::BUILTINS {
            let n = notes(b.text);
            assert!(!n.preface.is_empty(), "{} has no opening comment", b.name);
            assert!(
                n.assumed.iter().all(|a| !a.key.is_empty()),
                "{}: {:?}",
                b.name,
                n.assumed
            );
        }
    }
}
