//! `kresym link`: link every `file:line` of an already symbolized report to
//! upstream source at the tested commit; no vmlinux needed.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kresym_link::{Cache, Forge, HttpOptions, LinkOptions, SourceChoice};
use kresym_pipeline::Format;

use crate::cmd::Failures;
use crate::cmd::format::{self, Offer};
use crate::input;
use crate::output::{self, AtomicFile, Stdout};

/// Flags that choose where and how frames are linked; shared with
/// `kresym symbolize` (flatten them with `#[command(flatten)]`).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LinkArgs {
    /// Repository to link to: a clone URL in any usual form (https, git, ssh;
    /// with or without `.git`) or a tree name (upstream, linux-next, net,
    /// net-next, bpf, bpf-next, ...). Default: the email's `git tree:`.
    #[arg(long, value_name = "URL|TREE")]
    pub repo: Option<String>,
    /// Force the URL shape for hosts kresym does not recognize (mirrors).
    #[arg(long, value_name = "FORGE", value_parser = ["cgit", "github", "gitlab", "gitiles"])]
    pub forge: Option<String>,
    /// Link at this commit instead of the one the input names (email
    /// `HEAD commit:`, bisection culprit or tested commit).
    #[arg(long, value_name = "SHA")]
    pub commit: Option<String>,
    /// Show source lines under each frame, fetched from the forge (cached)
    /// or read from --source-git / --source-dir.
    #[arg(long)]
    pub snippets: bool,
    /// Never touch the network: snippets come from the cache only.
    #[arg(long)]
    pub offline: bool,
    /// Read snippets from this local git repository, at the commit.
    #[arg(long, value_name = "DIR", conflicts_with = "source_dir")]
    pub source_git: Option<PathBuf>,
    /// Read snippets from this plain source tree.
    #[arg(long, value_name = "DIR")]
    pub source_dir: Option<PathBuf>,
    /// Lines of context around each frame's line.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: u32,
    /// Deadline per fetched file, in seconds: connecting, waiting and reading
    /// the whole body (debuginfod downloads have DEBUGINFOD_TIMEOUT and
    /// DEBUGINFOD_MAXTIME instead).
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    pub timeout: f64,
    /// Cache directory for fetched files (default: $XDG_CACHE_HOME/kresym/sources).
    #[arg(long, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

impl LinkArgs {
    /// Whether any linking was asked for (a repository or a commit).
    pub fn requested(&self) -> bool {
        self.repo.is_some() || self.commit.is_some() || self.snippets
    }

    /// Whether output in `format` is linked: when asked for, and always in
    /// Markdown and HTML.
    pub fn wanted(&self, format: Format) -> bool {
        self.requested() || matches!(format, Format::Markdown | Format::Html)
    }

    /// The linker options these flags stand for.
    pub fn options(&self) -> Result<LinkOptions> {
        let forge = self.forge.as_deref().map(str::parse::<Forge>).transpose()?;
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            bail!("--timeout must be between 0 and 3600 seconds");
        }
        let timeout = Duration::from_secs_f64(self.timeout);
        let cache = match &self.cache_dir {
            Some(d) => Some(Cache::new(d)),
            None => crate::cmd::cache_dir("sources").map(Cache::new),
        };
        let source = match (&self.source_git, &self.source_dir) {
            (Some(g), _) => SourceChoice::Git(g.clone()),
            (None, Some(d)) => SourceChoice::Dir(d.clone()),
            (None, None) => SourceChoice::Http,
        };
        Ok(LinkOptions {
            repo: self.repo.clone(),
            forge,
            commit: self.commit.clone(),
            snippets: self.snippets,
            source,
            http: HttpOptions {
                timeout,
                connect_timeout: timeout.min(Duration::from_secs(10)),
                offline: self.offline,
                cache,
            },
            context: self.context.min(50),
            jobs: 8,
        })
    }
}

/// The formats of `kresym link`.
pub const FORMATS: &[Offer] = &[
    (
        Format::Text,
        "The input, each linked line followed by its URLs (and snippets)",
    ),
    (
        Format::Markdown,
        "Markdown: every `file:line` a link, snippets in collapsible blocks",
    ),
    (Format::Html, "One self-contained HTML page"),
    (Format::Json, "The links as JSON"),
];

/// Link every frame of already symbolized reports to upstream source.
///
/// Exit status: 0 when every input was linked (HTTP failures only leave
/// snippets out, with a warning), 1 when an input could not be read, 2 on
/// usage errors (no repository to link to), or when the output cannot be
/// written.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym link --repo upstream --commit v6.1 report.txt
  kresym link syzbot-email.txt        # the email's git tree and HEAD commit
  kresym link --repo upstream --snippets --format html bisection.log > b.html
  kresym link --repo upstream --commit v6.1 --snippets --source-git ~/linux \\
      report.txt
  kresym symbolize --vmlinux vmlinux report.txt | kresym link --repo net -

A file that cannot be fetched (HTTP error, timeout, garbage body) leaves its
link without a snippet and adds a warning; it never fails the report.

