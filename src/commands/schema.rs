//! `bqflat schema`: the JSON schemas of bqflat.yaml and of event specs.

use crate::config::Schema;
use crate::diagnostics::Diagnostics;
use crate::emit::write_atomic;
use crate::schema::schemas;

pub(crate) fn run(config: &Schema) -> Result<(), Diagnostics> {
    match &config.out {
        Some(dir) => {
            for (name, text) in schemas() {
                let path = dir.join(name);
                write_atomic(&path, text.as_bytes())?;
                if !crate::report::style::quiet() {
                    println!("wrote {path}");
                }
            }
            let path = dir.join(crate::view::REFERENCE_FILE);
            write_atomic(&path, crate::view::reference_page().as_bytes())?;
            if !crate::report::style::quiet() {
                println!("wrote {path}");
            }
        }
        None => {
            // One JSON document, keyed by the file name each schema is committed under.
            let all: serde_json::Map<String, serde_json::Value> = schemas()
                .into_iter()
                .map(|(name, text)| {
                    (
                        name.to_string(),
                        serde_json::from_str(&text).expect("schemas are JSON"),
                    )
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&all).expect("schemas serialize")
            );
        }
    }
    Ok(())
}
