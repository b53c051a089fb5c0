//! `aiu simulate ROLE_ADDR ACTION RESOURCE`: may this role do ACTION on RESOURCE? Answered
//! offline, with no AWS call, by `aiu_policy::eval` on the role's policies as planned (an offline
//! plan of the configuration against the state file) or as recorded in the state (`--state`).
//!
//! The role's policies (gathered by `aiu_plan::access`): its inline policies (`aws_iam_role_policy` whose `role` is the role's
//! name), the managed policies attached to it (`aws_iam_role_policy_attachment` -> the
//! `aws_iam_policy` with that ARN), and its permissions boundary when it is an `aws_iam_policy` of
//! the configuration. Values known only after apply (a new policy's ARN) are resolved through the
//! dependencies the planner records. Policies that cannot be known offline (AWS managed policies,
//! policies outside the configuration) are named in a warning and left out.
//!
//! With `--caller PRINCIPAL` the role's trust policy is evaluated instead, for PRINCIPAL calling
//! ACTION (`sts:AssumeRole`, ...); RESOURCE may then be omitted.
//!
//! Several queries at once: `--queries FILE`, either JSON (an array, or `{"queries": [...]}`, of
//! `{"role", "action", "resource", "caller", "context": {key: value | [values]}, "expect"}`) or
//! one query per line: `ROLE_ADDR ACTION [RESOURCE] [key=value ...] [caller=P] [expect=allow|deny]`
//! (`#` starts a comment).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use aiu_model::Value;
use aiu_plan::access::{gather, RolePolicies};
use aiu_plan::PlanInput;
use aiu_policy::eval::{evaluate, evaluate_trust, Caller, Decision, Outcome, Request};
use anyhow::{anyhow, bail, Context as _, Result};

use crate::args::{StateArgs, VarArgs};
use crate::printer::Printer;
use crate::session::{read_state, report, Reported, Session};

/// `aiu simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// The role, e.g. `aws_iam_role.engine` or `aws_iam_role.manager[0]`.
    #[arg(value_name = "ROLE_ADDR")]
    pub role: Option<String>,
    /// The action, e.g. `secretsmanager:GetSecretValue`.
    #[arg(value_name = "ACTION")]
    pub action: Option<String>,
    /// The resource ARN (or `*`).
    #[arg(value_name = "RESOURCE")]
    pub resource: Option<String>,
    /// A request-context value, `key=value` (repeatable; a repeated key is multivalued).
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Evaluate the role's trust policy for this calling principal (`ec2.amazonaws.com`, a role
    /// or user ARN, an account id, `Federated:...`).
    #[arg(long, value_name = "PRINCIPAL")]
    pub caller: Option<String>,
    /// Read queries from a file (JSON, or one query per line).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Evaluate the policies recorded in the state instead of the planned configuration.
    #[arg(long = "state")]
    pub use_state: bool,
    /// State file path (default: the configured backend's state of the current workspace).
    #[arg(long = "state-file", value_name = "PATH")]
    pub state_file: Option<PathBuf>,
    /// Exit 1 unless the answer (of the command-line query) is this.
    #[arg(long, value_enum, value_name = "allow|deny")]
    pub expect: Option<Expect>,
    /// Print the decisions as JSON.
    #[arg(long)]
    pub json: bool,
    /// Account id answered for `data.aws_caller_identity` (and used in ARNs known only after
    /// apply); without it, documents that depend on the account are unknown offline.
    #[arg(long, value_name = "ID")]
    pub account: Option<String>,
    /// Region answered for `data.aws_region` (default: the `provider "aws"` region).
    #[arg(long, value_name = "NAME")]
    pub region: Option<String>,
    #[command(flatten)]
    pub vars: VarArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    fn parse(s: &str) -> Result<Expect> {
        match s.to_ascii_lowercase().as_str() {
            "allow" | "allowed" => Ok(Expect::Allow),
            "deny" | "denied" => Ok(Expect::Deny),
            other => bail!("expect must be `allow` or `deny`, not `{other}`"),
        }
    }

    fn holds(self, outcome: Outcome) -> bool {
        outcome.is_allowed() == (self == Expect::Allow)
    }
}

/// One question.
#[derive(Debug, Clone)]
struct Query {
    role: String,
    action: String,
    resource: Option<String>,
    caller: Option<String>,
    context: BTreeMap<String, Vec<String>>,
    expect: Option<Expect>,
    /// Where it came from (`FILE:LINE` or `command line`).
    origin: String,
}