Exit status: 0 when every input was linked (warnings included), 1 when an
input could not be read (the others are linked), 2 on usage errors, no
repository to link to, or output that cannot be written.")]
pub struct Args {
    #[command(flatten)]
    pub link: LinkArgs,
    /// Output format.
    #[arg(long, value_parser = format::parser(FORMATS), default_value = "text")]
    pub format: Format,
    /// Write the output (of every input) to this file instead of stdout.
    #[arg(short, long, value_name = "FILE", conflicts_with = "out_dir")]
    pub output: Option<PathBuf>,
    /// Write one output file per input into this directory (same relative
    /// path; `.md`, `.html`, `.json` appended for those formats).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Reports, syzbot emails or bisection logs, or directories of them;
    /// `-` or nothing reads stdin.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
}

/// Parse each input, link it and write it in the chosen format.
pub fn run(args: Args) -> Result<ExitCode> {
    let inputs = input::collect(&args.inputs, "link")?;
    let format = args.format;
    let out_paths = match &args.out_dir {
        Some(dir) => output::plan_out_dir(dir, &inputs, format.extension())?,
        None => vec![None; inputs.len()],
    };
    let linker = kresym_link::Linker::new(args.link.options()?)?;
    let several = inputs.len() > 1;
    let mut file = args.output.as_deref().map(AtomicFile::create).transpose()?;
    let mut stdout = Stdout::lock();
    let mut failures = Failures::default();
    for (input, out_path) in inputs.iter().zip(&out_paths) {
        let bytes = match input.read() {
            Ok(bytes) => bytes,
            Err(error) => {
                failures.say(&error);
                continue;
            }
        };
        let name = input.name();
        let doc = kresym_report::parse(bytes);
        let kresym_pipeline::LinkedInput { output, warnings } =
            kresym_pipeline::link(&linker, format, &name, &doc, several)?;
        if !warnings.is_empty() {
            say!(
                "kresym: {name}: {} link warning{} (first: {})",
                warnings.len(),
                if warnings.len() == 1 { "" } else { "s" },
                warnings[0]
            );
        }
        match (out_path, &mut file) {
            (Some(path), _) => output::write_output(path, &output)?,
            (None, Some(file)) => file.write_all(&output).context("cannot write output")?,
            (None, None) => stdout.write_all(&output).context("cannot write output")?,
        }
    }
    match file {
        Some(file) => file.commit(Some(output::default_permissions()), false)?,
        None => stdout.flush().context("cannot write output")?,
    }
    Ok(failures.exit_code(ExitCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    const KORG: &str = "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/linux.git";

    fn seed() -> Option<PathBuf> {
        let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/corpus/seeds/bisect-deadlock-send_sigio.txt");
        kresym_test_support::require(p.exists(), &format!("seed {}", p.display())).then_some(p)
    }

    #[test]
    fn every_format_links_fcntl_798_at_the_culprit() {
        let Some(seed) = seed() else { return };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let want =
            format!("{KORG}/tree/fs/fcntl.c?id=7bc3e6e55acf065500a24621f3b313e7e5998acf#n798");
        for format in ["text", "markdown", "html", "json"] {
            let cli = Cli::try_parse_from([
                "link".as_ref(),
                "--repo".as_ref(),
                KORG.as_ref(),
                "--format".as_ref(),
                format.as_ref(),
                "-o".as_ref(),
                out.as_os_str(),
                seed.as_os_str(),
            ])
            .unwrap();
            run(cli.args).unwrap();
            let s = std::fs::read_to_string(&out).unwrap();
            assert!(s.contains(&want), "{format}");
        }
    }

    #[test]
    fn forge_override_and_bad_flags() {
        let Some(seed) = seed() else { return };
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let parse = |extra: &[&str]| {
            let mut v: Vec<std::ffi::OsString> = vec!["link".into()];
            v.extend(extra.iter().map(|s| s.into()));
            v.push("-o".into());
            v.push(out.clone().into());
            v.push(seed.clone().into());
            Cli::try_parse_from(v)
        };
        let cli = parse(&[
            "--repo",
            "https://mirror.example.org/linux.git",
            "--forge",
            "gitlab",
        ])
        .unwrap();
        run(cli.args).unwrap();
        let s = std::fs::read_to_string(&out).unwrap();
        assert!(s.contains(
            "https://mirror.example.org/linux/-/blob/7bc3e6e55acf065500a24621f3b313e7e5998acf/fs/fcntl.c#L798"
        ));
        let err = run(parse(&["--repo", "https://mirror.example.org/linux.git"])
            .unwrap()
            .args)
        .unwrap_err();
        assert!(err.to_string().contains("--forge"), "{err}");
        assert!(parse(&["--repo", "upstream", "--forge", "svn"]).is_err());
        assert!(parse(&["--source-git", "a", "--source-dir", "b"]).is_err());
        let err = run(parse(&["--repo", "upstream", "--timeout", "0"])
            .unwrap()
            .args)
        .unwrap_err();
        assert!(err.to_string().contains("--timeout"), "{err}");
        let err = run(parse(&["--commit", "abcdef1"]).unwrap().args).unwrap_err();
        assert!(err.to_string().contains("--repo"), "{err}");
    }
}
