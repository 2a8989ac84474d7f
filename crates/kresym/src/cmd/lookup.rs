//! `kresym lookup`: answer `func+0xOFF/0xSIZE` frames and raw addresses
//! given on the command line or standard input, one at a time, the way the
//! kernel's `scripts/faddr2line` and `llvm-symbolizer` do.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use kresym_link::snippet::{Snippet, make_snippet};
use kresym_link::{DirSource, GitSource, SourceProvider};
use kresym_render::Format;
use kresym_render::lookup::{self, Answer};
use kresym_report::PcKind;
use kresym_symbolize::{FrameQuery, Resolution, Resolved, SourceFrame, Symbolizer};

use crate::cmd::Failures;
use crate::cmd::format::{self, Offer};
use crate::cmd::kernel::KernelArgs;

/// Look up frames and addresses, like faddr2line or llvm-symbolizer.
///
/// Each QUERY is a frame as a report prints it (`func+0xOFF/0xSIZE`),
/// `func+0xOFF` without a size (every symbol of that name holding the
/// offset is answered), `func` alone (offset 0), or a raw address
/// `0xffffffff81234567` (the --kaslr-offset is subtracted first). A module
/// is named as `func+0xOFF [module]` or `module:func+0xOFF`. The address
/// looked up is the one the query names (exact pc, as faddr2line does);
/// --return-address looks up the byte before, as for a call-trace frame.
#[derive(clap::Args)]
#[command(after_help = "\
Examples:
  kresym lookup --vmlinux vmlinux tcp_v4_do_rcv+0x46/0xc0
  kresym lookup --vmlinux vmlinux kthread+0x10   # each `kthread` holding it
  kresym lookup --vmlinux vmlinux --kaslr-offset 0x1e000000 0xffffffff9f234567
  kresym lookup --vmlinux vmlinux --modules /lib/modules/6.1.0 \\
      'xfs_iget+0x1c/0x240 [xfs]'
  kresym lookup --vmlinux vmlinux --list 3 --source-dir ~/linux schedule+0x5a
  kresym lookup --vmlinux vmlinux --format json do_exit |
      jq '.Symbol[].FileName'
  printf 'kthread+0x4\\n0x401000\\n' | kresym lookup --vmlinux vmlinux

Text output, per answer, faddr2line style:
  tcp_v4_do_rcv+0x45/0xc0 at 0x404bf5:
  kasan_check_read at include/linux/kasan-checks.h:15
   (inlined by) dst_obsolete at include/net/dst.h:30
   ...
The header names the symbol, offset and size found and the address looked
up (in the vmlinux; in a module, in its load layout from 0); a level
without line information reads `func at ??:?`. With --list, each level is
followed by its source lines, the level's own marked `>`.

JSON: one object per answer in llvm-symbolizer's --output-style=JSON shape
(Address, ModuleName: the vmlinux as named or the module, Symbol:
[{FunctionName, FileName, Line, Column}] innermost first) plus Query,
SymbolName, SymbolAddress and SymbolSize; a query without an answer gives
{\"Query\", \"Error\": {\"Message\"}}.

Exit status: 0 when every query was answered, 1 when any was not (each is
said on stderr, or in JSON), 2 on usage errors, an unusable vmlinux or
output that cannot be written.")]
pub struct Args {
    /// The vmlinux and modules.
    #[command(flatten)]
    pub kernel: KernelArgs,
    /// KASLR offset subtracted from raw addresses (hex with 0x, or decimal).
    #[arg(long, value_name = "OFFSET", value_parser = parse_number, default_value = "0")]
    pub kaslr_offset: u64,
    /// Look up the byte before each address, as for a return address in a
    /// call trace (the default is the address itself).
    #[arg(long)]
    pub return_address: bool,
    /// Output format.
    #[arg(long, value_parser = format::parser(FORMATS), default_value = "text")]
    pub format: Format,
    /// Show N source lines either side of each answer's lines (needs
    /// --source-dir or --source-git).
    #[arg(long, value_name = "N")]
    pub list: Option<u32>,
    /// Read source for --list from this plain tree.
    #[arg(long, value_name = "DIR", conflicts_with = "source_git")]
    pub source_dir: Option<PathBuf>,
    /// Read source for --list from this git repository, at --commit.
    #[arg(long, value_name = "DIR")]
    pub source_git: Option<PathBuf>,
    /// The commit --source-git reads.
    #[arg(
        long,
        value_name = "REV",
        default_value = "HEAD",
        requires = "source_git"
    )]
    pub commit: String,
    /// Frames or addresses; without any, one per line from standard input.
    #[arg(value_name = "QUERY")]
    pub queries: Vec<String>,
}

