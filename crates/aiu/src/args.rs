//! Command-line arguments: clap definitions, plus the normalisation that lets Terraform's
//! single-dash spelling (`-detailed-exitcode`, `-out=FILE`, `-var k=v`) stand for the GNU one.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Declarative plan/apply for AWS IAM, in Terraform's language.
#[derive(Debug, Parser)]
#[command(name = "aiu", version = concat!("v", env!("CARGO_PKG_VERSION")), about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Directory holding the configuration (`*.tf` / `*.hcl`); default: the current directory.
    #[arg(
        long = "chdir",
        visible_alias = "dir",
        global = true,
        value_name = "DIR"
    )]
    pub chdir: Option<PathBuf>,

    /// Disable colour (also honoured: the NO_COLOR environment variable).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Prepare the working directory: record the backend, migrate state between backends.
    Init(InitArgs),
    /// Check the configuration: syntax, arguments, references, types.
    Validate(ValidateArgs),
    /// Validate one JSON policy file (identity, trust or resource policy).
    #[command(name = "validate-policy")]
    ValidatePolicy(ValidatePolicyArgs),
    /// Show what apply would change.
    Plan(PlanArgs),
    /// Make the account match the configuration.
    Apply(ApplyArgs),
    /// Destroy every object this configuration manages.
    Destroy(ApplyArgs),
    /// Print the dependency graph (DOT, or Mermaid).
    Graph(GraphArgs),
    /// Show the state (or a saved plan).
    Show(ShowArgs),
    /// Inspect the state.
    #[command(subcommand)]
    State(StateCommand),
    /// Print output values from the state.
    Output(OutputArgs),
    /// Adopt an existing object into the state.
    Import(ImportArgs),
    /// Answer "may this role do ACTION on RESOURCE?" offline, with the explanation.
    Simulate(crate::commands::simulate::SimulateArgs),
    /// Remove a state lock left behind by a run that died.
    #[command(name = "force-unlock")]
    ForceUnlock(ForceUnlockArgs),
    /// Manage workspaces: separate states for one configuration (dev, prod, ...).
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Print the version.
    Version,
}

/// Where the state lives.
#[derive(Debug, Args, Clone)]
pub struct StateArgs {
    /// Use this local state file (default: the configured backend; for the local backend
    /// `state/<workspace>.aiustate.json` in the configuration directory).
    #[arg(long = "state", value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Override a setting of the configured backend, e.g. `-backend-config bucket=my-state`.
    #[arg(long = "backend-config", value_name = "KEY=VALUE")]
    pub backend_config: Vec<String>,
}

