//! `aequo audit --sql` (features `sql`, `ballista`): the query's audit is the file's audit.
//! CI runs these with `--no-default-features --features ballista` (see `.ci/run`).

use serde_json::Value as Json;

use crate::{aequo, text};

/// A small table with every kind of group, written as CSV.
fn table(dir: &std::path::Path) -> std::path::PathBuf {
    let mut s = String::from("sex,race,y,p\n");
    for i in 0..600u32 {
        let sex = ["f", "m"][(i % 7 % 2) as usize];
        let race = ["a", "b", "c"][(i * 5 % 11 % 3) as usize];
        let y = u32::from(i % 3 == 0);
        let p = u32::from((i * 7) % 5 < 2);
        s += &format!("{sex},{race},{y},{p}\n");
    }
    let path = dir.join("t.csv");
    std::fs::write(&path, s).unwrap();
    path
}

fn audit(args: &[&str]) -> Json {
    let mut all = vec!["audit"];
    all.extend_from_slice(args);
    all.extend_from_slice(&[
        "--label",
        "y",
        "--pred",
        "p",
        "--sensitive",
        "sex,race",
        "--format",
        "json",
        "--boot",
        "200",
        "--seed",
        "3",
        "-q",
    ]);
    let out = aequo(&all);
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{args:?}: {stderr}");
    serde_json::from_str(&stdout).unwrap()
}

/// `aequo audit --sql QUERY --table TABLE` by sex, which must fail: its standard error.
fn failed(query: &str, table_arg: &str) -> String {
    let out = aequo(&[
        "audit",
        "--sql",
        query,
        "--table",
        table_arg,
        "--label",
        "y",
        "--pred",
        "p",
        "--sensitive",
        "sex",
    ]);
    assert!(!out.status.success(), "{query}");
    text(&out).1
}

/// Everything but the input's description (which names the query instead of the file).
fn same_numbers(a: &Json, b: &Json) {
    for key in ["overall", "groupings", "criteria", "tests"] {
        assert_eq!(a[key], b[key], "{key}");
    }
}

#[test]
fn a_query_is_audited_like_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(dir.path());
    let file = audit(&[t.to_str().unwrap()]);
    let table_arg = format!("t={}", t.display());
    let sql = audit(&["--sql", "SELECT * FROM t", "--table", &table_arg]);
    same_numbers(&file, &sql);
    assert_eq!(file["overall"]["rows"], 600);
    // A filter in SQL is the filtered file.
    let women = audit(&[
        "--sql",
        "SELECT * FROM t WHERE sex = 'f'",
        "--table",
        &table_arg,
    ]);
    let f_rows = file["groupings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["attributes"] == serde_json::json!(["sex"]))
        .unwrap()["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == serde_json::json!(["f"]))
        .unwrap()["rows"]
        .clone();
    assert_eq!(women["overall"]["rows"], f_rows);
}

#[cfg(feature = "ballista")]
#[test]
fn ballista_standalone_gives_the_same_audit() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(dir.path());
    let file = audit(&[t.to_str().unwrap()]);
    let table_arg = format!("t={}", t.display());
    let b = audit(&[
        "--sql",
        "SELECT * FROM t",
        "--table",
        &table_arg,
        "--cluster",
        "standalone",
    ]);
    same_numbers(&file, &b);
}

#[test]
fn statements_that_change_data_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = table(dir.path());
    let table_arg = format!("t={}", t.display());
    for q in ["DROP TABLE t", "INSERT INTO t VALUES ('f','a',1,1)"] {
        let stderr = failed(q, &table_arg);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let e = stderr.to_lowercase();
        assert!(
            e.contains("not supported") || e.contains("refuse") || e.contains("only select"),
            "{q}: {stderr}"
        );
        eprintln!("{q}: {}", stderr.trim());
    }
    // A missing table names itself.
    let stderr = failed("SELECT * FROM t", "t=/nonexistent/x.csv");
    assert!(stderr.contains("/nonexistent/x.csv"), "{stderr}");
}
