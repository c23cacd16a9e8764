//! A normalised outline of an HTML page, for snapshots: the structural elements with their ids,
//! classes and accessible names, headings with their text, and for each chart and table a count
//! of what it holds, instead of megabytes of SVG.

use std::fmt::Write;

const STRUCTURE: [&str; 18] = [
    "html", "head", "body", "header", "nav", "main", "section", "footer", "h1", "h2", "h3",
    "figure", "details", "summary", "ul", "dl", "input", "meta",
];
/// Elements listed with a summary of their contents, which are skipped.
const OPAQUE: [&str; 4] = ["svg", "table", "script", "style"];
const TEXT: [&str; 5] = ["h1", "h2", "h3", "summary", "title"];
const VOID: [&str; 3] = ["input", "meta", "br"];

fn attrs(tag: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = tag.split_once(char::is_whitespace).map_or("", |x| x.1);
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('/') {
            break;
        }
        let end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let name = rest[..end].to_owned();
        rest = &rest[end..];
        if let Some(r) = rest.strip_prefix("=\"") {
            let close = r.find('"').expect("attribute values are quoted");
            out.push((name, r[..close].to_owned()));
            rest = &r[close + 1..];
        } else {
            out.push((name, String::new()));
        }
    }
    out
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The outline of `html`.
pub fn outline(html: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut stack: Vec<String> = Vec::new();
    let mut pos = 0;
    while let Some(off) = html[pos..].find('<') {
        let start = pos + off;
        let end = start + html[start..].find('>').expect("tags close");
        let tag = &html[start + 1..end];
        pos = end + 1;
        if tag.starts_with('!') {
            continue;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if stack.last().is_some_and(|t| t == name) {
                stack.pop();
                depth -= 1;
            }
            continue;
        }
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_owned();
        let opaque = OPAQUE.contains(&name.as_str());
        if !STRUCTURE.contains(&name.as_str()) && !opaque {
            continue;
        }
        let a = attrs(tag);
        let mut line = format!("{}{name}", "  ".repeat(depth));
        for (k, v) in &a {
            match k.as_str() {
                "id" => {
                    let _ = write!(line, "#{v}");
                }
                "class" => {
                    for c in v.split_whitespace() {
                        let _ = write!(line, ".{c}");
                    }
                }
                "role" | "aria-label" | "open" | "type" | "lang" | "name" | "http-equiv" => {
                    let _ = write!(line, " {k}={v:?}");
                }
                _ => {}
            }
        }
        let close = format!("</{name}>");
        if opaque {
            let inner_end = pos + html[pos..].find(&close).expect("opaque elements close");
            let inner = &html[pos..inner_end];
            match name.as_str() {
                "svg" => {
                    let _ = write!(
                        line,
                        " [title={} desc={} bars={} cells={}]",
                        inner.contains("<title id="),
                        inner.contains("<desc id="),
                        inner.matches("<g class=\"bar\">").count(),
                        inner.matches("<g class=\"cell").count()
                    );
                }
                "table" => {
                    let _ = write!(
                        line,
                        " [rows={} cols={} foot={}]",
                        inner.matches("<tr").count(),
                        inner
                            .split("</tr>")
                            .next()
                            .map_or(0, |r| r.matches("<th ").count() + r.matches("<th>").count()),
                        inner.contains("<tfoot>")
                    );
                }
                _ => {}
            }
            pos = inner_end + close.len();
        } else if TEXT.contains(&name.as_str()) {
            let text_end = pos + html[pos..].find(&close).expect("headings close");
            let _ = write!(line, " {:?}", strip_tags(&html[pos..text_end]));
        }
        if name == "ul" {
            let ul_end = pos + html[pos..].find("</ul>").expect("lists close");
            let _ = write!(
                line,
                " [items={}]",
                html[pos..ul_end].matches("<li").count()
            );
        }
        out.push_str(&line);
        out.push('\n');
        if !opaque && !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            stack.push(name);
            depth += 1;
        }
    }
    out
}
