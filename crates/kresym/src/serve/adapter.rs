//! The one place the service calls the CLI's per-input code: a request in,
//! exactly the bytes `kresym COMMAND` prints for that input and those flags
//! out (the input named `-`, as standard input is).

use std::sync::{Arc, OnceLock};

use axum::http::StatusCode;
use kresym_link::Linker;
use kresym_pipeline::Format;
use kresym_report::Document;

use super::builds::{Builds, KernelQuery};
use super::error::ApiError;
use crate::cmd::format::{self, Offer};
use crate::cmd::link::LinkArgs;
use crate::cmd::{link, parse, symbolize, verify};

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    /// `kresym symbolize`.
    Symbolize,
    /// `kresym verify`.
    Verify,
    /// `kresym link`.
    Link,
    /// `kresym parse`.
    Parse,
}

/// One request: a command, its flags and its input.
pub struct Request {
    /// The command.
    pub command: Command,
    /// `--format`, as the command spells it (`text`, `json`, ...).
    pub format: String,
    /// `--release`.
    pub release: Option<String>,
    /// `--build-id`.
    pub build_id: Option<String>,
    /// `--repo`.
    pub repo: Option<String>,
    /// `--commit`.
    pub commit: Option<String>,
    /// `--disassemble` (symbolize).
    pub disassemble: bool,
    /// The input.
    pub body: Vec<u8>,
    /// The input parsed, on first use ([`Request::document`]): made empty
    /// (`Default::default()`), and filled only once `body` is whole.
    pub parsed: OnceLock<Document>,
}

impl Request {
    /// The input, parsed once: the kernel it names and the command's
    /// answer both read this document.
    pub fn document(&self) -> &Document {
        self.parsed
            .get_or_init(|| kresym_report::parse(self.body.clone()))
    }

    /// The kernel key of the input ([`crate::cmd::discover::kernel_key`]).
    pub fn inputs_key(&self) -> String {
        crate::cmd::discover::kernel_key(&self.body, self.document())
    }

    /// The kernel this request names, given its `inputs_key`.
    pub fn kernel_query<'a>(&'a self, inputs_key: &'a str) -> KernelQuery<'a> {
        KernelQuery {
            release: self.release.as_deref(),
            build_id: self.build_id.as_deref(),
            body: &self.body,
            inputs_key,
        }
    }
}

/// What the service keeps between requests.
pub struct Shared {
    /// The open kernels.
    pub builds: Arc<Builds>,
}

/// The answer to a request.
pub struct Answer {
    /// Exactly what the command prints.
    pub body: Vec<u8>,
    /// Frames resolved and unresolved, reports left unchanged (symbolize only).
    pub counts: Option<kresym_symbolize::FrameCounts>,
    /// What the command says on stderr about the input.
    pub warnings: Vec<String>,
}

/// Run `request` as the CLI would on standard input: the bytes it prints,
/// from the same pipeline (`kresym_pipeline`) the CLI runs per input.
pub fn run(request: &Request, shared: &Shared) -> Result<Answer, ApiError> {
    let name = "-";
    let failed = |error: kresym_pipeline::Error| command_error(request.command, error);
    match request.command {
        Command::Parse => {
            let format = format_of(parse::FORMATS, &request.format)?;
            let document = request.document();
            let output = kresym_pipeline::parse(format, name, document, Default::default(), None)
                .map_err(failed)?;
            Ok(Answer::plain(output))
        }
        Command::Link => {
            let format = format_of(link::FORMATS, &request.format)?;
            let linker = linker(request)?;
            let document = request.document();
            let linked =
                kresym_pipeline::link(&linker, format, name, document, false).map_err(failed)?;
            Ok(Answer {
                body: linked.output,
                counts: None,
                warnings: linked.warnings,
            })
        }
        Command::Verify => {
            let format = format_of(verify::FORMATS, &request.format)?;
            let kernel = kernel(request, shared)?;
            let document = request.document();
            let options = kresym_pipeline::VerifyOptions {
                format,
                verdicts: true,
                fix: false,
            };
            let verified = kresym_pipeline::verify(&kernel.symbolizer, name, document, options)
                .map_err(failed)?;
            Ok(Answer::plain(verified.verdicts))
        }
        Command::Symbolize => {
            let format = format_of(symbolize::FORMATS, &request.format)?;
            let kernel = kernel(request, shared)?;
            let linking = link_args(request).wanted(format);
            let linker = linking.then(|| linker(request)).transpose()?;
            let document = request.document();
            let options = kresym_pipeline::SymbolizeOptions {
                format,
                disassemble: request.disassemble,
            };
            let symbolized = kresym_pipeline::symbolize(
                &kernel.symbolizer,
                linker.as_ref(),
                options,
                name,
                document,
            )
            .map_err(failed)?;
            Ok(Answer {
                body: symbolized.output,
                counts: Some(symbolized.counts),
                warnings: symbolized.warnings,
            })
        }
    }
}

