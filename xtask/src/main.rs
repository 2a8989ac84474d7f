//! Developer tasks for kresym.
//!
//! `cargo xtask samples` rebuilds the sample kernel in `vmlinux-samples/`
//! and regenerates its committed reports; `--check` rebuilds into a
//! temporary directory and only says whether the committed files differ.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod samples;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Developer tasks for kresym")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the sample kernel and module (vmlinux-samples/) with gcc and
    /// regenerate their reports.
    Samples(samples::Args),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Samples(args) => samples::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
