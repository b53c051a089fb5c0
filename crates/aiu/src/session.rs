//! What every command starts from: the configuration directory loaded and checked, input
//! variables resolved, the state backend chosen, and (when online) the AWS provider.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aiu_config::{Config, VarInputs};
use aiu_model::{Diagnostics, Value};
use aiu_provider::Provider;
use aiu_state::{LocalBackend, State};
use anyhow::{anyhow, Context, Result};

use crate::args::{StateArgs, VarArgs};
use crate::printer::Printer;

/// A loaded configuration with its resolved variables.
pub struct Session {
    pub config: Config,
    pub variables: BTreeMap<String, Value>,
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

impl Session {
    /// Loads and checks the configuration in `dir`; prints every diagnostic; fails if any is an
    /// error.
    pub fn load(dir: &Path, vars: &VarArgs, printer: &Printer) -> Result<Session> {
        let (config, mut diags) = aiu_config::load_dir(dir);
        if !diags.has_errors() {
            let inputs = VarInputs {
                cli_vars: vars.vars.clone(),
                var_files: vars.var_files.iter().map(|f| if f.is_absolute() { f.clone() } else { dir.join(f) }).collect(),
                env: std::env::vars().filter(|(k, _)| k.starts_with("AIU_VAR_")).collect(),
            };
            let (variables, var_diags) = aiu_config::resolve_variables(&config, &inputs);
            diags.extend(var_diags);
            printer.diagnostics(&diags, &config);
            if diags.has_errors() {
                return Err(Reported.into());
            }
            return Ok(Session { config, variables });
        }
        printer.diagnostics(&diags, &config);
        Err(Reported.into())
    }

    /// An evaluation context with `var` only, for provider and backend settings.
    fn settings_context(&self) -> aiu_lang::EvalContext {
        let mut root = BTreeMap::new();
        root.insert("var".to_owned(), Value::Object(self.variables.clone()));
        aiu_lang::EvalContext { root, base_dir: self.config.dir.clone() }
    }

    fn setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Option<Value>> {
        let Some(expr) = expr else { return Ok(None) };
        let value = aiu_lang::eval(&expr.expr, &self.settings_context())
            .map_err(|e| anyhow!("{}: {}: {}", expr.span, e.summary, e.detail))?;
        Ok(if value.is_null() { None } else { Some(value) })
    }

    fn string_setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Option<String>> {
        Ok(self.setting(expr)?.and_then(|v| v.as_str().map(str::to_owned)))
    }

    fn list_setting(&self, expr: Option<&aiu_config::Expr>) -> Result<Vec<String>> {
        Ok(match self.setting(expr)? {
            Some(Value::List(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        })
    }

    /// `provider "aws" { default_tags { tags = {...} } }`.
    pub fn default_tags(&self) -> Result<BTreeMap<String, String>> {
        let Some(provider) = &self.config.provider else { return Ok(BTreeMap::new()) };
        Ok(match self.setting(provider.default_tags.as_ref())? {
            Some(Value::Object(map)) => map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_owned()))).collect(),
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
    pub async fn connect(&self) -> Result<Arc<dyn Provider>> {
        let settings = self.aws_settings()?;
        let provider = aiu_aws::AwsProvider::connect(settings).await.map_err(|e| anyhow!("Could not connect to AWS: {e}"))?;
        provider.caller_identity().await.map_err(|e| anyhow!("{e}"))?;
        Ok(Arc::new(provider))
    }
}

/// The state file to use.
pub fn state_path(dir: &Path, args: &StateArgs) -> PathBuf {
    match &args.state {
        Some(p) if p.is_absolute() => p.clone(),
        Some(p) => std::env::current_dir().map(|cwd| cwd.join(p)).unwrap_or_else(|_| p.clone()),
        None => aiu_state::default_state_path(dir, "default"),
    }
}

/// Reads the state (a fresh empty state when the file does not exist yet).
pub fn read_state(backend: &LocalBackend) -> Result<State> {
    Ok(backend.read().with_context(|| format!("reading state {}", backend.path().display()))?.unwrap_or_default())
}

/// Prints diagnostics of a plan run and tells whether any was an error.
pub fn report(printer: &Printer, diags: &Diagnostics, config: &Config) -> bool {
    printer.diagnostics(diags, config);
    diags.has_errors()
}
