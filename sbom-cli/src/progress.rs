//! A progress bar on stderr, only when stderr is a terminal and the user did not ask for quiet.

use std::io::IsTerminal;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use layer_walker::Progress;

/// Returns the bar (to finish it) and the callback for the scanner, or nothing when quiet.
pub fn bar(quiet: bool) -> Option<(ProgressBar, impl Fn(&Progress) + Send + Sync + 'static)> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb.set_message("reading");
    let shared = Arc::new(pb.clone());
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let total_layers = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let cb = move |p: &Progress| match p {
        Progress::Layers { count, total_bytes } => {
            total_layers.store(*count, std::sync::atomic::Ordering::Relaxed);
            // a streamed archive's bytes were counted against its own size already
            if *total_bytes > 0 {
                shared.set_length(*total_bytes);
            }
            shared.set_message(format!("0/{count} layers"));
        }
        Progress::Streaming { total_bytes } => {
            shared.set_length(*total_bytes);
            shared.set_message("streaming");
        }
        Progress::Bytes { bytes, .. } => shared.inc(*bytes),
        Progress::LayerDone { .. } => {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let t = total_layers.load(std::sync::atomic::Ordering::Relaxed);
            shared.set_message(format!("{d}/{t} layers"));
        }
        _ => {}
    };
    Some((pb, cb))
}
