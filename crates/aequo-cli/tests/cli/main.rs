//! The one integration-test binary of the `aequo` command. Modules say where tests belong:
//!
//! * `oracle` — aequo against Fairlearn 0.15.0 and AIF360 0.6.1 on real data (COMPAS, Adult,
//!   German credit), from the expected values `scripts/oracle.sh` computes;
//! * `errors` — every class of bad input gives a clear message and a non-zero exit;
//! * `commands` — the commands' behaviour and output shapes;
//! * `sql` — `aequo audit --sql` on DataFusion and Ballista (features `sql`, `ballista`).

mod commands;
mod errors;
mod oracle;
#[cfg(feature = "sql")]
mod sql;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `aequo` with arguments.
pub fn aequo(args: &[&str]) -> Output {
    let fixtures = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    Command::new(env!("CARGO_BIN_EXE_aequo"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .env("AEQUO_FIXTURES", fixtures)
        .output()
        .expect("the aequo binary runs")
}

/// stdout and stderr as text.
pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The fixtures directory, or `None` (after saying so) when it is absent and not required.
pub fn fixtures(what: &str, probe: &str) -> Option<PathBuf> {
    let root = std::env::var_os("AEQUO_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".cache/fixtures"));
    if root.join(probe).exists() {
        return Some(root);
    }
    if std::env::var("AEQUO_REQUIRE_FIXTURES").as_deref() == Ok("1") {
        panic!(
            "{what}: {} is missing and AEQUO_REQUIRE_FIXTURES=1; run scripts/oracle.sh",
            root.join(probe).display()
        );
    }
    eprintln!(
        "skipped: {what}: {} not present (run scripts/oracle.sh)",
        root.join(probe).display()
    );
    None
}
