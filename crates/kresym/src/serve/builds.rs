//! Per-build state: one open symbolizer per kernel the requests name,
//! found once, shared by every request for it, indexed in the background,
//! and evicted least recently used past a limit.
//!
//! The first request for a kernel finds it (debug directories, then
//! debuginfod) and opens it: with its persisted index when one is in the
//! index directory, else reading DWARF at once. Meanwhile the other
//! requests for the same kernel wait for that one opening instead of
//! starting their own. When there was no index, one is built on a
//! background thread (one build at a time) and the kernel is reopened
//! with it; later requests use it. Index files are written atomically and
//! the first valid one written wins, so replicas can share the directory.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::http::StatusCode;

use super::error::ApiError;
use super::metrics::Metrics;
use crate::cmd::kernel::{Kernel, KernelArgs};
use crate::input::Input;
use crate::session::Session;

/// The open kernels, by what names them.
pub struct Builds {
    /// Server-side flags every kernel is opened with: roots, modules, index directory.
    template: KernelArgs,
    entries: Mutex<HashMap<String, Arc<Entry>>>,
    max: usize,
    clock: AtomicU64,
    /// Held while an index is built: one build at a time.
    building: Arc<Mutex<()>>,
    metrics: Arc<Metrics>,
}

/// One kernel: empty until its first request opened it.
struct Entry {
    kernel: RwLock<Option<Arc<Kernel>>>,
    /// Held while the kernel is found and opened: one opening per kernel,
    /// which the other requests for it wait for (asynchronously, holding
    /// no worker, when they come through [`Builds::prepare`]).
    opening: tokio::sync::Mutex<()>,
    last_used: AtomicU64,
}

impl Entry {
    fn current(&self) -> Option<Arc<Kernel>> {
        self.kernel
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// What names the kernel of a request: its parameters and its text.
pub struct KernelQuery<'a> {
    /// The `release` parameter.
    pub release: Option<&'a str>,
    /// The `build_id` parameter.
    pub build_id: Option<&'a str>,
    /// The request body.
    pub body: &'a [u8],
    /// What the body says of its kernel ([`crate::cmd::discover::kernel_key`]).
    pub inputs_key: &'a str,
}

/// A [`KernelQuery`] that owns its parts, for another thread.
struct OwnedQuery {
    release: Option<String>,
    build_id: Option<String>,
    body: Vec<u8>,
    inputs_key: String,
}

impl OwnedQuery {
    /// A copy of `query`.
    fn new(query: &KernelQuery<'_>) -> OwnedQuery {
        OwnedQuery {
            release: query.release.map(str::to_owned),
            build_id: query.build_id.map(str::to_owned),
            body: query.body.to_vec(),
            inputs_key: query.inputs_key.to_owned(),
        }
    }

    fn borrow(&self) -> KernelQuery<'_> {
        KernelQuery {
            release: self.release.as_deref(),
            build_id: self.build_id.as_deref(),
            body: &self.body,
            inputs_key: &self.inputs_key,
        }
    }
}

impl Builds {
    /// No kernel open yet; at most `max` kept open.
    pub fn new(template: KernelArgs, max: usize, metrics: Arc<Metrics>) -> Builds {
        Builds {
            template,
            entries: Mutex::new(HashMap::new()),
            max: max.max(1),
            clock: AtomicU64::new(0),
            building: Arc::new(Mutex::new(())),
            metrics,
        }
    }

    /// Make sure the kernel `query` names is open, before a worker runs the
    /// request: the first request for a kernel opens it on a blocking
    /// thread of the runtime, and the others wait for it without holding a
    /// worker. Counts the lookup as a hit or a miss.
    pub async fn prepare(self: &Arc<Self>, query: &KernelQuery<'_>) -> Result<(), ApiError> {
        let (key, entry) = self.lookup(query);
        if entry.current().is_some() {
            Metrics::count(&self.metrics.builds, "hit");
            return Ok(());
        }
        let _opening = entry.opening.lock().await;
        if entry.current().is_some() {
            Metrics::count(&self.metrics.builds, "hit");
            return Ok(());
        }
        Metrics::count(&self.metrics.builds, "miss");
        let (builds, held, query) = (Arc::clone(self), Arc::clone(&entry), OwnedQuery::new(query));
        let opened = tokio::task::spawn_blocking(move || {
            builds.open_into(&key, &held, &query.borrow()).map(drop)
        });
        opened.await.unwrap_or_else(|_| {
            Err(ApiError::internal(
                "opening a kernel crashed; this is a bug",
            ))
        })
    }

    /// The kernel `query` names, opened now (by this thread) if it is not
    /// open; after [`Builds::prepare`], it is.
    pub fn kernel(&self, query: &KernelQuery<'_>) -> Result<Arc<Kernel>, ApiError> {
        let (key, entry) = self.lookup(query);
        if let Some(kernel) = entry.current() {
            return Ok(kernel);
        }
        let _opening = entry.opening.blocking_lock();
        match entry.current() {
            Some(kernel) => Ok(kernel),
            None => self.open_into(&key, &entry, query),
        }
    }

    /// The key and entry of the kernel `query` names.
    fn lookup(&self, query: &KernelQuery<'_>) -> (String, Arc<Entry>) {
        let key = format!(
            "{}|{}|{}",
            query.release.unwrap_or_default(),
            query.build_id.unwrap_or_default(),
            query.inputs_key
        );
        let entry = self.entry(key.clone());
        (key, entry)
    }

