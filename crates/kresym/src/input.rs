//! Inputs named on the command line: files, directories, or stdin; the same
//! for every command.
//!
//! A directory stands for the regular files below it, sorted by name,
//! symlinks followed (a symlink loop is skipped with a warning). Hidden
//! files and directories (a leading dot, kresym's own temporary files
//! among them), files that are not regular (pipes, devices) and files that
//! are not text (a NUL byte in their first 8 KiB) are skipped; the last are
//! named on stderr. A named file is always read, unless it is an ELF file:
//! then the user typed `kresym symbolize vmlinux` for
//! `kresym symbolize --vmlinux vmlinux`, and is told so. Standard input
//! that starts with ELF's magic is refused the same way, at its first bytes
//! ([`open_stdin`]), instead of passing the binary through as text.
//!
//! An input that cannot be read (missing, unreadable directory) does not
//! stop the others: it becomes an [`Input::Unreadable`], whose error each
//! command reports in its place.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

/// The first bytes of every ELF file.
const ELF_MAGIC: &[u8] = b"\x7fELF";

/// How much of a file found in a directory is read to tell text from binary.
const SNIFF: u64 = 8 << 10;

/// At most this many skipped binary files are named one by one.
const NAMED_SKIPS: usize = 20;

/// One input to process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input.
    Stdin,
    /// A file (named directly, or found under a named directory).
    File {
        /// The path to read.
        path: PathBuf,
        /// The path relative to the directory it was found under, for `--out-dir`.
        relative: PathBuf,
    },
    /// A named input that cannot be read: reading it gives this error.
    Unreadable {
        /// The path named (or found).
        path: PathBuf,
        /// Why it cannot be read.
        error: String,
    },
}

impl Input {
    /// How to name this input to a person.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File { path, .. } | Input::Unreadable { path, .. } => path.display().to_string(),
        }
    }

    /// The size of a file input; `None` for stdin or when it cannot be known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin | Input::Unreadable { .. } => None,
            Input::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }

    /// Open the input for reading it piece by piece.
    pub fn reader(&self) -> Result<Box<dyn std::io::BufRead>> {
        match self {
            Input::Stdin => Ok(Box::new(open_stdin()?)),
            Input::File { path, .. } => {
                let file = std::fs::File::open(path)
                    .map_err(|e| anyhow!("cannot read {}: {e}", path.display()))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
            }
            Input::Unreadable { error, .. } => Err(anyhow!("{error}")),
        }
    }

    /// Read the whole input.
    pub fn read(&self) -> Result<Vec<u8>> {
        match self {
            Input::Stdin => {
                let mut bytes = Vec::new();
                open_stdin()?
                    .read_to_end(&mut bytes)
                    .map_err(|e| anyhow!("cannot read standard input: {e}"))?;
                Ok(bytes)
            }
            Input::File { path, .. } => {
                std::fs::read(path).map_err(|e| anyhow!("cannot read {}: {e}", path.display()))
            }
            Input::Unreadable { error, .. } => Err(anyhow!("{error}")),
        }
    }
}

/// Expand command-line arguments into inputs, in order: no argument or `-`
/// is stdin, a directory is the text files below it (see the module docs).
///
/// `command` is the subcommand, for the hint when an ELF file is named.
/// Errors (exit status 2) only for usage errors: stdin named twice, an ELF
/// file named as an input.
pub fn collect(args: &[PathBuf], command: &str) -> Result<Vec<Input>> {
    if args.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut inputs = Vec::new();
    let mut binary = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let metadata = match std::fs::metadata(arg) {
            Ok(metadata) => metadata,
            Err(e) => {
                inputs.push(unreadable(arg, &e));
                continue;
            }
        };
        if metadata.is_dir() {
            let before = inputs.len();
            walk(arg, &mut inputs, &mut binary);
            if inputs.len() == before {
                inputs.push(Input::Unreadable {
                    path: arg.clone(),
                    error: format!("{} holds no text files to read", arg.display()),
                });
            }
            continue;
        }
        // Only a regular file can be looked at without consuming it (a
        // named pipe or `<(...)` cannot).
        if metadata.is_file() && starts_with(arg, ELF_MAGIC) {
            bail!(
                "{} is an ELF file, not a report: to symbolize against it, type\n    {}",
                arg.display(),
                elf_hint(args, arg, command)
            );
        }
        let relative = PathBuf::from(arg.file_name().unwrap_or(arg.as_os_str()));
        inputs.push(Input::File {
            path: arg.clone(),
            relative,
        });
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        bail!("standard input (-) can be named only once");
    }
    if !binary.is_empty() {
        say_skipped(&binary);
    }
    Ok(inputs)
}

/// Standard input, refused at its first bytes when they are ELF's magic:
/// a vmlinux or module piped in by mistake (for `--vmlinux`) is not a report.
pub type StdinReader =
    std::io::Chain<std::io::Cursor<Vec<u8>>, std::io::BufReader<std::io::StdinLock<'static>>>;

