//! `bqflat init`: a small working project to start from.

use camino::Utf8PathBuf;

use crate::cli::InitArgs;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::output::write_atomic;
use crate::project::{EVENTS_DIR, PROJECT_FILE};

const PROJECT: &str = include_str!("../../templates/init/bqflat.yaml");
const PURCHASE: &str = include_str!("../../templates/init/purchase.yaml");
const PAGE_VIEW: &str = include_str!("../../templates/init/page_view.yaml");

pub fn run(args: &InitArgs) -> Result<(), Diagnostics> {
    let dir = args.dir.clone().unwrap_or_else(|| Utf8PathBuf::from("."));
    let files = [
        (dir.join(PROJECT_FILE), PROJECT),
        (dir.join(EVENTS_DIR).join("purchase.yaml"), PURCHASE),
        (dir.join(EVENTS_DIR).join("page_view.yaml"), PAGE_VIEW),
    ];
    // Never overwrite a user's files: check them all before writing any.
    let existing: Vec<Diagnostic> = files
        .iter()
        .filter(|(path, _)| path.exists())
        .map(|(path, _)| {
            Diagnostic::new(format!("{path} already exists"))
                .hint("run `bqflat init` in an empty folder, or pass another DIR")
        })
        .collect();
    if !existing.is_empty() {
        return Err(Diagnostics(existing));
    }
    for (path, text) in &files {
        write_atomic(path, text.as_bytes())?;
        println!("created {path}");
    }
    println!("next: edit {PROJECT_FILE} (project and datasets), then run `bqflat build {dir}`");
    Ok(())
}