/// The formats of `kresym lookup`.
pub const FORMATS: &[Offer] = &[
    (
        Format::Text,
        "faddr2line style: a header per answer, then the inline chain",
    ),
    (
        Format::Json,
        "llvm-symbolizer style JSON, one object per answer",
    ),
];

/// A number given on the command line: hex with `0x`, else decimal.
fn parse_number(text: &str) -> Result<u64, NotANumber> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| NotANumber(text.to_owned()))
}

/// A text that is not a number ([`parse_number`]).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a number (hex with 0x, or decimal)")]
struct NotANumber(String);

/// Why a query has no answer (said on stderr, or as JSON's `Error`).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
enum NoAnswer {
    /// Nothing but white space.
    #[error("empty query")]
    Empty,
    /// `0x` and then not hex digits (the query).
    #[error("{0:?} is not a hex address")]
    NotHex(String),
    /// More than a module and a build id in brackets (the query).
    #[error("{0:?}: expected [module] or [module buildid]")]
    BracketWords(String),
    /// An offset or size that is not a number.
    #[error("{frame:?}: {error}")]
    Number {
        /// The frame part of the query.
        frame: String,
        /// The number.
        error: NotANumber,
    },
    /// No function name, or one with characters no symbol has (the query).
    #[error("{0:?}: expected func+0xOFF/0xSIZE, func+0xOFF, func or 0xADDRESS")]
    Shape(String),
    /// A module name or build id that cannot be one (the query).
    #[error("{0:?}: bad module name or build id")]
    Module(String),
    /// An address below `--kaslr-offset`.
    #[error("0x{0:x} is below the KASLR offset")]
    BelowKaslrOffset(u64),
    /// No vmlinux symbol holds the address (after the KASLR offset).
    #[error("no vmlinux symbol holds 0x{0:x}")]
    NoSymbolAt(u64),
    /// The symbolizer did not resolve the frame.
    #[error("{}", explain(.resolution, .function, .module.as_deref()))]
    Unresolved {
        /// What it found instead (boxed: it is large).
        resolution: Box<Resolution>,
        /// The function asked for.
        function: String,
        /// The module asked for, `None` for the vmlinux.
        module: Option<String>,
    },
}

/// What a query asks for.
#[derive(Debug, PartialEq, Eq)]
enum Query<'a> {
    /// A raw vmlinux address, as printed (before the KASLR offset is removed).
    Address(u64),
    /// `[module:]function[+offset[/size]] [\[module [build id]\]]`.
    Symbol {
        function: &'a str,
        offset: u64,
        size: Option<u64>,
        module: Option<&'a str>,
        build_id: Option<&'a str>,
    },
}