/// Lock standard input, read its first bytes and refuse it if it is ELF.
pub fn open_stdin() -> Result<StdinReader> {
    let mut lock = std::io::stdin().lock();
    let mut head = Vec::with_capacity(ELF_MAGIC.len());
    // A pipe may deliver fewer bytes than the magic at first: read on until
    // there are enough, or the input ends.
    while head.len() < ELF_MAGIC.len() {
        let mut byte = [0u8; 4];
        let want = ELF_MAGIC.len() - head.len();
        match lock.read(&mut byte[..want]) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&byte[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => bail!("cannot read standard input: {e}"),
        }
    }
    if head == ELF_MAGIC {
        bail!(
            "standard input is an ELF file, not a report: to symbolize against it, \
             name it with --vmlinux FILE and give the report as input"
        );
    }
    Ok(std::io::Cursor::new(head).chain(std::io::BufReader::with_capacity(1 << 16, lock)))
}

fn unreadable(path: &Path, error: &dyn std::fmt::Display) -> Input {
    Input::Unreadable {
        path: path.to_owned(),
        error: format!("cannot read {}: {error}", path.display()),
    }
}

/// Whether a file name is hidden (kresym's temporary files are).
fn hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

/// The text files under `root`, sorted by name, into `inputs`; files that
/// are not text into `binary`.
fn walk(root: &Path, inputs: &mut Vec<Input>, binary: &mut Vec<PathBuf>) {
    let entries = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !hidden(entry.file_name()));
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                let path = error.path().unwrap_or(root).to_owned();
                if let Some(ancestor) = error.loop_ancestor() {
                    say!(
                        "kresym: warning: skipped {}: a symlink loop back to {}",
                        path.display(),
                        ancestor.display()
                    );
                } else {
                    let why = error
                        .io_error()
                        .map_or_else(|| error.to_string(), |e| e.to_string());
                    inputs.push(unreadable(&path, &why));
                }
                continue;
            }
        };
        // With links followed, the type is the target's.
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.into_path();
        match is_text(&path) {
            Ok(true) => {
                let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
                inputs.push(Input::File { path, relative });
            }
            Ok(false) => binary.push(path),
            Err(e) => inputs.push(unreadable(&path, &e)),
        }
    }
}

/// Whether a file looks like text: no NUL byte in its first [`SNIFF`] bytes.
fn is_text(path: &Path) -> std::io::Result<bool> {
    // Room for all of it up front: a small report is then read with two
    // system calls, not the nine of a growing buffer.
    let mut start = Vec::with_capacity(SNIFF as usize);
    std::fs::File::open(path)?
        .take(SNIFF)
        .read_to_end(&mut start)?;
    Ok(!start.contains(&0))
}

/// Whether the file at `path` starts with `magic`.
fn starts_with(path: &Path, magic: &[u8]) -> bool {
    let mut start = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(magic.len() as u64).read_to_end(&mut start))
        .is_ok_and(|_| start == magic)
}

/// Name the files skipped as binary on stderr.
fn say_skipped(binary: &[PathBuf]) {
    let mut names: Vec<String> = binary
        .iter()
        .take(NAMED_SKIPS)
        .map(|p| p.display().to_string())
        .collect();
    if binary.len() > NAMED_SKIPS {
        names.push(format!("and {} more", binary.len() - NAMED_SKIPS));
    }
    say!(
        "kresym: skipped {} file{} that {} not text: {}",
        binary.len(),
        if binary.len() == 1 { "" } else { "s" },
        if binary.len() == 1 { "is" } else { "are" },
        names.join(", ")
    );
}

/// The command to type instead when `elf`, an input of `kresym COMMAND`,
/// is an ELF file: `kresym COMMAND --vmlinux ELF OTHER-INPUTS...` (the
/// report then comes from the other inputs, or standard input).
fn elf_hint(args: &[PathBuf], elf: &Path, command: &str) -> String {
    let command = match command {
        "symbolize" | "verify" => command,
        _ => "symbolize",
    };
    let mut hint = format!("kresym {command} --vmlinux {}", quote(elf));
    for arg in args.iter().filter(|a| a.as_path() != elf) {
        hint.push(' ');
        hint.push_str(&quote(arg));
    }
    hint
}

/// A path as a shell word.
fn quote(path: &Path) -> String {
    let text = path.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=+:,@%".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_quote_what_the_shell_would_split() {
        assert_eq!(quote(Path::new("build/vmlinux")), "build/vmlinux");
        assert_eq!(quote(Path::new("my vmlinux")), "'my vmlinux'");
        assert_eq!(quote(Path::new("it's")), r"'it'\''s'");
        let args = [PathBuf::from("vmlinux"), PathBuf::from("r.txt")];
        assert_eq!(
            elf_hint(&args, Path::new("vmlinux"), "verify"),
            "kresym verify --vmlinux vmlinux r.txt"
        );
        assert_eq!(
            elf_hint(&args[..1], Path::new("vmlinux"), "symbolize"),
            "kresym symbolize --vmlinux vmlinux"
        );
    }
}
