//! The data dictionary: `tables.md` in the output folder, a Markdown page of every table (its
//! columns, types, sources, partitioning, clustering and dedupe) with a Mermaid diagram of the
//! export and the tables built from it, which GitHub renders in the repository.

use super::{Artifact, Renderer};
use crate::diagnostics::Diagnostic;
use crate::model::Build;
use crate::view::{self, DocsContext};

pub const FILE: &str = "tables.md";

pub fn render(build: &Build, r: &Renderer<'_>) -> Result<Artifact, Diagnostic> {
    let context = view::to_value(&DocsContext::new(build));
    r.render("docs/tables.md", &context, FILE)
        .map(|contents| Artifact::other(FILE.to_string(), contents))
}
