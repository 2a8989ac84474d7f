//! Any report bytes symbolized end to end against the sample vmlinux and
//! module, rendered as text and JSON. Lines that are not frames must come
//! out unchanged and in order: the whole text output is the per-line
//! outputs concatenated, and every line the symbolizer leaves alone renders
//! as its input bytes.
#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use kresym_render::{json::SymbolizedInput, text};
use kresym_report::{LineKind, parse};
use kresym_symbolize::{LineSymbols, Symbolizer, SymbolizerOptions};
use libfuzzer_sys::fuzz_target;

fn symbolizer() -> &'static Symbolizer {
    static SYMBOLIZER: OnceLock<Symbolizer> = OnceLock::new();
    SYMBOLIZER.get_or_init(|| {
        let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vmlinux-samples/build");
        let options = SymbolizerOptions {
            module_dirs: vec![build.clone()],
            strip_prefixes: Vec::new(),
        };
        Symbolizer::open(&build.join("vmlinux-dwarf5"), options).expect("sample vmlinux")
    })
}

fuzz_target!(|data: &[u8]| {
    let symbolizer = symbolizer();
    let document = parse(data.to_vec());
    let symbols = symbolizer.symbolize_document(&document);
    assert_eq!(symbols.lines.len(), document.lines.len());
    let mut whole = Vec::new();
    text::write_symbolized(&mut whole, &document, &symbols).unwrap();
    let mut pieces = Vec::new();
    for (index, (line, line_symbols)) in document.lines.iter().zip(&symbols.lines).enumerate() {
        let mut piece = Vec::new();
        text::write_symbolized_lines(&mut piece, &document, &symbols, index..index + 1).unwrap();
        match (&line.kind, line_symbols) {
            (_, LineSymbols::Unchanged) => assert_eq!(piece, document.line_bytes(line)),
            (LineKind::Frame(_), LineSymbols::Frame(_)) => {}
            (LineKind::RawAddress(_), LineSymbols::Address { .. }) => {}
            (LineKind::InlineFrame(_), LineSymbols::Superseded) => assert!(piece.is_empty()),
            (kind, symbols) => panic!("line {index}: {kind:?} became {symbols:?}"),
        }
        pieces.extend_from_slice(&piece);
    }
    assert!(whole == pieces);
    let json = serde_json_string(&SymbolizedInput::new("fuzz", &document, &symbols));
    assert!(!json.is_empty());
});

fn serde_json_string(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("json")
}
