//! A progress line on stderr during long checks, only when stderr is a
//! terminal (never in pipes, files or CI logs).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use overlay_models::check::Progress;

/// The spinner, or nothing when stderr is not a terminal.
pub struct Line(Option<ProgressBar>);

impl Line {
    pub fn new(label: &str) -> Line {
        if !std::io::stderr().is_terminal() {
            return Line(None);
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix} {msg}").expect("valid template"),
        );
        bar.set_prefix(label.to_string());
        bar.enable_steady_tick(Duration::from_millis(200));
        Line(Some(bar))
    }

    pub fn update(&self, p: &Progress) {
        if let Some(bar) = &self.0 {
            let secs = p.elapsed.as_secs_f64().max(1e-3);
            let mut msg = format!(
                "{} states ({:.0}/s), depth {}",
                p.unique_states,
                p.unique_states as f64 / secs,
                p.depth
            );
            // The compact engine and the memory budget report more.
            if p.frontier > 0 {
                msg.push_str(&format!(", frontier {}", p.frontier));
            }
            if p.memory > 0 {
                msg.push_str(&format!(", {} MB", p.memory >> 20));
            }
            msg.push_str(&format!(", {:.0}s", p.elapsed.as_secs_f64()));
            bar.set_message(msg);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
