//! Walking layers: one streamed pass per layer (`layer.rs`), then the layers laid over each
//! other in order ([`view`]).

pub(crate) mod layer;
pub(crate) mod path;
pub(crate) mod retained;
pub(crate) mod sparse;
pub(crate) mod tar_guard;
pub mod view;

pub use layer::LayerAnalysis;
