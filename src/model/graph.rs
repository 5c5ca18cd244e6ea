//! The dependency graph (petgraph): an edge runs from a dependency to the node that
//! depends on it. Built only if acyclic, so an order exists in which every node comes
//! after everything it needs or restarts after.

use petgraph::algo::{tarjan_scc, toposort};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;

use super::NodeId;

/// How one node depends on another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// Unavailable while the dependency is unavailable.
    Needs,
    /// One of a group of alternatives.
    NeedsAny,
    /// Cold restart waits until the dependency is serving.
    RestartAfter,
}

/// The dependency graph with a topological order.
#[derive(Clone, Debug)]
pub struct DependencyGraph {
    graph: DiGraph<NodeId, EdgeKind>,
    order: Vec<NodeId>,
    levels: Vec<u32>,
}

impl DependencyGraph {
    /// Builds the graph of `n` nodes; on a cycle, returns it as a path whose first node
    /// is repeated at the end.
    pub fn new(n: usize, edges: &[(NodeId, NodeId, EdgeKind)]) -> Result<Self, Vec<NodeId>> {
        let mut graph = DiGraph::with_capacity(n, edges.len());
        for i in 0..n {
            graph.add_node(NodeId(i));
        }
        for &(from, to, kind) in edges {
            graph.add_edge(NodeIndex::new(from.0), NodeIndex::new(to.0), kind);
        }
        let order: Vec<NodeId> = match toposort(&graph, None) {
            Ok(order) => order.into_iter().map(|ix| graph[ix]).collect(),
            Err(cycle) => return Err(find_cycle(&graph, cycle.node_id())),
        };
        let mut levels = vec![0u32; n];
        for &id in &order {
            let ix = NodeIndex::new(id.0);
            let level = graph
                .edges_directed(ix, petgraph::Direction::Incoming)
                .filter(|e| *e.weight() != EdgeKind::RestartAfter)
                .map(|e| levels[e.source().index()] + 1)
                .max()
                .unwrap_or(0);
            levels[id.0] = level;
        }
        Ok(DependencyGraph {
            graph,
            order,
            levels,
        })
    }

    /// Every node, each after all it depends on.
    pub fn order(&self) -> &[NodeId] {
        &self.order
    }

    /// Length of the longest chain of `needs`/`needs_any` edges ending at `id`
    /// (0 for a node that needs nothing).
    pub fn level(&self, id: NodeId) -> u32 {
        self.levels[id.0]
    }

    /// One more than the longest `needs` chain: the largest cascade depth a run can have.
    pub fn max_cascade_depth(&self) -> u32 {
        self.levels.iter().max().map_or(0, |l| l + 1)
    }

    /// All edges as (dependency, dependent, kind), in insertion order.
    pub fn edges(&self) -> impl Iterator<Item = (NodeId, NodeId, EdgeKind)> + '_ {
        self.graph
            .edge_references()
            .map(|e| (self.graph[e.source()], self.graph[e.target()], *e.weight()))
    }
}

/// A cycle through `start`: a path of nodes inside its strongly connected component.
fn find_cycle(graph: &DiGraph<NodeId, EdgeKind>, start: NodeIndex) -> Vec<NodeId> {
    let component = tarjan_scc(graph)
        .into_iter()
        .find(|c| c.contains(&start))
        .unwrap_or_else(|| vec![start]);
    // Depth-first walk inside the component until an edge leads back to `start`.
    let mut path = vec![start];
    let mut seen = vec![start];
    'walk: while let Some(&at) = path.last() {
        for next in graph.neighbors(at) {
            if next == start {
                path.push(start);
                break 'walk;
            }
            if component.contains(&next) && !seen.contains(&next) {
                seen.push(next);
                path.push(next);
                continue 'walk;
            }
        }
        path.pop();
    }
    path.into_iter().map(|ix| graph[ix]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_puts_dependencies_first() {
        let e = [
            (NodeId(1), NodeId(0), EdgeKind::Needs),
            (NodeId(2), NodeId(1), EdgeKind::RestartAfter),
        ];
        let g = DependencyGraph::new(3, &e).unwrap();
        let pos = |n: usize| g.order().iter().position(|x| x.0 == n).unwrap();
        assert!(pos(2) < pos(1) && pos(1) < pos(0));
        assert_eq!(g.level(NodeId(0)), 1);
        assert_eq!(g.level(NodeId(1)), 0, "restart_after does not add a level");
        assert_eq!(g.max_cascade_depth(), 2);
    }

    #[test]
    fn cycle_is_reported_as_a_path() {
        let e = [
            (NodeId(0), NodeId(1), EdgeKind::Needs),
            (NodeId(1), NodeId(2), EdgeKind::Needs),
            (NodeId(2), NodeId(0), EdgeKind::RestartAfter),
            (NodeId(3), NodeId(0), EdgeKind::Needs),
        ];
        let cycle = DependencyGraph::new(4, &e).unwrap_err();
        assert_eq!(cycle.first(), cycle.last());
        assert_eq!(cycle.len(), 4);
        assert!(!cycle.contains(&NodeId(3)));
    }

    #[test]
    fn self_loop_is_a_cycle() {
        let e = [(NodeId(0), NodeId(0), EdgeKind::Needs)];
        assert_eq!(
            DependencyGraph::new(1, &e).unwrap_err(),
            vec![NodeId(0), NodeId(0)]
        );
    }
}
