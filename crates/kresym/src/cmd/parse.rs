//! `kresym parse`: show what the parser finds in an input.

use std::process::ExitCode;

use anyhow::Result;

/// Show the reports, frames and bisection metadata found in an input.
#[derive(clap::Args)]
pub struct Args {
    /// Input file, or `-` for stdin.
    #[arg(default_value = "-")]
    pub input: String,
}

pub fn run(_args: Args) -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
