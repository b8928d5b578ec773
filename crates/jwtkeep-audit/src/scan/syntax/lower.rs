//! From a tree-sitter tree to [`Module`]: the bindings, calls and reads of a
//! file as a handful of language-neutral shapes.
//!
//! Node kinds differ between grammars, but most constructs have one shape in
//! all of them (a call has a callee and arguments; an assignment a target and
//! a value). Each match arm below lists the kinds that share a shape.

use tree_sitter::{Node, Tree};

use super::{Grammar, MAX_DEPTH};

/// An expression, reduced to what the dataflow follows. Its `Debug` never
/// shows a literal's text: literals may be secrets.
#[derive(Clone)]
pub(crate) enum Expr {
    /// A string literal without interpolation: its text as written between
    /// the quotes, and the byte offset of the literal.
    Str {
        /// The text.
        text: String,
        /// Where the literal starts.
        at: usize,
    },
    /// Parts joined: `+`, templates, f-strings, interpolation, `%` formats.
    Concat(Vec<Expr>),
    /// A name or a dotted path of names: `SECRET`, `config.jwtSecret`,
    /// `self.secret`, `EncodingKey.from_secret`, `os.environ.JWT_SECRET`.
    Path(String, usize),
    /// A member of something that is not a path (`f().x`).
    Member(Box<Expr>, String),
    /// `a || b`, `a ?? b`, `a or b`, `a ?: b`, `c ? a : b`: one or the other.
    Either(Box<Expr>, Box<Expr>),
    /// A call or a constructor.
    Call(Box<Call>),
    /// An object, dict, hash, struct or composite literal.
    Object {
        /// The type named (Go composite literals, Rust structs), if any.
        ty: Option<String>,
        /// Its named members.
        pairs: Vec<(String, Expr)>,
        /// Its unnamed elements (Go slices).
        items: Vec<Expr>,
        /// Where it starts.
        at: usize,
    },
    /// An array, list or tuple literal.
    List(Vec<Expr>, usize),
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Num(String),
    /// A function literal: what it returns.
    Func(Vec<Expr>),
    /// Anything else.
    Other,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expr::Str { at, .. } => write!(f, "Str([redacted] at {at})"),
            Expr::Concat(parts) => f.debug_tuple("Concat").field(parts).finish(),
            Expr::Path(p, at) => f.debug_tuple("Path").field(p).field(at).finish(),
            Expr::Member(o, n) => f.debug_tuple("Member").field(o).field(n).finish(),
            Expr::Either(a, b) => f.debug_tuple("Either").field(a).field(b).finish(),
            Expr::Call(c) => c.fmt(f),
            Expr::Object {
                ty,
                pairs,
                items,
                at,
            } => f
                .debug_struct("Object")
                .field("ty", ty)
                .field("pairs", pairs)
                .field("items", items)
                .field("at", at)
                .finish(),
            Expr::List(items, at) => f.debug_tuple("List").field(items).field(at).finish(),
            Expr::Bool(b) => f.debug_tuple("Bool").field(b).finish(),
            Expr::Num(n) => f.debug_tuple("Num").field(n).finish(),
            Expr::Func(r) => f.debug_tuple("Func").field(r).finish(),
            Expr::Other => f.write_str("Other"),
        }
    }
}

/// A call, a method call or a constructor.
#[derive(Clone, Debug)]
pub(crate) struct Call {
    /// The last name of the callee: `sign`, `SignedString`, `from_secret`, `[]byte`.
    pub(crate) name: String,
    /// The callee's whole path when it is one (`jwt.sign`, `EncodingKey.from_secret`).
    pub(crate) path: Option<String>,
    /// What the method is called on, when it is a method.
    pub(crate) recv: Option<Expr>,
    /// The arguments, in order.
    pub(crate) args: Vec<Arg>,
    /// `new X(...)` or `X(...)` of a class.
    pub(crate) new: bool,
    /// Where the call starts and ends.
    pub(crate) at: usize,
}

/// One argument: positional, or named (`algorithm="HS256"`, `httponly: true`).
#[derive(Clone, Debug)]
pub(crate) struct Arg {
    /// The name, for keyword arguments.
    pub(crate) name: Option<String>,
    /// The value.
    pub(crate) value: Expr,
}

/// A value given to a name.
#[derive(Clone, Debug)]
pub(crate) struct Binding {
    /// The name or dotted path assigned (`SECRET`, `app.config.JWT_SECRET_KEY`, `self.key`).
    pub(crate) path: String,
    /// The value.
    pub(crate) value: Expr,
    /// Where the assignment starts.
    pub(crate) at: usize,
    /// Whether it is outside every function: what other files can import.
    pub(crate) top: bool,
}

/// What a file holds, for the dataflow.
#[derive(Debug, Default)]
pub(crate) struct Module {
    /// Every assignment, declaration and import, in source order.
    pub(crate) bindings: Vec<Binding>,
    /// Every call, in source order (outer calls before the calls in their arguments).
    pub(crate) calls: Vec<Call>,
    /// Every member or subscript read as a path, and where.
    pub(crate) reads: Vec<(String, usize)>,
    /// Byte ranges of comments and of multi-line string literals
    /// (docstrings, examples): text, not code.
    pub(crate) comments: Vec<(usize, usize)>,
    /// Rust and Go struct types declared here, with their field names.
    pub(crate) structs: Vec<(String, Vec<String>)>,
}

