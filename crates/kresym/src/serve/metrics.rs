//! The service's Prometheus metrics, served at `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a request counter: the route (its pattern, never the raw
/// path) and the status.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route pattern, e.g. `/v1/symbolize`.
    pub route: String,
    /// The HTTP status code.
    pub status: u16,
}

/// Labels of a latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The route pattern.
    pub route: String,
}

/// Labels of an outcome counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// What happened, e.g. `resolved`, `hit`, `ok`.
    pub result: &'static str,
}

/// Every metric, registered once.
pub struct Metrics {
    registry: Registry,
    /// Requests answered, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Time from the request's arrival to its answer, by route.
    pub latency: Family<RouteLabels, Histogram>,
    /// Frames symbolized: `resolved`, `unresolved`.
    pub frames: Family<ResultLabels, Counter>,
    /// Lookups of a build's state: `hit` (open already), `miss` (opened now).
    pub builds: Family<ResultLabels, Counter>,
    /// Background index builds: `ok`, `error`.
    pub index_builds: Family<ResultLabels, Counter>,
    /// Kernels opened (discovery included, debuginfod fetches among them): `ok`, `error`.
    pub kernel_opens: Family<ResultLabels, Counter>,
    /// Kernels opened whose vmlinux came from debuginfod (downloaded, or in its cache).
    pub debuginfod_kernels: Counter,
    /// Builds held in memory.
    pub builds_open: Gauge,
    /// Jobs queued or running on the worker pool.
    pub jobs: Gauge,
}

impl Metrics {
    /// Register every metric.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("kresym");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0,
            ])
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer, by route",
            latency.clone(),
        );
        let frames = Family::<ResultLabels, Counter>::default();
        registry.register(
            "frames",
            "Frames symbolized, resolved or unresolved",
            frames.clone(),
        );
        let builds = Family::<ResultLabels, Counter>::default();
        registry.register(
            "build_cache",
            "Lookups of a kernel build's state: hit (already open) or miss",
            builds.clone(),
        );
        let index_builds = Family::<ResultLabels, Counter>::default();
        registry.register(
            "index_builds",
            "Persisted indexes built in the background, ok or error",
            index_builds.clone(),
        );
        let kernel_opens = Family::<ResultLabels, Counter>::default();
        registry.register(
            "kernel_opens",
            "Kernels found and opened (debug directories, debuginfod), ok or error",
            kernel_opens.clone(),
        );
        let debuginfod_kernels = Counter::default();
        registry.register(
            "debuginfod_kernels",
            "Kernels opened whose vmlinux came from debuginfod (downloaded, or in its cache)",
            debuginfod_kernels.clone(),
        );
        let builds_open = Gauge::default();
        registry.register(
            "builds_open",
            "Kernel builds held in memory",
            builds_open.clone(),
        );
        let jobs = Gauge::default();
        registry.register(
            "jobs",
            "Jobs queued or running on the worker pool",
            jobs.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            frames,
            builds,
            index_builds,
            kernel_opens,
            debuginfod_kernels,
            builds_open,
            jobs,
        }
    }

    /// Count one outcome in `family`.
    pub fn count(family: &Family<ResultLabels, Counter>, result: &'static str) {
        family.get_or_create(&ResultLabels { result }).inc();
    }

    /// Count `n` outcomes in `family`.
    pub fn count_by(family: &Family<ResultLabels, Counter>, result: &'static str, n: u64) {
        family.get_or_create(&ResultLabels { result }).inc_by(n);
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
