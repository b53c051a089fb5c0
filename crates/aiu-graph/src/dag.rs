//! The graph type, cycle detection and topological orders.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A dependency graph. Edges point from a dependent to its dependency (the direction
/// `terraform graph` draws them). Despite the name it can hold cycles; [`Dag::cycles`] finds
/// them and the orders and walks refuse them.
#[derive(Clone, Debug)]
pub struct Dag<N> {
    pub(crate) graph: DiGraph<N, ()>,
    pub(crate) index: BTreeMap<N, NodeIndex>,
}

/// The graph has one or more dependency cycles; lists every node of each.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct CycleError<N> {
    /// Each cycle's nodes in order around the cycle (starting at its smallest node) when such
    /// an order was found, else sorted. Cycles are sorted.
    pub cycles: Vec<Vec<N>>,
}

impl<N: fmt::Display> fmt::Display for CycleError<N> {
    /// `Dependency cycle: a -> b -> c -> a`, one line per cycle.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, cycle) in self.cycles.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            f.write_str("Dependency cycle: ")?;
            for node in cycle {
                write!(f, "{node} -> ")?;
            }
            if let Some(first) = cycle.first() {
                write!(f, "{first}")?;
            }
        }
        Ok(())
    }
}

impl<N> Default for Dag<N> {
    fn default() -> Self {
        Dag {
            graph: DiGraph::new(),
            index: BTreeMap::new(),
        }
    }
}

/// How many search steps to spend looking for an order around one cycle before falling back
/// to listing its nodes sorted.
const CYCLE_SEARCH_BUDGET: usize = 100_000;

impl<N: Clone + Ord + fmt::Display> Dag<N> {
    pub fn new() -> Self {
        Self::default()
    }

    fn ix(&self, n: &N) -> Option<NodeIndex> {
        self.index.get(n).copied()
    }

