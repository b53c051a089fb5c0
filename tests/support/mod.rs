//! Shared helpers of the end-to-end tests: run the real `aiu` binary in a scratch copy of a
//! configuration, capture exit code / stdout / stderr, and render them for snapshots with
//! machine-specific paths replaced by placeholders.
#![allow(dead_code)]

pub mod moto;

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root (`/work/main`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repo root")
}

/// `tests/fixtures/<rel>`.
pub fn fixture_path(rel: &str) -> PathBuf {
    repo_root().join("tests/fixtures").join(rel)
}

/// `examples/<name>`.
pub fn example_path(name: &str) -> PathBuf {
    repo_root().join("examples").join(name)
}

/// Names of every directory under `examples/`, sorted.
pub fn example_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_root().join("examples"))
        .expect("read examples/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A scratch directory holding a copy of a configuration; removed on drop.
pub struct Work {
    pub tmp: tempfile::TempDir,
}

impl Work {
    /// An empty scratch directory.
    pub fn empty() -> Work {
        Work {
            tmp: tempfile::Builder::new()
                .prefix("aiu-e2e-")
                .tempdir()
                .expect("tempdir"),
        }
    }

    /// A copy of `src` (a directory) in a fresh scratch directory. `state/` and lock files of the
    /// source are not copied, so no state leaks in from a developer's runs.
    pub fn copy_of(src: &Path) -> Work {
        let w = Work::empty();
        copy_dir(src, w.path());
        w
    }

    pub fn example(name: &str) -> Work {
        Work::copy_of(&example_path(name))
    }

    pub fn fixture(rel: &str) -> Work {
        Work::copy_of(&fixture_path(rel))
    }

    /// A copy of a fixture with `@KEY@` placeholders in its `*.tf` files replaced.
    pub fn fixture_with(rel: &str, replacements: &[(&str, &str)]) -> Work {
        let w = Work::fixture(rel);
        w.substitute(replacements);
        w
    }

    /// Replaces `@KEY@` placeholders in every `*.tf` file of the scratch directory.
    pub fn substitute(&self, replacements: &[(&str, &str)]) {
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "tf") {
                let mut text = std::fs::read_to_string(&path).unwrap();
                for (k, v) in replacements {
                    text = text.replace(&format!("@{k}@"), v);
                }
                std::fs::write(&path, text).unwrap();
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// The default state file: `state/default.aiustate.json`.
    pub fn state_path(&self) -> PathBuf {
        self.join("state/default.aiustate.json")
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(p, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    /// Installs `tests/fixtures/states/<name>` as the default state file.
    pub fn install_state(&self, name: &str) {
        let text = std::fs::read_to_string(fixture_path(&format!("states/{name}")))
            .expect("state fixture");
        self.write("state/default.aiustate.json", &text);
    }

    /// `aiu ARGS` with the scratch directory as working directory.
    pub fn aiu<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        Run::new(self.path()).args(args)
    }
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for entry in std::fs::read_dir(src).unwrap_or_else(|e| panic!("read {}: {e}", src.display())) {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let name_s = name.to_string_lossy();
        let from = entry.path();
        if from.is_dir() {
            if name_s == "state" || name_s == ".aiu" {
                continue;
            }
            copy_dir(&from, &dst.join(&name));
        } else if !name_s.contains(".aiustate.") {
            std::fs::copy(&from, dst.join(&name)).unwrap();
        }
    }
}

/// One invocation of the binary, configured builder-style, then `.run()`.
pub struct Run {
    cmd: Command,
    cwd: PathBuf,
    stdin_data: Option<String>,
}

/// The `aiu` binary to run in `cwd`, in a clean, deterministic environment: nothing from the
/// developer's shell leaks in (no `AWS_*` / `AIU_*`, no colour settings, no AWS config files,
/// no instance metadata), stdin empty.
pub fn aiu_command(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aiu"));
    cmd.current_dir(cwd);
    for (k, _) in std::env::vars_os() {
        let k_s = k.to_string_lossy();
        if k_s.starts_with("AWS_")
            || k_s.starts_with("AIU_")
            || k_s.starts_with("TF_VAR_")
            || k_s == "NO_COLOR"
            || k_s == "CLICOLOR_FORCE"
        {
            cmd.env_remove(&k);
        }
    }
    cmd.env("NO_COLOR", "1")
        .env("HOME", cwd)
        .env("AWS_CONFIG_FILE", cwd.join(".no-aws-config"))
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            cwd.join(".no-aws-credentials"),
        )
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null());
    cmd
}

impl Run {
    pub fn new(cwd: &Path) -> Run {
        let cmd = aiu_command(cwd);
        Run {
            cmd,
            cwd: cwd.to_path_buf(),
            stdin_data: None,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Run {
        self.cmd.env(k, v);
        self
    }

    /// Fake credentials and an endpoint: what every run against moto needs.
    pub fn aws(self, endpoint: &str) -> Run {
        self.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint)
    }

    pub fn stdin(mut self, data: &str) -> Run {
        self.stdin_data = Some(data.to_owned());
        self.cmd.stdin(Stdio::piped());
        self
    }

    pub fn run(mut self) -> Out {
        let start = Instant::now();
        let mut child = self
            .cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the aiu binary");
        if let Some(data) = self.stdin_data.take() {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            let _ = stdin.write_all(data.as_bytes());
        }
        let out = child.wait_with_output().expect("wait for aiu");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
            cwd: self.cwd,
        }
    }
}

/// What a run produced.
#[derive(Debug)]
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    cwd: PathBuf,
}

impl Out {
    /// Exit code, stdout and stderr in one text, with the scratch directory replaced by
    /// `[WORK]` (and the repository by `[REPO]`), for snapshots.
    pub fn snapshot(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "exit code: {}", self.code);
        let _ = writeln!(s, "----- stdout -----");
        s.push_str(&self.stdout);
        let _ = writeln!(s, "----- stderr -----");
        s.push_str(&self.stderr);
        self.redact(&s)
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        let mut paths = vec![self.cwd.clone()];
        if let Ok(c) = self.cwd.canonicalize() {
            paths.push(c);
        }
        for p in paths {
            text = text.replace(&p.display().to_string(), "[WORK]");
        }
        text.replace(&repo_root().display().to_string(), "[REPO]")
    }

    /// Everything the run printed, for `contains` checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Out {
        assert_eq!(
            self.code,
            code,
            "unexpected exit code; output:\n{}",
            self.snapshot()
        );
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, needle: &str) -> &Out {
        assert!(
            self.all().contains(needle),
            "expected output to contain {needle:?}; output:\n{}",
            self.snapshot()
        );
        self
    }

    #[track_caller]
    pub fn assert_not_contains(&self, needle: &str) -> &Out {
        assert!(
            !self.all().contains(needle),
            "expected output NOT to contain {needle:?}; output:\n{}",
            self.snapshot()
        );
        self
    }

    #[track_caller]
    pub fn assert_stdout_contains(&self, needle: &str) -> &Out {
        assert!(
            self.stdout.contains(needle),
            "expected stdout to contain {needle:?}; output:\n{}",
            self.snapshot()
        );
        self
    }

    #[track_caller]
    pub fn assert_stderr_contains(&self, needle: &str) -> &Out {
        assert!(
            self.stderr.contains(needle),
            "expected stderr to contain {needle:?}; output:\n{}",
            self.snapshot()
        );
        self
    }
}