pub fn run(dir: &Path, args: &SimulateArgs, printer: &Printer) -> Result<ExitCode> {
    let queries = collect_queries(args)?;
    let session = Session::load(dir, &args.vars, printer)?;
    let backend = crate::session::open_backend(
        dir,
        &StateArgs {
            state: args.state_file.clone(),
            backend_config: Vec::new(),
        },
        &crate::session::current_workspace(dir),
    )?;
    let prior = read_state(backend.as_ref())?;
    let objects = if args.use_state {
        aiu_plan::access::state_objects(&prior)
    } else {
        let region = match &args.region {
            Some(r) => Some(r.clone()),
            None => session.aws_settings().ok().and_then(|s| s.region),
        };
        let reader = SimulationReader {
            account: args.account.clone(),
            region,
        };
        let input = PlanInput {
            config: &session.config,
            variables: &session.variables,
            prior: &prior,
            reader: &reader,
            destroy: false,
            default_tags: session.default_tags()?,
        };
        let (plan, diags) = aiu_plan::plan(&input);
        // The offline warning about unread data sources is expected: simulate never calls AWS.
        let errors = aiu_model::Diagnostics(diags.into_iter().filter(|d| d.is_error()).collect());
        if report(printer, &errors, &session.config) {
            return Err(Reported.into());
        }
        aiu_plan::access::after_objects(&plan)
    };
    let source = if args.use_state {
        "state"
    } else {
        "planned configuration"
    };

    let mut results = Vec::new();
    let mut mismatches = 0usize;
    let mut cache: BTreeMap<String, RolePolicies> = BTreeMap::new();
    for q in &queries {
        if !cache.contains_key(&q.role) {
            let gathered = gather(&objects, &q.role, source, args.account.as_deref())?;
            for w in &gathered.warnings {
                printer.err(&format!("Warning: {}: {w}", q.role));
            }
            cache.insert(q.role.clone(), gathered);
        }
        let role = &cache[&q.role];
        let decision = decide(role, q)?;
        let ok = q.expect.is_none_or(|e| e.holds(decision.outcome));
        if !ok {
            mismatches += 1;
        }
        let partial = role.incomplete() && q.caller.is_none();
        results.push((q, decision, ok, partial));
    }

    if args.json {
        let list: Vec<serde_json::Value> = results
            .iter()
            .map(|(q, d, ok, partial)| {
                serde_json::json!({
                    "role": q.role,
                    "action": q.action,
                    "resource": q.resource,
                    "caller": q.caller,
                    "context": q.context,
                    "source": source,
                    "decision": d.outcome.label(),
                    "allowed": d.outcome.is_allowed(),
                    "summary": d.summary,
                    "incomplete": partial,
                    "statements": d.explanation,
                    "expect": q.expect.map(|e| if e == Expect::Allow { "allow" } else { "deny" }),
                    "expectation_met": q.expect.map(|_| *ok),
                })
            })
            .collect();
        printer.out(&serde_json::to_string_pretty(&list)?);
    } else {
        let mut text = String::new();
        for (i, (q, d, ok, partial)) in results.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let what = match &q.caller {
                Some(c) => format!("{} trust: {c} -> {}", q.role, q.action),
                None => format!(
                    "{} {} {}",
                    q.role,
                    q.action,
                    q.resource.as_deref().unwrap_or("*")
                ),
            };
            text.push_str(&format!("# {what} ({source})\n"));
            if !q.context.is_empty() {
                let ctx: Vec<String> = q
                    .context
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.join(",")))
                    .collect();
                text.push_str(&format!("# context: {}\n", ctx.join(" ")));
            }
            text.push_str(&d.render());
            if *partial {
                text.push_str("  NOTE: some of the role's policies could not be known offline (see the warnings); this answer covers only the others\n");
            }
            if let Some(e) = q.expect {
                let want = if e == Expect::Allow { "allow" } else { "deny" };
                if *ok {
                    text.push_str(&format!("  expectation met: {want}\n"));
                } else {
                    text.push_str(&format!(
                        "  EXPECTATION FAILED ({}): expected {want}, got {}\n",
                        q.origin, d.outcome
                    ));
                }
            }
        }
        printer.out(&text);
    }
    if mismatches > 0 {
        printer.err(&format!(
            "Error: {mismatches} of {} queries did not get the expected answer.",
            results.len()
        ));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn decide(role: &RolePolicies, q: &Query) -> Result<Decision> {
    Ok(match &q.caller {
        Some(caller) => {
            let trust = role.trust.as_ref().ok_or_else(|| {
                anyhow!("{}: the role's trust policy is not known offline", q.role)
            })?;
            evaluate_trust(trust, &Caller::parse(caller), &q.action, &q.context)
        }
        None => {
            let resource = q
                .resource
                .clone()
                .ok_or_else(|| anyhow!("{}: RESOURCE is missing", q.origin))?;
            let request = Request {
                principal_arn: role.principal_arn.clone(),
                action: q.action.clone(),
                resource,
                context: q.context.clone(),
            };
            evaluate(&role.set, &request)
        }
    })
}

// ------------------------------------------------------------------ queries

fn collect_queries(args: &SimulateArgs) -> Result<Vec<Query>> {
    let mut out = Vec::new();
    if let Some(role) = &args.role {
        let action = args
            .action
            .clone()
            .ok_or_else(|| anyhow!("ACTION is required after ROLE_ADDR"))?;
        if args.resource.is_none() && args.caller.is_none() {
            bail!(
                "RESOURCE is required (or --caller PRINCIPAL, to evaluate the role's trust policy)"
            );
        }
        let mut context = BTreeMap::new();
        for kv in &args.context {
            add_context(&mut context, kv)?;
        }
        out.push(Query {
            role: role.clone(),
            action,
            resource: args.resource.clone(),
            caller: args.caller.clone(),
            context,
            expect: args.expect,
            origin: "command line".into(),
        });
    } else if args.expect.is_some() || args.caller.is_some() || !args.context.is_empty() {
        bail!("--expect, --caller and --context apply to a ROLE_ADDR ACTION RESOURCE query on the command line");
    }
    if let Some(file) = &args.queries {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("reading queries from {}", file.display()))?;
        out.extend(parse_queries(&text, &file.display().to_string())?);
    }
    if out.is_empty() {
        bail!("nothing to simulate: give ROLE_ADDR ACTION RESOURCE, or --queries FILE");
    }
    Ok(out)
}

