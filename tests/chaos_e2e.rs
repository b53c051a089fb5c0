//! Apply through a hostile network: aiu-netproxy between aiu and moto answers 30% of requests
//! with IAM's `Throttling` and 5% with 500/503. An apply of 102 resources must converge with no
//! failed resource, and the plan afterwards must show no changes (issue 8).

mod support;

use std::sync::Arc;

use aiu_netproxy::{Proxy, ProxyConfig};
use support::moto::{endpoint, unique};
use support::Work;

/// Starts an in-process proxy in front of moto; returns its endpoint and the runtime that
/// serves it (dropped at the end of the test).
fn hostile_proxy(throttle_rate: f64, error_rate: f64) -> (String, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let upstream =
        aiu_netproxy::parse_upstream(endpoint()).expect("moto endpoint is http://host:port");
    let config = ProxyConfig {
        upstream,
        throttle_rate,
        error_rate,
        seed: Some(0xc4a05),
        ..ProxyConfig::default()
    };
    let (listener, addr) = runtime
        .block_on(aiu_netproxy::bind("127.0.0.1:0"))
        .expect("bind the proxy");
    let proxy: Arc<Proxy> = Proxy::new(config);
    runtime.spawn(proxy.serve(listener));
    (format!("http://{addr}"), runtime)
}

#[test]
fn apply_converges_through_throttling_and_server_errors() {
    let (proxied, _runtime) = hostile_proxy(0.30, 0.05);
    let w = Work::fixture("safety/many");
    let prefix = unique("chaos");
    w.write("aiu.tfvars", &format!("prefix = \"{prefix}\"\nn = 34\n"));

    let out = w.aiu(["apply", "-auto-approve"]).aws(&proxied).run();
    out.assert_code(0);
    out.assert_stdout_contains("Apply complete! Resources: 102 added, 0 changed, 0 destroyed.");

    // Straight against moto: exactly what was configured exists, nothing is left to do.
    let out = w.aiu(["plan", "-detailed-exitcode"]).aws(endpoint()).run();
    out.assert_code(0);
    out.assert_stdout_contains("No changes. Your infrastructure matches the configuration.");

    // Through the hostile network too (refresh survives it).
    let out = w.aiu(["plan", "-detailed-exitcode"]).aws(&proxied).run();
    out.assert_code(0);

    // Clean up straight against moto (the hostile path was exercised by the apply).
    let out = w.aiu(["destroy", "-auto-approve"]).aws(endpoint()).run();
    out.assert_code(0);
    out.assert_stdout_contains("102 destroyed.");
}
