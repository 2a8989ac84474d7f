//! Finding the vmlinux and modules when `--vmlinux` is not given, and
//! checking the ones that are: `--build-id`, `--debug-dir`, `--release`,
//! and debuginfod (`DEBUGINFOD_URLS`).
//!
//! The kernel release and the module build ids come from the inputs (the
//! `CPU: 0 PID: 1 Comm: x Not tainted RELEASE #1` line of each report, or
//! any other shape [`kresym_report::release`] knows, such as a hung task's
//! `Tainted: G L RELEASE #1` or a console log's `Linux version RELEASE`, and
//! the ` [module buildid]` frame suffixes), as the run's [`Session`] scans
//! them. When only the input can name the kernel, standard input is copied
//! to a temporary file so that it can be read twice.

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kresym_debuginfo::debuginfod::{self, Progress};
use kresym_debuginfo::local::{DebugDirs, ModuleStage, Search};
use kresym_debuginfo::{elf, modules, normalize_build_id};

use kresym_pipeline::Facts;
use kresym_report::Document;

use crate::session::{DISCOVERY_SCAN, Session};

/// Downloads at least this large show a progress bar (on a terminal).
const PROGRESS_ABOVE: u64 = 1 << 20;

/// Where to find the vmlinux and modules when `--vmlinux` is not given.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct DiscoverArgs {
    /// Find the vmlinux by its GNU build id: ROOT/.build-id/xx/rest.debug, then debuginfod (DEBUGINFOD_URLS).
    #[arg(long = "build-id", value_name = "ID")]
    pub build_id: Option<String>,
    /// Debug directory root searched for ROOT/boot/vmlinux-RELEASE, ROOT/lib/modules/RELEASE/ and ROOT/.build-id/; repeatable [default: /usr/lib/debug and /].
    #[arg(long = "debug-dir", value_name = "ROOT")]
    pub debug_dirs: Vec<PathBuf>,
    /// The kernel release of the reports, instead of the one they name (`CPU: ... Not tainted RELEASE #1`, `Linux version RELEASE`, ...).
    #[arg(long, value_name = "RELEASE")]
    pub release: Option<String>,
}

/// The files found; keeps temporary files alive until dropped.
pub struct Discovered {
    /// The vmlinux to open.
    pub vmlinux: PathBuf,
    /// Module directories to search after the `--modules` ones.
    pub module_dirs: Vec<PathBuf>,
    _stage: Option<ModuleStage>,
}

/// What the inputs say about the kernel that printed them.
#[derive(Default)]
struct Scan {
    /// Each release seen, with the first input naming it.
    releases: Vec<(String, String)>,
    /// Each vmlinux build id printed in a CPU line, with the first input printing it.
    vmlinux_ids: Vec<(String, String)>,
    /// (module, build id) of every frame printing a build id.
    modules: BTreeSet<(String, String)>,
}

