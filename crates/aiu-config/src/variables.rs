//! Input variable values: defaults, `AIU_VAR_*` environment, tfvars files, `-var-file` and
//! `-var`, in Terraform's precedence, converted to the declared types and validated.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aiu_lang::{EvalContext, TypeConstraint};
use aiu_model::{Diagnostic, Diagnostics, Span, Value};
use hcl::edit::structure::Structure;
use hcl::edit::Span as _;

use crate::model::{Config, Variable};
use crate::span::LineIndex;
use crate::suggest::did_you_mean;

/// Values given from outside the configuration. Precedence, lowest first: variable defaults,
/// `TF_VAR_<name>` then `AIU_VAR_<name>` environment variables, `terraform.tfvars`, `aiu.tfvars` (each also as
/// `.tfvars.json`), `*.auto.tfvars` / `*.auto.tfvars.json` in name order, `-var-file`s in order,
/// `-var`s in order.
#[derive(Clone, Debug, Default)]
pub struct VarInputs {
    /// `name=value` from each `-var`, in order.
    pub cli_vars: Vec<String>,
    /// `-var-file` paths, in order.
    pub var_files: Vec<PathBuf>,
    /// Environment pairs; names are `AIU_VAR_<name>` or `TF_VAR_<name>` (others are ignored). Pass the
    /// process environment, filtered or not.
    pub env: Vec<(String, String)>,
    /// Treat a required variable without a value as unknown instead of an error (`validate`
    /// checks a configuration without its inputs, as Terraform's does).
    pub missing_as_unknown: bool,
}

/// Prefix of environment variables that set input variables.
pub const ENV_PREFIX: &str = "AIU_VAR_";

/// Terraform's prefix for the same, read too so Terraform setups work unchanged; an
/// `AIU_VAR_<name>` wins over a `TF_VAR_<name>`.
pub const TF_ENV_PREFIX: &str = "TF_VAR_";

#[derive(Clone, Debug)]
enum Source {
    Default(Span),
    Env(String),
    File(PathBuf, Span),
    Cli(String),
}

impl Source {
    fn describe(&self) -> String {
        match self {
            Source::Default(_) => "its default value".into(),
            Source::Env(name) => format!("the environment variable {name}"),
            Source::File(path, _) => format!("the file {}", path.display()),
            Source::Cli(arg) => format!("the option -var '{arg}'"),
        }
    }

    fn span(&self, var: &Variable) -> Span {
        match self {
            Source::Default(s) | Source::File(_, s) => s.clone(),
            Source::Env(_) | Source::Cli(_) => var.span.clone(),
        }
    }
}

#[derive(Clone, Debug)]
enum Raw {
    Value(Value),
    /// A string from the command line or environment: used as-is for strings, parsed as an
    /// HCL expression for other types.
    Text(String),
}

fn empty_ctx(config: &Config) -> EvalContext {
    EvalContext {
        root: BTreeMap::new(),
        base_dir: config.dir.clone(),
    }
}

fn shown_path(dir: &Path, name: &str) -> PathBuf {
    if dir.as_os_str().is_empty() || dir == Path::new(".") {
        PathBuf::from(name)
    } else {
        dir.join(name)
    }
}

/// Reads one tfvars file (HCL, or JSON when the name ends in `.json`).
fn read_tfvars(
    config: &Config,
    path: &Path,
    diags: &mut Diagnostics,
) -> Vec<(String, Value, Span)> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read variables file",
                format!(
                    "Could not read {}: {e}. Check the path given to -var-file.",
                    path.display()
                ),
            ));
            return Vec::new();
        }
    };
    let idx = LineIndex::new(path.to_path_buf(), &text);
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "json") {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(map)) => {
                for (k, v) in map {
                    out.push((k, Value::from_json(&v), idx.span(0..0)));
                }
            }
            Ok(_) => diags.push(
                Diagnostic::error(
                    "Invalid variables file",
                    "A .tfvars.json file must contain a JSON object of variable names to values.",
                )
                .with_span(Some(idx.span(0..0))),
            ),
            Err(e) => diags.push(
                Diagnostic::error(
                    "Invalid variables file",
                    format!("{} is not valid JSON: {e}.", path.display()),
                )
                .with_span(Some(idx.span_at_line_col(e.line(), e.column()))),
            ),
        }
        return out;
    }
    let body = match hcl::edit::parser::parse_body(&text) {
        Ok(b) => b,
        Err(e) => {
            diags.push(
                Diagnostic::error("Syntax error", crate::span::syntax_error_message(&e)).with_span(
                    Some(idx.span_at_line_col(e.location().line(), e.location().column())),
                ),
            );
            return out;
        }
    };
    let ctx = empty_ctx(config);
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let span = idx.span_opt(a.value.span());
                let expr: hcl::Expression = a.value.clone().into();
                match aiu_lang::eval(&expr, &ctx) {
                    Ok(v) => out.push((a.key.as_str().to_owned(), v, span)),
                    Err(e) => diags.push(Diagnostic::error(e.summary, e.detail).with_span(Some(span))),
                }
            }
            Structure::Block(b) => diags.push(
                Diagnostic::error(
                    "Unexpected block in variables file",
                    format!("Variable definition files contain only name = value assignments; \"{}\" is a block.", b.ident.as_str()),
                )
                .with_span(Some(idx.span_opt(b.span()))),
            ),
        }
    }
    out
}

