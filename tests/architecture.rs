//! The layering of docs/architecture.md, checked on the source: every `use crate::…` (and
//! `super::…`) between files of `src/` points down the layers, and no files import each other
//! in a cycle. A change that adds an upward import fails here with the file and the import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules by layer, bottom first (docs/architecture.md). A module may import from
/// its own layer only where the table lists it earlier in that layer.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "printable",
            "url_rule",
            "input",
            "fsutil",
            "runtime",
            "x509",
            "saml",
        ],
    ),
    (
        "core",
        &["record", "state", "desired", "reconcile", "user_profile"],
    ),
    (
        "ports and adapters",
        &["http", "metadata_source", "target", "keycloak", "config"],
    ),
    (
        "features",
        &[
            "pipeline", "certs", "review", "export", "scaffold", "import", "verify",
        ],
    ),
    ("shell", &["logging", "error", "commands", "cli", "main"]),
];

/// The core never talks to Keycloak, HTTP or the command line.
const CORE: &[&str] = &["record", "state", "desired", "reconcile", "user_profile"];
const NOT_FOR_CORE: &[&str] = &["commands", "cli", "keycloak", "http", "config", "target"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Module path of a file: `record/load.rs` → [record, load]; `record/mod.rs` → [record].
fn module_of(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] {
        parts.clear();
    }
    parts
}

fn files() -> BTreeMap<Vec<String>, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<Vec<String>, PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).unwrap().to_owned();
                out.insert(module_of(&relative), relative);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&src(), &src(), &mut out);
    out
}

/// The source without comments and diagnostic codes (`code(fedctl::usage)` is no import).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("code(fedctl::", "code(")
}

/// Every path `crate::a::b…`, `super::…`, `self::…` (and `fedctl::…` in main.rs) written in
/// `text`, with `use x::{a, b}` groups expanded one level.
fn paths_in(text: &str) -> Vec<Vec<String>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for head in ["crate::", "super::", "self::", "fedctl::"] {
        let mut from = 0;
        while let Some(at) = text[from..].find(head).map(|i| i + from) {
            from = at + head.len();
            let starts_word = at == 0
                || !(bytes[at - 1].is_ascii_alphanumeric()
                    || bytes[at - 1] == b'_'
                    || bytes[at - 1] == b':');
            if !starts_word {
                continue;
            }
            let rest = &text[at..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            let path: Vec<String> = rest[..end]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if rest[end..].starts_with('{') {
                let group_end = rest[end..].find('}').map_or(rest.len(), |i| end + i);
                for item in rest[end + 1..group_end].split(',') {
                    let first = item.trim().split("::").next().unwrap_or("").trim();
                    if !first.is_empty() {
                        let mut expanded = path.clone();
                        expanded.push(first.to_owned());
                        found.push(expanded);
                    }
                }
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// The module a path written in `module` refers to.
fn absolute(path: &[String], module: &[String]) -> Vec<String> {
    let (head, tail) = path.split_first().unwrap();
    let mut base: Vec<String> = match head.as_str() {
        "crate" | "fedctl" => Vec::new(),
        "self" => module.to_vec(),
        _ => {
            // `super` is the parent of the module the file is (a directory's mod.rs is the
            // directory's module, so the same rule holds).
            let mut base = module.to_vec();
            base.pop();
            base
        }
    };
    let mut rest = tail;
    while let Some(("super", more)) = rest.split_first().map(|(s, m)| (s.as_str(), m)) {
        base.pop();
        rest = more;
    }
    base.extend(rest.iter().cloned());
    base
}

/// File-level import graph: file → files it imports from (a module's own submodules aside:
/// declaring a child is not importing it).
fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let files = files();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for (module, file) in &files {
        let text = std::fs::read_to_string(src().join(file)).unwrap();
        let is_main = file == Path::new("main.rs");
        let own = if is_main { Vec::new() } else { module.clone() };
        let targets = edges.entry(file.clone()).or_default();
        for path in paths_in(&code_of(&text)) {
            if is_main && path[0] == "crate" {
                continue;
            }
            if !is_main && path[0] == "fedctl" {
                continue;
            }
            let wanted = absolute(&path, &own);
            let target = (1..=wanted.len())
                .rev()
                .find_map(|n| files.get(&wanted[..n]).map(|f| (n, f)));
            if let Some((n, target)) = target {
                // main.rs is the binary's root: everything it names is the library's.
                let child = !is_main && n > own.len() && wanted[..own.len()] == own[..];
                if target != file && !child {
                    targets.insert(target.clone());
                }
            }
        }
    }
    edges
}

fn top_module(file: &Path) -> String {
    match module_of(file).first() {
        Some(top) => top.clone(),
        None => "main".to_owned(),
    }
}

fn rank(module: &str) -> Option<(usize, usize)> {
    LAYERS.iter().enumerate().find_map(|(layer, (_, modules))| {
        modules
            .iter()
            .position(|m| *m == module)
            .map(|position| (layer, position))
    })
}

#[test]
fn every_top_level_module_has_a_layer() {
    let unplaced: BTreeSet<String> = files()
        .values()
        .map(|file| top_module(file))
        .filter(|module| module != "lib" && rank(module).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "add these modules to LAYERS here and to docs/architecture.md: {unplaced:?}"
    );
}

#[test]
fn imports_point_down_the_layers() {
    let mut upward = Vec::new();
    for (file, targets) in graph() {
        let from = top_module(&file);
        let Some(from_rank) = rank(&from) else {
            continue;
        };
        for target in targets {
            let to = top_module(&target);
            if to == from || to == "lib" {
                continue;
            }
            let to_rank = rank(&to).unwrap_or((usize::MAX, 0));
            if to_rank >= from_rank {
                upward.push(format!("{} imports {}", file.display(), target.display()));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that point up or sideways:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_core_knows_no_keycloak_http_or_command_line() {
    let mut found = Vec::new();
    for (file, targets) in graph() {
        if !CORE.contains(&top_module(&file).as_str()) {
            continue;
        }
        for target in targets {
            if NOT_FOR_CORE.contains(&top_module(&target).as_str()) {
                found.push(format!("{} imports {}", file.display(), target.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn no_files_import_each_other_in_a_cycle() {
    let edges = graph();
    // Depth-first search; a back edge closes a cycle, reported as the files on it.
    fn visit(
        file: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, bool>,
        stack: &mut Vec<PathBuf>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(file.clone(), false);
        stack.push(file.clone());
        for next in edges.get(file).into_iter().flatten() {
            match state.get(next) {
                None => visit(next, edges, state, stack, cycles),
                Some(false) => {
                    let start = stack.iter().position(|f| f == next).unwrap();
                    let names: Vec<String> = stack[start..]
                        .iter()
                        .map(|f| f.display().to_string())
                        .collect();
                    cycles.push(format!("{} -> {}", names.join(" -> "), next.display()));
                }
                Some(true) => {}
            }
        }
        stack.pop();
        state.insert(file.clone(), true);
    }
    let mut state = BTreeMap::new();
    let mut cycles = Vec::new();
    for file in edges.keys() {
        if !state.contains_key(file) {
            visit(file, &edges, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_graph_sees_imports() {
    // The checks above mean something only if imports are found at all.
    let edges = graph();
    let load = &edges[Path::new("record/load.rs")];
    assert!(load.contains(Path::new("record/validate.rs")), "{load:?}");
    let apply = &edges[Path::new("commands/apply.rs")];
    assert!(apply.contains(Path::new("pipeline/apply.rs")), "{apply:?}");
}
