//! `kresym serve`: the CLI's commands as an HTTP service.
//!
//! HTTP (hyper, axum on tokio) stays on the async side: requests are read
//! there, with a read timeout, so a slow client holds no worker. A complete
//! request becomes a job for the bounded worker pool ([`pool`]), which runs
//! the CLI's own per-input code through [`adapter::run`] against the
//! kernel the request names ([`builds`]). Errors are JSON with a stable
//! `code` ([`error`]); metrics are Prometheus text ([`metrics`]); `/` is a
//! form ([`page`]).

pub mod adapter;
mod builds;
mod error;
mod metrics;
mod page;
mod pool;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, MatchedPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use adapter::{Answer, Command, Request, Shared};
use error::ApiError;
use metrics::{Metrics, RequestLabels, RouteLabels};
use pool::Pool;

use crate::cmd::kernel::KernelArgs;

/// How the service runs.
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Server-side kernel flags: debug roots, modules, index directory.
    pub kernel: KernelArgs,
    /// Worker threads symbolizing (and serving HTTP).
    pub workers: usize,
    /// Requests waiting for a worker at most; more get 429.
    pub queue: usize,
    /// Kernel builds kept open at most.
    pub max_builds: usize,
    /// Per-request limits.
    pub limits: Limits,
    /// How long in-flight requests may finish after SIGTERM.
    pub grace: Duration,
}

/// Per-request limits.
#[derive(Clone, Copy)]
pub struct Limits {
    /// Largest body, in bytes (413 past it).
    pub max_body: usize,
    /// Deadline from arrival to answer (504 past it).
    pub deadline: Duration,
    /// Time to send a request's headers, and then its body (408 past it).
    pub read_timeout: Duration,
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
    pool: Arc<Pool>,
    metrics: Arc<Metrics>,
    limits: Limits,
    draining: Arc<AtomicBool>,
}

/// Serve until SIGTERM or Ctrl-C, then finish in-flight requests.
pub fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KRESYM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    // Index builds use the global pool.
    crate::cmd::start_workers(Some(config.workers))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.workers.max(1))
        // Kernels are opened on its blocking threads: DWARF recursion.
        .thread_stack_size(crate::cmd::WORKER_STACK)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(run(config))?;
    Ok(ExitCode::SUCCESS)
}

async fn run(config: Config) -> anyhow::Result<()> {
    let metrics = Arc::new(Metrics::new());
    let state = AppState {
        shared: Arc::new(Shared {
            builds: Arc::new(builds::Builds::new(
                config.kernel,
                config.max_builds,
                Arc::clone(&metrics),
            )),
        }),
        pool: Arc::new(
            Pool::start(config.workers, config.queue, crate::cmd::WORKER_STACK)
                .context("cannot start worker threads")?,
        ),
        metrics,
        limits: config.limits,
        draining: Arc::new(AtomicBool::new(false)),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    say!("kresym: listening on http://{address}");
    tracing::info!(%address, workers = config.workers, "serving");

    let app = router(state.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(config.limits.read_timeout);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors, say: wait rather than spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = hyper_util::service::TowerToHyperService::new(app.clone());
                let connection = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    state.draining.store(true, Ordering::SeqCst);
    drop(listener);
    tracing::info!(grace = ?config.grace, "shutting down: finishing in-flight requests");
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections closed"),
        () = tokio::time::sleep(config.grace) => tracing::warn!("grace period over; closing the remaining connections"),
    }
    Ok(())
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Every route.
fn router(state: AppState) -> Router {
    let api = |command| {
        post(
            move |state: State<AppState>,
                  query: Result<Query<Params>, QueryRejection>,
                  request: axum::extract::Request| api(command, state, query, request),
        )
    };
    Router::new()
        .route("/", get(page::form).post(page::submit))
        .route("/v1/symbolize", api(Command::Symbolize))
        .route("/v1/verify", api(Command::Verify))
        .route("/v1/link", api(Command::Link))
        .route("/v1/parse", api(Command::Parse))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such route: POST /v1/symbolize, /v1/verify, /v1/link or /v1/parse; GET /, /healthz, /readyz or /metrics",
            )
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "POST the input to /v1/*; GET /, /healthz, /readyz, /metrics",
            )
        })
        .layer(DefaultBodyLimit::max(state.limits.max_body))
        .with_state(state)
}

/// Query parameters of the `/v1/*` routes: the CLI flags of the same names.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    format: Option<String>,
    release: Option<String>,
    build_id: Option<String>,
    repo: Option<String>,
    commit: Option<String>,
    /// `disassemble=true`: `kresym symbolize --disassemble`.
    #[serde(default)]
    disassemble: bool,
}

