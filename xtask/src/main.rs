//! Developer tasks for kresym.
//!
//! - `cargo xtask samples` rebuilds the sample kernel in `vmlinux-samples/`
//!   and regenerates its committed reports; `--check` rebuilds into a
//!   temporary directory and only says whether the committed files differ.
//! - `cargo xtask bench` measures kresym against llvm-symbolizer, GNU
//!   addr2line and blazecli on Debian's 6.1 kernel (downloaded once).
//! - `cargo xtask bench-stream` measures peak memory and time on a large
//!   generated console log.
//! - `cargo xtask bench-serve` measures `kresym serve`: requests per second
//!   and latency with a warm index, and a first request without one.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod bench;
mod bench_serve;
mod samples;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Developer tasks for kresym")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the sample kernel and module (vmlinux-samples/) with gcc, and
    /// its variants with clang, ThinLTO, out of tree and for aarch64 (run
    /// under qemu-aarch64), and regenerate their reports.
    Samples(samples::Args),
    /// Benchmark kresym against its peers on a real Debian kernel (downloads 282 MB once).
    Bench(bench::Args),
    /// Peak memory and time of `kresym symbolize` streaming a large (default 1 GiB) console log.
    BenchStream(bench::StreamArgs),
    /// Requests per second and latency of `kresym serve` on Debian's 6.1 kernel.
    BenchServe(bench_serve::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Samples(args) => samples::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::BenchStream(args) => bench::run_stream(&args),
        Command::BenchServe(args) => bench_serve::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
