//! The four kinds of node, each section's entries in file order: `[subsystems]`,
//! `[services]`, `[customers]` and `[standbys]`, each checked into a [`Node`] with its
//! dependency edges, each edge where the user wrote it. A node's position is its [`NodeId`],
//! as [`Checker::names`] numbered them.

use super::edges::Edge;
use super::values::describe;
use super::{Checker, Result};
use crate::model::graph::EdgeKind;
use crate::model::{Backlog, Failover, Node, NodeId, NodeKind};
use crate::scenario::raw::{RawScenario, Spanned};
use crate::scenario::units::{self, PERCENT_FORMAT};

impl Checker<'_> {
    /// Every node, subsystems first, then services, customers and standbys, and the
    /// dependency edges between them.
    pub(super) fn nodes(
        &self,
        raw: &RawScenario,
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
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
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
        (nodes, edges): (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        for (name, s) in &raw.subsystems {
            let key = format!("subsystems.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, resolve, edges)?;
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
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Subsystem(self.subsystem(&key, s)?),
                needs: deps.0,
                needs_any: deps.1,
                restart_after,
            });
        }
        Ok(())
    }

    /// The `[services]`, with what they need and their backlogs.
    fn service_nodes(
        &self,
        raw: &RawScenario,
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
        (nodes, edges): (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        for (name, s) in &raw.services {
            let key = format!("services.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps = self.dependencies(&key, id, &s.needs, &s.needs_any, resolve, edges)?;
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
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: s.description.clone().unwrap_or_default(),
                kind: NodeKind::Service {
                    backlog,
                    internal: s.internal,
                },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            });
        }
        Ok(())
    }

    /// The `[customers]`, with the alternatives they run on and how they fail over.
    fn customer_nodes(
        &self,
        raw: &RawScenario,
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
        (nodes, edges): (&mut Vec<Node>, &mut Vec<Edge>),
    ) -> Result<()> {
        for (name, c) in &raw.customers {
            let key = format!("customers.{}", name.get_ref());
            let id = NodeId(nodes.len());
            let deps =
                self.dependencies(&key, id, &c.needs, c.needs_any.get_ref(), resolve, edges)?;
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
            nodes.push(Node {
                name: name.get_ref().clone(),
                description: c.description.clone().unwrap_or_default(),
                kind: NodeKind::Customer { failover },
                needs: deps.0,
                needs_any: deps.1,
                restart_after: Vec::new(),
            });
        }
        Ok(())
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
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
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
