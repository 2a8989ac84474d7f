//! Render parsed and symbolized kernel reports.
//!
//! - [`text`]: the input with frames annotated in syzkaller's exact format;
//! - [`code`]: `Code:` disassembly listings after their line, and in JSON;
//! - [`json`]: serializable views for machines;
//! - [`linked_text`], [`markdown`], [`html`]: reports with source links and
//!   snippets.
//!
//! Rendering decides nothing: what a frame resolved to, which lines are
//! replaced and which warnings apply were all settled upstream.

pub mod code;
pub mod html;
pub mod json;
pub mod linked_text;
pub mod markdown;
mod shared;
pub mod text;
