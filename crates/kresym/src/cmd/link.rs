//! `kresym link`: link every `file:line` of an already symbolized report to
//! upstream source at the tested commit; no vmlinux needed.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kresym_link::{Cache, DocumentLinks, Forge, HttpOptions, LinkOptions, SourceChoice};
use kresym_report::Document;

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
    /// HTTP timeout per file, in seconds.
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

/// Output format of `kresym link`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The input, each linked line followed by its URLs (and snippets).
    #[default]
    Text,
    /// Markdown: every `file:line` a link, snippets in collapsible blocks.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// The links as JSON.
    Json,
}

/// Link every frame of an already symbolized report to upstream source.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub link: LinkArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the output to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report, syzbot email or bisection log; `-` reads stdin.
    #[arg(value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
}

/// Parse the input, link it and write it in the chosen format.
pub fn run(args: Args) -> Result<ExitCode> {
    let bytes = if args.input.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        b
    } else {
        std::fs::read(&args.input)
            .with_context(|| format!("cannot read {}", args.input.display()))?
    };
    let doc = kresym_report::parse(bytes);
    let linker = kresym_link::Linker::new(args.link.options()?)?;
    let links = linker.link_document(&doc);
    if links.repo.is_none() {
        bail!("{}", links.no_repo_message());
    }
    let out = render(&doc, &links, args.format, &args.input.display().to_string())?;
    let warnings = links.all_warnings();
    if !warnings.is_empty() {
        eprintln!(
            "kresym: {} link warning{} (first: {})",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" },
            warnings[0]
        );
    }
    match &args.output {
        Some(path) => std::fs::write(path, out.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(out.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => return Err(e).context("cannot write to standard output"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Render a linked document in `format`.
pub fn render(doc: &Document, links: &DocumentLinks, format: Format, name: &str) -> Result<String> {
    Ok(match format {
        Format::Markdown => kresym_render::markdown::render(doc, links),
        Format::Html => kresym_render::html::render(doc, links),
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "input": name,
                "links": links,
            }))?;
            s.push('\n');
            s
        }
        Format::Text => kresym_render::linked_text::render(doc, links),
    })
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
        if p.exists() {
            Some(p)
        } else {
            assert!(std::env::var_os("CI").is_none(), "seed missing in CI");
            eprintln!("SKIP: {} not found", p.display());
            None
        }
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
