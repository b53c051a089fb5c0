//! Graph tests: cycles, deterministic orders, DOT and Mermaid output, transitive reduction.

use aiu_graph::{CycleError, Dag};

fn dag(edges: &[(&'static str, &'static str)]) -> Dag<&'static str> {
    let mut d = Dag::new();
    for (a, b) in edges {
        d.add_edge(*a, *b);
    }
    d
}

#[test]
fn nodes_edges_and_neighbours_are_sorted() {
    let mut d = dag(&[("c", "a"), ("b", "a"), ("c", "b"), ("c", "a")]);
    assert!(d.add_node("z"));
    assert!(!d.add_node("a"));
    assert_eq!(d.nodes().copied().collect::<Vec<_>>(), ["a", "b", "c", "z"]);
    assert_eq!(d.edges(), [("b", "a"), ("c", "a"), ("c", "b")]);
    assert_eq!(d.dependencies_of(&"c"), ["a", "b"]);
    assert_eq!(d.dependents_of(&"a"), ["b", "c"]);
    assert!(d.dependencies_of(&"nope").is_empty());
    assert_eq!(d.len(), 4);
    assert!(d.contains(&"z"));
}

#[test]
fn three_node_cycle_is_named_in_full() {
    let d = dag(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]);
    assert_eq!(d.cycles(), vec![vec!["a", "b", "c"]]);
    let err = d.topological_order().unwrap_err();
    assert_eq!(err.to_string(), "Dependency cycle: a -> b -> c -> a");
    assert_eq!(d.reverse_topological_order().unwrap_err(), err);
}

#[test]
fn cycle_order_follows_edges_not_names() {
    let d = dag(&[("a", "c"), ("c", "b"), ("b", "a")]);
    assert_eq!(
        d.topological_order().unwrap_err().to_string(),
        "Dependency cycle: a -> c -> b -> a"
    );
}

#[test]
fn several_cycles_and_self_loops_are_all_reported_sorted() {
    let d = dag(&[
        ("x", "y"),
        ("y", "x"),
        ("s", "s"),
        ("a", "b"),
        ("b", "a"),
        ("ok", "a"),
    ]);
    let err: CycleError<&str> = d.topological_order().unwrap_err();
    assert_eq!(err.cycles, vec![vec!["a", "b"], vec!["s"], vec!["x", "y"]]);
    assert_eq!(
        err.to_string(),
        "Dependency cycle: a -> b -> a\nDependency cycle: s -> s\nDependency cycle: x -> y -> x"
    );
}

#[test]
fn component_without_a_simple_cycle_through_all_nodes_is_listed_sorted() {
    // Two triangles sharing node "a": strongly connected, but no cycle visits every node once.
    let d = dag(&[
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("a", "d"),
        ("d", "e"),
        ("e", "a"),
    ]);
    assert_eq!(d.cycles(), vec![vec!["a", "b", "c", "d", "e"]]);
}

#[test]
fn acyclic_graph_has_no_cycles() {
    let d = dag(&[("a", "b"), ("a", "c"), ("b", "c")]);
    assert!(d.cycles().is_empty());
}

#[test]
fn topological_order_is_deterministic_smallest_ready_first() {
    // attachment waits for role and policy; role waits for doc.
    let edges = [
        ("att", "role"),
        ("att", "pol"),
        ("role", "doc"),
        ("zeta", "doc"),
        ("b_user", "doc"),
    ];
    let d = dag(&edges);
    let expected = ["doc", "b_user", "pol", "role", "att", "zeta"];
    assert_eq!(d.topological_order().unwrap(), expected);
    // Insertion order does not matter.
    let mut reversed = edges;
    reversed.reverse();
    assert_eq!(dag(&reversed).topological_order().unwrap(), expected);
    assert_eq!(
        d.reverse_topological_order().unwrap(),
        ["att", "b_user", "pol", "role", "zeta", "doc"]
    );
}

#[test]
fn dot_output_is_sorted_and_quoted() {
    let mut d = Dag::new();
    d.add_edge(
        "aws_iam_role_policy_attachment.a[0]".to_string(),
        "aws_iam_role.r[\"api\"]".to_string(),
    );
    d.add_edge(
        "aws_iam_role_policy_attachment.a[0]".to_string(),
        "aws_iam_policy.p".to_string(),
    );
    d.add_node("data.aws_caller_identity.me".to_string());
    assert_eq!(
        d.to_dot(),
        r#"digraph {
  node [shape = "box"];
  "aws_iam_policy.p";
  "aws_iam_role.r[\"api\"]";
  "aws_iam_role_policy_attachment.a[0]";
  "data.aws_caller_identity.me";
  "aws_iam_role_policy_attachment.a[0]" -> "aws_iam_policy.p";
  "aws_iam_role_policy_attachment.a[0]" -> "aws_iam_role.r[\"api\"]";
}
"#
    );
}

#[test]
fn mermaid_output_is_sorted_and_quoted() {
    let mut d = Dag::new();
    d.add_edge(
        "aws_iam_role_policy_attachment.a[0]".to_string(),
        "aws_iam_role.r[\"api\"]".to_string(),
    );
    d.add_edge(
        "aws_iam_role_policy_attachment.a[0]".to_string(),
        "aws_iam_policy.p".to_string(),
    );
    d.add_node("data.aws_caller_identity.me".to_string());
    assert_eq!(
        d.to_mermaid(),
        r#"flowchart TD
  n0["aws_iam_policy.p"]
  n1["aws_iam_role.r[#quot;api#quot;]"]
  n2["aws_iam_role_policy_attachment.a[0]"]
  n3["data.aws_caller_identity.me"]
  n2 --> n0
  n2 --> n1
"#
    );
}

#[test]
fn empty_graph_renders() {
    let d: Dag<String> = Dag::new();
    assert_eq!(d.to_dot(), "digraph {\n  node [shape = \"box\"];\n}\n");
    assert_eq!(d.to_mermaid(), "flowchart TD\n");
    assert!(d.topological_order().unwrap().is_empty());
}

#[test]
fn transitive_reduction_drops_implied_edges() {
    let d = dag(&[("a", "b"), ("b", "c"), ("a", "c"), ("a", "d")]);
    let r = d.transitive_reduction().unwrap();
    assert_eq!(r.edges(), [("a", "b"), ("a", "d"), ("b", "c")]);
    assert_eq!(r.nodes().count(), 4);
    assert!(dag(&[("a", "b"), ("b", "a")])
        .transitive_reduction()
        .is_err());
}
