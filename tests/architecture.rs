//! Architecture invariants from ARCHITECTURE.md, checked against `cargo metadata`: each crate
//! depends only on the internal crates it is allowed to, only `aiu-aws` links the AWS SDK, and
//! only the binary uses `aiu-aws`.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Internal crates each crate may depend on (normal and build dependencies; dev-dependencies
/// are free).
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("aiu-model", &[][..]),
        ("aiu-lang", &["aiu-model"][..]),
        ("aiu-config", &["aiu-model", "aiu-lang"][..]),
        ("aiu-graph", &[][..]),
        ("aiu-state", &["aiu-model"][..]),
        ("aiu-policy", &["aiu-model"][..]),
        ("aiu-provider", &["aiu-model"][..]),
        (
            "aiu-plan",
            &[
                "aiu-model",
                "aiu-lang",
                "aiu-config",
                "aiu-state",
                "aiu-graph",
                "aiu-policy",
            ][..],
        ),
        (
            "aiu-render",
            &[
                "aiu-model",
                "aiu-plan",
                "aiu-state",
                "aiu-policy",
                "aiu-config",
            ][..],
        ),
        (
            "aiu-engine",
            &[
                "aiu-model",
                "aiu-config",
                "aiu-state",
                "aiu-plan",
                "aiu-graph",
                "aiu-provider",
                "aiu-policy",
            ][..],
        ),
        (
            "aiu-aws",
            &["aiu-model", "aiu-provider", "aiu-policy", "aiu-state"][..],
        ),
        ("aiu-netproxy", &[][..]),
    ])
}

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// Each workspace crate with its normal/build dependencies.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let meta = metadata();
    let mut out = BTreeMap::new();
    for package in meta["packages"].as_array().expect("packages") {
        let name = package["name"].as_str().unwrap_or_default().to_owned();
        let deps: BTreeSet<String> = package["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].as_str() != Some("dev"))
            .filter_map(|d| d["name"].as_str().map(str::to_owned))
            .collect();
        out.insert(name, deps);
    }
    out
}

#[test]
fn every_crate_depends_only_on_the_crates_below_it() {
    let allowed = allowed();
    let mut problems = Vec::new();
    for (name, deps) in dependencies() {
        if name == "aiu" {
            continue;
        }
        let Some(permitted) = allowed.get(name.as_str()) else {
            problems.push(format!("{name} is not listed in tests/architecture.rs (and ARCHITECTURE.md): add it with its allowed dependencies"));
            continue;
        };
        for dep in deps.iter().filter(|d| d.starts_with("aiu-") || *d == "aiu") {
            if !permitted.contains(&dep.as_str()) {
                problems.push(format!(
                    "{name} depends on {dep}, which ARCHITECTURE.md does not allow"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_aiu_aws_links_the_aws_sdk_and_only_the_binary_uses_it() {
    for (name, deps) in dependencies() {
        let sdk: Vec<&String> = deps
            .iter()
            .filter(|d| d.starts_with("aws-sdk-") || *d == "aws-config")
            .collect();
        if name != "aiu-aws" {
            assert!(
                sdk.is_empty(),
                "{name} links the AWS SDK ({sdk:?}); only aiu-aws may"
            );
        }
        if name != "aiu" {
            assert!(
                !deps.contains("aiu-aws"),
                "{name} uses aiu-aws; only the binary may"
            );
        }
    }
}
