//! The house keeps its shape: dependencies between the rooms of `src/` point the way
//! `src/lib.rs`'s map says, and this test fails on the first arrow that does not.
//!
//! It reads every `.rs` file under `src/`, drops comments, and collects what each file names:
//! the rooms it reaches with `crate::…` (in `use` lines and inline paths alike), the crates it
//! uses, and the SQL in its string literals. A new top-level module fails the test until it is
//! given its rules here (and in `src/lib.rs`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// One room of the house and the rooms it may reach. Reaching into itself is always allowed.
struct Room {
    name: &'static str,
    may_use: &'static [&'static str],
    /// Crates this room must not name: transports and wire formats.
    forbidden_crates: &'static [&'static str],
}

/// What carries bytes or wire formats: none of it belongs in the core.
const WIRE_CRATES: &[&str] = &[
    "axum",
    "tonic",
    "tonic_health",
    "tonic_reflection",
    "prost",
    "prost_types",
    "reqwest",
    "hyper",
    "tower",
    "tower_http",
    "quick_xml",
    "form_urlencoded",
];

/// The rules, as `src/lib.rs` lists them:
/// - the core is the ground floor: it reaches nothing outside itself and names no wire crate;
/// - each provider's vocabulary stands on the core alone;
/// - webhook delivery stands on the core and the vocabularies;
/// - facades (Twilio, WhatsApp, the control plane, the dashboard) stand side by side on the core and the
///   vocabularies, never on each other, on delivery or on the wiring;
/// - the generated protobuf code stands alone; the CLI is a client of it;
/// - the server is the composition root and may reach every room.
const ROOMS: &[Room] = &[
    Room {
        name: "core",
        may_use: &[],
        forbidden_crates: WIRE_CRATES,
    },
    Room {
        name: "providers",
        may_use: &["core"],
        forbidden_crates: &["axum", "tonic", "reqwest", "hyper"],
    },
    Room {
        name: "webhooks",
        may_use: &["core", "providers"],
        forbidden_crates: &["axum", "tonic"],
    },
    Room {
        name: "twilio",
        may_use: &["core", "providers"],
        forbidden_crates: &["tonic", "reqwest"],
    },
    Room {
        name: "whatsapp",
        may_use: &["core", "providers"],
        forbidden_crates: &["tonic", "reqwest"],
    },
    Room {
        name: "control",
        may_use: &["core", "providers", "proto"],
        forbidden_crates: &["reqwest"],
    },
    Room {
        name: "dashboard",
        may_use: &["core", "providers"],
        forbidden_crates: &["tonic", "reqwest"],
    },
    Room {
        name: "proto",
        may_use: &[],
        forbidden_crates: &[],
    },
    Room {
        name: "cli",
        may_use: &["core", "providers", "config", "proto"],
        forbidden_crates: &[],
    },
    Room {
        name: "config",
        may_use: &["core"],
        forbidden_crates: WIRE_CRATES,
    },
    Room {
        name: "server",
        may_use: &[
            "core",
            "providers",
            "webhooks",
            "twilio",
            "whatsapp",
            "control",
            "dashboard",
            "proto",
            "config",
        ],
        forbidden_crates: &[],
    },
];

/// Files that are not a room: the map and the binary (which uses the library by its name).
const OUTSIDE_THE_ROOMS: &[&str] = &["lib.rs", "main.rs"];

/// The store's own folder: the only place that speaks SQL.
const STORE: &str = "core/store/";

#[test]
fn every_dependency_points_the_way_the_map_says() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    let mut files = 0;
    for path in rust_files(&src) {
        let relative = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if OUTSIDE_THE_ROOMS.contains(&relative.as_str()) {
            continue;
        }
        let source = std::fs::read_to_string(&path).unwrap();
        violations.extend(check_file(&relative, &source));
        files += 1;
    }
    assert!(
        files > 20,
        "read only {files} files under {}",
        src.display()
    );
    assert!(
        violations.is_empty(),
        "the house has {} forbidden arrow(s):\n  {}",
        violations.len(),
        violations.join("\n  ")
    );
}

