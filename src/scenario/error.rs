//! Errors in a scenario file, each with the position of what the user wrote.

use std::fmt;

/// A problem in a scenario file: where it is (`file:line:column`) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file path, or `builtin:NAME` for a built-in scenario.
    pub origin: String,
    /// 1-based line of the offending text.
    pub line: usize,
    /// 1-based column (in characters) of the offending text.
    pub column: usize,
    /// What is wrong.
    pub kind: ScenarioErrorKind,
}

/// What is wrong in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioErrorKind {
    /// The TOML could not be read into the scenario's shape: bad syntax, an unknown key
    /// (the message lists the allowed ones), a missing key or a value of the wrong type.
    Syntax(String),
    /// A value of the right type that is not allowed here.
    InvalidValue {
        /// Dotted path of the key, e.g. `subsystems.index.servers`.
        key: String,
        /// The value as written.
        found: String,
        /// What is allowed.
        expected: String,
    },
    /// A reference to a node that the scenario does not define.
    UnknownNode {
        /// Dotted path of the key holding the reference.
        key: String,
        /// The name referred to.
        name: String,
        /// The names that may be referred to here.
        known: Vec<String>,
    },
    /// Two nodes (subsystem, service or standby) share a name.
    DuplicateNode {
        /// The shared name.
        name: String,
    },
    /// The dependencies form a cycle, so nothing on it could ever recover.
    Cycle {
        /// The nodes on the cycle, the first repeated at the end.
        path: Vec<String>,
    },
}

impl ScenarioError {
    /// An error at byte offset `at` of `text`.
    pub(crate) fn at(origin: &str, text: &str, at: usize, kind: ScenarioErrorKind) -> Self {
        let (line, column) = line_column(text, at);
        ScenarioError {
            origin: origin.to_string(),
            line,
            column,
            kind,
        }
    }
}

/// 1-based line and column (in characters) of byte offset `at`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.origin, self.line, self.column, self.kind
        )
    }
}

impl fmt::Display for ScenarioErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScenarioErrorKind::Syntax(message) => f.write_str(message),
            ScenarioErrorKind::InvalidValue {
                key,
                found,
                expected,
            } => write!(f, "`{key}` is {found}; expected {expected}"),
            ScenarioErrorKind::UnknownNode { key, name, known } => {
                write!(f, "`{key}` refers to unknown node {name:?}; ")?;
                if let Some(near) = did_you_mean(name, known.iter().map(String::as_str)) {
                    write!(f, "did you mean {near:?}? ")?;
                }
                if known.is_empty() {
                    f.write_str("there is nothing it may refer to")
                } else if known.len() <= SHOWN {
                    write!(f, "known: {}", known.join(", "))
                } else {
                    let closest = closest(name, known);
                    write!(
                        f,
                        "the closest known: {}, and {} others",
                        closest.join(", "),
                        known.len() - closest.len()
                    )
                }
            }
            ScenarioErrorKind::DuplicateNode { name } => write!(
                f,
                "node {name:?} is defined twice; subsystems, services and standbys share one namespace"
            ),
            ScenarioErrorKind::Cycle { path } => {
                // A long cycle shows its ends: the first nodes, then the last.
                let shown = if path.len() > 2 * SHOWN {
                    format!(
                        "{} -> … ({} more) … -> {}",
                        path[..SHOWN].join(" -> "),
                        path.len() - 2 * SHOWN,
                        path[path.len() - SHOWN..].join(" -> ")
                    )
                } else {
                    path.join(" -> ")
                };
                write!(
                    f,
                    "dependency cycle {shown}: nothing on it could ever recover; dependencies (needs, needs_any, restart_after) must not form a cycle"
                )
            }
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Names listed in a message at most: a file of 100,000 nodes must not print them all.
const SHOWN: usize = 10;

/// The [`SHOWN`] names of `known` closest to `name` by edit distance, closest first (ties
/// in the order known).
fn closest<'a>(name: &str, known: &'a [String]) -> Vec<&'a str> {
    let mut scored: Vec<(usize, usize, &str)> = known
        .iter()
        .enumerate()
        .map(|(i, k)| (edit_distance(name, k), i, k.as_str()))
        .collect();
    scored.sort_unstable();
    scored.into_iter().take(SHOWN).map(|(_, _, k)| k).collect()
}

/// The one of `candidates` that `word` is most likely a typo of: the nearest by edit
/// distance, if within a third of the word's length (at least one edit; the first of equals).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let most = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= most)
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

/// Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // the byte after the two-byte 'é' is the third character of line 2
        assert_eq!(line_column(text, 9), (2, 3));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
