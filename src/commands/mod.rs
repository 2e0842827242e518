//! One module per subcommand.

pub(crate) mod build;
pub(crate) mod check;
pub(crate) mod cost;
pub(crate) mod discover;
pub(crate) mod init;
pub(crate) mod plan;
pub(crate) mod schema;
