//! From what the user wrote ([`RawScenario`]) to the checked [`Model`]: every value is
//! checked here once, and every problem is reported at its position in the file.
//!
//! [`build`] reads the TOML; the `Checker` then takes the file section by section, in an
//! order that decides which of several mistakes is reported: node names, the nodes and their
//! edges, the edges as a whole, the command, then the scenario's own keys.

mod command;
mod data;
mod delay;
mod edges;
mod header;
mod messages;
mod names;
mod nodes;
mod subsystem;
mod values;

use self::messages::{key_before, plain_serde_message, with_hint};
use super::Model;
use crate::scenario::raw::{RawScenario, Spanned};
use crate::scenario::{ScenarioError, ScenarioErrorKind};

type Result<T> = std::result::Result<T, ScenarioError>;

/// Parses and checks a scenario; `origin` names it in errors.
pub(crate) fn build(origin: &str, text: &str) -> Result<Model> {
    let raw: RawScenario = crate::scenario::read(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        let key = key_before(text, at);
        let mut message = plain_serde_message(e.message().trim());
        if let (true, Some(key)) = (e.message().starts_with("invalid "), key) {
            message = format!("`{key}` is {message}");
        }
        message = with_hint(message, e.message(), key.unwrap_or("key"));
        // What is written at the error, up to `=` or the end of its line.
        let here = text.get(at..).unwrap_or("");
        let written = here
            .lines()
            .next()
            .unwrap_or("")
            .split('=')
            .next()
            .unwrap_or("")
            .trim();
        if message == "duplicate key" {
            message = if written.is_empty() {
                "a key is given twice; expected each key once in a table".into()
            } else {
                format!("`{written}` is given twice; expected each key once in a table")
            };
        } else if let Some(name) = written
            .strip_prefix("[[")
            .and_then(|w| w.strip_suffix("]]"))
        {
            message = format!("`{written}` makes a list of tables; expected one table, `[{name}]`");
        }
        ScenarioError::at(origin, text, at, ScenarioErrorKind::Syntax(message))
    })?;
    Checker { origin, text }.model(raw)
}

/// Checks one scenario file's values, naming it and pointing into its text in errors.
struct Checker<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn model(&self, raw: RawScenario) -> Result<Model> {
        let names = self.names(&raw)?;
        let resolve = |key: &str, r: &Spanned<String>| self.resolve(&names, key, r);
        let (nodes, edges) = self.nodes(&raw, &resolve)?;
        self.standbys_are_fallbacks(&nodes, &edges)?;
        let graph = self.graph(&nodes, &edges)?;
        let command = self.command(&raw.command, &nodes, &resolve)?;
        let operations = match &raw.operations {
            Some(o) => Some(self.operations(o)?),
            None => None,
        };
        let header = &raw.scenario;
        let horizon = self.horizon(header.horizon.as_ref())?;
        Ok(Model {
            name: header.name.get_ref().clone(),
            description: header.description.clone().unwrap_or_default(),
            origin: self.origin.to_string(),
            horizon,
            start_clock: self.clock(header.start_clock.as_ref())?,
            nodes,
            graph,
            command,
            operations,
        })
    }
}