fn is_literal_string_type(ty: Option<&TypeConstraint>) -> bool {
    matches!(ty, None | Some(TypeConstraint::String))
}

/// Resolves every declared variable's value. Variables whose value could not be determined
/// (errors reported) are `Unknown` in the result, so later evaluation does not cascade.
pub fn resolve_variables(
    config: &Config,
    inputs: &VarInputs,
) -> (BTreeMap<String, Value>, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut given: BTreeMap<String, (Raw, Source)> = BTreeMap::new();
    let declared = |name: &str| config.variable(name).is_some();
    let names: Vec<&str> = config.variables.iter().map(|v| v.name.as_str()).collect();

    // Lowest precedence first; later sources overwrite earlier ones.
    for v in &config.variables {
        if let Some(d) = &v.default {
            match aiu_lang::eval(&d.expr, &empty_ctx(config)) {
                Ok(value) => {
                    given.insert(
                        v.name.clone(),
                        (Raw::Value(value), Source::Default(d.span.clone())),
                    );
                }
                Err(e) => diags
                    .push(Diagnostic::error(e.summary, e.detail).with_span(Some(d.span.clone()))),
            }
        }
    }
    for prefix in [TF_ENV_PREFIX, ENV_PREFIX] {
        for (key, value) in &inputs.env {
            let Some(name) = key.strip_prefix(prefix) else {
                continue;
            };
            if declared(name) {
                given.insert(
                    name.to_owned(),
                    (Raw::Text(value.clone()), Source::Env(key.clone())),
                );
            }
        }
    }
    let mut files: Vec<PathBuf> = Vec::new();
    for name in [
        "terraform.tfvars",
        "terraform.tfvars.json",
        "aiu.tfvars",
        "aiu.tfvars.json",
    ] {
        if config.dir.join(name).is_file() {
            files.push(shown_path(&config.dir, name));
        }
    }
    let mut auto: Vec<String> = std::fs::read_dir(&config.dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
                .collect()
        })
        .unwrap_or_default();
    auto.sort();
    files.extend(auto.iter().map(|n| shown_path(&config.dir, n)));
    let auto_count = files.len();
    files.extend(inputs.var_files.iter().cloned());
    for (i, file) in files.iter().enumerate() {
        let read_from = if i < auto_count {
            config.dir.join(file.file_name().unwrap_or_default())
        } else {
            file.clone()
        };
        let mut file_diags = Diagnostics::new();
        let mut entries = read_tfvars(config, &read_from, &mut file_diags);
        // Report spans with the shown path.
        for d in file_diags.0.iter_mut() {
            if let Some(s) = &mut d.span {
                s.file = file.clone();
            }
        }
        diags.extend(file_diags);
        for (name, value, mut span) in entries.drain(..) {
            span.file = file.clone();
            if !declared(&name) {
                diags.push(
                    Diagnostic::warning(
                        "Value for undeclared variable",
                        format!(
                            "The file {} assigns \"{name}\", but no variable \"{name}\" is declared.{} Declare it with \
                             variable \"{name}\" {{}} or remove the assignment.",
                            file.display(),
                            did_you_mean(&name, &names)
                        ),
                    )
                    .with_span(Some(span)),
                );
                continue;
            }
            given.insert(name, (Raw::Value(value), Source::File(file.clone(), span)));
        }
    }
    for arg in &inputs.cli_vars {
        let Some((name, value)) = arg.split_once('=') else {
            diags.push(Diagnostic::error(
                "Invalid -var option",
                format!("The -var option takes name=value, got \"{arg}\". Example: -var 'region=eu-west-1'."),
            ));
            continue;
        };
        let name = name.trim();
        if !declared(name) {
            diags.push(Diagnostic::error(
                "Value for undeclared variable",
                format!(
                    "A variable named \"{name}\" was assigned with -var, but no variable \"{name}\" is declared.{} \
                     Declare it with variable \"{name}\" {{}} in a .tf file, or fix the name.",
                    did_you_mean(name, &names)
                ),
            ));
            continue;
        }
        given.insert(
            name.to_owned(),
            (Raw::Text(value.to_owned()), Source::Cli(arg.clone())),
        );
    }

    let mut values = BTreeMap::new();
    let mut ok: BTreeMap<String, bool> = BTreeMap::new();
    for var in &config.variables {
        let given = given.remove(&var.name);
        if given.is_none() && var.default.is_none() && inputs.missing_as_unknown {
            values.insert(var.name.clone(), Value::Unknown);
            ok.insert(var.name.clone(), false);
            continue;
        }
        let result = resolve_one(config, var, given, &mut diags);
        ok.insert(var.name.clone(), result.is_some());
        values.insert(var.name.clone(), result.unwrap_or(Value::Unknown));
    }

    // Validations run with every variable in scope.
    let mut ctx = empty_ctx(config);
    ctx.root.insert("var".into(), Value::Object(values.clone()));
    for var in &config.variables {
        if !ok[&var.name] {
            continue;
        }
        for v in &var.validations {
            match aiu_lang::eval(&v.condition.expr, &ctx) {
                Ok(Value::Bool(true)) | Ok(Value::Unknown) => {}
                Ok(Value::Bool(false)) => {
                    let message = match aiu_lang::eval(&v.error_message.expr, &ctx) {
                        Ok(Value::String(s)) => s,
                        Ok(other) => other.to_string(),
                        Err(e) => format!("(the error_message could not be evaluated: {e})"),
                    };
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for variable",
                            format!("{message}\n\nThis was checked by the validation rule of variable \"{}\".", var.name),
                        )
                        .with_span(Some(v.condition.span.clone())),
                    );
                }
                Ok(other) => diags.push(
                    Diagnostic::error(
                        "Invalid validation result",
                        format!(
                            "The condition of a validation rule must be true or false, got {}.",
                            other.type_name()
                        ),
                    )
                    .with_span(Some(v.condition.span.clone())),
                ),
                Err(e) => diags.push(
                    Diagnostic::error(e.summary, e.detail)
                        .with_span(Some(v.condition.span.clone())),
                ),
            }
        }
    }
    (values, diags)
}