fn add_context(context: &mut BTreeMap<String, Vec<String>>, kv: &str) -> Result<()> {
    let (k, v) = kv
        .split_once('=')
        .ok_or_else(|| anyhow!("context value `{kv}` must be KEY=VALUE"))?;
    context
        .entry(k.trim().to_owned())
        .or_default()
        .push(v.to_owned());
    Ok(())
}

fn parse_queries(text: &str, name: &str) -> Result<Vec<Query>> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let json: serde_json::Value =
            serde_json::from_str(text).with_context(|| format!("{name}: invalid JSON"))?;
        let items = match &json {
            serde_json::Value::Array(items) => items.clone(),
            serde_json::Value::Object(o) => match o.get("queries") {
                Some(serde_json::Value::Array(items)) => items.clone(),
                _ => bail!("{name}: expected an array of queries or {{\"queries\": [...]}}"),
            },
            _ => unreachable!(),
        };
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| query_from_json(item, &format!("{name}[{i}]")))
            .collect();
    }
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line
            .split_once('#')
            .map_or(line, |(before, _)| before)
            .trim();
        if line.is_empty() {
            continue;
        }
        let origin = format!("{name}:{}", n + 1);
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 2 {
            bail!("{origin}: expected `ROLE_ADDR ACTION [RESOURCE] [key=value ...]`");
        }
        let mut q = Query {
            role: words[0].to_owned(),
            action: words[1].to_owned(),
            resource: None,
            caller: None,
            context: BTreeMap::new(),
            expect: None,
            origin: origin.clone(),
        };
        for (i, w) in words[2..].iter().enumerate() {
            // The resource is the first word after the action that is not key=value, or any
            // word starting with `arn:` / equal to `*` (ARNs contain no `=`... usually).
            if i == 0 && (w.starts_with("arn:") || *w == "*" || !w.contains('=')) {
                q.resource = Some((*w).to_owned());
                continue;
            }
            match w.split_once('=') {
                Some(("expect", v)) => {
                    q.expect = Some(Expect::parse(v).with_context(|| origin.clone())?)
                }
                Some(("caller", v)) => q.caller = Some(v.to_owned()),
                Some(_) => add_context(&mut q.context, w)?,
                None => bail!("{origin}: unexpected `{w}` (context values are key=value)"),
            }
        }
        if q.resource.is_none() && q.caller.is_none() {
            bail!("{origin}: RESOURCE (or caller=PRINCIPAL) is missing");
        }
        out.push(q);
    }
    Ok(out)
}

