//! Markdown: snapshots of the whole document, and the chart files it links to.

use std::path::{Path, PathBuf};

use aequo_report::{markdown, MarkdownOptions, Thresholds};

use crate::fixtures::{hostile, synthetic};

#[test]
fn synthetic_markdown() {
    let out = markdown(synthetic(), &MarkdownOptions::default());
    assert!(out.charts.is_empty());
    insta::assert_snapshot!("synthetic_md", out.markdown);
}

#[test]
fn verdicts_follow_the_thresholds() {
    let lenient = MarkdownOptions {
        thresholds: Thresholds {
            difference: 1.0,
            ratio: 0.0,
        },
        ..MarkdownOptions::default()
    };
    let md = markdown(synthetic(), &lenient).markdown;
    assert!(!md.contains("**fails"), "{md}");
    assert!(md.contains("**holds on all 7 groupings**"));
    assert!(md.contains("at most 1 and the ratio at least 0"));
    let strict = MarkdownOptions {
        thresholds: Thresholds {
            difference: 0.0,
            ratio: 1.0,
        },
        ..MarkdownOptions::default()
    };
    let md = markdown(synthetic(), &strict).markdown;
    assert!(!md.contains("| holds") && !md.contains("(holds)"), "{md}");
    assert!(md.contains("**fails on 7 of 7 groupings**"));
}

#[test]
fn hostile_names_are_escaped_in_markdown() {
    let out = markdown(
        &hostile(),
        &MarkdownOptions {
            chart_dir: Some(PathBuf::from("charts")),
            ..MarkdownOptions::default()
        },
    );
    let md = &out.markdown;
    // Every `<` is escaped (`\<`), so no name becomes a tag.
    for (i, _) in md.match_indices('<') {
        assert!(md[..i].ends_with('\\'), "unescaped < at {i}: {md}");
    }
    assert!(md.contains(r"\<script\>window.\_\_pwned=1\</script\>"));
    assert!(md.contains(r"A \& B"));
    // A `|` in a name must not end a table cell, nor a `[..](..)` make a link.
    assert!(md.contains(r"a\|b \& c"));
    assert!(md.contains(r"\[link\](http://e.invalid)"));
    for c in &out.charts {
        assert!(c.path.starts_with("charts"), "{}", c.path.display());
        assert!(!c.svg.contains("<script"), "{}", c.path.display());
        let name = c.path.file_name().unwrap().to_str().unwrap();
        assert!(
            name.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)),
            "{name}"
        );
    }
    insta::assert_snapshot!("hostile_md", md);
}

#[test]
fn charts_are_linked_files_written_beside_the_markdown() {
    let out = markdown(
        synthetic(),
        &MarkdownOptions {
            chart_dir: Some(PathBuf::from("audit charts")),
            ..MarkdownOptions::default()
        },
    );
    // 3 attributes × 6 metrics as bar charts, 4 intersections × 3 metrics as heat maps.
    assert_eq!(out.charts.len(), 3 * 6 + 4 * 3);
    for c in &out.charts {
        let link = c.path.to_str().unwrap().replace(' ', "%20");
        assert!(
            out.markdown.contains(&format!("]({link})")),
            "{link} not linked"
        );
        assert!(c
            .svg
            .starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns="));
        assert!(c.svg.contains("role=\"img\"") && c.svg.contains("<desc"));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.md");
    out.write(&path).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), out.markdown);
    for c in &out.charts {
        let written = std::fs::read_to_string(dir.path().join(&c.path)).unwrap();
        assert_eq!(written, c.svg);
    }
    let names: Vec<String> = std::fs::read_dir(dir.path().join("audit charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), out.charts.len());
    assert!(Path::new("audit charts").is_relative());
}
