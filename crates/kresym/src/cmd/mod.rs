//! One module per subcommand.

pub mod discover;
pub mod kernel;
pub mod link;
pub mod parse;
pub mod symbolize;
pub mod verify;
