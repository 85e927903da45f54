//! The layer map of `docs/ARCHITECTURE.md`, held against the code: no module imports from a
//! layer above its own, and no two source files import each other through any chain (a
//! circle). Read from the source text (`crate::…`, `super::…`, `self::…` paths and `use`
//! groups), so a new upward import or circle fails here before it lands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules of `src/`, lowest layer first. A module may import from its own layer
/// and the layers below it only.
const LAYERS: &[(&str, &[&str])] = &[
    ("foundation", &["domain", "metrics", "logging"]),
    ("storage and tokens", &["store", "token", "mail"]),
    ("configuration", &["config"]),
    (
        "authentication and use cases",
        &[
            "client_auth",
            "service",
            "revoked_tokens",
            "last_used",
            "status_lists",
        ],
    ),
    ("HTTP", &["http"]),
    (
        "assembly",
        &[
            "jobs",
            "app",
            "healthcheck",
            "admin_cli",
            "keys_cli",
            "database_cli",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's module path: `src/service/audit.rs` → `["service", "audit"]`,
/// `src/service/mod.rs` → `["service"]`, `src/lib.rs` → `[]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Drops comments and string literals, so prose that names a path is not an import.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let mut in_string = false;
        let mut prev = ' ';
        for c in line.chars() {
            if c == '"' && prev != '\\' {
                in_string = !in_string;
            } else if !in_string {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

/// Every path a file names: `use` trees expanded, plus inline `crate::a::b` / `super::a`.
fn named_paths(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let mut i = 0;
    while i < bytes.len() {
        let rest: String = bytes[i..bytes.len().min(i + 6)].iter().collect();
        let boundary = i == 0 || !(bytes[i - 1].is_alphanumeric() || bytes[i - 1] == '_');
        if boundary
            && (rest.starts_with("crate:")
                || rest.starts_with("super:")
                || rest.starts_with("self::"))
        {
            let (tree, end) = take_tree(&bytes, i);
            expand(&tree, Vec::new(), &mut paths);
            i = end;
        } else {
            i += 1;
        }
    }
    paths
}

/// The path tree starting at `i`: segments joined by `::`, possibly ending in a `{…}` group.
fn take_tree(chars: &[char], mut i: usize) -> (String, usize) {
    let start = i;
    let mut depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            c if depth == 0 && !(c.is_alphanumeric() || c == '_' || c == ':') => break,
            _ => {}
        }
        i += 1;
    }
    (chars[start..i].iter().collect(), i)
}

fn expand(tree: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head: Vec<String> = segments(&tree[..open]);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut base = prefix;
        base.extend(head);
        let mut depth = 0;
        let mut from = 0;
        for (at, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[from..at], base.clone(), out);
                    from = at + 1;
                }
                _ => {}
            }
        }
        expand(&inner[from..], base, out);
    } else {
        let mut path = prefix;
        path.extend(segments(tree.split(" as ").next().unwrap_or_default()));
        if !path.is_empty() {
            out.push(path);
        }
    }
}

fn segments(s: &str) -> Vec<String> {
    s.split("::")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The source file a path (relative to `from`'s module) lands in: its longest prefix that is
/// a module of the crate.
fn resolve(
    from: &[String],
    path: &[String],
    modules: &BTreeSet<Vec<String>>,
) -> Option<Vec<String>> {
    let mut base: Vec<String> = Vec::new();
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => rest = &path[1..],
        Some("self") => {
            base = from.to_vec();
            rest = &path[1..];
        }
        Some("super") => {
            base = from.to_vec();
            while rest.first().map(String::as_str) == Some("super") {
                base.pop();
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    let mut best = base.clone();
    for segment in rest {
        let mut next = best.clone();
        next.push(segment.clone());
        if modules.contains(&next) {
            best = next;
        } else {
            break;
        }
    }
    Some(best)
}

/// File → files it imports, without a module's edges into its own children (declaring and
/// re-exporting them is ownership, not dependence) and without `lib.rs`.
fn import_graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files.retain(|f| !f.ends_with("main.rs") || f.parent() != Some(&src()));
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let text = std::fs::read_to_string(file).expect("a readable source file");
        let mut targets = BTreeSet::new();
        for path in named_paths(&code_only(&text)) {
            if let Some(to) = resolve(&from, &path, &modules)
                && !to.is_empty()
                && to != from
                && !to.starts_with(&from)
            {
                targets.insert(to);
            }
        }
        graph.insert(from, targets);
    }
    graph
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let mut upward = Vec::new();
    for (from, targets) in import_graph() {
        let Some(top) = from.first() else { continue };
        let from_layer = layer_of(top).unwrap_or_else(|| {
            panic!("src/{top} is in no layer: add it to LAYERS and docs/ARCHITECTURE.md")
        });
        for to in targets {
            let to_layer = layer_of(&to[0]).expect("every top-level module has a layer");
            if to_layer > from_layer {
                upward.push(format!(
                    "{} ({}) imports {} ({})",
                    from.join("::"),
                    LAYERS[from_layer].0,
                    to.join("::"),
                    LAYERS[to_layer].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run up the layer map:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_source_files_import_each_other_in_a_circle() {
    let graph = import_graph();
    // Tarjan's strongly connected components: any with two or more files is a circle.
    struct State<'g> {
        graph: &'g BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'g [String], usize>,
        low: BTreeMap<&'g [String], usize>,
        stack: Vec<&'g [String]>,
        on_stack: BTreeSet<&'g [String]>,
        circles: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g [String]) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_slice();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.circles.push(component);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        circles: Vec::new(),
    };
    for v in graph.keys() {
        if !state.index.contains_key(v.as_slice()) {
            visit(&mut state, v);
        }
    }
    assert!(
        state.circles.is_empty(),
        "source files that import each other (directly or through others):\n{:#?}",
        state.circles
    );
}

#[test]
fn the_layer_reader_sees_a_circle_and_an_upward_import() {
    // The reader itself, on a made-up pair: if it missed these, the tests above would pass
    // for nothing.
    let code = code_only(
        "use super::{Principal, ServiceError, audit};\nuse crate::http::{self, x::Y};\n\
         // use crate::app;\nlet s = \"crate::jobs\"; crate::store::now();",
    );
    let paths: Vec<String> = named_paths(&code).iter().map(|p| p.join("::")).collect();
    assert_eq!(
        paths,
        [
            "super::Principal",
            "super::ServiceError",
            "super::audit",
            "crate::http::self",
            "crate::http::x::Y",
            "crate::store::now"
        ]
    );
}
