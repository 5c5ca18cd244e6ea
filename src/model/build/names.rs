//! Node names and references to them: every name checked once, in the order the nodes are
//! built (its position is its [`NodeId`]), and each reference resolved to the node it names,
//! or an error listing the names there are.

use std::collections::HashMap;

use super::{Checker, Result};
use crate::model::{Node, NodeId, NodeKind};
use crate::scenario::raw::{RawScenario, Spanned};
use crate::scenario::ScenarioErrorKind;

/// Each node's name and position (its [`NodeId`]), looked up once per reference: a map,
/// so that checking stays linear in the file. Borrowed from what the user wrote.
pub(super) type Names<'r> = HashMap<&'r str, usize>;

impl Checker<'_> {
    /// All node names, each checked, numbered in the order the nodes are built:
    /// subsystems, services, customers, standbys.
    pub(super) fn names<'r>(&self, raw: &'r RawScenario) -> Result<Names<'r>> {
        let keys = raw
            .subsystems
            .keys()
            .chain(raw.services.keys())
            .chain(raw.customers.keys())
            .chain(raw.standbys.keys());
        let mut names = Names::with_capacity(
            raw.subsystems.len() + raw.services.len() + raw.customers.len() + raw.standbys.len(),
        );
        for key in keys {
            let name = key.get_ref();
            let ok = !name.is_empty()
                && name
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if !ok {
                return Err(self.invalid(
                    key.span(),
                    "node name",
                    format!("{name:?}"),
                    "a name of ASCII letters, digits, '-', '_' or '.'",
                ));
            }
            let next = names.len();
            if names.insert(name, next).is_some() {
                return Err(self.error(
                    key.span(),
                    ScenarioErrorKind::DuplicateNode { name: name.clone() },
                ));
            }
        }
        Ok(names)
    }

    /// The node that `r`, written at `key`, names.
    pub(super) fn resolve(
        &self,
        names: &Names<'_>,
        key: &str,
        r: &Spanned<String>,
    ) -> Result<NodeId> {
        names
            .get(r.get_ref().as_str())
            .map(|&i| NodeId(i))
            .ok_or_else(|| {
                let mut known: Vec<(&str, usize)> = names.iter().map(|(&n, &i)| (n, i)).collect();
                known.sort_unstable_by_key(|&(_, i)| i);
                self.error(
                    r.span(),
                    ScenarioErrorKind::UnknownNode {
                        key: key.to_string(),
                        name: r.get_ref().clone(),
                        known: known.into_iter().map(|(n, _)| n.to_string()).collect(),
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
