//! Helpers shared by the tests.

pub mod server;
