//! Policies written by AWS itself produce no ERROR finding (issue 5): every AWS managed policy
//! that moto ships (`moto/iam/aws_managed_policies.py`) is validated as an identity policy and
//! the test asserts that none yields an ERROR. It prints the finding counts per severity and per
//! code (`cargo test -p aiu-policy --test validate_aws_managed -- --nocapture`).
//!
//! The documents are read at test time from the moto package in `<repo>/.venv/moto` (or
//! `$AIU_MOTO_VENV`), extracted with that venv's python. When the venv is missing the test runs
//! `scripts/moto.sh install`; if that fails the test fails (it never skips silently).
//!
//! Size: some AWS managed policies (84 in moto 5.2.5) are larger than 6,144 characters. That limit applies to
//! customer managed policies (IAM refuses to create one larger); AWS's own policies are not
//! subject to it, so they are validated with the identity size check turned off
//! (`ValidateOptions::identity_size_limit = usize::MAX`), and the test prints how many exceed it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aiu_policy::validate::{
    policy_size, validate_policy, Severity, ValidateOptions, MANAGED_POLICY_LIMIT,
};
use aiu_policy::PolicyKind;
use serde_json::Value;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

fn venv_dir(root: &Path) -> PathBuf {
    std::env::var_os("AIU_MOTO_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv/moto"))
}

/// `lib/python3*/site-packages/moto/iam/aws_managed_policies.py` in the venv, if installed.
fn managed_policies_module(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    lib.filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
        .map(|e| {
            e.path()
                .join("site-packages/moto/iam/aws_managed_policies.py")
        })
        .find(|p| p.is_file())
}

/// (name, document JSON text) of every AWS managed policy moto ships, sorted by name.
fn aws_managed_policies() -> Vec<(String, String)> {
    let root = repo_root();
    let venv = venv_dir(&root);
    if managed_policies_module(&venv).is_none() || !venv.join("bin/python").exists() {
        eprintln!(
            "moto venv {} missing: running scripts/moto.sh install",
            venv.display()
        );
        let status = Command::new("bash")
            .arg(root.join("scripts/moto.sh"))
            .arg("install")
            .status()
            .expect("running scripts/moto.sh install");
        assert!(
            status.success(),
            "scripts/moto.sh install failed ({status}); the AWS managed policies come from moto"
        );
    }
    let module = managed_policies_module(&venv).unwrap_or_else(|| {
        panic!(
            "moto/iam/aws_managed_policies.py not found under {}/lib/python3*/site-packages",
            venv.display()
        )
    });
    let out = Command::new(venv.join("bin/python"))
        .args(["-c", "from moto.iam.aws_managed_policies import aws_managed_policies_data; print(aws_managed_policies_data)"])
        .output()
        .expect("running the moto venv's python");
    assert!(
        out.status.success(),
        "extracting {} failed: {}",
        module.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let data: Value =
        serde_json::from_slice(&out.stdout).expect("aws_managed_policies_data is JSON");
    let map = data
        .as_object()
        .expect("aws_managed_policies_data is an object name -> policy");
    let mut docs: Vec<(String, String)> = map
        .iter()
        .map(|(name, p)| {
            let doc = p
                .get("Document")
                .unwrap_or_else(|| panic!("{name}: no Document"));
            (name.clone(), doc.to_string())
        })
        .collect();
    docs.sort();
    docs
}

#[test]
fn aws_managed_policies_have_no_errors() {
    let docs = aws_managed_policies();
    assert!(
        docs.len() > 1_000,
        "only {} AWS managed policies found in moto",
        docs.len()
    );
    // The 6,144-character limit is for customer managed policies; AWS's own are larger.
    let opts = ValidateOptions {
        identity_size_limit: usize::MAX,
        ..ValidateOptions::default()
    };
    let over_limit = docs
        .iter()
        .filter(|(_, d)| policy_size(d) > MANAGED_POLICY_LIMIT)
        .count();

    let mut by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut by_code: BTreeMap<(Severity, &'static str), usize> = BTreeMap::new();
    let mut policies_by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for (name, doc) in &docs {
        let findings = validate_policy(doc.as_str(), PolicyKind::Identity, &opts);
        let mut severities: Vec<Severity> = findings.iter().map(|f| f.severity).collect();
        severities.sort();
        severities.dedup();
        for s in severities {
            *policies_by_severity.entry(s).or_default() += 1;
        }
        for f in &findings {
            *by_severity.entry(f.severity).or_default() += 1;
            *by_code.entry((f.severity, f.code)).or_default() += 1;
            if f.severity == Severity::Error {
                errors.push(format!("{name}: {f}"));
            }
        }
    }
    println!(
        "AWS managed policies (moto): {} validated as identity policies; {over_limit} larger than {MANAGED_POLICY_LIMIT} characters (size check off: that limit is for customer managed policies)",
        docs.len()
    );
    for (s, n) in &by_severity {
        println!(
            "  {s}: {n} findings in {} policies",
            policies_by_severity[s]
        );
    }
    for ((s, code), n) in &by_code {
        println!("    {s} {code}: {n}");
    }
    assert!(
        errors.is_empty(),
        "{} ERROR findings in AWS managed policies:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
