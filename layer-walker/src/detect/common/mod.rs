//! What more than one detector needs, so that no ecosystem folder reaches into another's.
//!
//! A helper moves here when a second detector needs it, into a file named after what it
//! holds; what only one ecosystem uses stays in that ecosystem's folder. Nothing here is
//! public API except what [`super`] re-exports ([`super::version_order`]).

pub(crate) mod elf;
pub(crate) mod encoding;
pub(crate) mod version;
