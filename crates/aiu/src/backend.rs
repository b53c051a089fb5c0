//! Which state backend a configuration uses: the local file (default, or `--state PATH`), or S3
//! from a `terraform { backend "s3" { ... } }` block, adjusted by `-backend-config KEY=VALUE`.
//! `aiu init` records the backend in use in `.aiu/backend.json`; when the configuration names
//! another one, commands refuse to run until `aiu init -migrate-state` has moved the state.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aiu_config::Config;
use aiu_model::Value;
use aiu_state::{LocalBackend, StateBackend};
use anyhow::{anyhow, bail, Context, Result};

use crate::args::StateArgs;

/// The backend a configuration asks for, as plain settings (comparable and recordable).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum BackendChoice {
    Local,
    S3 { settings: BTreeMap<String, String> },
}

impl BackendChoice {
    pub fn describe(&self) -> String {
        match self {
            BackendChoice::Local => "local".into(),
            BackendChoice::S3 { settings } => format!(
                "s3 (s3://{}/{})",
                settings.get("bucket").map_or("?", String::as_str),
                settings.get("key").map_or("?", String::as_str)
            ),
        }
    }
}

/// The backend the configuration in `dir` declares, with `-backend-config` overrides.
pub fn configured(config: &Config, args: &StateArgs) -> Result<BackendChoice> {
    let mut settings = BTreeMap::new();
    let kind = match &config.backend {
        None => "local".to_owned(),
        Some(block) => {
            let ctx = aiu_lang::EvalContext {
                root: BTreeMap::new(),
                base_dir: config.dir.clone(),
            };
            for (name, expr) in &block.body.attributes {
                let value = aiu_lang::eval(&expr.expr, &ctx).map_err(|e| {
                    anyhow!(
                        "{}: {}: {} (backend settings cannot use variables or references)",
                        expr.span,
                        e.summary,
                        e.detail
                    )
                })?;
                match value {
                    Value::String(s) => {
                        settings.insert(name.clone(), s);
                    }
                    Value::Bool(b) => {
                        settings.insert(name.clone(), b.to_string());
                    }
                    Value::Number(n) => {
                        settings.insert(name.clone(), n.to_string());
                    }
                    Value::Null => {}
                    other => bail!(
                        "{}: backend setting `{name}` must be a string, number or bool, got {}",
                        expr.span,
                        other.type_name()
                    ),
                }
            }
            for nested in &block.body.blocks {
                if nested.name == "endpoints" {
                    if let Some(expr) = nested.body.attributes.get("s3") {
                        if let Ok(Value::String(s)) = aiu_lang::eval(&expr.expr, &ctx) {
                            settings.insert("endpoint".into(), s);
                        }
                    }
                }
            }
            block.kind.clone()
        }
    };
    for pair in &args.backend_config {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("invalid -backend-config `{pair}`: expected KEY=VALUE, e.g. -backend-config bucket=my-state");
        };
        settings.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    match kind.as_str() {
        "local" => Ok(BackendChoice::Local),
        "s3" => {
            for required in ["bucket", "key"] {
                if !settings.contains_key(required) {
                    bail!("the s3 backend needs `{required}`: set it in the `backend \"s3\"` block or with -backend-config {required}=...");
                }
            }
            Ok(BackendChoice::S3 { settings })
        }
        other => bail!("unsupported backend `{other}`: aiu supports `local` and `s3`"),
    }
}

/// Opens a backend for one workspace.
pub fn open(choice: &BackendChoice, dir: &Path, workspace: &str) -> Result<Arc<dyn StateBackend>> {
    match choice {
        BackendChoice::Local => Ok(Arc::new(LocalBackend::new(aiu_state::default_state_path(
            dir, workspace,
        )))),
        BackendChoice::S3 { settings } => Ok(Arc::new(
            open_s3(settings)?
                .for_workspace(workspace)
                .map_err(|e| anyhow!("{e}"))?,
        )),
    }
}

/// The S3 backend for the default workspace (also lists and deletes workspaces).
pub fn open_s3(settings: &BTreeMap<String, String>) -> Result<aiu_aws::S3Backend> {
    let get = |k: &str| settings.get(k).cloned();
    let truthy = |k: &str| get(k).is_some_and(|v| v == "true");
    let mut s = aiu_aws::S3BackendSettings {
        bucket: get("bucket").unwrap_or_default(),
        key: get("key").unwrap_or_default(),
        region: get("region"),
        endpoint: get("endpoint"),
        profile: get("profile"),
        use_path_style: truthy("use_path_style") || truthy("force_path_style"),
        ..aiu_aws::S3BackendSettings::default()
    };
    if let Some(prefix) = get("workspace_key_prefix") {
        s.workspace_key_prefix = prefix;
    }
    if let (Some(a), Some(k)) = (get("access_key"), get("secret_key")) {
        s.credentials = Some(aiu_aws::StaticCredentials::new(a, k));
    }
    aiu_aws::S3Backend::connect(s).map_err(|e| anyhow!("{e}"))
}

/// Where `aiu init` records the backend in use.
pub fn record_file(dir: &Path) -> PathBuf {
    dir.join(".aiu").join("backend.json")
}

pub fn recorded(dir: &Path) -> Result<Option<BackendChoice>> {
    let file = record_file(dir);
    match std::fs::read_to_string(&file) {
        Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| {
            format!(
                "{} is not a valid backend record; remove it and run `aiu init`",
                file.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
    }
}

pub fn record(dir: &Path, choice: &BackendChoice) -> Result<()> {
    let file = record_file(dir);
    std::fs::create_dir_all(file.parent().unwrap_or(dir))
        .with_context(|| format!("creating {}", file.display()))?;
    std::fs::write(&file, serde_json::to_string_pretty(choice)? + "\n")
        .with_context(|| format!("writing {}", file.display()))
}

/// The backend to use now: `--state` wins; otherwise the configured one, which must match what
/// `aiu init` recorded (if anything was recorded).
pub fn current(
    config: &Config,
    args: &StateArgs,
    workspace: &str,
) -> Result<Arc<dyn StateBackend>> {
    if let Some(path) = &args.state {
        let path = if path.is_absolute() {
            path.clone()
        } else {
            std::env::current_dir()?.join(path)
        };
        return Ok(Arc::new(LocalBackend::new(path)));
    }
    let choice = configured(config, args)?;
    let previous = recorded(&config.dir)?;
    if previous.is_none() && choice != BackendChoice::Local {
        bail!(
            "Backend initialization required: the configuration uses the {} backend, which has not been initialized here.\nRun `aiu init` (or `aiu init -migrate-state` to move an existing local state into it).",
            choice.describe()
        );
    }
    if let Some(previous) = previous {
        if previous != choice {
            bail!(
                "Backend configuration changed: state was last used with the {} backend, the configuration now says {}.\nRun `aiu init -migrate-state` to move the state, or `aiu init -reconfigure` to use the new backend without moving anything.",
                previous.describe(),
                choice.describe()
            );
        }
    }
    open(&choice, &config.dir, workspace)
}
