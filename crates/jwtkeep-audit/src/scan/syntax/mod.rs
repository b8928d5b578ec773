//! Parsing the files the cheap pass selects: tree-sitter grammars, one per
//! language, reduced to the few shapes the dataflow needs (bindings, calls,
//! reads, comments).
//!
//! tree-sitter recovers from errors, so a file with a syntax error (or in a
//! dialect the grammar does not know) still yields every statement it could
//! read. The reduction in [`lower`] bounds its own depth: nesting deeper than
//! [`MAX_DEPTH`] is treated as an unknown value, never a stack overflow.

mod lower;

use std::cell::RefCell;
use std::path::Path;

pub(crate) use lower::{Arg, Call, Expr, Module};

/// Files larger than this are left to the pattern pass (bundles, generated code).
pub(crate) const MAX_PARSE_BYTES: usize = 1 << 20;
/// Deepest expression nesting the reduction follows.
pub(crate) const MAX_DEPTH: usize = 48;

/// A tree-sitter grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Grammar {
    JavaScript,
    TypeScript,
    Tsx,
    Python,
    Go,
    Java,
    Kotlin,
    Ruby,
    Rust,
}

impl Grammar {
    /// The grammar for a file, by its extension.
    pub(crate) fn of(path: &Path) -> Option<Grammar> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "js" | "jsx" | "mjs" | "cjs" => Grammar::JavaScript,
            "ts" | "mts" | "cts" => Grammar::TypeScript,
            "tsx" => Grammar::Tsx,
            "py" | "pyw" => Grammar::Python,
            "go" => Grammar::Go,
            "java" => Grammar::Java,
            "kt" | "kts" => Grammar::Kotlin,
            "rb" => Grammar::Ruby,
            "rs" => Grammar::Rust,
            _ => return None,
        })
    }

    fn language(self) -> tree_sitter::Language {
        match self {
            Grammar::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Grammar::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Grammar::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Grammar::Python => tree_sitter_python::LANGUAGE.into(),
            Grammar::Go => tree_sitter_go::LANGUAGE.into(),
            Grammar::Java => tree_sitter_java::LANGUAGE.into(),
            Grammar::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
            Grammar::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Grammar::Rust => tree_sitter_rust::LANGUAGE.into(),
        }
    }

    /// The language family whose libraries and conventions apply.
    pub(crate) fn family(self) -> Family {
        match self {
            Grammar::JavaScript | Grammar::TypeScript | Grammar::Tsx => Family::Js,
            Grammar::Python => Family::Python,
            Grammar::Go => Family::Go,
            Grammar::Java | Grammar::Kotlin => Family::Jvm,
            Grammar::Ruby => Family::Ruby,
            Grammar::Rust => Family::Rust,
        }
    }
}

/// Languages that share libraries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Js,
    Python,
    Go,
    Jvm,
    Ruby,
    Rust,
}

thread_local! {
    /// One parser per grammar per thread: creating one allocates, parsing reuses it.
    static PARSERS: RefCell<Vec<(Grammar, tree_sitter::Parser)>> = const { RefCell::new(Vec::new()) };
}

/// Parses `text` and reduces it; `None` when the grammar cannot be loaded or
/// the file is too large to be worth it.
pub(crate) fn parse(grammar: Grammar, text: &[u8]) -> Option<Module> {
    if text.len() > MAX_PARSE_BYTES {
        return None;
    }
    let tree = PARSERS.with(|cell| {
        let mut parsers = cell.borrow_mut();
        let index = match parsers.iter().position(|(g, _)| *g == grammar) {
            Some(i) => i,
            None => {
                let mut parser = tree_sitter::Parser::new();
                parser.set_language(&grammar.language()).ok()?;
                parsers.push((grammar, parser));
                parsers.len() - 1
            }
        };
        parsers.get_mut(index)?.1.parse(text, None)
    })?;
    Some(lower::module(grammar, &tree, text))
}
