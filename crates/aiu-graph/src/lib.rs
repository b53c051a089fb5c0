//! Dependency graphs on petgraph: cycles, order, DOT and Mermaid, bounded concurrent walks.
