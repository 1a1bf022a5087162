#![no_main]
//! The Dockerfile parser, `created_by` cleaning and the history matcher.
use layer_walker::dockerfile::{clean_created_by, match_history, parse};
use libfuzzer_sys::fuzz_target;
use sbom_core::HistoryEntry;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // the Dockerfile and the history entries from the same bytes: the lines after a
    // `\n---\n` separator (or every line) are `created_by` strings
    let (df_text, hist_text) = text.split_once("\n---\n").unwrap_or((&text, &text));
    let history: Vec<HistoryEntry> = hist_text
        .lines()
        .take(256)
        .enumerate()
        .map(|(i, l)| HistoryEntry {
            created_by: Some(l.to_string()),
            empty_layer: i % 3 == 1,
            ..Default::default()
        })
        .collect();
    for h in &history {
        let _ = clean_created_by(h.created_by.as_deref().unwrap_or(""));
    }
    if let Ok(df) = parse(df_text) {
        let (mapping, _warnings) = match_history(&df, &history);
        assert_eq!(mapping.per_entry.len(), history.len());
    }
});
