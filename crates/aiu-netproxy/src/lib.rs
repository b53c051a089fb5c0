//! aiu-netproxy: a network-conditions proxy for tests and benchmarks of aiu against moto.
//!
//! It sits between a client (aiu, Terraform) and an HTTP upstream (moto) on loopback, adds a
//! latency per request, enforces a request rate with a token bucket (answering excess requests
//! the way IAM does: HTTP 400 `Throttling` / `Rate exceeded`), injects 5xx answers, random
//! throttling and dropped connections at given rates, and counts requests by API action
//! (`iam:GetRole`). See [`proxy`] for the order in which conditions apply.

pub mod action;
pub mod bucket;
pub mod http;
pub mod proxy;

pub use action::action_key;
pub use bucket::TokenBucket;
pub use proxy::{bind, parse_upstream, Counts, DropMode, Proxy, ProxyConfig, StatsReport};
