//! Dockerfile line mapping: which Dockerfile instruction made each image history entry (and so
//! each layer).
//!
//! [`parse`] reads a Dockerfile; [`clean_created_by`] turns a history entry's `created_by`
//! into the instruction a person wrote (useful without a Dockerfile too); [`match_history`]
//! maps the entries to the Dockerfile's lines, reporting entries it cannot match instead of
//! guessing; [`lock`] pins the packages each `RUN` line installed (Tern's Dockerfile lock).
//!
//! ```
//! use layer_walker::dockerfile::{match_history, parse};
//! use sbom_core::HistoryEntry;
//!
//! let df = parse("FROM scratch\nADD rootfs.tar /\nCMD [\"/bin/sh\"]\n").unwrap();
//! let history = vec![
//!     HistoryEntry {
//!         created_by: Some("/bin/sh -c #(nop) ADD file:0123 in / ".into()),
//!         ..Default::default()
//!     },
//!     HistoryEntry {
//!         created_by: Some("/bin/sh -c #(nop)  CMD [\"/bin/sh\"]".into()),
//!         empty_layer: true,
//!         ..Default::default()
//!     },
//! ];
//! let (mapping, warnings) = match_history(&df, &history);
//! assert!(warnings.is_empty());
//! assert_eq!(mapping.per_entry[1].as_ref().unwrap().start_line, 3);
//! ```

mod history;
mod lock;
mod parse;

pub use history::{clean_created_by, match_history, match_stage, Mapping};
pub use lock::{lock, lock_with_bases, Locked};
pub use parse::{
    expand, parse, Dockerfile, Flag, Heredoc, Instruction, ParseError, Stage, WILDCARD,
};

use sbom_core::{Inventory, Warning};

/// Sets `instruction` on every history entry and layer of `inv`, and, when a Dockerfile is
/// given with the stage the image was built from (see [`Dockerfile::target`]; the last stage
/// unless the build chose another), the `dockerfile` references, with warnings for what did
/// not align (see [`match_stage`]).
pub fn annotate(inv: &mut Inventory, dockerfile: Option<(&Dockerfile, usize)>) {
    for h in &mut inv.image.history {
        h.instruction = h.created_by.as_deref().map(clean_created_by);
    }
    if let Some((df, stage)) = dockerfile {
        let (mapping, messages) = match_stage(df, stage, &inv.image.history);
        for (h, r) in inv.image.history.iter_mut().zip(mapping.per_entry) {
            h.dockerfile = r;
        }
        inv.warnings
            .extend(messages.into_iter().map(|message| Warning {
                path: None,
                layer: None,
                message,
                incomplete: false,
            }));
    }
    for l in &mut inv.layers {
        if let Some(h) = l.history_index.and_then(|i| inv.image.history.get(i)) {
            l.instruction = h.instruction.clone();
            l.dockerfile = h.dockerfile.clone();
        }
    }
}