impl Command {
    /// Whether it needs the kernel the input names.
    pub fn needs_kernel(self) -> bool {
        matches!(self, Command::Symbolize | Command::Verify)
    }

    /// The formats the command offers.
    pub fn formats(self) -> &'static [Offer] {
        match self {
            Command::Symbolize => symbolize::FORMATS,
            Command::Verify => verify::FORMATS,
            Command::Link => link::FORMATS,
            Command::Parse => parse::FORMATS,
        }
    }

    /// The CLI's name for it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Symbolize => "symbolize",
            Command::Verify => "verify",
            Command::Link => "link",
            Command::Parse => "parse",
        }
    }
}

impl Answer {
    fn plain(body: Vec<u8>) -> Answer {
        Answer {
            body,
            counts: None,
            warnings: Vec::new(),
        }
    }
}

/// Refuse a request whose flags the command would refuse (a `--format` it
/// does not have), before any work is done for it.
pub fn check(request: &Request) -> Result<(), ApiError> {
    format_of(request.command.formats(), &request.format).map(drop)
}

/// The kernel the request names.
fn kernel(request: &Request, shared: &Shared) -> Result<Arc<crate::cmd::kernel::Kernel>, ApiError> {
    shared
        .builds
        .kernel(&request.kernel_query(&request.inputs_key()))
}

/// `--repo` and `--commit`; never a server path or the network (no snippets).
fn link_args(request: &Request) -> LinkArgs {
    LinkArgs {
        repo: request.repo.clone(),
        commit: request.commit.clone(),
        offline: true,
        context: 3,
        timeout: 20.0,
        ..Default::default()
    }
}

fn linker(request: &Request) -> Result<Linker, ApiError> {
    let options = link_args(request)
        .options()
        .map_err(|error| ApiError::bad_request("bad_parameter", format!("{error:#}")))?;
    Linker::new(options)
        .map_err(|error| ApiError::bad_request("bad_parameter", format!("{error:#}")))
}

/// A `--format` value of the command (offering `offers`), or a 400 naming
/// the possible ones.
fn format_of(offers: &[Offer], value: &str) -> Result<Format, ApiError> {
    format::find(offers, value).ok_or_else(|| {
        ApiError::bad_request(
            "bad_format",
            format!(
                "format={value} is not one of this command's formats: {}",
                format::names(offers)
            ),
        )
    })
}

/// The command failed on its input: no repository to link to is the
/// client's to give (422); anything else is the input's fault too (the
/// CLI's per-input errors are about the input), and says so.
fn command_error(command: Command, error: kresym_pipeline::Error) -> ApiError {
    let message = error.to_string();
    if let kresym_pipeline::Error::NoRepository(_) = error {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_repository",
            format!("{message} (pass repo=URL or a tree name such as repo=upstream)"),
        );
    }
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "input_error",
        format!("{}: {message}", command.name()),
    )
}