/// Find (or check) the vmlinux and module directories for the inputs of `session`.
///
/// `--vmlinux` wins and is checked against the release the inputs imply
/// (or `--release`) and against the build id (`--build-id`, or the one the
/// CPU line prints); otherwise that build id is looked up locally, then with
/// debuginfod; otherwise (or when only the report printed it) the release is
/// looked up in the debug directories. Module build ids printed in the
/// inputs are looked up the same way into a temporary module directory,
/// unless a `--modules` or `ROOT/lib/modules/RELEASE` file has them.
pub fn discover(
    args: &DiscoverArgs,
    vmlinux: Option<&Path>,
    module_args: &[PathBuf],
    session: &mut Session,
    allow_mismatch: bool,
    quiet: bool,
) -> Result<Discovered> {
    let client = debuginfod::Config::from_env()
        .map(|config| debuginfod::Client::new(config).map(with_progress_bar))
        .transpose()?;
    // With --vmlinux only the first input is checked, unless there are
    // module build ids to download.
    let everything = vmlinux.is_none() || client.is_some();
    let count = if everything {
        session.inputs().len()
    } else {
        1
    };
    // Standard input is copied aside only when nothing else can name the
    // kernel: otherwise it stays a stream (`dmesg -w | kresym ...`).
    if vmlinux.is_none() && args.release.is_none() && args.build_id.is_none() {
        session.spill_stdin(count)?;
    }
    session.scan(count, false);
    let scan = Scan::of(session, count);
    let build_id = args
        .build_id
        .as_deref()
        .map(normalize_build_id)
        .transpose()?;
    let release = match (&args.release, scan.releases.as_slice()) {
        (Some(release), _) => Some(release.clone()),
        (None, []) => None,
        (None, [(release, _)]) => Some(release.clone()),
        (None, [_, _, ..]) if vmlinux.is_some() || args.build_id.is_some() => None,
        (None, several) => bail!(
            "the inputs come from different kernels ({}): symbolize them separately, or pass --vmlinux FILE or --release RELEASE",
            several
                .iter()
                .map(|(release, input)| format!("{release} in {input}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let dirs = DebugDirs::new(args.debug_dirs.clone());
    let implied = match (&release, &args.release) {
        (Some(release), None) => format!("kernel {release} (from the report)"),
        (Some(release), Some(_)) => format!("kernel {release} (--release)"),
        (None, _) => String::new(),
    };

    // The build id to look for: --build-id, or the one the reports print.
    let (wanted_id, id_source) = match (&build_id, scan.vmlinux_ids.as_slice()) {
        (Some(id), _) => (Some(id.clone()), "--build-id"),
        (None, []) => (None, ""),
        (None, [(id, _)]) => (Some(id.clone()), "printed in the report"),
        (None, [_, _, ..]) if vmlinux.is_some() => (None, ""),
        (None, several) => bail!(
            "the inputs come from different kernels (build ids {}): symbolize them separately, or pass --vmlinux FILE or --build-id ID",
            several
                .iter()
                .map(|(id, input)| format!("{id} in {input}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };

    let vmlinux = match vmlinux {
        Some(path) => {
            // Nothing to check it against: not read here (a report that
            // prints neither is symbolized sooner). An unreadable file is
            // left to the symbolizer to report.
            let checked = wanted_id.is_some() || release.is_some();
            if checked && let Ok(ids) = elf::read(path) {
                let origin = path.display().to_string();
                if let Some(id) = &wanted_id
                    && let Err(error) = ids.check_build_id(&origin, id)
                {
                    bail!("{error} ({id_source})");
                }
                if let Some(release) = &release
                    && !allow_mismatch
                    && let Err(error) = ids.check_release(&origin, release)
                {
                    let actual = ids.release.as_deref().unwrap_or_default();
                    bail!(
                        "{error}: pass the vmlinux of {implied}, or --release {actual} or --allow-mismatch to use this one anyway"
                    );
                }
            }
            path.to_owned()
        }
        None => {
            let (path, how) = find_vmlinux(
                &dirs,
                client.as_ref(),
                wanted_id.as_deref(),
                id_source,
                build_id.is_some(),
                release.as_deref(),
                &implied,
            )?;
            if let Some(release) = &release {
                elf::read(&path)?.check_release(&path.display().to_string(), release)?;
            }
            note(quiet, &format!("vmlinux {} ({how})", path.display()));
            path
        }
    };

    let module_dirs = match &release {
        Some(release) => dirs.module_dirs(release),
        None => Vec::new(),
    };
    let mut stage = None;
    let mut searched: Vec<PathBuf> = module_args.to_vec();
    searched.extend(module_dirs.iter().cloned());
    let present = if scan.modules.is_empty() {
        HashMap::new()
    } else {
        module_build_ids(&searched)
    };
    for (module, id) in &scan.modules {
        if present
            .get(&modules::normalize_name(module))
            .is_some_and(|ids| ids.contains(id))
        {
            continue;
        }
        let Ok(search) = dirs.by_build_id(id) else {
            continue;
        };
        let file = match (search.found, &client) {
            (Some(found), _) => found.path,
            (None, Some(client)) => match client.fetch(id) {
                Ok(path) => path,
                Err(error) => {
                    warn(quiet, &format!("module {module} (build id {id}): {error}"));
                    continue;
                }
            },
            (None, None) => continue,
        };
        if stage.is_none() {
            stage = Some(ModuleStage::new()?);
        }
        if let Some(stage) = &mut stage {
            stage.add(module, id, &file)?;
        }
    }
    let mut module_dirs = module_dirs;
    if let Some(stage) = &stage {
        module_dirs.push(stage.dir().to_owned());
    }
    Ok(Discovered {
        vmlinux,
        module_dirs,
        _stage: stage,
    })
}

/// Look for the vmlinux by build id (local `.build-id`, then debuginfod),
/// then, unless the build id came from `--build-id`, by release; a file
/// found by release must have the build id. Returns the file and how it
/// was found.
fn find_vmlinux(
    dirs: &DebugDirs,
    client: Option<&debuginfod::Client>,
    build_id: Option<&str>,
    id_source: &str,
    id_given: bool,
    release: Option<&str>,
    implied: &str,
) -> Result<(PathBuf, String)> {
    let mut misses = Vec::new();
    if let Some(id) = build_id {
        let search = dirs.by_build_id(id)?;
        if let Some(found) = search.found {
            return Ok((found.path, format!("build id {id}")));
        }
        let looked = looked_at(&search);
        match client {
            Some(client) => match client.fetch(id) {
                Ok(path) => return Ok((path, format!("build id {id}, from debuginfod"))),
                Err(error) => misses.push(format!(
                    "no vmlinux with build id {id} ({id_source}){looked}; {error}"
                )),
            },
            None => misses.push(format!(
                "no vmlinux with build id {id} ({id_source}){looked}; set DEBUGINFOD_URLS to download it"
            )),
        }
        if id_given {
            bail!("{}; or pass --vmlinux FILE", misses.join("; "));
        }
    }
    let Some(release) = release else {
        if misses.is_empty() {
            bail!(
                "no --vmlinux given, and the input names no kernel release (no `CPU: ... Not tainted RELEASE #1`, `Tainted: G W RELEASE #1` or `Linux version RELEASE` line): pass --vmlinux FILE, --build-id ID or --release RELEASE"
            );
        }
        bail!("{}; or pass --vmlinux FILE", misses.join("; "));
    };
    let search = dirs.vmlinux_by_release(release);
    if let Some(found) = search.found {
        if let Some(id) = build_id {
            let origin = found.path.display().to_string();
            if let Err(error) = found.ids.check_build_id(&origin, id) {
                bail!("{error} ({id_source})");
            }
        }
        return Ok((found.path, format!("kernel {release}")));
    }
    misses.push(format!("no vmlinux for {implied}{}", looked_at(&search)));
    bail!(
        "{}; pass --vmlinux FILE, --debug-dir ROOT (for ROOT/boot/vmlinux-{release}), or --build-id ID",
        misses.join("; ")
    )
}

impl Scan {
    /// What the first `count` inputs of `session` (scanned) say.
    fn of(session: &Session, count: usize) -> Scan {
        Scan::of_facts(session.facts(count))
    }

    /// What the inputs' `facts`, each with its input's name, say.
    fn of_facts<'a>(facts: impl IntoIterator<Item = (String, &'a Facts)>) -> Scan {
        let mut scan = Scan::default();
        for (name, facts) in facts {
            for id in &facts.vmlinux_build_ids {
                if let Ok(id) = normalize_build_id(id)
                    && !scan.vmlinux_ids.iter().any(|(i, _)| *i == id)
                {
                    scan.vmlinux_ids.push((id, name.clone()));
                }
            }
            for release in facts.releases() {
                if !scan.releases.iter().any(|(r, _)| r == release) {
                    scan.releases.push((release.clone(), name.clone()));
                }
            }
            for (module, id) in &facts.module_build_ids {
                if let Ok(id) = normalize_build_id(id) {
                    scan.modules.insert((module.clone(), id));
                }
            }
        }
        scan
    }
}

/// What names the kernel of the input `bytes`, parsed as `document`
/// (releases, vmlinux and module build ids, from its first
/// [`DISCOVERY_SCAN`] bytes, as discovery reads them), as one string:
/// inputs with equal keys are found the same vmlinux and modules by
/// [`discover`]. Only an input longer than that is parsed again, cut there.
pub(crate) fn kernel_key(bytes: &[u8], document: &Document) -> String {
    let facts = if bytes.len() as u64 <= DISCOVERY_SCAN {
        Facts::of(document)
    } else {
        Facts::of(&kresym_report::parse(
            bytes[..DISCOVERY_SCAN as usize].to_vec(),
        ))
    };
    let scan = Scan::of_facts([(String::new(), &facts)]);
    let mut key = String::new();
    for (release, _) in &scan.releases {
        key += &format!("r:{release};");
    }
    for (id, _) in &scan.vmlinux_ids {
        key += &format!("b:{id};");
    }
    for (module, id) in &scan.modules {
        key += &format!("m:{module}={id};");
    }
    key
}

/// Build ids of the uncompressed module files (`.ko`, `.ko.debug`) under
/// `dirs`, by normalized module name ([`modules::find`]; a directory that
/// cannot be read is passed over). A compressed file is not opened: only
/// the symbolizer decompresses, so such a module's build id is looked up
/// as though it were missing.
fn module_build_ids(dirs: &[PathBuf]) -> HashMap<String, Vec<String>> {
    let mut ids: HashMap<String, Vec<String>> = HashMap::new();
    for module in modules::find(dirs).filter_map(Result::ok) {
        if modules::is_compressed(&module.path) {
            continue;
        }
        if let Ok(elf::ElfIds {
            build_id: Some(id), ..
        }) = elf::read(&module.path)
        {
            ids.entry(module.name).or_default().push(id);
        }
    }
    ids
}

/// ": looked at A, B (missing); rejected: ..." for an error message.
fn looked_at(search: &Search) -> String {
    let mut text = String::new();
    if !search.looked.is_empty() {
        let places: Vec<String> = search
            .looked
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        text.push_str(&format!("; looked at {}", places.join(", ")));
    }
    for rejected in &search.rejected {
        text.push_str(&format!("; {rejected}"));
    }
    text
}

fn note(quiet: bool, message: &str) {
    if !quiet {
        say!("kresym: using {message}");
    }
}

fn warn(quiet: bool, message: &str) {
    if !quiet {
        say!("kresym: warning: {message}");
    }
}

/// A progress bar on stderr for downloads over [`PROGRESS_ABOVE`], on a terminal.
fn with_progress_bar(client: debuginfod::Client) -> debuginfod::Client {
    if !std::io::stderr().is_terminal() {
        return client;
    }
    let bar: Mutex<Option<ProgressBar>> = Mutex::new(None);
    client.with_progress(move |progress: &Progress<'_>| {
        let Ok(mut bar) = bar.lock() else {
            return;
        };
        if progress.finished {
            if let Some(bar) = bar.take() {
                bar.finish_and_clear();
            }
            return;
        }
        let Some(total) = progress.total.filter(|&t| t >= PROGRESS_ABOVE) else {
            return;
        };
        let bar = bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(format!("downloading {}", progress.url));
            bar
        });
        bar.set_position(progress.received);
    })
}
