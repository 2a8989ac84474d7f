//! Inputs named on the command line: files, directories, or stdin.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

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
}

impl Input {
    /// How to name this input to a person.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "-".to_owned(),
            Input::File { path, .. } => path.display().to_string(),
        }
    }

    /// The size of a file input; `None` for stdin or when it cannot be known.
    pub fn size(&self) -> Option<u64> {
        match self {
            Input::Stdin => None,
            Input::File { path, .. } => std::fs::metadata(path).ok().map(|m| m.len()),
        }
    }

    /// Open the input for reading it piece by piece.
    pub fn reader(&self) -> Result<Box<dyn std::io::BufRead>> {
        match self {
            Input::Stdin => Ok(Box::new(std::io::stdin().lock())),
            Input::File { path, .. } => {
                let file = std::fs::File::open(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, file)))
            }
        }
    }

    /// Read the whole input.
    pub fn read(&self) -> Result<Vec<u8>> {
        match self {
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .context("cannot read standard input")?;
                Ok(bytes)
            }
            Input::File { path, .. } => {
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
            }
        }
    }
}

/// Expand command-line arguments into inputs: no argument or `-` is stdin,
/// a directory is every file below it (sorted, recursively).
pub fn collect(args: &[PathBuf]) -> Result<Vec<Input>> {
    if args.is_empty() {
        return Ok(vec![Input::Stdin]);
    }
    let mut inputs = Vec::new();
    for arg in args {
        if arg.as_os_str() == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let metadata =
            std::fs::metadata(arg).with_context(|| format!("cannot read {}", arg.display()))?;
        if metadata.is_dir() {
            let before = inputs.len();
            walk(arg, arg, &mut inputs)?;
            if inputs.len() == before {
                bail!(
                    "{} is an empty directory: no reports to read",
                    arg.display()
                );
            }
        } else {
            let relative = PathBuf::from(arg.file_name().unwrap_or(arg.as_os_str()));
            inputs.push(Input::File {
                path: arg.clone(),
                relative,
            });
        }
    }
    if inputs.iter().filter(|i| **i == Input::Stdin).count() > 1 {
        bail!("standard input (-) can be named only once");
    }
    Ok(inputs)
}

fn walk(root: &Path, dir: &Path, inputs: &mut Vec<Input>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read directory {}", dir.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read directory {}", dir.display()))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, inputs)?;
        } else {
            let relative = path.strip_prefix(root).unwrap_or(&path).to_owned();
            inputs.push(Input::File { path, relative });
        }
    }
    Ok(())
}