    fn ensure(&mut self, n: N) -> NodeIndex {
        if let Some(i) = self.ix(&n) {
            return i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    /// Adds a node; returns false if it was already there.
    pub fn add_node(&mut self, n: N) -> bool {
        if self.index.contains_key(&n) {
            return false;
        }
        self.ensure(n);
        true
    }

    /// `dependent` waits for `dependency`. Adds missing nodes; adding an edge twice is a
    /// no-op. A node may depend on itself (a cycle).
    pub fn add_edge(&mut self, dependent: N, dependency: N) {
        let a = self.ensure(dependent);
        let b = self.ensure(dependency);
        self.graph.update_edge(a, b, ());
    }

    pub fn contains(&self, n: &N) -> bool {
        self.index.contains_key(n)
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// All nodes, sorted.
    pub fn nodes(&self) -> impl Iterator<Item = &N> + '_ {
        self.index.keys()
    }

    /// All edges as `(dependent, dependency)`, sorted.
    pub fn edges(&self) -> Vec<(N, N)> {
        let mut edges: Vec<(N, N)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (self.graph[a].clone(), self.graph[b].clone()))
            .collect();
        edges.sort();
        edges
    }

    fn neighbours(&self, n: &N, dir: Direction) -> Vec<N> {
        let Some(i) = self.ix(n) else {
            return Vec::new();
        };
        let mut v: Vec<N> = self
            .graph
            .neighbors_directed(i, dir)
            .map(|j| self.graph[j].clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// What `n` waits for, sorted. Empty for unknown nodes.
    pub fn dependencies_of(&self, n: &N) -> Vec<N> {
        self.neighbours(n, Direction::Outgoing)
    }

    /// What waits for `n`, sorted. Empty for unknown nodes.
    pub fn dependents_of(&self, n: &N) -> Vec<N> {
        self.neighbours(n, Direction::Incoming)
    }

    /// Every strongly connected component with more than one node, and every node that
    /// depends on itself. Each cycle is listed in order around the cycle starting at its
    /// smallest node when such an order exists (following dependent -> dependency edges),
    /// else sorted; the cycles themselves are sorted.
    pub fn cycles(&self) -> Vec<Vec<N>> {
        let mut cycles = Vec::new();
        for scc in petgraph::algo::tarjan_scc(&self.graph) {
            if scc.len() == 1 {
                let i = scc[0];
                if self.graph.contains_edge(i, i) {
                    cycles.push(vec![self.graph[i].clone()]);
                }
                continue;
            }
            cycles.push(self.order_around_cycle(&scc));
        }
        cycles.sort();
        cycles
    }

    /// Looks for a path through every node of the component that returns to its start
    /// (a Hamiltonian cycle), trying neighbours in sorted order; falls back to sorted.
    fn order_around_cycle(&self, scc: &[NodeIndex]) -> Vec<N> {
        let members: BTreeSet<NodeIndex> = scc.iter().copied().collect();
        let mut sorted: Vec<N> = scc.iter().map(|&i| self.graph[i].clone()).collect();
        sorted.sort();
        let start = self.index[&sorted[0]];
        let succ = |i: NodeIndex| -> Vec<NodeIndex> {
            let mut v: Vec<NodeIndex> = self
                .graph
                .neighbors_directed(i, Direction::Outgoing)
                .filter(|j| members.contains(j))
                .collect();
            v.sort_by(|a, b| self.graph[*a].cmp(&self.graph[*b]));
            v.dedup();
            v
        };
        let mut path = vec![start];
        let mut on_path: BTreeSet<NodeIndex> = [start].into();
        let mut stack: Vec<(Vec<NodeIndex>, usize)> = vec![(succ(start), 0)];
        let mut budget = CYCLE_SEARCH_BUDGET;
        while let Some((options, next)) = stack.last_mut() {
            if budget == 0 {
                return sorted;
            }
            budget -= 1;
            let current = *path.last().expect("path follows stack");
            if path.len() == members.len() && self.graph.contains_edge(current, start) {
                return path.iter().map(|&i| self.graph[i].clone()).collect();
            }
            if let Some(&candidate) = options.get(*next) {
                *next += 1;
                if !on_path.contains(&candidate) {
                    path.push(candidate);
                    on_path.insert(candidate);
                    let more = succ(candidate);
                    stack.push((more, 0));
                }
            } else {
                stack.pop();
                if let Some(done) = path.pop() {
                    on_path.remove(&done);
                }
            }
        }
        sorted
    }

    fn cycle_error(&self) -> CycleError<N> {
        CycleError {
            cycles: self.cycles(),
        }
    }

    /// Kahn's algorithm in the given direction: a node is ready when all its neighbours in
    /// `wait_dir` are done; among ready nodes the smallest goes first.
    fn kahn(&self, wait_dir: Direction) -> Result<Vec<N>, CycleError<N>> {
        let release_dir = wait_dir.opposite();
        let mut remaining: BTreeMap<NodeIndex, usize> = BTreeMap::new();
        let mut ready: BTreeSet<(N, NodeIndex)> = BTreeSet::new();
        for (n, &i) in &self.index {
            let count = self.graph.neighbors_directed(i, wait_dir).count();
            if count == 0 {
                ready.insert((n.clone(), i));
            }
            remaining.insert(i, count);
        }
        let mut order = Vec::with_capacity(self.len());
        while let Some((n, i)) = ready.pop_first() {
            order.push(n);
            for j in self.graph.neighbors_directed(i, release_dir) {
                let c = remaining.get_mut(&j).expect("every node is counted");
                *c -= 1;
                if *c == 0 {
                    ready.insert((self.graph[j].clone(), j));
                }
            }
        }
        if order.len() == self.len() {
            Ok(order)
        } else {
            Err(self.cycle_error())
        }
    }

    /// Dependencies before dependents (apply order); deterministic: among nodes whose
    /// dependencies are all placed, the smallest comes first.
    pub fn topological_order(&self) -> Result<Vec<N>, CycleError<N>> {
        self.kahn(Direction::Outgoing)
    }

    /// Dependents before dependencies (destroy order); among nodes whose dependents are all
    /// placed, the smallest comes first.
    pub fn reverse_topological_order(&self) -> Result<Vec<N>, CycleError<N>> {
        self.kahn(Direction::Incoming)
    }

    /// The same graph without edges implied by others: `a -> c` is dropped when `a` also
    /// reaches `c` through another dependency. Refuses graphs with cycles.
    pub fn transitive_reduction(&self) -> Result<Dag<N>, CycleError<N>> {
        self.topological_order()?;
        let mut reduced = Dag::new();
        for n in self.nodes() {
            reduced.add_node(n.clone());
        }
        for (n, &i) in &self.index {
            let direct: BTreeSet<NodeIndex> = self
                .graph
                .neighbors_directed(i, Direction::Outgoing)
                .collect();
            // Everything reachable from a direct dependency in one or more steps.
            let mut indirect: BTreeSet<NodeIndex> = BTreeSet::new();
            let mut stack: Vec<NodeIndex> = direct
                .iter()
                .flat_map(|&d| self.graph.neighbors_directed(d, Direction::Outgoing))
                .collect();
            while let Some(k) = stack.pop() {
                if indirect.insert(k) {
                    stack.extend(self.graph.neighbors_directed(k, Direction::Outgoing));
                }
            }
            for d in direct.difference(&indirect) {
                reduced.add_edge(n.clone(), self.graph[*d].clone());
            }
        }
        Ok(reduced)
    }
}
