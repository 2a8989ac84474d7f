//! One module per subcommand.

pub mod discover;
pub mod kernel;
pub mod link;
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
