//! The four kinds of node, each section's entries in file order: `[subsystems]`,
//! `[services]`, `[customers]` and `[standbys]`, each checked into a [`Node`] with its
//! dependency edges, each edge where the user wrote it. A node's position is its [`NodeId`],
//! as [`Checker::names`] numbered them.

use super::edges::Edge;
use super::values::describe;
use super::{Checker, Result};
use crate::model::graph::EdgeKind;
use crate::model::{Backlog, Failover, Node, NodeId, NodeKind};
use crate::scenario::raw::{Named, RawScenario, Spanned};
use crate::scenario::units::{self, PERCENT_FORMAT};

/// The node a reference, written at a key, names.
pub(super) type Resolve<'a> = dyn Fn(&str, &Spanned<String>) -> Result<NodeId> + Sync + 'a;

/// Nodes are checked this many at a time, a whole block on the pool's threads (a smaller
/// one, as in most files, on the calling thread): checked nodes wait to be added only a
/// block at a time (all of them at once held 45 MB more at 100,000 subsystems).
const BLOCK: usize = 1024;

/// Checks each entry of `table` with `check` (on the pool's threads when there are many),
/// numbered on from the nodes there are, and adds them and their edges in file order: the
/// mistake reported is the first in the file, as when they are checked one by one.
fn each_node<T: Sync>(
    table: &Named<T>,
    (nodes, edges): (&mut Vec<Node>, &mut Vec<Edge>),
    check: impl Fn(NodeId, &Spanned<String>, &T) -> Result<(Node, Vec<Edge>)> + Sync,
) -> Result<()> {
    use rayon::prelude::*;
    let entries: Vec<(&Spanned<String>, &T)> = table.iter().collect();
    for block in entries.chunks(BLOCK) {
        let first = nodes.len();
        let one =
            |(i, &(name, t)): (usize, &(&Spanned<String>, &T))| check(NodeId(first + i), name, t);
        let checked: Vec<_> = if block.len() < BLOCK {
            block.iter().enumerate().map(one).collect()
        } else {
            block.par_iter().enumerate().map(one).collect()
        };
        for c in checked {
            let (node, more) = c?;
            nodes.push(node);
            edges.extend(more);
        }
    }
    Ok(())
}

