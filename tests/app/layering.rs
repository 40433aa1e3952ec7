//! The layering of ARCHITECTURE.md, checked on the source: every `crate::x` path in a
//! module under `src/` must name a module that the table below lets it use. A new arrow
//! that runs back up (or sideways between the front doors) fails here with the file and
//! line that draws it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Which top-level modules each module may use, besides itself. Keep in step with
/// ARCHITECTURE.md ("Layers").
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("entities", &["domain"]),
    ("error", &["domain"]),
    ("config", &["domain", "error"]),
    ("crypto", &["domain", "error"]),
    ("telemetry", &["config", "error"]),
    (
        "store",
        &["domain", "entities", "error", "config", "crypto"],
    ),
    ("mail", &["domain", "entities", "error", "config", "store"]),
    ("export", &["domain", "error"]),
    (
        "views",
        &["domain", "entities", "error", "config", "crypto", "store"],
    ),
    (
        "services",
        &[
            "domain", "entities", "error", "config", "crypto", "store", "mail", "export",
        ],
    ),
    (
        "auth",
        &["domain", "error", "config", "crypto", "store", "services"],
    ),
    ("security", &["domain", "error", "config", "telemetry"]),
    (
        "api",
        &[
            "domain",
            "error",
            "config",
            "crypto",
            "telemetry",
            "export",
            "views",
            "services",
            "auth",
            "security",
        ],
    ),
    (
        "web",
        &[
            "domain",
            "error",
            "config",
            "crypto",
            "telemetry",
            "export",
            "views",
            "services",
            "auth",
            "security",
        ],
    ),
];

/// Modules that assemble everything and may use any module.
const ROOTS: &[&str] = &["lib", "main"];

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/store/db.rs` → `store`, `src/error.rs` →
/// `error`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("file under src/");
    let first = relative.components().next().expect("a path component");
    let name = first.as_os_str().to_string_lossy().to_string();
    name.strip_suffix(".rs").unwrap_or(&name).to_string()
}

/// The line without a trailing `//` comment (string literals containing `//` are rare in
/// paths and only make this stricter).
fn code_of(line: &str) -> &str {
    match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Every module named right after `crate::` in the text: `crate::store::x` and each
/// top-level member of `crate::{store::x, views::{a, b}}`.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    // Join lines so that a grouped `use crate::{…}` across lines is read whole, keeping
    // each character's line number.
    let mut chars: Vec<(usize, char)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = code_of(line);
        if code.trim_start().starts_with("//!") || code.trim_start().starts_with("///") {
            continue;
        }
        chars.extend(code.chars().map(|c| (number + 1, c)));
        chars.push((number + 1, '\n'));
    }
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut i = 0;
    while i + 7 <= chars.len() {
        let window: String = chars[i..i + 7].iter().map(|(_, c)| *c).collect();
        let starts_word = i == 0 || !is_ident(chars[i - 1].1);
        if window != "crate::" || !starts_word {
            i += 1;
            continue;
        }
        let line = chars[i].0;
        let mut j = i + 7;
        if j < chars.len() && chars[j].1 == '{' {
            // A group: collect the first segment of each member at depth 1.
            let mut depth = 0;
            let mut segment = String::new();
            let mut at_member_start = true;
            while j < chars.len() {
                let c = chars[j].1;
                match c {
                    '{' => {
                        depth += 1;
                        if depth > 1 {
                            at_member_start = false;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => {
                        if !segment.is_empty() {
                            found.push((line, std::mem::take(&mut segment)));
                        }
                        at_member_start = true;
                    }
                    _ if depth == 1 && at_member_start && is_ident(c) => segment.push(c),
                    _ if depth == 1 && at_member_start && !segment.is_empty() => {
                        found.push((line, std::mem::take(&mut segment)));
                        at_member_start = false;
                    }
                    _ => {}
                }
                j += 1;
            }
            if !segment.is_empty() {
                found.push((line, segment));
            }
        } else {
            let mut name = String::new();
            while j < chars.len() && is_ident(chars[j].1) {
                name.push(chars[j].1);
                j += 1;
            }
            if !name.is_empty() {
                found.push((line, name));
            }
        }
        i = j.max(i + 1);
    }
    found
}

#[test]
fn the_paths_parser_reads_single_and_grouped_imports() {
    let text = "use crate::store::db;\nuse crate::{views::{a, b}, services,\n    error::AppError};\n// crate::web in a comment\nlet x = crate::domain::money::Money::ZERO;\n";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(
        names,
        vec!["store", "views", "services", "error", "domain"],
        "every module after crate:: is found, comments are not"
    );
}

#[test]
fn the_allowed_arrows_form_no_cycle() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    // Depth-first search for a cycle in the allowed graph.
    fn visit<'a>(
        node: &'a str,
        allowed: &BTreeMap<&'a str, &'a [&'a str]>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(node) {
            return;
        }
        assert!(
            !path.contains(&node),
            "ARCHITECTURE.md's layers have a cycle: {} -> {node}",
            path.join(" -> ")
        );
        path.push(node);
        for next in allowed.get(node).copied().unwrap_or(&[]) {
            visit(next, allowed, path, done);
        }
        path.pop();
        done.insert(node);
    }
    let mut done = BTreeSet::new();
    for node in allowed.keys() {
        visit(node, &allowed, &mut Vec::new(), &mut done);
    }
}

#[test]
fn no_module_uses_one_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(module, uses)| (*module, uses.iter().copied().collect()))
        .collect();
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let Some(may_use) = allowed.get(module.as_str()) else {
            violations.push(format!(
                "{}: module `{module}` is not in the layering table (tests/app/layering.rs, ARCHITECTURE.md)",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("source file is readable");
        for (line, used) in crate_paths(&text) {
            if used != module && !may_use.contains(used.as_str()) {
                violations.push(format!(
                    "{}:{line}: `{module}` uses `crate::{used}`",
                    file.strip_prefix(&src).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(
        violations.is_empty(),
        "arrows against the layering of ARCHITECTURE.md:\n{}",
        violations.join("\n")
    );
}