impl Module {
    /// Whether byte `offset` is inside a comment or a multi-line string.
    pub(crate) fn in_comment(&self, offset: usize) -> bool {
        let i = self.comments.partition_point(|&(start, _)| start <= offset);
        i > 0
            && self
                .comments
                .get(i - 1)
                .is_some_and(|&(_, end)| offset < end)
    }
}

/// Reduces a parsed file.
pub(crate) fn module(grammar: Grammar, tree: &Tree, text: &[u8]) -> Module {
    let lower = Lower {
        grammar,
        text,
        top: std::cell::Cell::new(true),
    };
    let mut module = Module::default();
    let mut cursor = tree.walk();
    // Depth-first, iteratively: source order, and no recursion on the tree's
    // depth. For each open node, whether it is a function; with how many
    // are open, whether a binding is outside every function.
    let mut open: Vec<bool> = Vec::new();
    let mut functions = 0usize;
    let mut descend = true;
    loop {
        let node = cursor.node();
        if descend {
            lower.top.set(functions == 0);
            descend = lower.visit(node, &mut module);
        }
        if descend && cursor.goto_first_child() {
            let function = is_function(node.kind());
            open.push(function);
            functions += usize::from(function);
            continue;
        }
        descend = true;
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                module.comments.sort_unstable();
                return module;
            }
            functions -= usize::from(open.pop().unwrap_or(false));
        }
    }
}

struct Lower<'t> {
    grammar: Grammar,
    text: &'t [u8],
    /// Whether the node being visited is outside every function.
    top: std::cell::Cell<bool>,
}

const STRING_PIECES: &[&str] = &[
    "string_fragment",
    "string_content",
    "interpreted_string_literal_content",
    "raw_string_literal_content",
    "escape_sequence",
];

fn is_member(kind: &str) -> bool {
    matches!(
        kind,
        "member_expression"
            | "attribute"
            | "selector_expression"
            | "field_access"
            | "field_expression"
            | "navigation_expression"
            | "scoped_identifier"
            | "scope_resolution"
            | "qualified_type"
            | "scoped_type_identifier"
    )
}

fn is_subscript(kind: &str) -> bool {
    matches!(
        kind,
        "subscript_expression" | "subscript" | "index_expression" | "element_reference"
    )
}