fn resolve_one(
    config: &Config,
    var: &Variable,
    given: Option<(Raw, Source)>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some((raw, source)) = given else {
        if var.default.is_none() {
            diags.push(
                Diagnostic::error(
                    "No value for required variable",
                    format!(
                        "The input variable \"{0}\" is not set, and has no default value. Pass it with -var '{0}=...', \
                         in a tfvars file ({0} = ... in aiu.tfvars, terraform.tfvars or a *.auto.tfvars file), or with \
                         the environment variable {ENV_PREFIX}{0} (or {TF_ENV_PREFIX}{0}).",
                        var.name
                    ),
                )
                .with_span(Some(var.span.clone())),
            );
        }
        // A default that failed to evaluate was already reported.
        return None;
    };
    let value = match raw {
        Raw::Value(v) => v,
        Raw::Text(text) if is_literal_string_type(var.ty.as_ref()) => Value::String(text),
        Raw::Text(text) => {
            let parsed = hcl::edit::parser::parse_expr(&text)
                .map_err(|e| e.message().to_owned())
                .and_then(|e| {
                    let expr: hcl::Expression = e.into();
                    aiu_lang::eval(&expr, &empty_ctx(config)).map_err(|e| e.to_string())
                });
            match parsed {
                Ok(v) => v,
                Err(why) => {
                    diags.push(
                        Diagnostic::error(
                            "Invalid value for input variable",
                            format!(
                                "The value for variable \"{}\" from {} is not a valid expression: {why}. Values of \
                                 non-string variables are written in HCL syntax, e.g. '[\"a\", \"b\"]' or '{{ k = \"v\" }}'.",
                                var.name,
                                source.describe(),
                                why = why.trim_end_matches('.')
                            ),
                        )
                        .with_span(Some(source.span(var))),
                    );
                    return None;
                }
            }
        }
    };
    let value = if value.is_null() && !var.nullable {
        match (&source, &var.default) {
            (Source::Default(_), _) | (_, None) => {
                diags.push(
                    Diagnostic::error(
                        "Invalid value for input variable",
                        format!("The variable \"{}\" is not nullable, but the value from {} is null. Give it a non-null value.", var.name, source.describe()),
                    )
                    .with_span(Some(source.span(var))),
                );
                return None;
            }
            (_, Some(d)) => match aiu_lang::eval(&d.expr, &empty_ctx(config)) {
                Ok(v) => v,
                Err(_) => return None,
            },
        }
    } else {
        value
    };
    let ty = var.ty.clone().unwrap_or(TypeConstraint::Any);
    if value.is_null() {
        return Some(value);
    }
    match aiu_lang::convert(value, &ty) {
        Ok(v) => Some(v),
        Err(why) => {
            let summary = if matches!(source, Source::Default(_)) {
                "Invalid default value for variable"
            } else {
                "Invalid value for input variable"
            };
            diags.push(
                Diagnostic::error(
                    summary,
                    format!(
                        "The value for variable \"{}\" from {} is not valid: {why}.",
                        var.name,
                        source.describe()
                    ),
                )
                .with_span(Some(source.span(var))),
            );
            None
        }
    }
}