    /// Find and open the kernel `query` names into `entry` (whose opening
    /// lock the caller holds), then close kernels past the limit and start
    /// indexing it if it has no index.
    fn open_into(
        &self,
        key: &str,
        entry: &Arc<Entry>,
        query: &KernelQuery<'_>,
    ) -> Result<Arc<Kernel>, ApiError> {
        let kernel = match open(&self.template, query, false) {
            Ok(kernel) => Arc::new(kernel),
            Err(error) => {
                // Requests naming no kernel found must not push out those that are.
                self.forget(key, entry);
                Metrics::count(&self.metrics.kernel_opens, "error");
                tracing::info!(error = format!("{error:#}"), "no kernel for a request");
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "kernel_not_found",
                    format!(
                        "{error:#} (the server searches its own debug directories and DEBUGINFOD_URLS; \
                         the client may name the kernel with the release= or build_id= parameter)"
                    ),
                ));
            }
        };
        Metrics::count(&self.metrics.kernel_opens, "ok");
        if from_debuginfod(kernel.symbolizer.vmlinux().path()) {
            self.metrics.debuginfod_kernels.inc();
        }
        tracing::info!(
            vmlinux = %kernel.symbolizer.vmlinux().path().display(),
            indexed = kernel.symbolizer.index().is_some(),
            "kernel opened"
        );
        *entry.kernel.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&kernel));
        self.evict(entry);
        if self.template.index.dir().is_some()
            && kernel.symbolizer.index().is_none()
            && kernel.symbolizer.vmlinux().has_dwarf()
        {
            self.index_in_background(entry, query);
        }
        Ok(kernel)
    }

    /// The entry for `key`, created empty when there is none.
    fn entry(&self, key: String) -> Arc<Entry> {
        let now = self.clock.fetch_add(1, Ordering::Relaxed);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entry = Arc::clone(entries.entry(key).or_insert_with(|| {
            Arc::new(Entry {
                kernel: RwLock::new(None),
                opening: tokio::sync::Mutex::new(()),
                last_used: AtomicU64::new(now),
            })
        }));
        entry.last_used.store(now, Ordering::Relaxed);
        entry
    }

    /// Close the least recently used kernels past the limit (`keep` stays).
    fn evict(&self, keep: &Arc<Entry>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        while entries.len() > self.max {
            let oldest = entries
                .iter()
                .filter(|(_, entry)| !Arc::ptr_eq(entry, keep))
                .min_by_key(|(_, entry)| entry.last_used.load(Ordering::Relaxed))
                .map(|(key, _)| key.clone());
            // In-flight requests keep their kernel until they finish.
            let Some(oldest) = oldest else { break };
            tracing::info!(key = oldest, "build evicted");
            entries.remove(&oldest);
        }
        self.metrics.builds_open.set(entries.len() as i64);
    }

    /// Remove `entry` from the open kernels if it is still empty under `key`.
    fn forget(&self, key: &str, entry: &Arc<Entry>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let empty = entry.current().is_none();
        if empty && entries.get(key).is_some_and(|e| Arc::ptr_eq(e, entry)) {
            entries.remove(key);
        }
        self.metrics.builds_open.set(entries.len() as i64);
    }

    /// Build the indexes of the kernel `query` names on a thread of its
    /// own, then put the indexed kernel in `entry`.
    fn index_in_background(&self, entry: &Arc<Entry>, query: &KernelQuery<'_>) {
        let owned = OwnedQuery::new(query);
        let entry = Arc::clone(entry);
        let building = Arc::clone(&self.building);
        let metrics = Arc::clone(&self.metrics);
        let template = self.template.clone();
        let spawned = std::thread::Builder::new()
            .name("kresym-index".to_owned())
            .stack_size(crate::cmd::WORKER_STACK)
            .spawn(move || {
                let _one_at_a_time = building.lock().unwrap_or_else(|e| e.into_inner());
                let query = owned.borrow();
                let started = std::time::Instant::now();
                match open(&template, &query, true) {
                    Ok(kernel) if kernel.symbolizer.index().is_some() => {
                        Metrics::count(&metrics.index_builds, "ok");
                        tracing::info!(
                            vmlinux = %kernel.symbolizer.vmlinux().path().display(),
                            seconds = started.elapsed().as_secs_f64(),
                            "index ready"
                        );
                        *entry.kernel.write().unwrap_or_else(|e| e.into_inner()) =
                            Some(Arc::new(kernel));
                    }
                    Ok(_) => {
                        Metrics::count(&metrics.index_builds, "error");
                        tracing::warn!("index not built; reading DWARF");
                    }
                    Err(error) => {
                        Metrics::count(&metrics.index_builds, "error");
                        tracing::warn!(error = format!("{error:#}"), "index not built");
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start an index build");
        }
    }
}

/// Find and open the kernel `query` names; with `build_index`, build
/// its missing indexes first.
fn open(
    template: &KernelArgs,
    query: &KernelQuery<'_>,
    build_index: bool,
) -> anyhow::Result<Kernel> {
    let mut spill = tempfile::Builder::new()
        .prefix(".kresym-serve-")
        .tempfile()?;
    spill.write_all(query.body)?;
    spill.flush()?;
    let mut session = Session::new(vec![Input::File {
        path: spill.path().to_owned(),
        relative: PathBuf::from("request"),
    }]);
    let mut args = template.clone();
    args.discover.release = query.release.map(str::to_owned);
    args.discover.build_id = query.build_id.map(str::to_owned);
    args.index.build_index = build_index;
    args.open(&mut session, true)
}

/// Whether `vmlinux` is in the debuginfod cache (DEBUGINFOD_CACHE_PATH):
/// downloaded for this request or an earlier one.
fn from_debuginfod(vmlinux: &std::path::Path) -> bool {
    kresym_debuginfo::debuginfod::Config::from_env()
        .is_some_and(|config| vmlinux.starts_with(&config.cache_dir))
}
