//! `kresym serve`: the commands as an HTTP service (see [`crate::serve`]).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};

use crate::cmd::discover::DiscoverArgs;
use crate::cmd::kernel::{IndexArgs, KernelArgs};
use crate::serve::{Config, Limits};

/// Serve symbolize, verify, link and parse over HTTP, with a web page.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym serve --listen 127.0.0.1:8080 --debug-dir /srv/debug
  DEBUGINFOD_URLS=https://debuginfod.debian.net \\
      kresym serve --listen 0.0.0.0:8080 --index-dir /var/cache/kresym/index

Then: curl --data-binary @report.txt http://127.0.0.1:8080/v1/symbolize

Routes: POST /v1/symbolize?format=text|json|markdown|html (also release=,
build_id=, repo=, commit=), POST /v1/verify?format=text|json (release=,
build_id=), POST
/v1/link?format=text|markdown|html|json (repo=, commit=), POST
/v1/parse?format=text|json, each with the input as the body and answering
exactly what the command prints for it on standard input; GET / (a form),
/healthz, /readyz, /metrics (Prometheus). Errors are JSON {\"code\",
\"message\"}: 400 bad input, 408 body too slow, 413 body too large, 422 no
vmlinux found (or no repository to link to), 429 queue full, 504 past the
deadline.

Kernels are found per request as `kresym symbolize` finds them without
--vmlinux: by build id or release in the --debug-dir roots, then debuginfod
(DEBUGINFOD_URLS); clients never name server paths. Each kernel is opened
once and kept (at most --max-builds, least recently used evicted); its
index is built in the background and used once ready. Index files are
written atomically, the first valid one winning, so replicas may share
--index-dir. Logs: KRESYM_LOG (e.g. debug, kresym=info).

Exit status: 0 after a clean shutdown (SIGTERM or Ctrl-C: in-flight
requests get --grace seconds), 2 on usage errors or when the address cannot
be listened on.")]
pub struct Args {
    /// Address to listen on (port 0: any free port; the address is said on stderr).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Debug directory root searched for ROOT/boot/vmlinux-RELEASE, ROOT/lib/modules/RELEASE/ and ROOT/.build-id/; repeatable [default: /usr/lib/debug and /].
    #[arg(long = "debug-dir", value_name = "ROOT")]
    pub debug_dirs: Vec<PathBuf>,
    /// Directory searched recursively for modules; repeatable.
    #[arg(long = "modules", value_name = "DIR")]
    pub modules: Vec<PathBuf>,
    /// Where indexes are kept, one file per build id; may be shared by replicas
    /// [default: $XDG_CACHE_HOME/kresym/index, else ~/.cache/kresym/index].
    #[arg(long, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
    /// Never use or build a persisted index.
    #[arg(long)]
    pub no_index: bool,
    /// Worker threads symbolizing requests (and serving HTTP) [default: one per core].
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Requests waiting for a worker at most; more are refused with 429.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub queue: usize,
    /// Largest request body in bytes; larger ones are refused with 413.
    #[arg(long, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_body: usize,
    /// Seconds from a request's arrival to its answer; past it, 504.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub deadline: f64,
    /// Seconds a client has to send its headers, and then its body; past it, 408.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub read_timeout: f64,
    /// Kernel builds kept open at most (least recently used evicted).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_builds: usize,
    /// Seconds in-flight requests have to finish after SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub grace: f64,
}

fn seconds(value: f64, flag: &str) -> Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value < 1e9) {
        bail!("{flag} must be a positive number of seconds, not {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

/// Serve until SIGTERM.
pub fn run(args: Args) -> Result<ExitCode> {
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 || args.queue == 0 || args.max_builds == 0 {
        bail!("--jobs, --queue and --max-builds must be at least 1");
    }
    let kernel = KernelArgs {
        discover: DiscoverArgs {
            debug_dirs: args.debug_dirs,
            ..Default::default()
        },
        modules: args.modules,
        index: IndexArgs {
            no_index: args.no_index,
            build_index: false,
            index_dir: args.index_dir,
        },
        ..Default::default()
    };
    crate::serve::serve(Config {
        listen: args.listen,
        kernel,
        workers: jobs,
        queue: args.queue,
        max_builds: args.max_builds,
        limits: Limits {
            max_body: args.max_body,
            deadline: seconds(args.deadline, "--deadline")?,
            read_timeout: seconds(args.read_timeout, "--read-timeout")?,
        },
        grace: seconds(args.grace, "--grace")?,
    })
}
