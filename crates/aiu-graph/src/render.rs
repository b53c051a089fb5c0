//! DOT and Mermaid renderings: sorted, quoted, edges from dependent to dependency.

use crate::dag::Dag;
use std::fmt::{self, Write};

fn dot_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn mermaid_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl<N: Clone + Ord + fmt::Display> Dag<N> {
    /// Graphviz DOT: every node (sorted) then every edge (sorted), dependent -> dependency.
    ///
    /// ```text
    /// digraph {
    ///   node [shape = "box"];
    ///   "a";
    ///   "b";
    ///   "a" -> "b";
    /// }
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph {\n  node [shape = \"box\"];\n");
        for n in self.nodes() {
            let _ = writeln!(out, "  {};", dot_quote(&n.to_string()));
        }
        for (a, b) in self.edges() {
            let _ = writeln!(
                out,
                "  {} -> {};",
                dot_quote(&a.to_string()),
                dot_quote(&b.to_string())
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart: nodes get ids `n0`, `n1`, ... in sorted order with quoted
    /// labels; edges (sorted) go from dependent to dependency.
    ///
    /// ```text
    /// flowchart TD
    ///   n0["a"]
    ///   n1["b"]
    ///   n0 --> n1
    /// ```
    pub fn to_mermaid(&self) -> String {
        let ids: std::collections::BTreeMap<&N, usize> =
            self.nodes().enumerate().map(|(i, n)| (n, i)).collect();
        let mut out = String::from("flowchart TD\n");
        for (n, i) in &ids {
            let _ = writeln!(out, "  n{i}[{}]", mermaid_quote(&n.to_string()));
        }
        for (a, b) in self.edges() {
            let _ = writeln!(out, "  n{} --> n{}", ids[&a], ids[&b]);
        }
        out
    }
}
