//! Tar as Docker reads it, for the sources (archives) and the walk (layers) alike: entry
//! names cleaned and whiteouts recognised (`path.rs`), the metadata bombs the `tar` crate
//! would buffer refused before it does (`guard.rs`, for the image archives the sources read
//! with `tar`), the layer walk's own reader with the same bounds (`reader.rs`), GNU sparse
//! files in PAX format read as Go's `archive/tar` reads them (`sparse.rs`).

pub(crate) mod guard;
pub(crate) mod path;
pub(crate) mod reader;
pub(crate) mod sparse;