/// Everything wrong with one file, `relative` to `src/`, as sentences.
fn check_file(relative: &str, source: &str) -> Vec<String> {
    let room_name = relative
        .split('/')
        .next()
        .unwrap_or_default()
        .trim_end_matches(".rs");
    let Some(room) = ROOMS.iter().find(|room| room.name == room_name) else {
        return vec![format!(
            "src/{relative}: room `{room_name}` has no rules; add it to ROOMS in tests/integration/architecture.rs and to src/lib.rs's map"
        )];
    };
    let code = Code::read(source);
    let mut violations = Vec::new();
    for used in code.rooms_reached() {
        if used != room.name && !room.may_use.contains(&used.as_str()) {
            violations.push(format!(
                "src/{relative}: `{}` reaches `crate::{used}`, which it may not (allowed: {})",
                room.name,
                if room.may_use.is_empty() {
                    "nothing outside itself".to_owned()
                } else {
                    room.may_use.join(", ")
                }
            ));
        }
    }
    for krate in room.forbidden_crates {
        if code.names_crate(krate) {
            violations.push(format!(
                "src/{relative}: `{}` names the crate `{krate}`, a transport or wire format it must not know",
                room.name
            ));
        }
    }
    if !relative.starts_with(STORE) {
        if code.names_crate("rusqlite") {
            violations.push(format!(
                "src/{relative}: names `rusqlite`; only {STORE} talks to the database"
            ));
        }
        if let Some(sql) = code.strings.iter().find(|text| is_sql(text)) {
            violations.push(format!(
                "src/{relative}: holds SQL ({:?}); only {STORE} writes SQL",
                sql.chars().take(60).collect::<String>()
            ));
        }
    }
    violations
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

fn is_sql(text: &str) -> bool {
    let pattern = regex::Regex::new(
        r"\b(SELECT\s[\s\S]*\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|DELETE\s+FROM|UPDATE\s+\w+\s+SET|CREATE\s+(TABLE|INDEX))\b",
    )
    .unwrap();
    pattern.is_match(text)
}

/// A source file with its comments taken out and its string literals set aside, so that a
/// path in a comment or a string never counts as a dependency.
struct Code {
    tokens: String,
    strings: Vec<String>,
}

impl Code {
    fn read(source: &str) -> Self {
        let chars: Vec<char> = source.chars().collect();
        let (mut tokens, mut strings) = (String::new(), Vec::new());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            if c == '/' && next == Some('/') {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            } else if c == '/' && next == Some('*') {
                let mut depth = 0;
                while i < chars.len() {
                    if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                        depth += 1;
                        i += 2;
                    } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            } else if let Some((text, end)) = raw_string(&chars, i) {
                strings.push(text);
                tokens.push_str("\"\"");
                i = end;
            } else if c == '"' {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    if let Some(&ch) = chars.get(i) {
                        text.push(ch);
                    }
                    i += 1;
                }
                strings.push(text);
                tokens.push_str("\"\"");
                i += 1;
            } else if c == '\'' && is_char_literal(&chars, i) {
                // A char literal ('"' would otherwise open a string); lifetimes stay.
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            } else {
                tokens.push(c);
                i += 1;
            }
        }
        Code { tokens, strings }
    }

    /// The top-level modules named after `crate::`, in paths and in `use crate::{a, b::c}`
    /// groups.
    fn rooms_reached(&self) -> BTreeSet<String> {
        let mut rooms = BTreeSet::new();
        let text = self.tokens.as_str();
        let mut rest = text;
        while let Some(at) = rest.find("crate") {
            let before = text[..text.len() - rest.len() + at].chars().next_back();
            let after = &rest[at + "crate".len()..];
            rest = after;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            let Some(path) = after.trim_start().strip_prefix("::") else {
                continue;
            };
            let path = path.trim_start();
            if let Some(group) = path.strip_prefix('{') {
                for item in top_level_items(group) {
                    if let Some(name) = leading_identifier(item) {
                        rooms.insert(name);
                    }
                }
            } else if let Some(name) = leading_identifier(path) {
                rooms.insert(name);
            }
        }
        // `crate` itself is not a room (`use crate::{self}` does not occur in this code).
        rooms.remove("self");
        rooms
    }

    /// Whether the code names `krate` as a path's first segment (`krate::…`, `use krate`).
    fn names_crate(&self, krate: &str) -> bool {
        let text = self.tokens.as_str();
        text.match_indices(krate).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = &text[at + krate.len()..];
            let starts_path = before.is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == ':'));
            let continues_path = after.trim_start().starts_with("::");
            // `use krate;` and `use krate as name;` name the crate without a `::`.
            let rest = after.trim_start();
            let is_use = text[..at].trim_end().ends_with("use")
                && (rest.starts_with(';') || rest.starts_with("as "));
            starts_path && (continues_path || is_use)
        })
    }
}