/// Read one query, or say what is wrong with it.
fn parse_query(text: &str) -> Result<Query<'_>, NoAnswer> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NoAnswer::Empty);
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(Query::Address)
            .map_err(|_| NoAnswer::NotHex(text.to_owned()));
    }
    let (mut frame, mut module, mut build_id) = (text, None, None);
    if let Some(open) = text.rfind(" [")
        && let Some(inside) = text[open + 2..].strip_suffix(']')
    {
        frame = text[..open].trim_end();
        let mut words = inside.split_whitespace();
        module = words.next();
        build_id = words.next();
        if words.next().is_some() {
            return Err(NoAnswer::BracketWords(text.to_owned()));
        }
    } else if let Some((name, rest)) = text.split_once(':') {
        module = Some(name);
        frame = rest;
    }
    let (function, place) = match frame.split_once('+') {
        Some((function, place)) => (function, Some(place)),
        None => (frame, None),
    };
    let number = |text: &str| {
        parse_number(text).map_err(|error| NoAnswer::Number {
            frame: frame.to_owned(),
            error,
        })
    };
    let (offset, size) = match place {
        None => (0, None),
        Some(place) => match place.split_once('/') {
            Some((offset, size)) => (number(offset)?, Some(number(size)?)),
            None => (number(place)?, None),
        },
    };
    let bad_name = |name: &str| {
        name.is_empty()
            || name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "+/[]:".contains(c))
    };
    if bad_name(function) {
        return Err(NoAnswer::Shape(text.to_owned()));
    }
    if module.is_some_and(bad_name)
        || build_id.is_some_and(|id| !id.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(NoAnswer::Module(text.to_owned()));
    }
    Ok(Query::Symbol {
        function,
        offset,
        size,
        module,
        build_id,
    })
}

/// The answers to one query: where it was looked up, and what was found.
struct Answers {
    /// The module, `None` for the vmlinux.
    module: Option<String>,
    /// One per symbol found (several for duplicate names without a size).
    found: Vec<Resolved>,
}

/// Look one query up.
fn answer(symbolizer: &Symbolizer, args: &Args, text: &str) -> Result<Answers, NoAnswer> {
    let pc_kind = if args.return_address {
        PcKind::ReturnAddress
    } else {
        PcKind::ExactPc
    };
    match parse_query(text)? {
        Query::Address(address) => {
            let Some(address) = address.checked_sub(args.kaslr_offset) else {
                return Err(NoAnswer::BelowKaslrOffset(address));
            };
            let found = symbolizer
                .resolve_address(address, pc_kind)
                .ok_or(NoAnswer::NoSymbolAt(address))?;
            Ok(Answers {
                module: None,
                found: vec![found],
            })
        }
        Query::Symbol {
            function,
            offset,
            size,
            module,
            build_id,
        } => {
            let frame = FrameQuery {
                function,
                offset,
                size: size.unwrap_or(0),
                module,
                build_id,
                pc_kind,
            };
            let found = match size {
                None => symbolizer.resolve_every(frame),
                Some(_) => match symbolizer.resolve(frame) {
                    Resolution::Resolved(resolved) | Resolution::Withheld(resolved) => {
                        Ok(vec![resolved])
                    }
                    Resolution::Ambiguous { candidates } => Ok(candidates),
                    // A size no symbol has: every symbol of the name that
                    // holds the offset, as without a size.
                    Resolution::SizeMismatch { .. } => symbolizer.resolve_every(frame),
                    other => Err(other),
                },
            };
            let found = found.map_err(|resolution| NoAnswer::Unresolved {
                resolution: Box::new(resolution),
                function: function.to_owned(),
                module: module.map(str::to_owned),
            })?;
            Ok(Answers {
                module: module.map(str::to_owned),
                found,
            })
        }
    }
}

