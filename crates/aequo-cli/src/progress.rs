//! Progress bars: shown on a terminal, silent under `--quiet` or when stderr is not a TTY.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `total` units, or a hidden one.
pub fn bar(total: u64, what: &str, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{msg} [{bar:40}] {human_pos}/{human_len} ({per_sec}, eta {eta})",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    pb.set_message(what.to_owned());
    pb
}

/// A scan's progress on a bar (rows for Parquet, bytes for the other formats).
pub struct ScanBar {
    bar: ProgressBar,
    quiet: bool,
}

impl ScanBar {
    /// A bar that appears when the scan says how much lies ahead.
    pub fn new(quiet: bool) -> ScanBar {
        ScanBar {
            bar: ProgressBar::hidden(),
            quiet,
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl aequo_data::Progress for ScanBar {
    fn start(&self, total: u64, unit: aequo_data::ProgressUnit) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let template = match unit {
            aequo_data::ProgressUnit::Rows => {
                "scanning [{bar:40}] {human_pos}/{human_len} rows ({per_sec}, eta {eta})"
            }
            aequo_data::ProgressUnit::Bytes => {
                "scanning [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})"
            }
        };
        self.bar.set_length(total);
        self.bar.set_style(
            ProgressStyle::with_template(template)
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        self.bar.set_draw_target(ProgressDrawTarget::stderr());
    }

    fn advance(&self, done: u64) {
        self.bar.inc(done);
    }
}
