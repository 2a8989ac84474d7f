//! `kresym`: symbolize, verify and link Linux kernel crash reports.

/// `eprintln!` that never panics: when stderr is a closed pipe
/// (`kresym ... 2>&1 | head`), the message is lost and the run goes on.
/// The line is written whole, in one system call (unbuffered stderr would
/// take one per formatted piece: a batch's warnings cost thousands).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut line = format!($($arg)*);
        line.push('\n');
        let _ = std::io::stderr().write_all(line.as_bytes());
    }};
}

mod cmd;
mod input;
mod output;
mod serve;
mod session;
mod stream;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// jemalloc instead of glibc's malloc: a batch allocates a few short
/// strings per frame from every worker thread, which glibc's arenas served
/// at about 300 instructions a malloc and free. With jemalloc the 20k-frame
/// batch from the index took 17% fewer instructions, and a one-frame report
/// peaks 2 MiB higher (mimalloc, also tried, peaked 21 MiB higher).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Symbolize, verify and link Linux kernel crash reports.
#[derive(Parser)]
#[command(name = "kresym", version, about, long_about = None, after_help = "\
Examples:
  kresym symbolize --vmlinux vmlinux --modules /lib/modules/6.1.0 report.txt
  dmesg | kresym symbolize --vmlinux vmlinux
  kresym verify --vmlinux vmlinux syzbot-report.txt
  kresym link --repo upstream --snippets --format html bisection.log > b.html
  kresym parse --format json console.log
  kresym index --vmlinux vmlinux  # once per build: later runs read no DWARF
  kresym lookup --vmlinux vmlinux kthread+0x10 0xffffffff81234567
  kresym serve --listen 127.0.0.1:8080 --debug-dir /srv/debug
  kresym completions bash > ~/.local/share/bash-completion/completions/kresym

Exit status: 0 on success, 1 when the command found a problem or could not
read an input, 2 on usage errors and unusable files, 3 when symbolize or
verify left a report alone because the vmlinux did not produce it; each
command's --help says which. Run `kresym COMMAND --help` for its flags.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Parse(cmd::parse::Args),
    Symbolize(cmd::symbolize::Args),
    Link(cmd::link::Args),
    Verify(cmd::verify::Args),
    Index(cmd::index::Args),
    Lookup(cmd::lookup::Args),
    Serve(cmd::serve::Args),
    Completions(cmd::docs::CompletionsArgs),
    Man(cmd::docs::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => cmd::parse::run(args),
        Command::Symbolize(args) => cmd::symbolize::run(args),
        Command::Link(args) => cmd::link::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Index(args) => cmd::index::run(args),
        Command::Lookup(args) => cmd::lookup::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Completions(args) => cmd::docs::completions(args, Cli::command()),
        Command::Man(args) => cmd::docs::man(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        // `kresym ... | head`: the reader has all it wants.
        Err(err) if output::stdout_error(&err).is_some_and(|e| e.is_closed_pipe()) => {
            ExitCode::SUCCESS
        }
        Err(err) => {
            match output::stdout_error(&err) {
                Some(stdout) => say!("kresym: error: {stdout}"),
                None => say!("kresym: error: {err:#}"),
            }
            ExitCode::from(2)
        }
    }
}
