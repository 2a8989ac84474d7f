//! `--format`: the render crate's [`Format`] by one set of names. Each
//! command offers those it writes, each with what it means there; its
//! `--format` flag and `kresym serve`'s `format=` both read that list.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use kresym_render::Format;

/// A format a command offers, with what it means there (its `--help` line).
pub type Offer = (Format, &'static str);

/// The name `--format` gives `format`.
pub fn name(format: Format) -> &'static str {
    match format {
        Format::Text => "text",
        Format::Json => "json",
        Format::Markdown => "markdown",
        Format::Html => "html",
    }
}

/// The format of `offers` named `value`.
pub fn find(offers: &[Offer], value: &str) -> Option<Format> {
    offers
        .iter()
        .map(|&(format, _)| format)
        .find(|&format| name(format) == value)
}

/// The names of `offers`, `, `-separated.
pub fn names(offers: &[Offer]) -> String {
    let names: Vec<_> = offers.iter().map(|&(format, _)| name(format)).collect();
    names.join(", ")
}

/// A `--format` value parser for a command offering `offers`: their names,
/// in that order, each with its help.
pub fn parser(offers: &'static [Offer]) -> impl TypedValueParser<Value = Format> {
    let values = offers
        .iter()
        .map(|&(format, help)| PossibleValue::new(name(format)).help(help));
    PossibleValuesParser::new(values).try_map(move |value: String| {
        find(offers, &value).ok_or_else(|| format!("{value:?} is not one of {}", names(offers)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_in_the_offers_only() {
        const OFFERS: &[Offer] = &[(Format::Text, "t"), (Format::Json, "j")];
        assert_eq!(find(OFFERS, "json"), Some(Format::Json));
        assert_eq!(find(OFFERS, "html"), None);
        assert_eq!(find(OFFERS, "JSON"), None);
        assert_eq!(names(OFFERS), "text, json");
        for format in [Format::Text, Format::Json, Format::Markdown, Format::Html] {
            let all = [(format, "")];
            assert_eq!(find(&all, name(format)), Some(format));
        }
    }
}
