//! The domain's modules depend on each other in one direction only. A ring (a report
//! needing priority, priority needing workflow, workflow needing the report) means none of
//! them can be read, tested or moved without the others; shared pieces belong in a module
//! that needs none of them (report_state, severity, limits).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file of a module: `name.rs` and whatever lies in the folder `name/`.
fn files_of(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = Some(src.join(format!("{module}.rs")))
        .filter(|file| file.is_file())
        .into_iter()
        .collect();
    let mut folders = vec![src.join(module)];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("folder entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files
}

/// Each top-level module and the other top-level modules its code names as `crate::…`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    // `name.rs`, or a folder `name/` with a `mod.rs`.
    let modules: BTreeSet<String> = fs::read_dir(&src)
        .expect("src folder")
        .map(|entry| entry.expect("src entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "rs") || path.join("mod.rs").is_file())
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .filter(|name| name != "lib")
        .collect();
    modules
        .iter()
        .map(|module| {
            let mut needs = BTreeSet::new();
            for file in files_of(&src, module) {
                let text = fs::read_to_string(&file).expect("module source");
                for (at, _) in text.match_indices("crate::") {
                    let name: String = text[at + "crate::".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if &name != module && modules.contains(&name) {
                        needs.insert(name);
                    }
                }
            }
            (module.clone(), needs)
        })
        .collect()
}

/// A ring of modules, first module repeated at the end, if there is one.
fn find_ring(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == module) {
            let mut ring = path[start..].to_vec();
            ring.push(module.to_owned());
            return Some(ring);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in &graph[module] {
            if let Some(ring) = visit(next, graph, path, done) {
                return Some(ring);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_needs_itself_through_others() {
    let graph = module_graph();
    assert!(graph["report"].contains("draft"), "the graph is read");
    if let Some(ring) = find_ring(&graph) {
        panic!("the modules form a ring: {}", ring.join(" → "));
    }
}

#[test]
fn a_ring_is_found() {
    let ring: BTreeMap<String, BTreeSet<String>> = [
        ("report", "priority"),
        ("priority", "workflow"),
        ("workflow", "report"),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
    .collect();
    assert_eq!(
        find_ring(&ring),
        Some(
            ["priority", "workflow", "report", "priority"]
                .map(str::to_owned)
                .to_vec()
        )
    );
}
