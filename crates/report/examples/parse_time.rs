//! Time `kresym_report::parse` on a file: `cargo run --example parse_time FILE`.

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: parse_time FILE");
        std::process::exit(2);
    };
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(2);
        }
    };
    let len = text.len();
    let start = Instant::now();
    let doc = kresym_report::parse(text);
    let elapsed = start.elapsed();
    println!(
        "{path}: {len} bytes, {} lines, {} reports, {} frames in {elapsed:.2?} ({:.1} MB/s)",
        doc.lines.len(),
        doc.reports.len(),
        doc.frames().count(),
        len as f64 / 1e6 / elapsed.as_secs_f64()
    );
}