/// `r"…"` or `r#"…"#` starting at `i` (and `br…`): its text and the index after it.
fn raw_string(chars: &[char], i: usize) -> Option<(String, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    if i > 0
        && chars
            .get(i - 1)
            .is_some_and(|c| c.is_alphanumeric() || *c == '_')
    {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    if chars.get(j) != Some(&'"') {
        return None;
    }
    j += 1;
    let start = j;
    loop {
        if j >= chars.len() {
            return Some((chars[start..].iter().collect(), j));
        }
        if chars[j] == '"' && (1..=hashes).all(|k| chars.get(j + k) == Some(&'#')) {
            return Some((chars[start..j].iter().collect(), j + 1 + hashes));
        }
        j += 1;
    }
}

/// Whether the `'` at `i` opens a char literal rather than a lifetime or label.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    matches!(
        (chars.get(i + 1), chars.get(i + 2)),
        (Some('\\'), _) | (Some(_), Some('\''))
    )
}

/// The comma-separated items of a `{…}` group (the text after its `{`), at its own depth.
fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (at, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..at]);
                return items;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..at]);
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

fn leading_identifier(text: &str) -> Option<String> {
    let name: String = text
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[test]
fn the_checker_sees_every_way_of_writing_a_forbidden_arrow() {
    let facade_reaching_the_server = "use crate::server::AppState;\n";
    assert_eq!(
        check_file("twilio/messages.rs", facade_reaching_the_server),
        vec![
            "src/twilio/messages.rs: `twilio` reaches `crate::server`, which it may not (allowed: core, providers)"
        ]
    );
    let grouped = "use crate::{core::Core, whatsapp::error::GraphError};";
    assert_eq!(check_file("twilio/error.rs", grouped).len(), 1);
    let inline = "fn f() { let _ = crate::webhooks::encode_form(&[]); }";
    assert_eq!(check_file("twilio/resources.rs", inline).len(), 1);
    let core_on_the_wire = "use axum::Router;\nuse crate::webhooks::WebhookClient;";
    assert_eq!(check_file("core/mod.rs", core_on_the_wire).len(), 2);
    assert_eq!(check_file("core/text.rs", "use reqwest;").len(), 1);
    assert_eq!(check_file("core/text.rs", "use reqwest as http;").len(), 1);
    let sql_outside_the_store = r#"const Q: &str = "SELECT COUNT(*) FROM messages";"#;
    assert_eq!(check_file("twilio/seed.rs", sql_outside_the_store).len(), 1);
    assert_eq!(
        check_file("simulator/mod.rs", "").len(),
        1,
        "a new room needs its rules"
    );
    let dashboard_on_a_facade = "use crate::twilio::TwilioState;";
    assert_eq!(
        check_file("dashboard/pages.rs", dashboard_on_a_facade).len(),
        1
    );

    let harmless = r#"
        // use crate::server::AppState; (a comment)
        /* crate::webhooks in a block comment */
        const DOC: &str = "crate::control and axum::Router, in a string";
        fn f<'a>(x: &'a str) -> char { let _ = '"'; 'x' }
        use super::error::TwilioError;
        use crate::core::Core;
    "#;
    assert_eq!(
        check_file("twilio/messages.rs", harmless),
        Vec::<String>::new()
    );
    assert_eq!(
        check_file("core/store/messages.rs", sql_outside_the_store),
        Vec::<String>::new()
    );
}
