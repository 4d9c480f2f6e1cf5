//! The module tree of the server says its design: the modules under `src/server` depend on
//! each other without a circle, but for a socket's handle on its namespace (the namespace
//! keeps its sockets, a socket knows its namespace). Read off the sources' paths.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The one pair of modules allowed to know each other.
const PAIR: (&str, &str) = ("namespace", "socket");

fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server")
}

/// Every `.rs` file under `dir`, with its module path below `server` (`client/connect.rs` is
/// `["client", "connect"]`, `client/mod.rs` is `["client"]`).
fn files(dir: &Path, path: &[String], out: &mut Vec<(Vec<String>, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap().path();
        let name = entry.file_stem().unwrap().to_string_lossy().into_owned();
        if entry.is_dir() {
            let mut inner = path.to_vec();
            inner.push(name);
            files(&entry, &inner, out);
        } else if entry.extension().is_some_and(|e| e == "rs") {
            let mut module = path.to_vec();
            if name != "mod" {
                module.push(name);
            }
            out.push((module, fs::read_to_string(&entry).unwrap()));
        }
    }
}

/// The code of a file without its comments (doc links are not dependencies).
fn code(source: &str) -> String {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names a path segment list starts with after `prefix`: `prefix::name` and
/// `prefix::{a, b::c}`.
fn names_after(code: &str, prefix: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let item = item.trim();
                let head: String = item
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    names.push(head);
                }
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(head);
        }
    }
    names
}

/// The top-level modules each top-level module uses.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut sources = Vec::new();
    files(&server_dir(), &[], &mut sources);
    let top: BTreeSet<String> = sources
        .iter()
        .filter_map(|(module, _)| module.first().cloned())
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, source) in &sources {
        let Some(from) = module.first() else { continue };
        let code = code(source);
        let mut used = names_after(&code, "crate::server::");
        // `super::` from a file one level down (`server/x.rs` or `server/x/mod.rs`) names a
        // top-level module; from two levels down, `super::super::` does.
        match module.len() {
            1 => used.extend(names_after(&code, "super::")),
            2 => used.extend(names_after(&code, "super::super::")),
            _ => {}
        }
        for name in used {
            if top.contains(&name) && &name != from {
                graph.entry(from.clone()).or_default().insert(name);
            }
        }
    }
    graph
}

/// Whether `from` reaches `to` through at least one edge.
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(node) = stack.pop() {
        for next in graph.get(&node).into_iter().flatten() {
            if next == to {
                return true;
            }
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    false
}

/// The graph with the pair made one node.
fn contracted(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let one = |name: &str| match name == PAIR.0 || name == PAIR.1 {
        true => format!("{}+{}", PAIR.0, PAIR.1),
        false => name.to_owned(),
    };
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in graph {
        for next in to {
            if one(from) != one(next) {
                out.entry(one(from)).or_default().insert(one(next));
            }
        }
    }
    out
}

#[test]
fn no_module_of_the_server_depends_on_itself_but_through_the_socket_namespace_pair() {
    let graph = graph();
    assert!(graph.len() >= 7, "the modules were read: {graph:?}");
    // The pair knows each other, which is the one circle allowed...
    assert!(graph[PAIR.1].contains(PAIR.0) && graph[PAIR.0].contains(PAIR.1));
    // ...and no other: with the pair made one node, nothing comes back to itself.
    let contracted = contracted(&graph);
    for module in contracted.keys() {
        assert!(
            !reaches(&contracted, module, module),
            "{module} depends on itself: {graph:#?}"
        );
    }
    // The leaves know no other module of the server.
    for leaf in ["error", "reason", "handshake", "callback"] {
        assert!(
            graph.get(leaf).is_none_or(BTreeSet::is_empty),
            "{leaf}: {:?}",
            graph.get(leaf)
        );
    }
}