impl<'t> Lower<'t> {
    /// The text of a node that names something (a type, a key), or `""`
    /// when it is longer than a name: nodes nest, and copying each one's
    /// whole text would be quadratic in the nesting.
    fn short(&self, node: Node<'_>) -> &'t str {
        if node.byte_range().len() > 128 {
            ""
        } else {
            self.text(node)
        }
    }

    fn text(&self, node: Node<'_>) -> &'t str {
        std::str::from_utf8(self.text.get(node.byte_range()).unwrap_or_default())
            .unwrap_or_default()
    }

    /// Records what `node` holds; whether to look at its children.
    fn visit(&self, node: Node<'_>, module: &mut Module) -> bool {
        let kind = node.kind();
        match kind {
            "comment" | "line_comment" | "block_comment" | "multiline_comment" => {
                module.comments.push((node.start_byte(), node.end_byte()));
                false
            }
            "string"
            | "string_literal"
            | "template_string"
            | "raw_string_literal"
            | "interpreted_string_literal"
            | "multiline_string_literal" => {
                // Multi-line strings are documentation and examples (docstrings,
                // text blocks); a one-line string may be a key in code
                // (`"verify_signature": False`).
                if node.start_position().row != node.end_position().row {
                    module.comments.push((node.start_byte(), node.end_byte()));
                }
                // Interpolations hold code.
                true
            }
            "call_expression"
            | "new_expression"
            | "call"
            | "method_invocation"
            | "object_creation_expression"
            | "type_conversion_expression" => {
                if let Expr::Call(call) = self.expr(node, 0) {
                    module.calls.push(*call);
                }
                true
            }
            _ if is_member(kind) || is_subscript(kind) => {
                if let Expr::Path(path, at) = self.expr(node, 0) {
                    module.reads.push((path, at));
                }
                true
            }
            "struct_item" | "type_spec" => {
                self.structure(node, module);
                true
            }
            "import_statement"
            | "import_from_statement"
            | "import_spec"
            | "import_declaration"
            | "use_declaration"
            // Kotlin's import is a named node `import`; elsewhere `import`
            // is the keyword token.
            | "import"
                if node.is_named() =>
            {
                self.import(node, module);
                true
            }
            _ => {
                self.binding(node, module);
                true
            }
        }
    }

    /// Assignments and declarations.
    fn binding(&self, node: Node<'_>, module: &mut Module) {
        let at = node.start_byte();
        let top = || self.top.get();
        let mut bind = |target: Node<'_>, value: Expr| {
            for path in self.targets(target) {
                module.bindings.push(Binding {
                    path,
                    value: value.clone(),
                    at,
                    top: top(),
                });
            }
        };
        match node.kind() {
            "variable_declarator"
            | "assignment_expression"
            | "assignment"
            | "let_declaration"
            | "const_item"
            | "static_item"
            | "public_field_definition"
            | "field_definition"
            | "operator_assignment" => {
                let target = field(node, &["name", "left", "pattern"]);
                let value = field(node, &["value", "right"]);
                if let (Some(target), Some(value)) = (target, value) {
                    if target.kind() == "object_pattern" {
                        self.destructure(target, &self.expr(value, 0), module);
                    } else if matches!(
                        target.kind(),
                        "pattern_list" | "tuple_pattern" | "expression_list"
                    ) && matches!(value.kind(), "expression_list" | "tuple")
                    {
                        for (t, v) in named(target).zip(named(value)) {
                            bind(t, self.expr(v, 0));
                        }
                    } else if self.in_settings_class(node) {
                        // pydantic's `class Settings(BaseSettings): jwt_secret: str
                        // = "dev"`: the environment variable wins, the literal
                        // is its fallback.
                        let var = format!("os.environ.{}", self.text(target).to_ascii_uppercase());
                        let env = Expr::Path(var, target.start_byte());
                        bind(
                            target,
                            Expr::Either(Box::new(env), Box::new(self.expr(value, 0))),
                        );
                    } else {
                        bind(target, self.expr(value, 0));
                    }
                } else if self.grammar == Grammar::Kotlin && node.kind() == "assignment" {
                    let mut parts = named(node);
                    if let (Some(t), Some(v)) = (parts.next(), parts.last()) {
                        bind(t, self.expr(v, 0));
                    }
                }
            }
            // Go: `var a, b = x, y`, `a, err := f()`, `a = b`.
            "var_spec" | "const_spec" | "short_var_declaration" | "assignment_statement" => {
                let (names, values): (Vec<Node<'_>>, Vec<Node<'_>>) =
                    if let Some(left) = node.child_by_field_name("left") {
                        let right = node.child_by_field_name("right");
                        (
                            named(left).collect(),
                            right.map(|r| named(r).collect()).unwrap_or_default(),
                        )
                    } else {
                        let mut c = node.walk();
                        let names = node.children_by_field_name("name", &mut c).collect();
                        let values = node
                            .child_by_field_name("value")
                            .map(|v| named(v).collect())
                            .unwrap_or_default();
                        (names, values)
                    };
                if values.len() == 1 && names.len() > 1 {
                    if let (Some(&n), Some(&v)) = (names.first(), values.first()) {
                        bind(n, self.expr(v, 0));
                    }
                } else {
                    for (n, v) in names.into_iter().zip(values) {
                        bind(n, self.expr(v, 0));
                    }
                }
            }
            // A named function: calls to it stand for what it returns.
            "function_declaration"
            | "function_definition"
            | "function_item"
            | "method_declaration"
            | "method" => {
                if let Some(name) = node.child_by_field_name("name") {
                    module.bindings.push(Binding {
                        path: self.text(name).to_owned(),
                        value: self.func(node, 0),
                        at,
                        top: top(),
                    });
                }
            }
            // `export default {...}`: what `import config from` gets.
            "export_statement" => {
                if let Some(value) = node.child_by_field_name("value") {
                    module.bindings.push(Binding {
                        path: "default".to_owned(),
                        value: self.expr(value, 0),
                        at,
                        top: top(),
                    });
                }
            }
            // Kotlin: `val a = x`.
            "property_declaration" => {
                let mut name = None;
                let mut value = None;
                for child in named(node) {
                    match child.kind() {
                        "variable_declaration" => name = named(child).next(),
                        "modifiers" | "type_parameters" | "user_type" | "nullable_type" => {}
                        _ => value = Some(child),
                    }
                }
                if let (Some(n), Some(v)) = (name, value) {
                    bind(n, self.expr(v, 0));
                }
            }
            _ => {}
        }
    }

    /// Whether a Python assignment is an attribute of a pydantic settings
    /// class (`class Settings(BaseSettings)`), which the environment fills.
    fn in_settings_class(&self, node: Node<'_>) -> bool {
        if self.grammar != Grammar::Python {
            return false;
        }
        // assignment -> expression_statement -> block -> class_definition
        let class = node
            .parent()
            .and_then(|n| n.parent())
            .and_then(|n| n.parent());
        class.is_some_and(|c| {
            c.kind() == "class_definition"
                && c.child_by_field_name("superclasses")
                    .is_some_and(|s| self.short(s).contains("BaseSettings"))
        })
    }

    /// The paths an assignment target names.
    fn targets(&self, target: Node<'_>) -> Vec<String> {
        match self.expr(target, 0) {
            Expr::Path(p, _) => vec![p],
            _ => Vec::new(),
        }
    }

    /// `const { JWT_SECRET = "dev", other } = process.env`.
    /// `const { secret } = require("./config")`: members of a module.
    fn destructure(&self, pattern: Node<'_>, source: &Expr, module: &mut Module) {
        let top = self.top.get();
        let base = match source {
            Expr::Path(base, _) => Some(base.clone()),
            Expr::Call(c) if matches!(c.name.as_str(), "require" | "import") => None,
            _ => return,
        };
        for child in named(pattern) {
            let (name, default) = match child.kind() {
                "shorthand_property_identifier_pattern" => (self.text(child), None),
                "object_assignment_pattern" => {
                    let Some(left) = child.child_by_field_name("left") else {
                        continue;
                    };
                    let right = child.child_by_field_name("right").map(|r| self.expr(r, 0));
                    (self.text(left), right)
                }
                _ => continue,
            };
            let member = match &base {
                Some(base) => Expr::Path(format!("{base}.{name}"), child.start_byte()),
                None => Expr::Member(Box::new(source.clone()), name.to_owned()),
            };
            let value = match default {
                Some(d) => Expr::Either(Box::new(member), Box::new(d)),
                None => member,
            };
            module.bindings.push(Binding {
                path: name.to_owned(),
                value,
                at: child.start_byte(),
                top,
            });
        }
    }

    /// Imports become bindings of the local name to `import(FROM, module =
    /// M, name = N)`: `FROM` is what was written (a library is recognised
    /// under any alias by it), `M` the module and `N` the name imported from
    /// it (none for a whole module), for following values across files.
    fn import(&self, node: Node<'_>, module: &mut Module) {
        let at = node.start_byte();
        let top = self.top.get();
        let mut bind = |local: &str, from: String, source: &str, name: Option<&str>| {
            let text = |t: &str| Expr::Str {
                text: t.to_owned(),
                at,
            };
            let mut args = vec![
                Arg {
                    name: None,
                    value: text(&from),
                },
                Arg {
                    name: Some("module".to_owned()),
                    value: text(source),
                },
            ];
            args.extend(name.map(|n| Arg {
                name: Some("name".to_owned()),
                value: text(n),
            }));
            module.bindings.push(Binding {
                path: local.to_owned(),
                value: Expr::Call(Box::new(Call {
                    name: "import".to_owned(),
                    path: Some("import".to_owned()),
                    recv: None,
                    args,
                    new: false,
                    at,
                })),
                at,
                top,
            });
        };
        match (self.grammar.family(), node.kind()) {
            (super::Family::Js, "import_statement") => {
                let Some(source) = node.child_by_field_name("source") else {
                    return;
                };
                let from = self.text(source).trim_matches(['"', '\'', '`']).to_owned();
                let mut stack: Vec<Node<'_>> = named(node).collect();
                while let Some(n) = stack.pop() {
                    match n.kind() {
                        // `import config from`: the default export.
                        "identifier" => bind(self.text(n), from.clone(), &from, Some("default")),
                        "import_specifier" => {
                            let local = field(n, &["alias", "name"]);
                            let name = n.child_by_field_name("name").map(|m| self.text(m));
                            if let Some(local) = local {
                                bind(self.text(local), from.clone(), &from, name);
                            }
                        }
                        // `import * as config from`: the whole module.
                        "namespace_import" => {
                            if let Some(local) = named(n).next() {
                                bind(self.text(local), from.clone(), &from, None);
                            }
                        }
                        "import_clause" | "named_imports" => {
                            stack.extend(named(n));
                        }
                        _ => {}
                    }
                }
            }
            (super::Family::Python, "import_statement" | "import_from_statement") => {
                let base = node
                    .child_by_field_name("module_name")
                    .map(|m| self.text(m).to_owned());
                let mut c = node.walk();
                for name in node.children_by_field_name("name", &mut c) {
                    let (full, local) = match name.kind() {
                        "aliased_import" => {
                            let n = name.child_by_field_name("name").map(|n| self.text(n));
                            let a = name.child_by_field_name("alias").map(|a| self.text(a));
                            (n.unwrap_or_default(), a.unwrap_or_default())
                        }
                        _ => {
                            let t = self.text(name);
                            (t, t.split('.').next().unwrap_or(t))
                        }
                    };
                    match &base {
                        Some(b) => bind(local, format!("{b}.{full}"), b, Some(full)),
                        None => bind(local, full.to_owned(), full, None),
                    }
                }
            }
            (super::Family::Go, "import_spec") => {
                let Some(path) = node.child_by_field_name("path") else {
                    return;
                };
                let from = self.text(path).trim_matches(['"', '`']).to_owned();
                let local = match node.child_by_field_name("name") {
                    Some(n) => self.text(n).to_owned(),
                    None => from
                        .rsplit('/')
                        .find(|s| {
                            !(s.starts_with('v') && s[1..].bytes().all(|b| b.is_ascii_digit()))
                        })
                        .unwrap_or_default()
                        .trim_end_matches("-go")
                        .replace('-', ""),
                };
                bind(&local, from.clone(), &from, None);
            }
            (super::Family::Jvm, "import_declaration" | "import") => {
                let full = self
                    .text(node)
                    .trim_start_matches("import")
                    .trim()
                    .trim_start_matches("static ")
                    .trim_end_matches(';')
                    .trim();
                // Kotlin: `import a.b.Config as Settings`.
                let (full, alias) = match full.split_once(" as ") {
                    Some((f, a)) => (f.trim(), Some(a.trim())),
                    None => (full, None),
                };
                if let Some(last) = full.rsplit('.').next() {
                    if last != "*" {
                        bind(alias.unwrap_or(last), full.to_owned(), full, None);
                    }
                }
            }
            // `use crate::config::SECRET;`, `use crate::config::{SECRET as KEY, Other};`.
            (super::Family::Rust, "use_declaration") => {
                let mut stack: Vec<(Node<'_>, String)> = node
                    .child_by_field_name("argument")
                    .map(|a| (a, String::new()))
                    .into_iter()
                    .collect();
                while let Some((n, prefix)) = stack.pop() {
                    let join = |p: &str| match (prefix.as_str(), p) {
                        ("", p) => p.to_owned(),
                        (q, "") => q.to_owned(),
                        (q, p) => format!("{q}::{p}"),
                    };
                    match n.kind() {
                        "scoped_identifier" | "identifier" => {
                            let full = join(self.text(n));
                            if let Some((source, name)) = full.rsplit_once("::") {
                                bind(name, full.clone(), source, Some(name));
                            }
                        }
                        "use_as_clause" => {
                            let path = n.child_by_field_name("path").map(|p| join(self.text(p)));
                            let alias = n.child_by_field_name("alias").map(|a| self.text(a));
                            if let (Some(full), Some(alias)) = (path, alias) {
                                if let Some((source, name)) = full.rsplit_once("::") {
                                    bind(alias, full.clone(), source, Some(name));
                                }
                            }
                        }
                        "scoped_use_list" => {
                            let path = n
                                .child_by_field_name("path")
                                .map(|p| join(self.text(p)))
                                .unwrap_or_else(|| prefix.clone());
                            if let Some(list) = n.child_by_field_name("list") {
                                stack.extend(named(list).map(|c| (c, path.clone())));
                            }
                        }
                        "use_list" => stack.extend(named(n).map(|c| (c, prefix.clone()))),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }

    /// Struct declarations: Rust `struct_item`, Go `type_spec` of a struct.
    fn structure(&self, node: Node<'_>, module: &mut Module) {
        let Some(name) = node.child_by_field_name("name") else {
            return;
        };
        let body = field(node, &["body", "type"]);
        let Some(body) = body else { return };
        let mut fields = Vec::new();
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "field_declaration" => {
                    let mut c = n.walk();
                    let names: Vec<_> = n.children_by_field_name("name", &mut c).collect();
                    if names.is_empty() {
                        // An embedded type (Go): its name.
                        if let Some(t) = n.child_by_field_name("type") {
                            fields.push(
                                self.text(t)
                                    .rsplit('.')
                                    .next()
                                    .unwrap_or_default()
                                    .to_owned(),
                            );
                        }
                    }
                    fields.extend(names.into_iter().map(|f| self.text(f).to_owned()));
                }
                "struct_type" | "field_declaration_list" => stack.extend(named(n)),
                _ => {}
            }
        }
        module.structs.push((self.text(name).to_owned(), fields));
    }

    /// Reduces an expression.
    pub(crate) fn expr(&self, node: Node<'_>, depth: usize) -> Expr {
        if depth > MAX_DEPTH {
            return Expr::Other;
        }
        let d = depth + 1;
        let at = node.start_byte();
        let kind = node.kind();
        match kind {
            "string"
            | "string_literal"
            | "interpreted_string_literal"
            | "raw_string_literal"
            | "template_string"
            | "multiline_string_literal"
            | "line_string_literal" => self.string(node, d),
            "concatenated_string" => Expr::Concat(named(node).map(|n| self.expr(n, d)).collect()),
            "identifier"
            | "property_identifier"
            | "shorthand_property_identifier"
            | "field_identifier"
            | "type_identifier"
            | "constant"
            | "simple_identifier"
            | "package_identifier"
            | "shorthand_field_identifier" => Expr::Path(self.text(node).to_owned(), at),
            "this" | "self" => Expr::Path("self".to_owned(), at),
            "instance_variable" => Expr::Path(
                format!("self.{}", self.text(node).trim_start_matches('@')),
                at,
            ),
            "hash_key_symbol" | "simple_symbol" => Expr::Str {
                text: self.text(node).trim_start_matches(':').to_owned(),
                at,
            },
            "true" | "false" | "boolean_literal" => {
                Expr::Bool(self.text(node).eq_ignore_ascii_case("true"))
            }
            "number"
            | "integer"
            | "float"
            | "int_literal"
            | "float_literal"
            | "integer_literal"
            | "decimal_integer_literal"
            | "number_literal" => Expr::Num(self.text(node).to_owned()),
            _ if is_member(kind) => self.member(node, d),
            _ if is_subscript(kind) => self.subscript(node, d),
            "call_expression"
            | "new_expression"
            | "call"
            | "method_invocation"
            | "object_creation_expression"
            | "type_conversion_expression" => self.call(node, d),
            "binary_expression" | "binary_operator" | "boolean_operator" | "binary" => {
                self.binary(node, d)
            }
            "ternary_expression" => {
                let a = node.child_by_field_name("consequence");
                let b = node.child_by_field_name("alternative");
                match (a, b) {
                    (Some(a), Some(b)) => {
                        Expr::Either(Box::new(self.expr(a, d)), Box::new(self.expr(b, d)))
                    }
                    _ => Expr::Other,
                }
            }
            "conditional_expression" => {
                let mut parts = named(node);
                match (parts.next(), parts.nth(1)) {
                    (Some(a), Some(b)) => {
                        Expr::Either(Box::new(self.expr(a, d)), Box::new(self.expr(b, d)))
                    }
                    _ => Expr::Other,
                }
            }
            "object" | "dictionary" | "hash" | "composite_literal" | "struct_expression" => {
                self.object(node, d)
            }
            "array" | "list" | "tuple" | "set" | "array_initializer" | "array_expression" => {
                Expr::List(named(node).map(|n| self.expr(n, d)).collect(), at)
            }
            // Rust `vec![Algorithm::HS256, Algorithm::RS256]`: macro input is
            // tokens, not expressions; a flat list of paths and strings is
            // read from its text.
            "macro_invocation" => {
                let is_vec = node
                    .child_by_field_name("macro")
                    .is_some_and(|m| self.text(m) == "vec");
                let tokens = named(node).find(|n| n.kind() == "token_tree");
                match tokens {
                    Some(t) if is_vec && t.byte_range().len() <= 1024 => {
                        let inner = self.text(t).get(1..).unwrap_or_default();
                        let inner = inner
                            .get(..inner.len().saturating_sub(1))
                            .unwrap_or_default();
                        if inner.contains(['(', '[', '{', ';']) {
                            return Expr::Other;
                        }
                        let items = inner
                            .split(',')
                            .map(str::trim)
                            .filter(|i| !i.is_empty())
                            .map(
                                |i| match i.strip_prefix('"').and_then(|i| i.strip_suffix('"')) {
                                    Some(text) => Expr::Str {
                                        text: text.to_owned(),
                                        at,
                                    },
                                    None => Expr::Path(i.replace("::", "."), at),
                                },
                            )
                            .collect();
                        Expr::List(items, at)
                    }
                    _ => Expr::Other,
                }
            }
            "func_literal"
            | "arrow_function"
            | "function_expression"
            | "function"
            | "closure_expression"
            | "lambda_expression"
            | "lambda" => self.func(node, d),
            "unary_expression" => {
                let op = node
                    .child_by_field_name("operator")
                    .map(|o| self.text(o))
                    .unwrap_or_default();
                match node
                    .child_by_field_name("operand")
                    .or_else(|| named(node).last())
                {
                    Some(inner) if op == "&" || op == "*" => self.expr(inner, d),
                    _ => Expr::Other,
                }
            }
            "parenthesized_expression"
            | "await_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression"
            | "type_assertion_expression"
            | "reference_expression"
            | "try_expression"
            | "cast_expression"
            | "type_assertion"
            | "literal_element"
            | "value_argument"
            | "expression_list"
            | "argument" => {
                let inner = field(node, &["value", "operand"])
                    .or_else(|| named(node).find(|n| !is_type(n.kind())));
                inner.map_or(Expr::Other, |n| self.expr(n, d))
            }
            _ => Expr::Other,
        }
    }

    fn string(&self, node: Node<'_>, d: usize) -> Expr {
        let at = node.start_byte();
        let mut parts: Vec<Expr> = Vec::new();
        let mut literal = String::new();
        let mut lit_at = None;
        let mut any_piece = false;
        for child in children(node) {
            let kind = child.kind();
            if STRING_PIECES.contains(&kind) {
                any_piece = true;
                lit_at.get_or_insert(child.start_byte());
                literal.push_str(self.text(child));
            } else if matches!(kind, "template_substitution" | "interpolation") {
                if !literal.is_empty() {
                    parts.push(Expr::Str {
                        text: std::mem::take(&mut literal),
                        at: lit_at.take().unwrap_or(at),
                    });
                }
                let inner = child
                    .child_by_field_name("expression")
                    .or_else(|| named(child).next());
                parts.push(inner.map_or(Expr::Other, |n| self.expr(n, d)));
            }
        }
        if parts.is_empty() {
            if !any_piece {
                // No content nodes: an empty literal, or a grammar that keeps the quotes.
                let raw = self.text(node);
                let body = raw
                    .trim_start_matches(|c: char| c.is_ascii_alphabetic() || c == '#')
                    .trim_start_matches(['"', '\'', '`'])
                    .trim_end_matches(['#'])
                    .trim_end_matches(['"', '\'', '`']);
                return Expr::Str {
                    text: body.to_owned(),
                    at,
                };
            }
            return Expr::Str { text: literal, at };
        }
        if !literal.is_empty() {
            parts.push(Expr::Str {
                text: literal,
                at: lit_at.unwrap_or(at),
            });
        }
        Expr::Concat(parts)
    }

    fn member(&self, node: Node<'_>, d: usize) -> Expr {
        let at = node.start_byte();
        let (object, name) = match node.kind() {
            "navigation_expression" => {
                let mut parts = named(node);
                let object = parts.next();
                (object, parts.last())
            }
            _ => {
                let object = field(
                    node,
                    &["object", "operand", "value", "path", "scope", "package"],
                );
                let name = field(node, &["property", "attribute", "field", "name"]);
                (object, name)
            }
        };
        let Some(name) = name else { return Expr::Other };
        let name = self.text(name).trim_start_matches(['.', '?']).to_owned();
        let Some(object) = object else {
            // `::name`: a path from the crate root.
            return Expr::Path(name, at);
        };
        self.member_of(object, name, at, d)
    }

    /// `object.name`: a longer path when the object is one.
    fn member_of(&self, object: Node<'_>, name: String, at: usize, d: usize) -> Expr {
        match self.expr(object, d) {
            Expr::Path(p, _) => Expr::Path(format!("{p}.{name}"), at),
            Expr::Other => Expr::Other,
            other => Expr::Member(Box::new(other), name),
        }
    }

    fn subscript(&self, node: Node<'_>, d: usize) -> Expr {
        let at = node.start_byte();
        let object = field(node, &["object", "value", "operand"]).or_else(|| named(node).next());
        let index = field(node, &["index", "subscript"]).or_else(|| named(node).nth(1));
        let (Some(object), Some(index)) = (object, index) else {
            return Expr::Other;
        };
        let key = match self.expr(index, d) {
            Expr::Str { text, .. } => text,
            Expr::Num(n) => n,
            _ => return Expr::Other,
        };
        self.member_of(object, key, at, d)
    }

    fn call(&self, node: Node<'_>, d: usize) -> Expr {
        let at = node.start_byte();
        let kind = node.kind();
        let new = matches!(kind, "new_expression" | "object_creation_expression");
        let (name, path, recv, args, new) = match kind {
            "type_conversion_expression" => {
                let ty = node.child_by_field_name("type");
                let operand = node.child_by_field_name("operand");
                let name = ty.map(|t| self.short(t).to_owned()).unwrap_or_default();
                let args = operand
                    .map(|o| {
                        vec![Arg {
                            name: None,
                            value: self.expr(o, d),
                        }]
                    })
                    .unwrap_or_default();
                (name.clone(), Some(name), None, args, false)
            }
            // Java `object.name(args)`, Ruby `receiver.method args`.
            "method_invocation" | "call"
                if kind == "method_invocation" || self.grammar == Grammar::Ruby =>
            {
                let (name_field, object_field) = if kind == "call" {
                    ("method", "receiver")
                } else {
                    ("name", "object")
                };
                let Some(name) = node.child_by_field_name(name_field) else {
                    return Expr::Other;
                };
                let name = self.text(name).to_owned();
                let recv = node
                    .child_by_field_name(object_field)
                    .map(|o| self.expr(o, d));
                let path = match &recv {
                    Some(Expr::Path(p, _)) => Some(format!("{p}.{name}")),
                    None => Some(name.clone()),
                    _ => None,
                };
                let args = node
                    .child_by_field_name("arguments")
                    .map(|a| self.args(a, d))
                    .unwrap_or_default();
                let new = new || name == "new";
                (name, path, recv, args, new)
            }
            _ => {
                let callee = field(node, &["function", "constructor", "type"])
                    .or_else(|| named(node).next());
                let Some(mut callee) = callee else {
                    return Expr::Other;
                };
                let args_node = node.child_by_field_name("arguments").or_else(|| {
                    named(node).find(|n| matches!(n.kind(), "value_arguments" | "call_suffix"))
                });
                // `f::<T>(x)`, `f<T>(x)`.
                if callee.kind() == "generic_function" {
                    if let Some(f) = callee.child_by_field_name("function") {
                        callee = f;
                    }
                }
                let args = args_node.map(|a| self.args(a, d)).unwrap_or_default();
                let (name, path, recv) = if is_member(callee.kind()) {
                    match self.member(callee, d) {
                        Expr::Path(p, _) => {
                            let name = p.rsplit('.').next().unwrap_or_default().to_owned();
                            let recv = p
                                .rsplit_once('.')
                                .map(|(r, _)| Expr::Path(r.to_owned(), at));
                            (name, Some(p), recv)
                        }
                        Expr::Member(obj, name) => (name, None, Some(*obj)),
                        _ => return Expr::Other,
                    }
                } else {
                    match self.expr(callee, d) {
                        Expr::Path(p, _) => (p.clone(), Some(p), None),
                        // A type (`[]byte`) names the call; anything longer (a
                        // function expression called in place) does not: copying
                        // its text at every level of nesting would be quadratic.
                        _ => (self.short(callee).to_owned(), None, None),
                    }
                };
                // Kotlin and Rust build objects with plain calls; an upper-case callee is a class.
                let new = new || name.starts_with(|c: char| c.is_ascii_uppercase());
                (name, path, recv, args, new)
            }
        };
        Expr::Call(Box::new(Call {
            name,
            path,
            recv,
            args,
            new,
            at,
        }))
    }

    fn args(&self, node: Node<'_>, d: usize) -> Vec<Arg> {
        let mut out = Vec::new();
        for child in named(node) {
            match child.kind() {
                "keyword_argument" | "pair" => {
                    let name = field(child, &["name", "key"]);
                    let value = child.child_by_field_name("value");
                    if let (Some(n), Some(v)) = (name, value) {
                        let name = self.text(n).trim_start_matches(':').trim_end_matches(':');
                        let name = name.trim_matches(['"', '\'']).to_owned();
                        out.push(Arg {
                            name: Some(name),
                            value: self.expr(v, d),
                        });
                    }
                }
                "value_argument" => {
                    // Kotlin: `name = value` or `value`.
                    let parts: Vec<_> = named(child).collect();
                    let is_named = parts.len() == 2
                        && children(child).any(|c| !c.is_named() && self.text(c) == "=");
                    match (is_named, parts.first(), parts.last()) {
                        (true, Some(n), Some(v)) => out.push(Arg {
                            name: Some(self.text(*n).to_owned()),
                            value: self.expr(*v, d),
                        }),
                        (_, _, Some(v)) => out.push(Arg {
                            name: None,
                            value: self.expr(*v, d),
                        }),
                        _ => {}
                    }
                }
                "comment" | "line_comment" | "block_comment" | "block" | "do_block" => {}
                "value_arguments" => out.extend(self.args(child, d)),
                _ => out.push(Arg {
                    name: None,
                    value: self.expr(child, d),
                }),
            }
        }
        out
    }

    fn binary(&self, node: Node<'_>, d: usize) -> Expr {
        let left = node.child_by_field_name("left");
        let right = node.child_by_field_name("right");
        let (Some(left), Some(right)) = (left, right) else {
            return Expr::Other;
        };
        let op = node
            .child_by_field_name("operator")
            .map(|o| self.text(o))
            .or_else(|| {
                children(node)
                    .find(|c| {
                        !c.is_named()
                            && c.start_byte() >= left.end_byte()
                            && c.end_byte() <= right.start_byte()
                    })
                    .map(|c| self.text(c))
            })
            .unwrap_or_default();
        let (l, r) = (self.expr(left, d), self.expr(right, d));
        match op {
            "+" | "%" => {
                let mut parts = Vec::new();
                for side in [l, r] {
                    match side {
                        Expr::Concat(p) => parts.extend(p),
                        other => parts.push(other),
                    }
                }
                Expr::Concat(parts)
            }
            "||" | "??" | "or" | "?:" => Expr::Either(Box::new(l), Box::new(r)),
            _ => Expr::Other,
        }
    }

    fn object(&self, node: Node<'_>, d: usize) -> Expr {
        let at = node.start_byte();
        let ty = field(node, &["type", "name"]).map(|t| self.short(t).to_owned());
        let body = node.child_by_field_name("body").unwrap_or(node);
        let mut pairs = Vec::new();
        let mut items = Vec::new();
        let mut stack: Vec<Node<'_>> = named(body).collect();
        stack.reverse();
        while let Some(child) = stack.pop() {
            match child.kind() {
                "pair" | "keyed_element" | "field_initializer" => {
                    let key = field(child, &["key", "field"]).or_else(|| named(child).next());
                    let value = child
                        .child_by_field_name("value")
                        .or_else(|| named(child).nth(1));
                    if let (Some(k), Some(v)) = (key, value) {
                        let key = match self.expr(k, d) {
                            Expr::Str { text, .. } => text,
                            Expr::Path(p, _) => p,
                            _ => self.short(k).to_owned(),
                        };
                        pairs.push((key, self.expr(v, d)));
                    }
                }
                "shorthand_property_identifier" | "shorthand_field_initializer" => {
                    let name = self.text(child).to_owned();
                    pairs.push((name.clone(), Expr::Path(name, child.start_byte())));
                }
                // `{ ...options }`, `{**options}`, Rust's `..Default::default()`:
                // another object's members, kept as an item.
                "spread_element" | "dictionary_splat" | "base_field_initializer" => {
                    if let Some(inner) = named(child).next() {
                        items.push(self.expr(inner, d));
                    }
                }
                "field_initializer_list" | "literal_value" => {
                    let mut inner: Vec<Node<'_>> = named(child).collect();
                    inner.reverse();
                    stack.extend(inner);
                }
                k if is_type(k) || k.ends_with("comment") => {}
                _ => items.push(self.expr(child, d)),
            }
        }
        Expr::Object {
            ty,
            pairs,
            items,
            at,
        }
    }

    fn func(&self, node: Node<'_>, d: usize) -> Expr {
        let Some(body) = node.child_by_field_name("body") else {
            return Expr::Func(Vec::new());
        };
        if !matches!(body.kind(), "block" | "statement_block") {
            return Expr::Func(vec![self.expr(body, d)]);
        }
        let mut returns = Vec::new();
        let mut stack = vec![body];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "return_statement" | "return_expression" => {
                    if let Some(v) = named(n).next() {
                        // Go returns a list: the key is first.
                        let v = if v.kind() == "expression_list" {
                            named(v).next().unwrap_or(v)
                        } else {
                            v
                        };
                        returns.push(self.expr(v, d));
                    }
                }
                "func_literal"
                | "arrow_function"
                | "function_expression"
                | "closure_expression" => {}
                _ => stack.extend(named(n)),
            }
        }
        Expr::Func(returns)
    }
}

fn is_type(kind: &str) -> bool {
    kind.ends_with("_type")
        || matches!(
            kind,
            "type_identifier" | "type_annotation" | "type_arguments" | "user_type"
        )
}

/// Whether a node of this kind is a function, lambda or closure: what it
/// binds is its own, not its module's.
fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_declaration"
            | "function_definition"
            | "function_item"
            | "function_expression"
            | "function"
            | "generator_function_declaration"
            | "arrow_function"
            | "method_declaration"
            | "method_definition"
            | "constructor_declaration"
            | "method"
            | "singleton_method"
            | "func_literal"
            | "lambda"
            | "lambda_expression"
            | "lambda_literal"
            | "anonymous_function"
            | "closure_expression"
    )
}

/// The first of `names` that is a field of `node`: grammars name the same
/// part differently (`object`, `operand`, `value`).
fn field<'n>(node: Node<'n>, names: &[&str]) -> Option<Node<'n>> {
    names.iter().find_map(|f| node.child_by_field_name(f))
}

/// A node's named children.
fn named<'n>(node: Node<'n>) -> impl Iterator<Item = Node<'n>> {
    (0..node.named_child_count())
        .filter_map(move |i| u32::try_from(i).ok().and_then(|i| node.named_child(i)))
}

/// A node's children, named or not.
fn children<'n>(node: Node<'n>) -> impl Iterator<Item = Node<'n>> {
    (0..node.child_count()).filter_map(move |i| u32::try_from(i).ok().and_then(|i| node.child(i)))
}
