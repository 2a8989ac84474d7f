//! The web page at `/`: paste or upload a report, get the symbolized,
//! source-linked HTML page `kresym symbolize --format html` prints. A plain
//! form POST: no JavaScript.

use axum::extract::State;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use kresym_render::html::esc;

use super::adapter::{Command, Request};
use super::error::ApiError;
use super::{AppState, execute};

/// The form.
pub async fn form() -> Html<&'static str> {
    Html(FORM)
}

const FORM: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kresym: symbolize a kernel crash report</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em; }
textarea { width: 100%; height: 24em; font: 13px/1.4 ui-monospace, monospace; }
label { display: block; margin-top: 1em; }
input[type=text] { width: 30em; }
</style>
</head>
<body>
<h1>Symbolize a kernel crash report</h1>
<form method="post" action="/" enctype="multipart/form-data">
<label for="report">Paste a report, console log, syzbot email or bisection log:</label>
<textarea id="report" name="report"></textarea>
<label for="file">or upload a file:</label>
<input id="file" name="file" type="file">
<label for="repo">Repository to link to (URL or tree name):</label>
<input id="repo" name="repo" type="text" value="upstream">
<label for="commit">Commit (default: the one the input names):</label>
<input id="commit" name="commit" type="text">
<label for="release">Kernel release (default: the one the report prints):</label>
<input id="release" name="release" type="text">
<p><button type="submit">Symbolize</button></p>
</form>
<p>API: <code>POST /v1/symbolize?format=text|json|markdown|html</code> with the report as the body; see the README.</p>
</body>
</html>
"#;

/// The form's POST: the symbolized page, or a page saying what was wrong.
pub async fn submit(
    State(state): State<AppState>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let request = match tokio::time::timeout(state.limits.read_timeout, fields(multipart)).await {
        Ok(Ok(request)) => request,
        Ok(Err(error)) => return error_page(error),
        Err(_) => return error_page(super::body_timeout()),
    };
    if let Err(error) = super::check_body(&request.body) {
        return error_page(error);
    }
    match execute(&state, request).await {
        Ok(answer) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            answer.body,
        )
            .into_response(),
        Err(error) => error_page(error),
    }
}

/// The symbolize request the form's fields make: the uploaded file, else
/// the pasted text.
async fn fields(multipart: Result<Multipart, MultipartRejection>) -> Result<Request, ApiError> {
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::new(rejection.status(), "bad_form", rejection.body_text())
    })?;
    let mut request = Request {
        command: Command::Symbolize,
        format: "html".to_owned(),
        release: None,
        build_id: None,
        repo: None,
        commit: None,
        disassemble: false,
        body: Vec::new(),
        parsed: Default::default(),
    };
    let mut pasted = Vec::new();
    let bad = |error: axum::extract::multipart::MultipartError| {
        ApiError::new(error.status(), "bad_form", error.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(bad)?;
        let text = || {
            let text = String::from_utf8_lossy(&bytes).trim().to_owned();
            (!text.is_empty()).then_some(text)
        };
        match name.as_str() {
            "report" => pasted = bytes.to_vec(),
            "file" => request.body = bytes.to_vec(),
            "repo" => request.repo = text(),
            "commit" => request.commit = text(),
            "release" => request.release = text(),
            "build_id" => request.build_id = text(),
            _ => {}
        }
    }
    if request.body.is_empty() {
        request.body = pasted;
    }
    Ok(request)
}

/// An error as a page, with the status of the API's error.
fn error_page(error: ApiError) -> Response {
    let status = error.status;
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>kresym: {code}</title></head>\n<body>\n<h1>Not symbolized</h1>\n<p><code>{code}</code>: {message}</p>\n<p><a href=\"/\">Back to the form</a></p>\n</body>\n</html>\n",
        code = esc(error.code),
        message = esc(&error.message),
    );
    let mut response = (status, Html(page)).into_response();
    if status == StatusCode::TOO_MANY_REQUESTS {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    response
}
