//! What more than one detector needs, so that no ecosystem folder reaches into another's.
//!
//! A helper moves here when a second detector needs it, into a file named after what it
//! holds; what only one ecosystem uses stays in that ecosystem's folder. Nothing here is
//! public API. (The version orders moved to `sbom_core::version`, which the policy gate and
//! `sbom diff` share.)

pub(crate) mod codec;
pub(crate) mod elf;
pub(crate) mod encoding;
pub(crate) mod sqlite;
