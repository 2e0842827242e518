//! The Dataform target: a Dataform project with one table per event.
pub fn render(_build: &crate::model::Build, _r: &super::Renderer<'_>) -> Vec<Result<super::Artifact, crate::diagnostics::Diagnostic>> { vec![] }
