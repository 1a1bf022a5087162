//! Walking layers: one streamed pass per layer (`layer.rs`), where every regular file meets
//! the detectors the same way (`claim.rs`), then the layers laid over each other in order
//! ([`view`]).

pub(crate) mod claim;
pub(crate) mod files;
pub(crate) mod layer;
pub(crate) mod links;
pub mod view;

pub use layer::LayerAnalysis;
