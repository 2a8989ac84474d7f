//! `Code:` listings in text: after their line, every input line kept.

use kresym_disasm::disassemble;
use kresym_render::code::{CodeListing, code_entries, write_symbolized_with_code};
use kresym_symbolize::{DocumentSymbols, LineSymbols};

fn unchanged(document: &kresym_report::Document) -> DocumentSymbols {
    DocumentSymbols {
        lines: vec![LineSymbols::Unchanged; document.lines.len()],
        checks: Vec::new(),
    }
}

fn listings(document: &kresym_report::Document) -> Vec<CodeListing> {
    document
        .code
        .iter()
        .map(|c| CodeListing {
            line: c.line,
            listing: disassemble(c).unwrap(),
        })
        .collect()
}

#[test]
fn listing_follows_its_code_line_and_every_line_is_kept() {
    // The last line has no terminator: the listing must not be glued to it.
    let input = "RIP: 0010:foo+0x10/0x20\r\n\
                 Code: 48 89 e5 <0f> 0b 5d c3\r\n\
                 RSP: 0018:ffffc90000000000\n\
                 Code: d503233f (d4210000)";
    let document = kresym_report::parse(input);
    let symbols = unchanged(&document);
    let listings = listings(&document);
    assert_eq!(listings.len(), 2);
    let mut out = Vec::new();
    write_symbolized_with_code(&mut out, &document, &symbols, &listings).unwrap();
    let out = String::from_utf8(out).unwrap();
    let expected = "RIP: 0010:foo+0x10/0x20\r\n\
                    Code: 48 89 e5 <0f> 0b 5d c3\r\n\
                    Code disassembly (best guess):\n   \
                    0:\t48 89 e5             \tmov    %rsp,%rbp\n   \
                    3:*\t0f 0b                \tud2\t\t<-- trapping instruction\n   \
                    5:\t5d                   \tpop    %rbp\n   \
                    6:\tc3                   \tret\n\
                    RSP: 0018:ffffc90000000000\n\
                    Code: d503233f (d4210000)\n\
                    Code disassembly (best guess):\n   \
                    0:\td503233f \tpaciasp\n   \
                    4:*\td4210000 \tbrk\t#0x800\t\t<-- trapping instruction\n";
    assert_eq!(out, expected);
    // Without listings, the text is the input byte for byte.
    let mut plain = Vec::new();
    write_symbolized_with_code(&mut plain, &document, &symbols, &[]).unwrap();
    assert_eq!(plain, input.as_bytes());
    let json = serde_json::to_value(code_entries(&document, &listings)).unwrap();
    assert_eq!(json[0]["line"], 2);
    assert_eq!(json[0]["trap"], 1);
    assert_eq!(json[0]["instructions"][1]["bytes"], "0f0b");
    assert_eq!(json[1]["arch"], "arm64");
}
