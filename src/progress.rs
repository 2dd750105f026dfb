//! How a many-repository sweep shows its progress on standard error.
//!
//! The sweep only reports steps ([`Progress`]); the binary decides how they look: a bar
//! on a terminal ([`Bar`]), one plain line a step in logs and CI ([`Lines`]), or nothing
//! ([`Silent`]). So the sweep never asks whether it runs on a terminal.

use std::io::Write;
use std::sync::Mutex;

/// Steps of a sweep, in phases (`sweep`: repositories judged; `issues`: tracking issues).
pub trait Progress: Sync {
    /// A phase of `total` steps begins.
    fn begin(&self, phase: &str, total: usize);
    /// Step `done` (1-based) of `total`: `repo`, and what came of it (`2 gaps`). `notable`
    /// steps (gaps, errors, an issue written) are worth a line even above a bar.
    fn step(&self, done: usize, total: usize, repo: &str, note: &str, notable: bool);
    /// The sweep is over: clear what needs clearing before the report is written.
    fn finish(&self);
}

/// Shows nothing (`--quiet`).
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: usize) {}
    fn step(&self, _: usize, _: usize, _: &str, _: &str, _: bool) {}
    fn finish(&self) {}
}

/// One line a step, `[12/30] octo-org/app: 2 gaps`: for logs, where a bar would be noise.
pub struct Lines<W: Write + Send> {
    out: Mutex<W>,
}

impl<W: Write + Send> Lines<W> {
    pub fn new(out: W) -> Self {
        Lines {
            out: Mutex::new(out),
        }
    }

    pub fn into_inner(self) -> W {
        self.out.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl Lines<std::io::Stderr> {
    pub fn stderr() -> Self {
        Lines::new(std::io::stderr())
    }
}

impl<W: Write + Send> Progress for Lines<W> {
    fn begin(&self, _: &str, _: usize) {}

    fn step(&self, done: usize, total: usize, repo: &str, note: &str, _: bool) {
        // A poisoned lock or a closed stderr must not stop the sweep: progress is a nicety.
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "[{done}/{total}] {repo}: {note}");
        }
    }

    fn finish(&self) {}
}

/// A bar on a terminal (position/total, the repository, elapsed and ETA); only notable
/// steps print a line, above the bar.
///
/// Not covered by tests: indicatif draws nothing unless standard error is a terminal,
/// and the tests have none. The plain [`Lines`] are tested instead.
pub struct Bar {
    bar: indicatif::ProgressBar,
}

impl Bar {
    pub fn stderr() -> Self {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let style = indicatif::ProgressStyle::with_template(
            "{prefix:>6} [{bar:30}] {pos}/{len} {wide_msg} {elapsed_precise} (ETA {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Bar { bar }
    }
}

impl Progress for Bar {
    fn begin(&self, phase: &str, total: usize) {
        // Length and prefix first: each call may draw a frame.
        self.bar.set_length(total as u64);
        self.bar.set_prefix(phase.to_string());
        self.bar.set_message("");
        self.bar.reset();
    }

    fn step(&self, done: usize, total: usize, repo: &str, note: &str, notable: bool) {
        self.bar.set_length(total as u64);
        self.bar.set_message(repo.to_string());
        self.bar.set_position(done as u64);
        if notable {
            self.bar.println(format!("{repo}: {note}"));
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_say_position_total_repository_and_note() {
        let lines = Lines::new(Vec::new());
        lines.begin("sweep", 2);
        lines.step(1, 2, "octo-org/app", "2 gaps", true);
        lines.step(2, 2, "octo-org/lib", "no gaps", false);
        lines.begin("issues", 1);
        lines.step(1, 1, "octo-org/app", "opened tracking issue #3", true);
        lines.finish();
        assert_eq!(
            String::from_utf8(lines.into_inner()).unwrap(),
            "[1/2] octo-org/app: 2 gaps\n\
             [2/2] octo-org/lib: no gaps\n\
             [1/1] octo-org/app: opened tracking issue #3\n"
        );
    }
}
