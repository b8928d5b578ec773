//! A progress line on standard error for long work: shown only on a terminal,
//! only once the work has run for a second, and erased when it ends.

use std::io::{self, IsTerminal as _, Write as _};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::{Scope, ScopedJoinHandle};
use std::time::{Duration, Instant};

/// How long work runs before the line appears.
const QUIET_FOR: Duration = Duration::from_secs(1);
/// How often the line is redrawn.
const TICK: Duration = Duration::from_millis(100);
/// Width of the bar in characters.
const BAR_WIDTH: usize = 30;

/// A progress line being drawn by a thread of the work's scope; stops on
/// [`Bar::finish`] or drop.
pub(crate) struct Bar<'scope> {
    stop: Option<mpsc::Sender<()>>,
    drawer: Option<ScopedJoinHandle<'scope, ()>>,
}

impl<'scope> Bar<'scope> {
    /// Starts drawing `status` (the fraction done, 0 to 1, when known, and a
    /// short text) when `wanted` and standard error is a terminal; otherwise
    /// does nothing.
    pub(crate) fn start<'env>(
        scope: &'scope Scope<'scope, 'env>,
        wanted: bool,
        status: impl Fn() -> (Option<f64>, String) + Send + 'scope,
    ) -> Bar<'scope> {
        if !wanted || !io::stderr().is_terminal() {
            return Bar {
                stop: None,
                drawer: None,
            };
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let drawer = scope.spawn(move || {
            let started = Instant::now();
            let mut drawn = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                if started.elapsed() < QUIET_FOR {
                    continue;
                }
                let (fraction, text) = status();
                let line = match fraction {
                    Some(fraction) => {
                        let fraction = fraction.clamp(0.0, 1.0);
                        // Rounded down to a whole cell; the casts stay within 0..=BAR_WIDTH and 0..=100.
                        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                        let (filled, percent) = (
                            (fraction * BAR_WIDTH as f64) as usize,
                            (fraction * 100.0) as u32,
                        );
                        format!(
                            "[{}{}] {percent:>3}%  {text}",
                            "#".repeat(filled),
                            ".".repeat(BAR_WIDTH.saturating_sub(filled))
                        )
                    }
                    None => text,
                };
                let _ = write!(io::stderr().lock(), "\r\x1b[2K{line}");
                drawn = true;
            }
            if drawn {
                let _ = write!(io::stderr().lock(), "\r\x1b[2K");
            }
        });
        Bar {
            stop: Some(stop),
            drawer: Some(drawer),
        }
    }

    /// Stops drawing and erases the line.
    pub(crate) fn finish(mut self) {
        self.stop_drawing();
    }

    fn stop_drawing(&mut self) {
        self.stop.take();
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

impl Drop for Bar<'_> {
    fn drop(&mut self) {
        self.stop_drawing();
    }
}

/// `n` in a short human form: 950, 12.3k, 4.56M.
pub(crate) fn count(n: u64) -> String {
    // Display only: precision beyond three digits does not matter.
    #[allow(clippy::cast_precision_loss)]
    let x = n as f64;
    if n >= 1_000_000 {
        format!("{:.2}M", x / 1e6)
    } else if n >= 10_000 {
        format!("{:.1}k", x / 1e3)
    } else {
        n.to_string()
    }
}
