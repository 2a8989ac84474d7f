//! `kresym completions` and `kresym man`: shell completions and manual
//! pages, generated from the command-line definition itself so that they
//! never disagree with `--help`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap_complete::Shell;

/// Print a shell completion script.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym completions bash > ~/.local/share/bash-completion/completions/kresym
  kresym completions zsh > ~/.zfunc/_kresym  # fpath+=(~/.zfunc) in ~/.zshrc
  kresym completions fish > ~/.config/fish/completions/kresym.fish

Exit status: 0 when the script was written, 2 on usage errors or when it
cannot be written.")]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Print the manual page, or write one per command into a directory.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym man | man -l -
  kresym man --out-dir ~/.local/share/man/man1  # kresym.1, kresym-lookup.1...

Exit status: 0 when the pages were written, 2 on usage errors or when they
cannot be written.")]
pub struct ManArgs {
    /// Write kresym.1 and a kresym-COMMAND.1 per command here instead of
    /// printing kresym.1.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Write the completion script for `args.shell` of the command `cli`.
pub fn completions(args: CompletionsArgs, mut cli: clap::Command) -> Result<ExitCode> {
    let name = cli.get_name().to_owned();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cli, name, &mut script);
    write_stdout(&script)
}

/// Write the manual pages of the command `cli`.
pub fn man(args: ManArgs, cli: clap::Command) -> Result<ExitCode> {
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cli, &dir)
                .with_context(|| format!("cannot write manual pages into {}", dir.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cli).render(&mut page)?;
            write_stdout(&page)
        }
    }
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write to standard output")
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}
