//! JSON rendering: the result as serialised by serde (schema `aequo.audit/2`, documented in
//! `docs/schema.md`).

use aequo_core::AuditResult;

/// Pretty-printed JSON of the result.
pub fn json(result: &AuditResult) -> String {
    let mut s = serde_json::to_string_pretty(result)
        .expect("audit results serialise: no maps with non-string keys");
    s.push('\n');
    s
}