/// Why a frame has no answer, for a person.
fn explain(resolution: &Resolution, function: &str, module: Option<&str>) -> String {
    let binary = match module {
        Some(module) => format!("module {module}"),
        None => "the vmlinux".to_owned(),
    };
    match resolution {
        Resolution::UnknownSymbol => format!("no symbol named {function} in {binary}"),
        Resolution::OffsetOutOfRange { size } => {
            format!("the offset is past the end of {function} (size 0x{size:x})")
        }
        Resolution::ModuleNotFound { module } => {
            format!("module {module} not found (pass --modules DIR)")
        }
        Resolution::ModuleUnreadable { module, error } => {
            format!("module {module} cannot be read: {error}")
        }
        Resolution::BuildIdMismatch {
            module,
            printed,
            found,
        } => format!(
            "no file of module {module} has build id {printed} (found: {})",
            found.join(", ")
        ),
        Resolution::SizeMismatch { printed, actual } => format!(
            "no {function} in {binary} has size 0x{printed:x} (sizes: {})",
            actual
                .iter()
                .map(|size| format!("0x{size:x}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Resolution::Resolved(_) | Resolution::Ambiguous { .. } | Resolution::Withheld(_) => {
            String::new()
        }
    }
}

/// Source files read for --list, each once.
struct Sources {
    provider: Box<dyn SourceProvider>,
    commit: String,
    context: u32,
    files: HashMap<String, Option<String>>,
}

impl Sources {
    /// The snippet around `level`'s line, when its file can be read.
    fn snippet(&mut self, level: &SourceFrame) -> Option<Snippet> {
        let location = level.location.as_ref()?;
        let text = self
            .files
            .entry(location.file.clone())
            .or_insert_with(|| {
                self.provider
                    .fetch(None, &self.commit, &location.file)
                    .inspect_err(|error| say!("kresym: warning: {error}"))
                    .ok()
            })
            .as_deref()?;
        make_snippet(text, location.line, self.context, None)
    }
}

/// Each answer with the snippets of its chain's levels, when --list reads source.
fn with_snippets<'a>(answers: &'a Answers, sources: &mut Option<Sources>) -> Vec<Answer<'a>> {
    answers
        .found
        .iter()
        .map(|found| Answer {
            found,
            snippets: match sources {
                Some(sources) => found.chain.iter().map(|l| sources.snippet(l)).collect(),
                None => Vec::new(),
            },
        })
        .collect()
}

