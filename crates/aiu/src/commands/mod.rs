//! One module per subcommand; each exposes `run` returning the process exit code.

pub mod apply;
pub mod graph;
pub mod import;
pub mod init;
pub mod plan;
pub mod simulate;
pub mod state;
pub mod validate;
pub mod workspace;

/// A multi-threaded runtime for commands that talk to AWS.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