impl Checker<'_> {
    /// Every node, subsystems first, then services, customers and standbys, and the
    /// dependency edges between them.
    pub(super) fn nodes(
        &self,
        raw: &RawScenario,
        resolve: &Resolve,
    ) -> Result<(Vec<Node>, Vec<Edge>)> {
        let count =
            raw.subsystems.len() + raw.services.len() + raw.customers.len() + raw.standbys.len();
        let mut nodes = Vec::with_capacity(count);
        let mut edges = Vec::new();
        self.subsystem_nodes(raw, resolve, (&mut nodes, &mut edges))?;
        self.service_nodes(raw, resolve, (&mut nodes, &mut edges))?;
        self.customer_nodes(raw, resolve, (&mut nodes, &mut edges))?;
        self.standby_nodes(raw, &mut nodes)?;
        Ok((nodes, edges))
    }

    /// The `[subsystems]`, with what they need and what they restart after.
    fn subsystem_nodes(
        &self,
        raw: &RawScenario,
        resolve: &Resolve,
        out: (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        each_node(&raw.subsystems, out, |id, name, s| {
            let key = format!("subsystems.{}", name.get_ref());
            let mut edges = Vec::new();
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, resolve, &mut edges)?;
            let mut restart_after = Vec::new();
            for r in &s.restart_after {
                let from = resolve(&format!("{key}.restart_after"), r)?;
                restart_after.push(from);
                edges.push(Edge {
                    from,
                    to: id,
                    kind: EdgeKind::RestartAfter,
                    span: r.span(),
                });
            }
            let node = Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Subsystem(self.subsystem(&key, s)?),
                needs: deps.0,
                needs_any: deps.1,
                restart_after,
            };
            Ok((node, edges))
        })
    }

    /// The `[services]`, with what they need and their backlogs.
    fn service_nodes(
        &self,
        raw: &RawScenario,
        resolve: &Resolve,
        out: (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        each_node(&raw.services, out, |id, name, s| {
            let key = format!("services.{}", name.get_ref());
            let mut edges = Vec::new();
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, resolve, &mut edges)?;
            let backlog = match &s.backlog {
                Some(b) => {
                    let k = format!("{key}.backlog.headroom");
                    let headroom =
                        self.with_units(&k, &b.headroom, PERCENT_FORMAT, units::parse_percent)?;
                    if headroom <= 0.0 {
                        return Err(self.invalid(
                            b.headroom.span(),
                            &k,
                            describe(b.headroom.get_ref()),
                            "spare capacity above 0%",
                        ));
                    }
                    Some(Backlog { headroom })
                }
                None => None,
            };
            let node = Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Service {
                    backlog,
                    internal: s.internal,
                },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            };
            Ok((node, edges))
        })
    }

    /// The `[customers]`, with the alternatives they run on and how they fail over.
    fn customer_nodes(
        &self,
        raw: &RawScenario,
        resolve: &Resolve,
        out: (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        each_node(&raw.customers, out, |id, name, c| {
            let key = format!("customers.{}", name.get_ref());
            let mut edges = Vec::new();
            let deps = self.dependencies(
                &key,
                id,
                &c.needs,
                c.needs_any.get_ref(),
                resolve,
                &mut edges,
            )?;
            if deps.1.is_empty() {
                return Err(self.invalid(
                    c.needs_any.span(),
                    &format!("{key}.needs_any"),
                    "empty".into(),
                    "the alternatives it can run on, such as [\"s3-east\", \"s3-west\"]",
                ));
            }
            let failover = Failover {
                detection: self
                    .delay(&format!("{key}.failover.detection"), &c.failover.detection)?,
                switch: self.delay(&format!("{key}.failover.switch"), &c.failover.switch)?,
            };
            let node = Node {
                name: name.get_ref().clone(),
                description: c.description.clone().unwrap_or_default(),
                kind: NodeKind::Customer { failover },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            };
            Ok((node, edges))
        })
    }

    /// The `[standbys]`: nothing to need, an activation time.
    fn standby_nodes(&self, raw: &RawScenario, nodes: &mut Vec<Node>) -> Result<()> {
        for (name, s) in &raw.standbys {
            let key = format!("standbys.{}", name.get_ref());
            let activation = self.duration(&format!("{key}.activation"), &s.activation)?;
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Standby { activation },
                needs: Vec::new(),
                needs_any: Vec::new(),
                restart_after: Vec::new(),
            });
        }
        Ok(())
    }

    /// What node `id`, written at `key`, `needs` and `needs_any`, each an edge.
    fn dependencies(
        &self,
        key: &str,
        id: NodeId,
        needs: &[Spanned<String>],
        needs_any: &[Spanned<String>],
        resolve: &Resolve,
        edges: &mut Vec<Edge>,
    ) -> Result<(Vec<NodeId>, Vec<NodeId>)> {
        let mut out = (Vec::new(), Vec::new());
        for (list, field, kind, ids) in [
            (needs, "needs", EdgeKind::Needs, &mut out.0),
            (needs_any, "needs_any", EdgeKind::NeedsAny, &mut out.1),
        ] {
            for r in list {
                let from = resolve(&format!("{key}.{field}"), r)?;
                ids.push(from);
                edges.push(Edge {
                    from,
                    to: id,
                    kind,
                    span: r.span(),
                });
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::{generate, parse, Shape};

    /// Checked on the pool's threads, a big file's nodes still report the mistake that
    /// comes first in it, whichever of them a thread reached first.
    #[test]
    fn the_first_mistake_in_a_big_file_is_the_one_reported() {
        let shape = Shape {
            subsystems: 3 * super::BLOCK,
            services: 2 * super::BLOCK,
            needs: 2,
            hits: 10,
            seed: 7,
        };
        let text = generate(shape);
        let model = parse("big.toml", &text).expect("generated scenarios are valid");
        assert_eq!(model.nodes.len(), 5 * super::BLOCK);
        // Two mistakes in one block of subsystems (1,024 to 2,047, checked by both threads
        // at once, the later one in the half a second thread takes), then one among the
        // services.
        let broken = |text: &str, node: &str, from: &str, to: &str| {
            let at = text.find(&format!("\n[{node}]\n")).expect("node");
            let (head, tail) = text.split_at(at);
            format!("{head}{}", tail.replacen(from, to, 1))
        };
        let late = broken(
            &text,
            "subsystems.s1900",
            "min_capacity = 15",
            "min_capacity = 21",
        );
        let both = broken(&late, "subsystems.s1100", "servers = 20", "servers = 0");
        let all = broken(
            &both,
            "services.api1500",
            "needs = [",
            "needs = [\"nowhere\", ",
        );
        for (text, key) in [
            (&late, "subsystems.s1900.min_capacity"),
            (&both, "subsystems.s1100.servers"),
            (&all, "subsystems.s1100.servers"),
        ] {
            let e = parse("big.toml", text).expect_err("a mistake");
            assert!(e.to_string().contains(key), "{key}: {e}");
        }
    }
}
