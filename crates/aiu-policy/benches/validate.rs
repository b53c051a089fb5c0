//! Validator benchmark (plain `main`, `harness = false`): validates 1,500 generated identity
//! policies of AWS-managed-policy size (about 5,000 characters each: explicit actions with
//! matching resource ARNs, wildcards, conditions, a Deny) and prints the time.
//!
//! `cargo bench -p aiu-policy --bench validate`. With `AIU_MANAGED_POLICIES=FILE` (a JSON array
//! of `{"name": ..., "document": {...}}`, e.g. extracted from moto's `iam/aws_managed_policies.py`)
//! it also validates those and prints the finding counts by severity and the ERROR codes.
//! With `AIU_BENCH_WRITE=DIR` it writes the 1,500 generated policies to `DIR/policy-NNNN.json`
//! (for timing other tools, e.g. parliament, on the same set; see BENCHMARKS.md).

use std::collections::BTreeMap;
use std::time::Instant;

use aiu_policy::catalog::Catalog;
use aiu_policy::validate::{validate_policy, Severity, ValidateOptions};
use aiu_policy::PolicyKind;
use serde_json::{json, Value};

/// A deterministic policy of roughly `target` characters built from the catalog.
fn generate(seed: usize, target: usize) -> String {
    let cat = Catalog::get();
    let services: Vec<_> = cat
        .services
        .iter()
        .filter(|s| s.actions.len() >= 20 && !s.resources.is_empty())
        .collect();
    let mut statements = Vec::new();
    let mut k = seed;
    let mut size = 0;
    while size < target {
        let svc = services[k % services.len()];
        k = k.wrapping_mul(31).wrapping_add(7);
        let actions: Vec<_> = (0..12)
            .map(|j| &svc.actions[(k + j * 5) % svc.actions.len()])
            .collect();
        let mut resources: Vec<String> = actions
            .iter()
            .filter_map(|a| a.resource_types.first())
            .map(|r| {
                let arn = svc.resources[r.index].arn;
                arn.replace("${Partition}", "aws")
                    .replace("${Region}", "us-east-1")
                    .replace("${Account}", "123456789012")
                    .split("${")
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            part.to_string()
                        } else {
                            format!(
                                "name{}{}",
                                seed % 97,
                                part.split_once('}').map_or("", |x| x.1)
                            )
                        }
                    })
                    .collect::<String>()
            })
            .collect();
        resources.sort();
        resources.dedup();
        if resources.is_empty() {
            resources.push("*".into());
        }
        statements.push(json!({
            "Sid": format!("S{}", statements.len()),
            "Effect": "Allow",
            "Action": actions.iter().map(|a| a.full_name()).collect::<Vec<_>>(),
            "Resource": resources,
            "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"], "aws:PrincipalTag/team": "data"}}
        }));
        statements.push(json!({
            "Sid": format!("S{}", statements.len()),
            "Effect": "Allow",
            "Action": [format!("{}:Get*", svc.prefix), format!("{}:List*", svc.prefix), format!("{}:Describe*", svc.prefix)],
            "Resource": "*"
        }));
        size = json!({"Version": "2012-10-17", "Statement": statements})
            .to_string()
            .len();
    }
    statements.push(json!({"Effect": "Deny", "Action": "iam:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}));
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// This thread's CPU time (Linux `/proc/thread-self/schedstat`, nanoseconds on CPU), to report
/// alongside wall time when the machine is shared; `None` elsewhere.
fn cpu_time() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(s.split_whitespace().next()?.parse::<f64>().ok()? / 1e9)
}

fn main() {
    let opts = ValidateOptions::default();
    let t = Instant::now();
    let cat = Catalog::get();
    println!(
        "catalog: {} services, {} actions, parsed in {:.1} ms ({})",
        cat.services.len(),
        cat.action_count(),
        t.elapsed().as_secs_f64() * 1e3,
        aiu_policy::catalog::SOURCE
    );

    let policies: Vec<String> = (0..1500).map(|i| generate(i, 4_500)).collect();
    let total: usize = policies.iter().map(String::len).sum();
    if let Some(dir) = std::env::var_os("AIU_BENCH_WRITE") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("AIU_BENCH_WRITE directory");
        for (i, p) in policies.iter().enumerate() {
            std::fs::write(dir.join(format!("policy-{i:04}.json")), p).expect("writing a policy");
        }
        println!("wrote {} policies to {}", policies.len(), dir.display());
    }
    let runs: usize = std::env::var("AIU_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let mut walls = Vec::new();
    let mut cpus = Vec::new();
    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for run in 0..runs {
        let c = cpu_time();
        let t = Instant::now();
        for p in &policies {
            for f in validate_policy(p.as_str(), PolicyKind::Identity, &opts) {
                if run == 0 {
                    *by_severity.entry(f.severity).or_default() += 1;
                }
            }
        }
        walls.push(t.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c, cpu_time()) {
            cpus.push(b - a);
        }
    }
    let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
    let wall = min(&walls);
    println!(
        "generated: validated {} policies (avg {} characters) in {:.3} s wall, best of {runs} ({:.2} ms/policy){}; findings by severity {:?}",
        policies.len(),
        total / policies.len(),
        wall,
        wall * 1e3 / policies.len() as f64,
        if cpus.is_empty() { String::new() } else { format!(", {:.3} s CPU", min(&cpus)) },
        by_severity
    );

    if std::env::var_os("AIU_BENCH_BREAKDOWN").is_some() {
        for (label, f) in [
            (
                "grammar only",
                (|o: &mut ValidateOptions| {
                    o.catalog_checks = false;
                    o.security_checks = false;
                    o.suggestions = false;
                    o.privilege_escalation = false;
                }) as fn(&mut ValidateOptions),
            ),
            ("no catalog checks", |o| o.catalog_checks = false),
            ("no suggestions", |o| o.suggestions = false),
            ("no privilege escalation", |o| {
                o.privilege_escalation = false
            }),
        ] {
            let mut o = opts.clone();
            f(&mut o);
            let t = Instant::now();
            for p in &policies {
                validate_policy(p.as_str(), PolicyKind::Identity, &o);
            }
            println!("  {label}: {:.3} s", t.elapsed().as_secs_f64());
        }
    }

    if let Ok(path) = std::env::var("AIU_MANAGED_POLICIES") {
        let data: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).expect("AIU_MANAGED_POLICIES file"),
        )
        .expect("JSON");
        let docs: Vec<(String, String)> = data
            .as_array()
            .expect("array")
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or("?").to_string(),
                    p["document"].to_string(),
                )
            })
            .collect();
        // AWS's own managed policies are not subject to the 6,144 limit of customer managed ones.
        let mut opts = opts.clone();
        opts.identity_size_limit = usize::MAX;
        let over_limit = docs
            .iter()
            .filter(|(_, d)| aiu_policy::validate::policy_size(d) > 6_144)
            .count();
        println!("managed: {over_limit} of {} are larger than 6,144 characters (not reported: the limit is for customer managed policies)", docs.len());
        let t = Instant::now();
        let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
        let mut error_codes: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut with_error = 0;
        let mut examples = Vec::new();
        for (name, doc) in &docs {
            let f = validate_policy(doc.as_str(), PolicyKind::Identity, &opts);
            let mut any = false;
            for x in &f {
                *by_severity.entry(x.severity).or_default() += 1;
                if x.severity == Severity::Error {
                    *error_codes.entry(x.code).or_default() += 1;
                    any = true;
                    if examples.len() < 25 {
                        examples.push(format!("{name}: {x}"));
                    }
                }
            }
            with_error += usize::from(any);
        }
        let dt = t.elapsed();
        println!(
            "managed: validated {} AWS managed policies in {:.3} s; findings by severity {:?}; {} policies with an ERROR; ERROR codes {:?}",
            docs.len(),
            dt.as_secs_f64(),
            by_severity,
            with_error,
            error_codes
        );
        for e in examples {
            println!("  {e}");
        }
    }
}
