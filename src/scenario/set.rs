//! `--set KEY=VALUE`: changes to a scenario's text before it is read, by dotted path
//! (`subsystems.index.restart.parallelism=120`). The edited text is then read and checked
//! exactly like a file, so an unknown key, a wrong unit or a value out of range gets the
//! same message as in a file. Formatting and line numbers of the lines not changed are
//! kept.

use std::fmt;
use std::str::FromStr;

use toml_edit::{DocumentMut, InlineTable, Item, Value};

use crate::error::Error;

/// One change: the value at a dotted path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    /// The path, split at its dots; a number picks an element of an array of tables
    /// (`command.target_typos.matches.0.weight`).
    pub path: Vec<String>,
    /// The value as written: TOML (`120`, `"3m"`, `{ mode = "refuse" }`), or else a bare
    /// string (`3m`).
    pub value: String,
}

impl FromStr for Set {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = |expected: &str| Error::InvalidOption {
            option: "--set",
            value: s.to_string(),
            expected: expected.to_string(),
        };
        let (path, value) = s.split_once('=').ok_or_else(|| {
            invalid("KEY=VALUE, with KEY a dotted path such as subsystems.index.servers")
        })?;
        let path: Vec<String> = path
            .trim()
            .split('.')
            .map(|p| p.trim().to_string())
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(invalid("a dotted path of keys, none empty, before the ="));
        }
        Ok(Set {
            path,
            value: value.trim().to_string(),
        })
    }
}

impl fmt::Display for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path.join("."), self.value)
    }
}

/// Applies `sets` in order to the scenario `text`; tables on the way that do not exist
/// yet are created (so `--set command.safeguards.min_capacity_guard.mode=refuse` adds a
/// guard). What the keys and values mean is checked afterwards, when the text is read.
pub fn apply(text: &str, sets: &[Set]) -> Result<String, Error> {
    if sets.is_empty() {
        return Ok(text.to_string());
    }
    // The text was read as TOML before it got here only if it is valid: if not, leave it
    // to the reader, which reports where.
    let Ok(mut doc) = text.parse::<DocumentMut>() else {
        return Ok(text.to_string());
    };
    for set in sets {
        let value = set
            .value
            .parse::<Value>()
            .unwrap_or_else(|_| Value::from(set.value.as_str()));
        put(doc.as_item_mut(), set, value)?;
    }
    Ok(doc.to_string())
}

fn put(root: &mut Item, set: &Set, value: Value) -> Result<(), Error> {
    let not_a_table = |depth: usize, what: &str| Error::InvalidOption {
        option: "--set",
        value: set.to_string(),
        expected: format!(
            "a path through tables, but `{}` is {what}",
            set.path[..depth].join(".")
        ),
    };
    let (last, parents) = set.path.split_last().expect("a path has a key");
    let mut item = root;
    for (depth, key) in parents.iter().enumerate() {
        item = match item {
            Item::ArrayOfTables(array) => {
                let len = array.len();
                let i = key.parse::<usize>().ok().filter(|&i| i < len);
                let Some(i) = i else {
                    return Err(not_a_table(
                        depth,
                        &format!(
                            "a list of {len} tables: index it with 0 to {}",
                            len.saturating_sub(1)
                        ),
                    ));
                };
                let table = array.get_mut(i).expect("index checked");
                return put_in_array(table, &set.path[depth + 1..], set, value);
            }
            _ => {
                let inline = item.is_inline_table();
                let Some(table) = item.as_table_like_mut() else {
                    return Err(not_a_table(depth, "a value"));
                };
                if table.get(key).is_none() {
                    let empty = if inline {
                        Item::Value(Value::InlineTable(InlineTable::new()))
                    } else {
                        toml_edit::table()
                    };
                    table.insert(key, empty);
                }
                table.get_mut(key).expect("inserted")
            }
        };
    }
    let Some(table) = item.as_table_like_mut() else {
        return Err(not_a_table(parents.len(), "a value"));
    };
    table.insert(last, Item::Value(value));
    Ok(())
}

/// Continues a path inside one table of an array of tables.
fn put_in_array(
    table: &mut toml_edit::Table,
    rest: &[String],
    set: &Set,
    value: Value,
) -> Result<(), Error> {
    let mut item = Item::Table(std::mem::take(table));
    let inner = Set {
        path: rest.to_vec(),
        value: set.value.clone(),
    };
    let result = put(&mut item, &inner, value).map_err(|e| match e {
        Error::InvalidOption { expected, .. } => Error::InvalidOption {
            option: "--set",
            value: set.to_string(),
            expected,
        },
        other => other,
    });
    if let Item::Table(t) = item {
        *table = t;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> Set {
        s.parse().unwrap()
    }

    const TEXT: &str = "[scenario]\nname = \"x\"\n\n[subsystems.a]\nservers = 10 # ten\n\
                        restart = { parallelism = 2, boot_time = { dist = \"constant\", value = \"1m\" } }\n\n\
                        [[command.target_typos.matches]]\nname = \"m\"\n";

    #[test]
    fn changes_values_in_tables_inline_tables_and_arrays_of_tables() {
        let out = apply(
            TEXT,
            &[
                set("subsystems.a.servers=12"),
                set("subsystems.a.restart.parallelism = 4"),
                set("subsystems.a.restart.boot_time.value=2m"),
                set("command.target_typos.matches.0.weight=0.5"),
            ],
        )
        .unwrap();
        let v: toml::Value = toml::from_str(&out).unwrap();
        assert_eq!(v["subsystems"]["a"]["servers"].as_integer(), Some(12));
        let restart = &v["subsystems"]["a"]["restart"];
        assert_eq!(restart["parallelism"].as_integer(), Some(4));
        assert_eq!(restart["boot_time"]["value"].as_str(), Some("2m"));
        let m = &v["command"]["target_typos"]["matches"][0];
        assert_eq!(m["weight"].as_float(), Some(0.5));
        // Lines not changed keep their place: `[subsystems.a]` is still line 4.
        assert_eq!(out.lines().nth(3), Some("[subsystems.a]"));
    }

    #[test]
    fn creates_the_tables_on_the_way() {
        let out = apply(
            TEXT,
            &[set("command.safeguards.min_capacity_guard.mode=refuse")],
        )
        .unwrap();
        let v: toml::Value = toml::from_str(&out).unwrap();
        let guard = &v["command"]["safeguards"]["min_capacity_guard"];
        assert_eq!(guard["mode"].as_str(), Some("refuse"));
    }

    #[test]
    fn says_what_is_wrong_with_a_path() {
        let e = apply(TEXT, &[set("subsystems.a.servers.x=1")]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid value \"subsystems.a.servers.x=1\" for --set: expected a path through \
             tables, but `subsystems.a.servers` is a value"
        );
        let e = apply(TEXT, &[set("command.target_typos.matches.3.weight=1")]).unwrap_err();
        assert!(
            e.to_string()
                .contains("a list of 1 tables: index it with 0 to 0"),
            "{e}"
        );
        assert!("novalue".parse::<Set>().is_err());
        assert!("a..b=1".parse::<Set>().is_err());
    }
}
