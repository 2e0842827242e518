//! One module per subcommand.

pub mod build;
pub mod check;
pub mod discover;
pub mod init;
pub mod plan;
pub mod schema;
