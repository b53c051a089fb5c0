//! What every command starts from: the configuration directory loaded and checked, input
//! variables resolved, the workspace and its state backend chosen, and (when online) the AWS
//! provider.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aiu_config::{Config, VarInputs};
use aiu_model::{Diagnostics, Value};
use aiu_provider::Provider;
use aiu_state::{LockGuard, LockInfo, State, StateBackend};
use anyhow::{anyhow, bail, Result};

use crate::args::{LockArgs, StateArgs, VarArgs};
use crate::printer::Printer;

/// A loaded configuration with its resolved variables.
pub struct Session {
    pub config: Config,
    pub variables: BTreeMap<String, Value>,
    pub workspace: String,
}

/// Raised after the diagnostics have been printed: the command exits 1 with nothing more to say.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("errors were reported above")
    }
}

impl std::error::Error for Reported {}

/// How variables are supplied to [`Session::load_with`].
pub enum Inputs<'a> {
    /// From the command line, files and environment.
    Args(&'a VarArgs),
    /// Missing required variables are unknown (for `validate`).
    ArgsMissingAsUnknown(&'a VarArgs),
    /// Exactly these values (a saved plan's).
    Values(BTreeMap<String, Value>),
}

impl Session {
    /// Loads and checks the configuration in `dir`; prints every diagnostic; fails if any is an
    /// error.
    pub fn load(dir: &Path, vars: &VarArgs, printer: &Printer) -> Result<Session> {
        Session::load_with(dir, Inputs::Args(vars), printer)
    }

    pub fn load_with(dir: &Path, inputs: Inputs<'_>, printer: &Printer) -> Result<Session> {
        let (config, diags) = aiu_config::load_dir(dir);
        let (session, mut diags) = Session::from_config(dir, config, diags, inputs);
        if diags.has_errors() {
            // Report the evaluation errors of the valid parts too: every problem in one run.
            let more = session.offline_evaluation().1;
            merge_new(
                &mut diags,
                more.into_iter().filter(aiu_model::Diagnostic::is_error),
            );
        }
        printer.diagnostics(&diags, &session.config);
        if diags.has_errors() {
            return Err(Reported.into());
        }
        Ok(session)
    }

    /// Resolves variables of a loaded configuration; returns every diagnostic.
    pub fn from_config(
        dir: &Path,
        config: Config,
        mut diags: Diagnostics,
        inputs: Inputs<'_>,
    ) -> (Session, Diagnostics) {
        let variables = match inputs {
            Inputs::Values(values) => values,
            Inputs::Args(vars) | Inputs::ArgsMissingAsUnknown(vars) => {
                let missing_as_unknown = matches!(inputs, Inputs::ArgsMissingAsUnknown(_));
                let inputs = VarInputs {
                    cli_vars: vars.vars.clone(),
                    var_files: vars
                        .var_files
                        .iter()
                        .map(|f| {
                            if f.is_absolute() {
                                f.clone()
                            } else {
                                dir.join(f)
                            }
                        })
                        .collect(),
                    // vars_os: another program's variable that is not UTF-8 must not stop aiu.
                    env: std::env::vars_os()
                        .filter_map(|(k, v)| {
                            let k = k.into_string().ok()?;
                            let wanted = k.starts_with(aiu_config::ENV_PREFIX)
                                || k.starts_with(aiu_config::TF_ENV_PREFIX);
                            wanted.then(|| (k, v.to_string_lossy().into_owned()))
                        })
                        .collect(),
                    missing_as_unknown,
                };
                let (variables, var_diags) = aiu_config::resolve_variables(&config, &inputs);
                diags.extend(var_diags);
                variables
            }
        };
        let workspace = current_workspace(dir);
        (
            Session {
                config,
                variables,
                workspace,
            },
            diags,
        )
    }

    /// Plans the configuration offline against an empty state (no side effects): the
    /// evaluation diagnostics of every block that loaded.
    pub fn offline_evaluation(&self) -> (aiu_plan::Plan, Diagnostics) {
        let empty = State::new();
        let input = aiu_plan::PlanInput {
            config: &self.config,
            variables: &self.variables,
            prior: &empty,
            reader: &aiu_plan::Offline,
            destroy: false,
            default_tags: self.default_tags().unwrap_or_default(),
        };
        aiu_plan::plan(&input)
    }

    /// An evaluation context with `var` only, for provider and backend settings.
    fn settings_context(&self) -> aiu_lang::EvalContext {
        let mut root = BTreeMap::new();
        root.insert("var".to_owned(), Value::Object(self.variables.clone()));
        aiu_lang::EvalContext {
            root,
            base_dir: self.config.dir.clone(),
        }
    }

    fn setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Option<Value>> {
        let Some(expr) = expr else { return Ok(None) };
        let value = aiu_lang::eval(&expr.expr, &self.settings_context())
            .map_err(|e| anyhow!("{}: {}: {}", expr.span, e.summary, e.detail))?;
        if value.contains_unknown() {
            bail!("{}: this setting must be known before anything is read; it cannot depend on values known only after apply.", expr.span);
        }
        Ok(if value.is_null() { None } else { Some(value) })
    }

    fn string_setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Option<String>> {
        Ok(self
            .setting(expr)?
            .and_then(|v| v.as_str().map(str::to_owned)))
    }

    fn list_setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Vec<String>> {
        Ok(match self.setting(expr)? {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        })
    }

    /// `provider "aws" { default_tags { tags = {...} } }`.
    pub fn default_tags(&self) -> Result<BTreeMap<String, String>> {
        let Some(provider) = &self.config.provider else {
            return Ok(BTreeMap::new());
        };
        Ok(match self.setting(provider.default_tags.as_ref())? {
            Some(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned())))
                .collect(),
            _ => BTreeMap::new(),
        })
    }

    /// The settings of the AWS provider, from the `provider "aws"` block.
    pub fn aws_settings(&self) -> Result<aiu_aws::AwsSettings> {
        let mut settings = aiu_aws::AwsSettings::default();
        if let Some(p) = &self.config.provider {
            settings.region = self.string_setting(p.region.as_ref())?;
            settings.profile = self.string_setting(p.profile.as_ref())?;
            settings.iam_endpoint = self.string_setting(p.endpoints.get("iam"))?;
            settings.sts_endpoint = self.string_setting(p.endpoints.get("sts"))?;
            settings.allowed_account_ids = self.list_setting(p.allowed_account_ids.as_ref())?;
            settings.forbidden_account_ids = self.list_setting(p.forbidden_account_ids.as_ref())?;
            settings.default_tags = self.default_tags()?;
        }
        Ok(settings)
    }

    /// Connects to AWS and checks the account is allowed, before anything else is read.
    /// Returns the provider and the account id.
    pub async fn connect(&self) -> Result<(Arc<dyn Provider>, String)> {
        let settings = self.aws_settings()?;
        let provider = aiu_aws::AwsProvider::connect(settings)
            .await
            .map_err(|e| anyhow!("Could not connect to AWS: {e}"))?;
        let identity = provider
            .caller_identity()
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok((Arc::new(provider), identity.account_id))
    }

    /// The state backend of this configuration and workspace (`--state` overrides it).
    pub fn backend(&self, args: &StateArgs) -> Result<Arc<dyn StateBackend>> {
        crate::backend::current(&self.config, args, &self.workspace)
    }
}

