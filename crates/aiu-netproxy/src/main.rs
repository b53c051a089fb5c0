//! The `aiu-netproxy` binary: parses flags, binds, prints the port on the first stdout line,
//! serves until SIGTERM / Ctrl-C, then writes the stats file.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use aiu_netproxy::{bind, parse_upstream, DropMode, Proxy, ProxyConfig};
use clap::{Parser, ValueEnum};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DropModeArg {
    /// The request never reaches the upstream.
    Before,
    /// The request is forwarded; its response is lost.
    After,
}

/// Network-conditions proxy: latency, IAM-style throttling, 5xx and dropped connections,
/// request counts by API action.
#[derive(Debug, Parser)]
#[command(name = "aiu-netproxy", version)]
struct Args {
    /// Address to listen on (port 0 = any free port; the port is printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Upstream base URL, e.g. http://127.0.0.1:5000 (plain HTTP).
    #[arg(long)]
    upstream: String,
    /// Latency added to every request, in milliseconds.
    #[arg(long = "latency-ms", default_value_t = 0.0)]
    latency_ms: f64,
    /// Uniform jitter around the latency (+/-), in milliseconds.
    #[arg(long = "jitter-ms", default_value_t = 0.0)]
    jitter_ms: f64,
    /// Sustained requests per second (token bucket); 0 = unlimited.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Bucket size: requests admitted at once after idling (default: the rate, at least 1).
    #[arg(long)]
    burst: Option<f64>,
    /// Fraction of admitted requests answered 500 InternalFailure or 503 ServiceUnavailable.
    #[arg(long = "error-rate", default_value_t = 0.0)]
    error_rate: f64,
    /// Fraction of admitted requests whose connection is closed without an answer.
    #[arg(long = "drop-rate", default_value_t = 0.0)]
    drop_rate: f64,
    /// Whether a dropped request reaches the upstream first.
    #[arg(long = "drop-mode", value_enum, default_value = "before")]
    drop_mode: DropModeArg,
    /// Fraction of admitted requests answered Throttling at random.
    #[arg(long = "throttle-rate", default_value_t = 0.0)]
    throttle_rate: f64,
    /// Where to write the counts (JSON) on SIGTERM / Ctrl-C and on GET /__stats.
    #[arg(long = "stats-file")]
    stats_file: Option<PathBuf>,
    /// Seed of the random draws (reproducible fault sequences).
    #[arg(long)]
    seed: Option<u64>,
    /// Upstream timeout per request, in seconds.
    #[arg(long = "upstream-timeout", default_value_t = 120)]
    upstream_timeout: u64,
}

fn check_fraction(name: &str, v: f64) -> anyhow::Result<()> {
    anyhow::ensure!(
        (0.0..=1.0).contains(&v),
        "--{name} must be between 0 and 1 (got {v})"
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let a = Args::parse();
    check_fraction("error-rate", a.error_rate)?;
    check_fraction("drop-rate", a.drop_rate)?;
    check_fraction("throttle-rate", a.throttle_rate)?;
    anyhow::ensure!(a.rate >= 0.0 && a.rate.is_finite(), "--rate must be >= 0");
    let a_minute = 60_000.0;
    anyhow::ensure!(
        (0.0..=a_minute).contains(&a.latency_ms) && (0.0..=a_minute).contains(&a.jitter_ms),
        "--latency-ms and --jitter-ms must be between 0 and 60000 (a minute)"
    );
    let upstream = parse_upstream(&a.upstream).map_err(anyhow::Error::msg)?;
    let cfg = ProxyConfig {
        upstream,
        latency_ms: a.latency_ms,
        jitter_ms: a.jitter_ms,
        rate: a.rate,
        burst: a.burst.unwrap_or(a.rate.max(1.0)),
        error_rate: a.error_rate,
        drop_rate: a.drop_rate,
        drop_mode: match a.drop_mode {
            DropModeArg::Before => DropMode::Before,
            DropModeArg::After => DropMode::After,
        },
        throttle_rate: a.throttle_rate,
        stats_file: a.stats_file,
        seed: a.seed,
        upstream_timeout: Duration::from_secs(a.upstream_timeout.max(1)),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let (listener, addr) = bind(&a.listen).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", addr.port())?;
            out.flush()?;
        }
        let proxy = Proxy::new(cfg);
        let server = tokio::spawn(proxy.clone().serve(listener));
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
            r = server => { r??; }
        }
        proxy.write_stats_file()?;
        Ok::<(), anyhow::Error>(())
    })?;
    Ok(())
}
