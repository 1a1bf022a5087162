//! Shared by the integration tests that need real servers.

pub mod layouts;
pub mod registry;