/// The workspace in use: `AIU_WORKSPACE`, else the one `aiu workspace select` recorded in
/// `.aiu/environment`, else `default`.
pub fn current_workspace(dir: &Path) -> String {
    if let Ok(ws) = std::env::var("AIU_WORKSPACE") {
        if !ws.is_empty() {
            return ws;
        }
    }
    std::fs::read_to_string(workspace_file(dir))
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "default".into())
}

/// Where the selected workspace is recorded.
pub fn workspace_file(dir: &Path) -> PathBuf {
    dir.join(".aiu").join("environment")
}

/// Opens the state backend of the configuration in `dir` for commands that need no variables
/// (`show`, `state list`, `output`, ...): only the `backend` block is read from the files.
pub fn open_backend(
    dir: &Path,
    args: &StateArgs,
    workspace: &str,
) -> Result<Arc<dyn StateBackend>> {
    let (config, _) = aiu_config::load_dir(dir);
    crate::backend::current(&config, args, workspace)
}

/// Reads the state (a fresh empty state when there is none yet).
pub fn read_state(backend: &dyn StateBackend) -> Result<State> {
    Ok(backend
        .read()
        .map_err(|e| anyhow!("{e}"))?
        .unwrap_or_default())
}

/// Takes the state lock for `operation` unless `-lock=false`.
pub fn take_lock(
    backend: &dyn StateBackend,
    args: &LockArgs,
    operation: &str,
) -> Result<Option<Box<dyn LockGuard>>> {
    if !args.lock {
        return Ok(None);
    }
    let timeout = parse_duration(&args.lock_timeout)?;
    aiu_state::lock_with_timeout(backend, LockInfo::new(operation), timeout)
        .map(Some)
        .map_err(|e| anyhow!("{e}"))
}

/// Parses `30s`, `2m`, `500ms`, `0s`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, "s"),
    };
    let n: f64 = number
        .parse()
        .map_err(|_| anyhow!("invalid duration `{text}`: expected e.g. `30s`, `2m` or `500ms`"))?;
    let seconds = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        other => bail!("invalid duration `{text}`: unknown unit `{other}` (use ms, s, m or h)"),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| anyhow!("invalid duration `{text}`: too long"))
}

/// Prints diagnostics of a plan run and tells whether any was an error.
pub fn report(printer: &Printer, diags: &Diagnostics, config: &Config) -> bool {
    printer.diagnostics(diags, config);
    diags.has_errors()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_terraform_spelling() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3d").is_err());
        let too_long = parse_duration("99999999999999999999").unwrap_err();
        assert_eq!(
            too_long.to_string(),
            "invalid duration `99999999999999999999`: too long"
        );
    }
}

/// Adds diagnostics that are not already reported at the same place with the same summary.
pub fn merge_new(diags: &mut Diagnostics, more: impl IntoIterator<Item = aiu_model::Diagnostic>) {
    for d in more {
        let seen = diags.iter().any(|e| {
            e.summary == d.summary
                && e.span.as_ref().map(|s| s.start) == d.span.as_ref().map(|s| s.start)
        });
        if !seen {
            diags.push(d);
        }
    }
}
