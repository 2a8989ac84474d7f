//! One module per subcommand.

pub mod discover;
pub mod docs;
pub mod index;
pub mod kernel;
pub mod link;
pub mod lookup;
pub mod parse;
pub mod symbolize;
pub mod verify;

/// Size the global worker pool: `-j N`, or one thread per core.
pub fn start_workers(jobs: Option<usize>) -> anyhow::Result<()> {
    if let Some(jobs) = jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot start worker threads: {e}"))?;
    }
    Ok(())
}

/// `NAME` in kresym's cache: `$XDG_CACHE_HOME/kresym/NAME`, else
/// `~/.cache/kresym/NAME`; `None` when neither is set to an absolute path.
pub fn cache_dir(name: &str) -> Option<std::path::PathBuf> {
    let absolute = |var| {
        std::env::var_os(var)
            .map(std::path::PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = absolute("XDG_CACHE_HOME").or_else(|| Some(absolute("HOME")?.join(".cache")))?;
    Some(base.join("kresym").join(name))
}

/// A file size for a person: KiB below a MiB, MiB above.
pub fn file_size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
    }
}
