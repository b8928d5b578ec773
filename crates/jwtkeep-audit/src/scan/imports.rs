//! Values that cross files: a key argument that names what another file of
//! the tree gives, where the language makes the file plain.
//!
//! - JavaScript/TypeScript: relative `import`s and `require`s
//!   (`./config`, `../lib/keys.js`, a directory's `index`), named, default
//!   (`export default`, `module.exports`) and whole-module imports;
//! - Python: `from config import SECRET`, `import settings`, relative
//!   `from .config import ...`, resolved from the importing file's directory
//!   and each directory above it;
//! - Go: package-level names of the other files of the package, and of a
//!   package imported from this tree (`myapp/internal/config`);
//! - Java and Kotlin: an imported class of this tree, or a class of the
//!   same package (`Config.SECRET`);
//! - Rust: `use crate::config::SECRET` (and `self::`), from the crate's
//!   `src` directory;
//! - Ruby: constants of the files a file `require_relative`s, and of Rails
//!   initializers (`config/initializers/*.rb`).
//!
//! The per-file pass records each such name ([`flow::Imported`]); after the
//! walk this pass parses the file it names, follows the value there, and
//! reports a literal where it is written, naming the call it reaches in the
//! other file. A value that names a third file is followed on, up to
//! [`MAX_ROUNDS`] files from the call.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::flow::{self, Imported};
use super::syntax::{self, Family, Grammar};
use super::{is_test_path, triage, FileScan, Finding};

/// How many files a value is followed through from the call it reaches.
const MAX_ROUNDS: usize = 4;

/// At most this many distinct names followed per scan (each costs a parse).
const MAX_FOLLOWED: usize = 4096;

