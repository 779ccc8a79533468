//! Progress bars for long work (ensembles, multistart fits), on stderr and
//! only when it is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar of `len` steps counting `unit`, or a hidden one when `show` is off.
pub(crate) fn bar(len: u64, unit: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    // indicatif draws nothing when stderr is not a terminal.
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "{{bar:40}} {{pos}}/{{len}} {unit}, {{per_sec}}, eta {{eta}} ({{elapsed}})"
    )) {
        bar.set_style(style);
    }
    bar
}