/// Where --list reads source, if it was asked for.
fn open_sources(args: &Args) -> Result<Option<Sources>> {
    let Some(context) = args.list else {
        if args.source_dir.is_some() || args.source_git.is_some() {
            bail!("--source-dir and --source-git are for --list");
        }
        return Ok(None);
    };
    let provider: Box<dyn SourceProvider> = match (&args.source_dir, &args.source_git) {
        (Some(dir), _) => Box::new(DirSource::new(dir)?),
        (None, Some(git)) => Box::new(GitSource::new(git)?),
        (None, None) => bail!("--list needs --source-dir DIR or --source-git DIR"),
    };
    Ok(Some(Sources {
        provider,
        commit: args.commit.clone(),
        context: context.min(50),
        files: HashMap::new(),
    }))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut sources = open_sources(&args)?;
    let kernel = args
        .kernel
        .open(&mut crate::session::Session::new(Vec::new()), false)?;
    let symbolizer = &kernel.symbolizer;
    let module_name = symbolizer.vmlinux().path().display().to_string();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failures = Failures::default();
    let mut one = |query: &str, out: &mut dyn Write| -> std::io::Result<()> {
        let result = answer(symbolizer, &args, query);
        match result {
            Ok(answers) => {
                let answered = with_snippets(&answers, &mut sources);
                let module = answers.module.as_deref();
                out.write_all(&kresym_render::looked_up(
                    args.format,
                    query,
                    module,
                    &module_name,
                    &answered,
                )?)?;
            }
            Err(error) => {
                failures.add();
                if args.format == Format::Json {
                    writeln!(out, "{}", lookup::error_json(query, &error.to_string()))?;
                } else {
                    // Debug-quoted: a query read from a file must not drive the terminal.
                    say!("kresym: {:?}: {error}", query.trim());
                }
            }
        }
        out.flush()
    };
    let written = if args.queries.is_empty() {
        // Answered as they come, so that another program can talk to this one.
        let mut written = Ok(());
        for line in std::io::stdin().lock().lines() {
            let line = line.context("cannot read standard input")?;
            if line.trim().is_empty() {
                continue;
            }
            written = one(&line, &mut out);
            if written.is_err() {
                break;
            }
        }
        written
    } else {
        args.queries
            .iter()
            .try_for_each(|query| one(query, &mut out))
    };
    match written {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("cannot write output")?,
    }
    kernel.exit();
    Ok(failures.exit_code(ExitCode::SUCCESS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symbol<'a>(
        function: &'a str,
        offset: u64,
        size: Option<u64>,
        module: Option<&'a str>,
    ) -> Query<'a> {
        Query::Symbol {
            function,
            offset,
            size,
            module,
            build_id: None,
        }
    }

    #[test]
    fn queries_in_every_accepted_shape() {
        let cases = [
            (
                "kthread+0x10/0x70",
                symbol("kthread", 0x10, Some(0x70), None),
            ),
            ("kthread+0x10", symbol("kthread", 0x10, None, None)),
            ("kthread+16", symbol("kthread", 16, None, None)),
            ("  kthread ", symbol("kthread", 0, None, None)),
            ("f.isra.0+0x1/0x2", symbol("f.isra.0", 1, Some(2), None)),
            ("f+0x1/0x2 [mod]", symbol("f", 1, Some(2), Some("mod"))),
            ("mod:f+0x1", symbol("f", 1, None, Some("mod"))),
            ("0xffffffff81234567", Query::Address(0xffffffff81234567)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_query(text), Ok(want), "{text}");
        }
        assert_eq!(
            parse_query("f+0x1/0x2 [mod 00ff]"),
            Ok(Query::Symbol {
                function: "f",
                offset: 1,
                size: Some(2),
                module: Some("mod"),
                build_id: Some("00ff"),
            })
        );
    }

    /// The typed reasons say what the `String`s they replaced said (JSON
    /// carries them as `Error.Message`).
    #[test]
    fn malformed_queries_read_as_before() {
        let said = |text| parse_query(text).unwrap_err().to_string();
        assert_eq!(said(" "), "empty query");
        assert_eq!(said("0xzz"), "\"0xzz\" is not a hex address");
        assert_eq!(
            said("f+0x1 [a b c]"),
            "\"f+0x1 [a b c]\": expected [module] or [module buildid]"
        );
        assert_eq!(
            said("f+0x1/zz"),
            "\"f+0x1/zz\": \"zz\" is not a number (hex with 0x, or decimal)"
        );
        assert_eq!(
            said("+0x10"),
            "\"+0x10\": expected func+0xOFF/0xSIZE, func+0xOFF, func or 0xADDRESS"
        );
        assert_eq!(
            said("f+0x1 [mod xyz]"),
            "\"f+0x1 [mod xyz]\": bad module name or build id"
        );
        assert_eq!(
            NoAnswer::BelowKaslrOffset(0x10).to_string(),
            "0x10 is below the KASLR offset"
        );
        assert_eq!(
            NoAnswer::NoSymbolAt(0x10).to_string(),
            "no vmlinux symbol holds 0x10"
        );
        assert_eq!(
            NoAnswer::Unresolved {
                resolution: Box::new(Resolution::UnknownSymbol),
                function: "f".into(),
                module: Some("m".into()),
            }
            .to_string(),
            "no symbol named f in module m"
        );
    }

    #[test]
    fn malformed_queries_say_what_was_expected() {
        for text in [
            "",
            "0xzz",
            "0x1ffffffffffffffff",
            "f+0xzz",
            "f+0x1/",
            "+0x10",
            "f g+0x1",
            "f+0x1 [a b c]",
            "f+0x1 [mod xyz]",
            ":f+0x1",
            "f+0x1+0x2",
        ] {
            assert!(parse_query(text).is_err(), "{text:?} was accepted");
        }
    }
}