/// `POST /v1/COMMAND`.
async fn api(
    command: Command,
    State(state): State<AppState>,
    query: Result<Query<Params>, QueryRejection>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let Query(params) =
        query.map_err(|rejection| ApiError::bad_request("bad_parameter", rejection.body_text()))?;
    let body = read_body(&state, request).await?;
    check_body(&body)?;
    let format = params.format.unwrap_or_else(|| "text".to_owned());
    let content_type = content_type(&format);
    let request = Request {
        command,
        format,
        release: params.release,
        build_id: params.build_id,
        repo: params.repo,
        commit: params.commit,
        disassemble: params.disassemble,
        body,
        parsed: Default::default(),
    };
    let answer = execute(&state, request).await?;
    let mut response = ([(header::CONTENT_TYPE, content_type)], answer.body).into_response();
    let headers = response.headers_mut();
    if let Some(counts) = answer.counts {
        let numbers = [
            ("x-kresym-frames", counts.frames),
            ("x-kresym-resolved", counts.resolved),
            ("x-kresym-unresolved", counts.unresolved),
            ("x-kresym-withheld-reports", counts.withheld_reports),
        ];
        for (name, value) in numbers {
            headers.insert(name, HeaderValue::from(value));
        }
    }
    headers.insert(
        "x-kresym-warnings",
        HeaderValue::from(answer.warnings.len()),
    );
    Ok(response)
}

fn content_type(format: &str) -> &'static str {
    match format {
        "json" => "application/json",
        "markdown" => "text/markdown; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

/// Read the whole body within the read timeout and the size limit.
async fn read_body(state: &AppState, request: axum::extract::Request) -> Result<Vec<u8>, ApiError> {
    let limit = state.limits.max_body;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    let body = axum::body::to_bytes(request.into_body(), limit);
    match tokio::time::timeout(state.limits.read_timeout, body).await {
        Ok(Ok(bytes)) => Ok(bytes.to_vec()),
        Ok(Err(error)) if is_length_limit(&error) => Err(too_large(limit)),
        Ok(Err(error)) => Err(ApiError::bad_request(
            "bad_body",
            format!("cannot read the request body: {error}"),
        )),
        Err(_) => Err(body_timeout()),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(error) = source {
        if error.to_string().contains("length limit") {
            return true;
        }
        source = error.source();
    }
    false
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        format!(
            "the body is over the server's limit of {limit} bytes: send one report or log per request (the operator sets the limit with --max-body)"
        ),
    )
}

/// 408: the client sent its body too slowly.
fn body_timeout() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "body_timeout",
        "the request body did not arrive within the server's read timeout: send it at once (the operator sets the timeout with --read-timeout)",
    )
}

/// Refuse what no command can use: nothing, or an ELF file.
fn check_body(body: &[u8]) -> Result<(), ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "empty_body",
            "the body is empty: send a crash report, console log, syzbot email or bisection log as the body",
        ));
    }
    if body.starts_with(b"\x7fELF") {
        return Err(ApiError::bad_request(
            "elf_body",
            "the body is an ELF file: send the crash report; the server finds the vmlinux and modules itself (release= or build_id= name the kernel)",
        ));
    }
    Ok(())
}

/// Run `request` on the worker pool within its deadline.
async fn execute(state: &AppState, request: Request) -> Result<Answer, ApiError> {
    let deadline = Instant::now() + state.limits.deadline;
    adapter::check(&request)?;
    if request.command.needs_kernel() {
        // Opened (or waited for) here, holding no worker.
        let inputs_key = request.inputs_key();
        let query = request.kernel_query(&inputs_key);
        let prepared = state.shared.builds.prepare(&query);
        match tokio::time::timeout_at(deadline.into(), prepared).await {
            Ok(result) => result?,
            Err(_) => return Err(deadline_exceeded()),
        }
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let shared = Arc::clone(&state.shared);
    let metrics = Arc::clone(&state.metrics);
    state.metrics.jobs.inc();
    let job = move || {
        // Nobody waits for an answer past the deadline.
        let answer = if Instant::now() >= deadline {
            Err(deadline_exceeded())
        } else {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                adapter::run(&request, &shared)
            }))
            .unwrap_or_else(|_| Err(ApiError::internal("the request crashed its worker; this is a bug, please report it with the input")))
        };
        if let Ok(Answer {
            counts: Some(counts),
            ..
        }) = &answer
        {
            Metrics::count_by(&metrics.frames, "resolved", counts.resolved as u64);
            Metrics::count_by(&metrics.frames, "unresolved", counts.unresolved as u64);
        }
        metrics.jobs.dec();
        let _ = sender.send(answer);
    };
    if state.pool.submit(job).is_err() {
        state.metrics.jobs.dec();
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "queue_full",
            "every worker is busy and the queue is full: retry after a moment, or on another replica",
        ));
    }
    match tokio::time::timeout_at(deadline.into(), receiver).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(_)) => Err(ApiError::internal("the worker ended without an answer")),
        Err(_) => Err(deadline_exceeded()),
    }
}

fn deadline_exceeded() -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "deadline_exceeded",
        "no answer within the server's per-request deadline (a kernel seen for the first time is found and read first): retry shortly; the operator sets the deadline with --deadline",
    )
}

/// `GET /readyz`: 503 once shutting down.
async fn ready(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    if state.draining.load(Ordering::SeqCst) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "this replica is shutting down: use another",
        ));
    }
    Ok("ready\n")
}

/// `GET /metrics`.
async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode(),
    )
}

/// Count every routed request by route and status, and time it.
async fn observe(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", |path| path.as_str())
        .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16();
    if status >= 500 {
        tracing::warn!(route, status, "request failed");
    } else {
        tracing::debug!(route, status, "request");
    }
    state
        .metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels { route, status })
        .inc();
    response
}