/// State locking.
#[derive(Debug, Args, Clone)]
pub struct LockArgs {
    /// Hold the state lock while running (`-lock=false` to skip; dangerous with others).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub lock: bool,
    /// How long to retry when another run holds the lock, e.g. `30s`.
    #[arg(long = "lock-timeout", default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

/// Input variables.
#[derive(Debug, Args, Clone, Default)]
pub struct VarArgs {
    /// Set a variable: `-var name=value` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    /// Print findings as JSON (same as `-format=json`).
    #[arg(long)]
    pub json: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: ValidateFormat,
}

impl ValidateArgs {
    pub fn format(&self) -> ValidateFormat {
        if self.json {
            ValidateFormat::Json
        } else {
            self.format
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ValidateFormat {
    Text,
    Json,
    /// SARIF 2.1.0, for code-review tools.
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PolicyKindArg {
    /// A permissions policy attached to a role, user or group.
    Identity,
    /// A role's trust policy (`assume_role_policy`).
    Trust,
    /// A resource-based policy (bucket policy, ...).
    Resource,
}

#[derive(Debug, Args)]
pub struct ValidatePolicyArgs {
    /// A JSON policy document.
    pub file: PathBuf,
    /// What kind of policy it is.
    #[arg(long = "type", value_enum, default_value = "identity")]
    pub kind: PolicyKindArg,
    /// Print findings as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum PolicyDiffArg {
    /// Statement by statement: actions, resources, principals, conditions added or removed.
    Statements,
    /// A line diff of the canonical pretty-printed JSON.
    Json,
}

#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Plan against the state file alone: no AWS call at all (data sources become unknown).
    #[arg(long)]
    pub offline: bool,
    /// Read live objects before planning (`-refresh=false` to skip).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub refresh: bool,
    /// Only accept changes made outside aiu into the state; change nothing in AWS.
    #[arg(long = "refresh-only")]
    pub refresh_only: bool,
    /// Plan to destroy every managed object.
    #[arg(long)]
    pub destroy: bool,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error.
    #[arg(long = "detailed-exitcode")]
    pub detailed_exitcode: bool,
    /// Print the plan as JSON (shaped like `terraform show -json`).
    #[arg(long)]
    pub json: bool,
    /// How policy document changes are shown.
    #[arg(long = "policy-diff", value_enum, default_value = "statements")]
    pub policy_diff: PolicyDiffArg,
    /// Save the plan to a file; `aiu apply FILE` applies exactly it, `aiu show FILE` shows it.
    #[arg(long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Maximum concurrent API calls.
    #[arg(long, default_value_t = 10)]
    pub parallelism: usize,
    /// After the plan, list for each role whose policies change the actions newly allowed or
    /// no longer allowed on the resources the configuration names (`access_changes` in -json).
    #[arg(long = "access-diff")]
    pub access_diff: bool,
    /// `-input=false` (as in Terraform scripts): never ask anything. aiu never asks for
    /// variable values (a missing one is an error); apply then needs -auto-approve.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub input: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `aiu plan -out=FILE`: applied exactly, without asking, if nothing
    /// changed since it was made.
    #[arg(value_name = "PLAN_FILE")]
    pub plan_file: Option<PathBuf>,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Apply without asking for confirmation.
    #[arg(long = "auto-approve")]
    pub auto_approve: bool,
    /// Which changes need interactive approval even with -auto-approve: `broadening` refuses
    /// to auto-approve a plan whose policy changes grant more access. Overrides
    /// `locals { aiu_require_approval = "..." }`; the default is `never`.
    #[arg(long = "require-approval", value_enum, value_name = "WHEN")]
    pub require_approval: Option<RequireApproval>,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum RequireApproval {
    /// -auto-approve approves every plan.
    Never,
    /// A plan that broadens access (see `# broadens access` in the plan) is never auto-approved.
    Broadening,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    #[arg(long, value_enum, default_value = "dot")]
    pub format: GraphFormat,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A saved plan file to show instead of the state.
    #[arg(value_name = "PLAN_FILE")]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub state: StateArgs,
    /// How policy document changes in a saved plan are shown.
    #[arg(long = "policy-diff", value_enum, default_value = "statements")]
    pub policy_diff: PolicyDiffArg,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// List the addresses in the state.
    List(StateListArgs),
    /// Print the state to stdout.
    Pull(StateArgs),
    /// Replace the stored state with a local file (refuses another lineage or a lower serial
    /// unless -force).
    Push(StatePushArgs),
}

#[derive(Debug, Args)]
pub struct StatePushArgs {
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// The state file to upload.
    pub file: PathBuf,
    /// Overwrite even when the lineage differs or the serial is lower.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Locks both backends while `-migrate-state` copies.
    #[command(flatten)]
    pub lock: LockArgs,
    /// Move the state from the backend recorded at the last init to the configured one.
    #[arg(long = "migrate-state")]
    pub migrate_state: bool,
    /// Use the configured backend without moving any state.
    #[arg(long)]
    pub reconfigure: bool,
    /// Overwrite state already at the destination when migrating.
    #[arg(long = "force-copy")]
    pub force_copy: bool,
}

#[derive(Debug, Args)]
pub struct StateListArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// Only addresses starting with these.
    pub filters: Vec<String>,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// One output's name; all when omitted.
    pub name: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print a string output without quotes.
    #[arg(long)]
    pub raw: bool,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub state: StateArgs,
    #[command(flatten)]
    pub lock: LockArgs,
    /// Address to import into, e.g. `aws_iam_role.app`.
    pub address: String,
    /// The object's id: role name, policy ARN, `role/policy_arn`, `role:policy_name`, profile name.
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ForceUnlockArgs {
    #[command(flatten)]
    pub state: StateArgs,
    /// The lock ID printed in the "state is locked" error.
    pub id: String,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// List workspaces; the current one is marked with `*`.
    List,
    /// Print the current workspace.
    Show,
    /// Create a workspace (with an empty state) and select it.
    New {
        name: String,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// Select a workspace.
    Select { name: String },
    /// Delete a workspace; refuses one whose state still holds resources unless `-force`.
    Delete {
        name: String,
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
}

/// Rewrites Terraform-style single-dash long options to GNU style: `-out=f` -> `--out=f`,
/// `-detailed-exitcode` -> `--detailed-exitcode`. Single letters (`-h`, `-V`) and values after
/// `--` stay as they are.
pub fn normalize(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut passthrough = false;
    for arg in args {
        if passthrough || arg == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        let is_single_dash_long = arg.starts_with('-')
            && !arg.starts_with("--")
            && arg.len() > 2
            && arg[1..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && arg[1..]
                .split('=')
                .next()
                .is_some_and(|name| name.len() > 1);
        if is_single_dash_long {
            out.push(format!("-{arg}"));
        } else {
            out.push(arg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(args: &[&str]) -> Vec<String> {
        normalize(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn terraform_spelling_becomes_gnu_spelling() {
        assert_eq!(
            norm(&[
                "aiu",
                "plan",
                "-detailed-exitcode",
                "-out=p.json",
                "-var",
                "a=b"
            ]),
            [
                "aiu",
                "plan",
                "--detailed-exitcode",
                "--out=p.json",
                "--var",
                "a=b"
            ]
        );
        assert_eq!(
            norm(&["aiu", "-chdir=x", "plan", "-refresh=false"]),
            ["aiu", "--chdir=x", "plan", "--refresh=false"]
        );
    }

    #[test]
    fn short_flags_and_values_are_kept() {
        assert_eq!(norm(&["aiu", "-h"]), ["aiu", "-h"]);
        assert_eq!(
            norm(&["aiu", "plan", "--var", "n=-5"]),
            ["aiu", "plan", "--var", "n=-5"]
        );
        assert_eq!(
            norm(&["aiu", "output", "--", "-weird"]),
            ["aiu", "output", "--", "-weird"]
        );
    }

    #[test]
    fn every_command_parses() {
        Cli::command_for_test();
    }

    impl Cli {
        fn command_for_test() {
            use clap::CommandFactory;
            Cli::command().debug_assert();
        }
    }
}
