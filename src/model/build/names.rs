//! Node names and references to them: every name checked once, in the order the nodes are
//! built (its position is its [`NodeId`]), and each reference resolved to the node it names,
//! or an error listing the names there are.

use std::collections::HashMap;

use super::{Checker, Result};
use crate::model::{Node, NodeId, NodeKind};
use crate::scenario::raw::{RawScenario, Spanned};
use crate::scenario::ScenarioErrorKind;

/// Each name's position, looked up once per reference: a map, so that checking stays linear
/// in the file.
pub(super) fn index(names: &[String]) -> HashMap<&str, usize> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect()
}

impl Checker<'_> {
    /// All node names, each checked, in the order the nodes are built: subsystems, services,
    /// customers, standbys (a name's position is its `NodeId`).
    pub(super) fn names(&self, raw: &RawScenario) -> Result<Vec<String>> {
        let keys = raw
            .subsystems
            .keys()
            .chain(raw.services.keys())
            .chain(raw.customers.keys())
            .chain(raw.standbys.keys());
        let mut names: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for key in keys {
            let name = key.get_ref();
            let ok = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !ok {
                return Err(self.invalid(
                    key.span(),
                    "node name",
                    format!("{name:?}"),
                    "a name of ASCII letters, digits, '-', '_' or '.'",
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(self.error(
                    key.span(),
                    ScenarioErrorKind::DuplicateNode { name: name.clone() },
                ));
            }
            names.push(name.clone());
        }
        Ok(names)
    }

    /// The node that `r`, written at `key`, names among `names` (positions in `index`).
    pub(super) fn resolve(
        &self,
        (names, index): (&[String], &HashMap<&str, usize>),
        key: &str,
        r: &Spanned<String>,
    ) -> Result<NodeId> {
        index
            .get(r.get_ref().as_str())
            .map(|&i| NodeId(i))
            .ok_or_else(|| {
                self.error(
                    r.span(),
                    ScenarioErrorKind::UnknownNode {
                        key: key.to_string(),
                        name: r.get_ref().clone(),
                        known: names.to_vec(),
                    },
                )
            })
    }

    pub(super) fn subsystem_ref(
        &self,
        key: &str,
        r: &Spanned<String>,
        nodes: &[Node],
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
    ) -> Result<NodeId> {
        let id = resolve(key, r)?;
        if matches!(nodes[id.0].kind, NodeKind::Subsystem(_)) {
            return Ok(id);
        }
        let subsystems: Vec<&str> = nodes
            .iter()
            .filter(|n| matches!(n.kind, NodeKind::Subsystem(_)))
            .map(|n| n.name.as_str())
            .collect();
        Err(self.invalid(
            r.span(),
            key,
            format!("{:?}, a {}", r.get_ref(), nodes[id.0].kind.label()),
            format!("the name of a subsystem ({})", subsystems.join(", ")),
        ))
    }
}