fn query_from_json(item: &serde_json::Value, origin: &str) -> Result<Query> {
    let s = |k: &str| item.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut context = BTreeMap::new();
    if let Some(serde_json::Value::Object(map)) = item.get("context") {
        for (k, v) in map {
            let vals = match v {
                serde_json::Value::Array(items) => {
                    items.iter().map(json_scalar).collect::<Result<Vec<_>>>()?
                }
                other => vec![json_scalar(other)?],
            };
            context.insert(k.clone(), vals);
        }
    }
    let q = Query {
        role: s("role").ok_or_else(|| anyhow!("{origin}: \"role\" is required"))?,
        action: s("action").ok_or_else(|| anyhow!("{origin}: \"action\" is required"))?,
        resource: s("resource"),
        caller: s("caller"),
        context,
        expect: s("expect")
            .map(|e| Expect::parse(&e))
            .transpose()
            .with_context(|| origin.to_owned())?,
        origin: origin.to_owned(),
    };
    if q.resource.is_none() && q.caller.is_none() {
        bail!("{origin}: \"resource\" (or \"caller\") is required");
    }
    Ok(q)
}

fn json_scalar(v: &serde_json::Value) -> Result<String> {
    Ok(match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Bool(b) => b.to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        other => bail!("context values must be strings, numbers or booleans, not {other}"),
    })
}

// ------------------------------------------------------------------ offline data sources

/// Offline data sources, except the account and region when they are given: documents built
/// from `data.aws_caller_identity` / `data.aws_region` then become known.
struct SimulationReader {
    account: Option<String>,
    region: Option<String>,
}

impl aiu_plan::DataSourceReader for SimulationReader {
    fn read(&self, type_name: &str, args: &Value) -> Result<Option<Value>, String> {
        Ok(match (type_name, &self.account, &self.region) {
            ("aws_caller_identity", Some(account), _) => Some(Value::object([
                ("account_id", Value::string(account.clone())),
                ("arn", Value::string(format!("arn:aws:iam::{account}:root"))),
                ("user_id", Value::Unknown),
                ("id", Value::string(account.clone())),
            ])),
            ("aws_region", _, Some(region)) => {
                let asked = args
                    .get("name")
                    .and_then(Value::as_str)
                    .or_else(|| args.get("region").and_then(Value::as_str));
                match asked {
                    Some(other) if other != region => Some(Value::object([
                        ("name", Value::string(other)),
                        ("region", Value::string(other)),
                        ("id", Value::string(other)),
                    ])),
                    _ => Some(Value::object([
                        ("name", Value::string(region.clone())),
                        ("region", Value::string(region.clone())),
                        ("id", Value::string(region.clone())),
                    ])),
                }
            }
            _ => None,
        })
    }

    fn import(&self, _: &str, _: &str) -> Result<Option<Value>, String> {
        Ok(None)
    }

    fn is_online(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lines() {
        let text = "# engine\naws_iam_role.engine secretsmanager:GetSecretValue arn:aws:secretsmanager:us-west-2:1:secret:x expect=allow\n\
                    aws_iam_role.engine sts:AssumeRole caller=ec2.amazonaws.com aws:SourceIp=10.0.0.1 aws:SourceIp=10.0.0.2\n";
        let q = parse_queries(text, "q.txt").unwrap();
        assert_eq!(q.len(), 2);
        assert_eq!(q[0].expect, Some(Expect::Allow));
        assert_eq!(
            q[0].resource.as_deref(),
            Some("arn:aws:secretsmanager:us-west-2:1:secret:x")
        );
        assert_eq!(q[1].caller.as_deref(), Some("ec2.amazonaws.com"));
        assert_eq!(q[1].context["aws:SourceIp"].len(), 2);
        assert_eq!(q[1].origin, "q.txt:3");
    }

    #[test]
    fn query_json() {
        let text = r#"{"queries":[{"role":"aws_iam_role.m","action":"iam:PassRole","resource":"*","context":{"k":["a","b"],"n":5},"expect":"deny"}]}"#;
        let q = parse_queries(text, "q.json").unwrap();
        assert_eq!(q[0].context["n"], vec!["5".to_owned()]);
        assert_eq!(q[0].expect, Some(Expect::Deny));
    }
}
