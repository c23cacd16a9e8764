//! Every class of bad input: a clear message on stderr naming what is wrong, and exit code 1
//! (2 for command-line usage errors, from clap).

use std::path::PathBuf;

use crate::{aequo, text};

fn file(dir: &tempfile::TempDir, name: &str, content: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Runs an audit of `content` with the given extra arguments; returns (exit code, stderr).
fn audit(content: &str, extra: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = file(&dir, "in.csv", content);
    let mut args = vec!["audit", f.to_str().unwrap()];
    args.extend_from_slice(extra);
    let o = aequo(&args);
    let (stdout, stderr) = text(&o);
    assert!(
        stdout.is_empty() || o.status.success(),
        "a failing audit prints nothing on stdout: {stdout}"
    );
    (o.status.code().unwrap(), stderr)
}

const GOOD: &str = "sex,y,p\nf,1,1\nm,0,0\nf,0,1\nm,1,1\n";
const ARGS: &[&str] = &["--label", "y", "--pred", "p", "--sensitive", "sex"];

#[test]
fn good_input_succeeds() {
    let (code, stderr) = audit(GOOD, ARGS);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn missing_file() {
    let o = aequo(&[
        "audit",
        "/no/such/file.csv",
        "--label",
        "y",
        "--pred",
        "p",
        "--sensitive",
        "sex",
    ]);
    let (_, stderr) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr.starts_with("error: cannot read /no/such/file.csv: No such file"),
        "{stderr}"
    );
}

#[test]
fn unknown_column() {
    let (code, e) = audit(
        GOOD,
        &["--label", "y", "--pred", "p", "--sensitive", "gender"],
    );
    assert_eq!(code, 1);
    assert!(
        e.contains("no column named 'gender'; the columns are: sex, y, p"),
        "{e}"
    );
}

#[test]
fn wrong_type() {
    let (code, e) = audit(
        GOOD,
        &[
            "--label",
            "y",
            "--score",
            "sex",
            "--threshold",
            "0.5",
            "--sensitive",
            "p",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        e.contains("row 1, column 'sex': the score is not a number (value: f)"),
        "{e}"
    );
}

#[test]
fn unparseable_row() {
    let (code, e) = audit("sex,y,p\nf,1,1\nm,0\n", ARGS);
    assert_eq!(code, 1);
    assert!(
        e.contains("malformed csv input") && e.contains("incorrect number of fields for line 3"),
        "{e}"
    );
}

#[test]
fn empty_file() {
    let (code, e) = audit("", ARGS);
    assert_eq!(code, 1);
    assert!(e.contains("in.csv: the file is empty"), "{e}");
    let (code, e) = audit("sex,y,p\n", ARGS);
    assert_eq!(code, 1);
    assert!(e.contains("in.csv: the file has no data rows"), "{e}");
}

#[test]
fn all_rows_of_a_group_missing() {
    let (code, e) = audit("sex,y,p\n,1,1\n,0,0\n", ARGS);
    assert_eq!(code, 1);
    assert!(
        e.contains("sensitive attribute 'sex' is missing in all 2 rows"),
        "{e}"
    );
}

#[test]
fn label_with_three_values() {
    let (code, e) = audit("sex,y,p\nf,1,1\nm,0,0\nf,2,1\n", ARGS);
    assert_eq!(code, 1);
    assert!(
        e.contains(
            "row 3, column 'y': the label must be 0/1 or true/false (value: 2); give --pos-label"
        ),
        "{e}"
    );
    let mut args = ARGS.to_vec();
    args.extend(["--pos-label", "1", "--pred-pos-label", "1"]);
    let (code, e) = audit("sex,y,p\nf,1,1\nm,0,0\nf,2,1\n", &args);
    assert_eq!(code, 1);
    assert!(
        e.contains("the label has more than two distinct values (1, 0, 2)"),
        "{e}"
    );
}

#[test]
fn missing_label_is_an_error_unless_dropped() {
    let content = "sex,y,p\nf,1,1\nm,,0\nf,0,1\nm,1,1\n";
    let (code, e) = audit(content, ARGS);
    assert_eq!(code, 1);
    assert!(
        e.contains("row 2, column 'y': value is missing; pass --on-missing drop"),
        "{e}"
    );
    let mut args = ARGS.to_vec();
    args.extend(["--on-missing", "drop", "--format", "json"]);
    let dir = tempfile::tempdir().unwrap();
    let f = file(&dir, "in.csv", content);
    let mut full = vec!["audit", f.to_str().unwrap()];
    full.extend(args);
    let o = aequo(&full);
    assert!(o.status.success());
    let r: aequo_core::AuditResult = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!((r.input.rows_read, r.input.rows_used), (4, 3));
    assert_eq!(r.input.dropped[0].rows, 1);
}

#[test]
fn bad_reference_metric_and_rule() {
    let mut args = ARGS.to_vec();
    args.extend(["--reference", "sex=x"]);
    let (code, e) = audit(GOOD, &args);
    assert_eq!(code, 1);
    assert!(
        e.contains("reference level 'x' does not occur in attribute 'sex'; levels are: f, m"),
        "{e}"
    );
    let mut args = ARGS.to_vec();
    args.extend(["--reference", "sex"]);
    assert!(audit(GOOD, &args).1.contains("must be ATTRIBUTE=VALUE"));
    let mut args = ARGS.to_vec();
    args.extend(["--metrics", "tpr,nonsense"]);
    assert!(audit(GOOD, &args)
        .1
        .contains("unknown metric 'nonsense'; known metrics: count, base_rate"));
    let mut args = ARGS.to_vec();
    args.extend(["--rule", "five-sixths"]);
    assert!(audit(GOOD, &args).1.contains("unknown rule 'five-sixths'"));
}

#[test]
fn usage_errors_exit_2() {
    let (code, e) = audit(GOOD, &["--label", "y", "--sensitive", "sex"]);
    assert_eq!(code, 2, "{e}");
    let (code, _) = audit(
        GOOD,
        &[
            "--label",
            "y",
            "--pred",
            "p",
            "--score",
            "p",
            "--threshold",
            "1",
            "--sensitive",
            "sex",
        ],
    );
    assert_eq!(code, 2);
    let (code, _) = audit(
        GOOD,
        &["--label", "y", "--score", "p", "--sensitive", "sex"],
    );
    assert_eq!(code, 2);
}
