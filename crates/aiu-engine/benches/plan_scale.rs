//! Benchmark: plan a generated configuration of N resources (a third roles, a third managed
//! policies, a third attachments) against an empty state and against a matching state.
//! Prints the median wall time of load + plan and the peak memory of a process that only plans. Run with
//! `cargo bench -p aiu-engine --bench plan_scale` (figures recorded in BENCHMARKS.md).

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aiu_engine::{ApplyOptions, Persist};
use aiu_plan::{Offline, Plan, PlanInput};
use aiu_provider::memory::MemoryIam;
use aiu_provider::Provider;
use aiu_state::State;

/// The same estate written with `count` (three blocks): every attachment references
/// `aws_iam_role.r[count.index].name`, the pattern that must not cost O(N) per instance.
fn generate_with_count(dir: &Path, resources: usize) {
    let n = resources / 3;
    let text = format!(
        r#"
resource "aws_iam_role" "r" {{
  count              = {n}
  name               = "role-${{count.index}}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}] }})
  tags               = {{ team = "t${{count.index % 7}}" }}
}}

resource "aws_iam_policy" "p" {{
  count  = {n}
  name   = "policy-${{count.index}}"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::bucket-${{count.index}}/*" }}] }})
}}

resource "aws_iam_role_policy_attachment" "a" {{
  count      = {n}
  role       = aws_iam_role.r[count.index].name
  policy_arn = aws_iam_policy.p[count.index].arn
}}
"#
    );
    std::fs::write(dir.join("main.tf"), text).unwrap();
}

fn generate(dir: &Path, resources: usize) {
    let per_kind = resources / 3;
    let mut text = String::new();
    for i in 0..per_kind {
        let _ = write!(
            text,
            r#"
resource "aws_iam_role" "r{i}" {{
  name               = "role-{i}"
  assume_role_policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = "sts:AssumeRole", Principal = {{ Service = "ec2.amazonaws.com" }} }}] }})
  tags               = {{ team = "t{t}" }}
}}

resource "aws_iam_policy" "p{i}" {{
  name   = "policy-{i}"
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = ["s3:GetObject", "s3:PutObject"], Resource = "arn:aws:s3:::bucket-{i}/*" }}] }})
}}

resource "aws_iam_role_policy_attachment" "a{i}" {{
  role       = aws_iam_role.r{i}.name
  policy_arn = aws_iam_policy.p{i}.arn
}}
"#,
            t = i % 7
        );
    }
    std::fs::write(dir.join("main.tf"), text).unwrap();
}

fn plan(dir: &Path, state: &State) -> (Plan, Duration) {
    let started = Instant::now();
    let (config, diags) = aiu_config::load_dir(dir);
    assert!(!diags.has_errors(), "{diags:?}");
    if std::env::var_os("AIU_BENCH_PHASES").is_some() {
        eprintln!("  load: {:.3}s", started.elapsed().as_secs_f64());
    }
    let (variables, _) = aiu_config::resolve_variables(&config, &aiu_config::VarInputs::default());
    let input = PlanInput {
        config: &config,
        variables: &variables,
        prior: state,
        reader: &Offline,
        destroy: false,
        default_tags: BTreeMap::new(),
    };
    let (plan, diags) = aiu_plan::plan(&input);
    assert!(!diags.has_errors(), "{diags:?}");
    (plan, started.elapsed())
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(f64::NAN);
    kib / 1024.0
}

fn median_of(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    times.sort();
    times[runs / 2]
}

/// Child mode: `plan_scale --child DIR [STATE_FILE]` times load + plan of DIR against the
/// state file (or an empty state) and prints `<median seconds> <peak RSS MiB>`, so memory is
/// measured for planning alone.
fn child(dir: &Path, state_file: Option<&Path>) {
    let state = match state_file {
        Some(f) => {
            State::from_json_str(&std::fs::read_to_string(f).unwrap(), "bench state").unwrap()
        }
        None => State::new(),
    };
    let t = median_of(5, || plan(dir, &state).1);
    println!("{} {}", t.as_secs_f64(), peak_rss_mib());
}

fn run_child(dir: &Path, state_file: Option<&Path>) -> (f64, f64) {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.arg("--child").arg(dir);
    if let Some(f) = state_file {
        cmd.arg(f);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace().map(|p| p.parse::<f64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        child(Path::new(&args[1]), args.get(2).map(Path::new));
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let sizes = if sizes.is_empty() {
        vec![1_000, 10_000]
    } else {
        sizes
    };
    for (style, write) in [
        ("blocks", generate as fn(&Path, usize)),
        ("count", generate_with_count),
    ] {
        println!("\nconfiguration written as {style}:");
        run_sizes(&runtime, &sizes, write);
    }
}

fn run_sizes(runtime: &tokio::runtime::Runtime, sizes: &[usize], write: fn(&Path, usize)) {
    let mut empty_times = Vec::new();
    println!(
        "{:>9} {:>13} {:>10} {:>16} {:>10}",
        "resources", "plan (empty)", "peak RSS", "plan (matching)", "peak RSS"
    );
    for &n in sizes {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), n);
        let (first, _) = plan(dir.path(), &State::new());
        assert_eq!(first.counts().add, n / 3 * 3);

        // A matching state: apply the plan to the in-memory IAM double.
        let iam: Arc<MemoryIam> = Arc::new(MemoryIam::new());
        let provider: Arc<dyn Provider> = iam.clone();
        let persist: Persist = Arc::new(|_: &mut State| Ok(()));
        let dir_path = dir.path().to_owned();
        let mut replan = move |s: &State| Ok(plan(&dir_path, s).0);
        let options = ApplyOptions {
            parallelism: 10,
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (report, matching) = runtime.block_on(aiu_engine::apply(
            provider,
            &first,
            State::new(),
            persist,
            &mut replan,
            &options,
            Arc::new(|_| {}),
        ));
        assert!(report.failures.is_empty(), "{:?}", report.failures.first());
        let (second, _) = plan(dir.path(), &matching);
        assert!(!second.has_changes(), "matching state must plan no changes");
        let state_file = dir.path().join("matching.aiustate.json");
        std::fs::write(&state_file, matching.to_json_string()).unwrap();

        let (t_empty, rss_empty) = run_child(dir.path(), None);
        let (t_matching, rss_matching) = run_child(dir.path(), Some(&state_file));
        empty_times.push((n, t_empty, t_matching));
        println!("{n:>9} {t_empty:>12.3}s {rss_empty:>6.0} MiB {t_matching:>15.3}s {rss_matching:>6.0} MiB");
    }
    if let [(n1, e1, m1), (n2, e2, m2)] = empty_times[..] {
        println!(
            "growth: {}x resources -> {:.1}x time (empty state), {:.1}x time (matching state)",
            n2 / n1,
            e2 / e1,
            m2 / m1
        );
    }
}
