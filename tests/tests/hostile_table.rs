//! `docs/HOSTILE-TESTS.md` stays true: it has one row for each of the 40
//! hostile cases and each robustness row (R1…), in order, and every test it names exists, as a function, in
//! the file it names — so a renamed or deleted test breaks the build's tests,
//! not the table's promise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::{Path, PathBuf};

/// The number of hostile-input cases (the numbered rows).
const CASES: usize = 40;

/// The robustness rows (R1, R2, …): floods, files and keys.
const ROBUSTNESS_ROWS: usize = 7;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The source file a table path names (`wire/`, `core/`, `smp/`, `tests/`).
fn source(table_path: &str) -> PathBuf {
    let (prefix, rest) = table_path.split_once('/').unwrap();
    let dir = match prefix {
        "wire" => "otr-wire/src",
        "core" => "otr-core/src",
        "smp" => "otr-smp/src",
        "tests" => "tests/tests",
        other => panic!("unknown path prefix {other:?} in {table_path:?}"),
    };
    workspace().join(dir).join(rest)
}

/// The back-quoted tokens of a table cell, in order.
fn quoted(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn every_hostile_case_has_a_row_and_every_named_test_exists() {
    let table = std::fs::read_to_string(workspace().join("docs/HOSTILE-TESTS.md")).unwrap();
    let mut numbers = Vec::new();
    let mut robustness = Vec::new();
    let mut checked = 0;
    for line in table.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        let Some(label) = cells.first().and_then(|c| c.strip_prefix("| ")) else {
            continue;
        };
        let label = label.trim();
        let number = if let Some(r) = label.strip_prefix('R') {
            // The robustness rows R1, R2, … (floods, files, keys).
            let Ok(n) = r.parse::<usize>() else { continue };
            robustness.push(n);
            n
        } else {
            let Ok(n) = label.parse::<usize>() else {
                continue;
            };
            numbers.push(n);
            n
        };
        let tests = cells.last().unwrap().trim_end_matches(" |");
        let mut file: Option<(String, String)> = None;
        for token in quoted(tests) {
            if token.ends_with(".rs") {
                let path = source(token);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("row {number}: {}: {e}", path.display()));
                file = Some((token.to_owned(), text));
            } else {
                assert!(
                    token
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                    "row {number}: {token:?} is not a test name"
                );
                let (name, text) = file
                    .as_ref()
                    .unwrap_or_else(|| panic!("row {number}: {token} names no file first"));
                assert!(
                    text.contains(&format!("fn {token}(")),
                    "row {number}: no test `{token}` in {name}"
                );
                checked += 1;
            }
        }
    }
    assert_eq!(
        numbers,
        (1..=CASES).collect::<Vec<_>>(),
        "one row per case, in order"
    );
    assert_eq!(
        robustness,
        (1..=ROBUSTNESS_ROWS).collect::<Vec<_>>(),
        "robustness rows R1.. in order"
    );
    assert!(checked >= 2 * CASES, "only {checked} test names found");
}