/// Follows `pending` into the files they name, on up to `threads` threads;
/// adds the findings (each replacing a pattern finding of its rule on its
/// line) and the secrets found for the committed-token triage.
pub(crate) fn follow(
    root: &Path,
    code_files: &HashSet<String>,
    mut pending: Vec<Imported>,
    threads: usize,
    findings: &mut Vec<Finding>,
    secrets: &mut Vec<triage::SecretAt>,
) {
    if pending.is_empty() {
        return;
    }
    let dirs = by_dir(code_files);
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut added: Vec<Finding> = Vec::new();
    for _ in 0..MAX_ROUNDS {
        // Target file -> the names wanted from it.
        let mut wanted: BTreeMap<String, Vec<Imported>> = BTreeMap::new();
        for imported in pending.drain(..) {
            for (target, name) in resolve(&imported, code_files, &dirs) {
                if is_test_path(&target) || seen.len() >= MAX_FOLLOWED {
                    continue;
                }
                if !seen.insert((target.clone(), format!("{name}\0{}", imported.reaches))) {
                    continue;
                }
                let one = Imported {
                    from: target.clone(),
                    name,
                    ..imported.clone()
                };
                wanted.entry(target).or_default().push(one);
            }
        }
        if wanted.is_empty() {
            break;
        }
        let wanted: Vec<(String, Vec<Imported>)> = wanted.into_iter().collect();
        let next = AtomicUsize::new(0);
        let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads.clamp(1, wanted.len()))
                .map(|_| {
                    scope.spawn(|| {
                        let mut out = Outcome::default();
                        while let Some((target, names)) =
                            wanted.get(next.fetch_add(1, Ordering::Relaxed))
                        {
                            follow_into(root, target, names, &mut out);
                        }
                        out
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        });
        for out in outcomes {
            added.extend(out.findings);
            secrets.extend(out.secrets);
            pending.extend(out.next);
        }
    }
    // One literal reached from several files is one finding; it replaces a
    // pattern finding of its rule on its line.
    // The message breaks ties, so that the same tree gives the same report
    // whichever thread finished first.
    added.sort_by(|a, b| {
        (&a.path, a.line, a.column, a.rule.id, &a.message)
            .cmp(&(&b.path, b.line, b.column, b.rule.id, &b.message))
    });
    added.dedup_by(|a, b| {
        a.path == b.path && a.line == b.line && a.column == b.column && a.rule.id == b.rule.id
    });
    let replaced: HashSet<(&str, usize, &str)> = added
        .iter()
        .map(|f| (f.path.as_str(), f.line, f.rule.id))
        .collect();
    findings.retain(|f| !replaced.contains(&(f.path.as_str(), f.line, f.rule.id)));
    findings.extend(added);
}

/// What following names into files yielded (no `Debug`: it holds secrets).
#[derive(Default)]
struct Outcome {
    findings: Vec<Finding>,
    secrets: Vec<triage::SecretAt>,
    /// Names those files take from further files.
    next: Vec<Imported>,
}

/// Parses `target` and judges what it gives under each of `names`.
fn follow_into(root: &Path, target: &str, names: &[Imported], out: &mut Outcome) {
    let Some(grammar) = Grammar::of(Path::new(target)) else {
        return;
    };
    let Ok(text) = std::fs::read(root.join(target)) else {
        return;
    };
    let Some(module) = syntax::parse(grammar, &text) else {
        return;
    };
    let flow = flow::Flow::new(&module, grammar.family(), &text);
    let mut hits = Vec::new();
    let mut found = Vec::new();
    for imported in names {
        flow.exported(target, imported, &mut hits, &mut found, &mut out.next);
    }
    let mut file = FileScan::new(target, &text);
    for (offset, secret) in found {
        out.secrets.push(triage::SecretAt {
            path: target.to_owned(),
            line: file.locate(offset).0,
            secret,
        });
    }
    file.refine(&module, hits);
    out.findings.extend(file.finish());
}

/// The code files of each directory.
fn by_dir(code_files: &HashSet<String>) -> HashMap<&str, Vec<&str>> {
    let mut out: HashMap<&str, Vec<&str>> = HashMap::new();
    for f in code_files {
        out.entry(parent(f)).or_default().push(f.as_str());
    }
    out
}

/// The directory part of a relative path (`""` at the root).
fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// `dir` joined to a relative `path` with `.` and `..` resolved; `None`
/// when it leaves the tree.
fn join(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The files an import names, each with the name to look up there.
fn resolve(
    imported: &Imported,
    files: &HashSet<String>,
    dirs: &HashMap<&str, Vec<&str>>,
) -> Vec<(String, String)> {
    let Some(grammar) = Grammar::of(Path::new(&imported.from)) else {
        return Vec::new();
    };
    let from_dir = parent(&imported.from);
    let module = imported.module.as_str();
    let name = imported.name.clone();
    let existing = |candidates: Vec<String>| -> Option<String> {
        candidates.into_iter().find(|c| files.contains(c))
    };
    match grammar.family() {
        Family::Js => {
            if !module.starts_with('.') {
                return Vec::new();
            }
            let Some(base) = join(from_dir, module) else {
                return Vec::new();
            };
            let stem = base
                .strip_suffix(".js")
                .or_else(|| base.strip_suffix(".mjs"))
                .or_else(|| base.strip_suffix(".cjs"))
                .unwrap_or(&base);
            let mut candidates = vec![base.clone()];
            for ext in ["js", "ts", "mjs", "cjs", "jsx", "tsx", "mts", "cts"] {
                candidates.push(format!("{stem}.{ext}"));
            }
            for ext in ["js", "ts", "mjs", "cjs"] {
                candidates.push(format!("{base}/index.{ext}"));
            }
            existing(candidates)
                .map(|t| (t, name))
                .into_iter()
                .collect()
        }
        Family::Python => python(from_dir, module, &name, files),
        Family::Go => {
            let dir = if module.is_empty() {
                Some(from_dir)
            } else {
                go_package(module, dirs)
            };
            let Some(dir) = dir else {
                return Vec::new();
            };
            dirs.get(dir)
                .into_iter()
                .flatten()
                .filter(|f| f.ends_with(".go") && **f != imported.from)
                .map(|f| ((*f).to_owned(), name.clone()))
                .collect()
        }
        Family::Jvm => {
            let (class_path, member) = if module.is_empty() {
                // `Config.SECRET` of the same package.
                let Some((class, member)) = name.split_once('.') else {
                    return Vec::new();
                };
                let dir = if from_dir.is_empty() {
                    class.to_owned()
                } else {
                    format!("{from_dir}/{class}")
                };
                (dir, member.to_owned())
            } else {
                (module.replace('.', "/"), name)
            };
            let exact = existing(vec![
                format!("{class_path}.java"),
                format!("{class_path}.kt"),
            ])
            .or_else(|| {
                // Sources live under `src/main/java/...`: match the package's tail.
                let mut hits = files.iter().filter(|f| {
                    f.ends_with(&format!("/{class_path}.java"))
                        || f.ends_with(&format!("/{class_path}.kt"))
                });
                let first = hits.next()?;
                hits.next().is_none().then(|| first.clone())
            });
            exact.map(|t| (t, member)).into_iter().collect()
        }
        Family::Rust => {
            let mut segments = module.split("::");
            let base = match segments.next() {
                Some("crate") => {
                    // The crate's `src` directory: the nearest one above the file.
                    let mut dir = from_dir;
                    loop {
                        if dir == "src" || dir.ends_with("/src") {
                            break Some(dir.to_owned());
                        }
                        match dir.rsplit_once('/') {
                            Some((up, _)) => dir = up,
                            None => break None,
                        }
                    }
                }
                Some("self") => Some(from_dir.to_owned()),
                _ => None,
            };
            let Some(base) = base else {
                return Vec::new();
            };
            let rest: Vec<&str> = segments.collect();
            if rest.is_empty() {
                return Vec::new();
            }
            let path = join(&base, &rest.join("/")).unwrap_or_default();
            existing(vec![format!("{path}.rs"), format!("{path}/mod.rs")])
                .map(|t| (t, name))
                .into_iter()
                .collect()
        }
        Family::Ruby => {
            if module.is_empty() {
                // Rails loads config/initializers/*.rb before anything else.
                let mut out: Vec<(String, String)> = dirs
                    .iter()
                    .filter(|(d, _)| {
                        **d == "config/initializers" || d.ends_with("/config/initializers")
                    })
                    .flat_map(|(_, files)| files.iter())
                    .filter(|f| f.ends_with(".rb"))
                    .map(|f| ((*f).to_owned(), name.clone()))
                    .collect();
                out.sort();
                return out;
            }
            let Some(path) = join(from_dir, module) else {
                return Vec::new();
            };
            let path = if path.ends_with(".rb") {
                path
            } else {
                format!("{path}.rb")
            };
            existing(vec![path])
                .map(|t| (t, name))
                .into_iter()
                .collect()
        }
    }
}

/// Go: the directory of this tree that ends with most of the import path
/// (`example.com/shop/internal/config` → `server/internal/config`); none
/// when two directories match equally well.
fn go_package<'d>(module: &str, dirs: &HashMap<&'d str, Vec<&'d str>>) -> Option<&'d str> {
    let wanted: Vec<&str> = module.rsplit('/').collect();
    let mut best: Option<&str> = None;
    let mut best_score = 0;
    let mut tied = false;
    for &dir in dirs.keys() {
        let score = dir
            .rsplit('/')
            .zip(&wanted)
            .take_while(|(a, b)| a == *b)
            .count();
        if score > best_score {
            (best, best_score, tied) = (Some(dir), score, false);
        } else if score == best_score && score > 0 {
            tied = true;
        }
    }
    if tied {
        None
    } else {
        best
    }
}

/// Python: `module` (dotted, with leading dots when relative) from the
/// importing file's directory and each directory above it; also the
/// imported name's first part as a submodule (`from app import config`
/// then `config.SECRET`).
fn python(
    from_dir: &str,
    module: &str,
    name: &str,
    files: &HashSet<String>,
) -> Vec<(String, String)> {
    let dots = module.len() - module.trim_start_matches('.').len();
    let dotted = module.trim_start_matches('.');
    let bases: Vec<String> = if dots > 0 {
        let mut dir = Some(from_dir.to_owned());
        for _ in 1..dots {
            dir = dir.and_then(|d| join(&d, ".."));
        }
        dir.into_iter().collect()
    } else {
        let mut out = vec![from_dir.to_owned()];
        let mut dir = from_dir;
        while let Some((up, _)) = dir.rsplit_once('/') {
            out.push(up.to_owned());
            dir = up;
        }
        if !from_dir.is_empty() {
            out.push(String::new());
        }
        out
    };
    // The submodule first: `from app import config` names `app/config.py`
    // when there is one, else `config` of `app/__init__.py`.
    let mut choices: Vec<(String, String)> = Vec::new();
    if let Some((first, rest)) = name.split_once('.') {
        choices.push((flow::join_path(dotted, first), rest.to_owned()));
    }
    choices.push((dotted.to_owned(), name.to_owned()));
    for base in &bases {
        for (m, n) in &choices {
            let rel = m.replace('.', "/");
            let Some(path) = join(base, &rel) else {
                continue;
            };
            for candidate in [format!("{path}.py"), format!("{path}/__init__.py")] {
                if files.contains(&candidate) {
                    return vec![(candidate, n.clone())];
                }
            }
        }
    }
    Vec::new()
}
