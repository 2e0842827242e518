//! Reading one YAML file into a typed value, keeping where every key and value sits in the text so
//! later checks can point at the exact line and column.

use std::collections::BTreeMap;

use camino::{Utf8Path, Utf8PathBuf};
use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use crate::diagnostics::{did_you_mean, io_error, Diagnostic, Location};

/// The largest YAML file bqflat reads (1 MiB): far above any real spec, far below what could
/// exhaust memory.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// A parsed YAML file: its typed value, its text and the position of every node.
#[derive(Debug, Clone)]
pub struct Loaded<T> {
    pub path: Utf8PathBuf,
    pub text: String,
    pub value: T,
    /// Built on first use: only errors need positions.
    positions: std::sync::OnceLock<Positions>,
}

impl<T> Loaded<T> {
    fn positions(&self) -> &Positions {
        self.positions.get_or_init(|| Positions::of(&self.text))
    }

    /// Where the value at `path` (`cluster_by[4]`, `dedupe.key`) starts; falls back to the nearest
    /// enclosing node that exists, then to the top of the file.
    pub fn locate(&self, path: &str) -> Location {
        let mut path = path.to_string();
        loop {
            if let Some(&(line, col)) = self.positions().values.get(&path) {
                return Location::new(self.path.clone(), line, col);
            }
            match path.rfind(['.', '[']) {
                Some(cut) => path.truncate(cut),
                None => return Location::file(self.path.clone()),
            }
        }
    }

    /// Whether the file sets the value at `path`.
    pub fn has(&self, path: &str) -> bool {
        self.positions().values.contains_key(path)
    }

    /// A diagnostic pointing at the value at `path`, with the source line attached.
    pub fn error_at(&self, path: &str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(message)
            .at(self.locate(path))
            .with_source(&self.text)
    }
}

/// Reads and parses `path`, reporting every error of the file. `empty` is the value of a file that
/// holds no document, or `None` when such a file is an error.
pub fn load_yaml<T: DeserializeOwned>(
    path: &Utf8Path,
    empty: Option<T>,
    empty_hint: &str,
) -> Result<Loaded<T>, crate::diagnostics::Diagnostics> {
    let bytes = read_limited(
        path,
        MAX_FILE_BYTES,
        "YAML files",
        "a spec describes one event in a few lines: split the file, or move what is not a spec out of the project",
    )?;
    super::every::parse_all(path, decode(path, bytes)?, empty, empty_hint)
}

/// The bytes of `path`, refused without reading when it is over `max` bytes (`kind` and `hint`
/// say what such files are and what to do).
pub fn read_limited(
    path: &Utf8Path,
    max: u64,
    kind: &str,
    hint: &str,
) -> Result<Vec<u8>, Diagnostic> {
    let size = std::fs::metadata(path)
        .map_err(|e| io_error(path, "read", &e))?
        .len();
    if size > max {
        return Err(Diagnostic::new(format!(
            "{path} is {size} bytes; bqflat reads {kind} of up to {max} bytes"
        ))
        .at(Location::file(path))
        .hint(hint));
    }
    std::fs::read(path).map_err(|e| io_error(path, "read", &e))
}

/// Parses YAML bytes (UTF-8, an optional byte order mark) already in memory.
pub fn parse_yaml_bytes<T: DeserializeOwned>(
    path: &Utf8Path,
    bytes: Vec<u8>,
    empty: Option<T>,
    empty_hint: &str,
) -> Result<Loaded<T>, Diagnostic> {
    let text = decode(path, bytes)?;
    parse_yaml(path, text, empty, empty_hint)
}

/// Parses YAML text already in memory (see [`load_yaml`]).
pub fn parse_yaml<T: DeserializeOwned>(
    path: &Utf8Path,
    text: String,
    empty: Option<T>,
    empty_hint: &str,
) -> Result<Loaded<T>, Diagnostic> {
    check_depth(path, &text)?;
    let value = if has_document(&text) {
        serde_yaml::from_str(&text)
            .map_err(|e| yaml_error(path, &text, &Positions::of(&text), &e))?
    } else {
        empty.ok_or_else(|| {
            Diagnostic::new(format!("{path} holds no YAML document"))
                .at(Location::file(path))
                .hint(empty_hint.to_string())
        })?
    };
    Ok(Loaded {
        path: path.to_owned(),
        text,
        value,
        positions: std::sync::OnceLock::new(),
    })
}

/// The deepest nesting of flow lists and mappings (`[`, `{`) bqflat parses. Real specs nest two
/// or three levels; parsers spend time growing with the square of the depth.
pub const MAX_DEPTH: usize = 64;

/// Refuses text whose `[`/`{` nesting goes deeper than [`MAX_DEPTH`], before any parser sees it:
/// one pass over the bytes, skipping quoted strings and comments.
fn check_depth(path: &Utf8Path, text: &str) -> Result<(), Diagnostic> {
    let (mut depth, mut line, mut col) = (0usize, 1usize, 0usize);
    let mut quote: Option<u8> = None;
    let mut comment = false;
    let mut previous = b'\n';
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\n' {
            (line, col, comment) = (line + 1, 0, false);
            previous = b;
            continue;
        }
        // Columns count characters, not bytes.
        if b & 0xc0 != 0x80 {
            col += 1;
        }
        let starts_token = previous.is_ascii_whitespace() || b"[{,:".contains(&previous);
        match quote {
            _ if comment => {}
            Some(b'\'') if b == b'\'' => {
                if bytes.peek() == Some(&b'\'') {
                    bytes.next();
                    col += 1;
                } else {
                    quote = None;
                }
            }
            Some(b'"') if b == b'\\' => {
                if bytes.next_if(|&n| n != b'\n').is_some() {
                    col += 1;
                }
            }
            Some(b'"') if b == b'"' => quote = None,
            Some(_) => {}
            None => match b {
                b'#' if previous.is_ascii_whitespace() => comment = true,
                b'\'' | b'"' if starts_token => quote = Some(b),
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(Diagnostic::new(format!(
                            "{path} nests lists and mappings more than {MAX_DEPTH} levels deep"
                        ))
                        .at(Location::new(path, line, col))
                        .with_source(text)
                        .hint("no spec needs more than a few levels: flatten the value, or remove what is not a spec from the project"));
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = b;
    }
    Ok(())
}

/// Whether the text holds anything besides comments, blank lines and document markers.
fn has_document(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|l| !l.is_empty() && !l.starts_with('#') && l != "---" && l != "...")
}

/// UTF-8 text without a byte order mark; anything else is an error at the first bad byte.
fn decode(path: &Utf8Path, bytes: Vec<u8>) -> Result<String, Diagnostic> {
    match String::from_utf8(bytes) {
        Ok(mut text) => {
            if text.starts_with('\u{feff}') {
                text.drain(..3);
            }
            Ok(text)
        }
        Err(err) => {
            let valid = err.utf8_error().valid_up_to();
            let before = &err.as_bytes()[..valid];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
            Err(Diagnostic::new(format!("{path} is not valid UTF-8"))
                .at(Location::new(path, line, col))
                .hint("save the file as UTF-8"))
        }
    }
}

/// Turns a serde_yaml error into a diagnostic with a position and, where possible, a fix.
fn yaml_error(
    path: &Utf8Path,
    text: &str,
    positions: &Positions,
    err: &serde_yaml::Error,
) -> Diagnostic {
    let message = err.to_string();
    // serde_yaml appends " at line L column C" to the message; the location carries it already.
    let message = match message.find(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message,
    };
    let location = match err.location() {
        Some(l) => Location::new(path, l.line(), l.column()),
        None => Location::file(path),
    };
    let mut diagnostic = Diagnostic::new(message.clone()).at(location);
    // Errors inside nested values start with their path (`params[0]: unknown field …`).
    let (at, message) = match message.split_once(": ") {
        Some((at, rest)) if !at.contains(' ') => (format!("{at}: "), rest.to_string()),
        _ => (String::new(), message),
    };
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (unknown, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        diagnostic.message = format!("{at}unknown key `{unknown}`");
        diagnostic.hint = Some(match did_you_mean(unknown, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => format!("known keys here: {}", known.join(", ")),
        });
    } else if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.trim_end_matches('`');
        diagnostic.message = format!("{at}missing key `{field}`");
        diagnostic.hint = Some(format!("add `{field}: ...`"));
    } else if message.contains("did not match any variant of untagged enum Names") {
        let key = super::untagged::misfit_names(text);
        if let Some(&(line, col)) = key.and_then(|k| positions.values.get(k)) {
            diagnostic.location = Some(Location::new(path, line, col));
        }
        let at = key.map_or(at.clone(), |k| format!("{k}: "));
        diagnostic.message = format!("{at}expected a column name or a list of column names");
        diagnostic.hint = Some("write `[a, b]` or `a, b`".into());
    } else if message.contains("did not match any variant of untagged enum Column") {
        diagnostic.message =
            "expected a column (`device.category`) or `{field: ..., as: ...}`".into();
    } else if let Some(rest) = message.strip_prefix("duplicate field `") {
        // serde_yaml points at the mapping; the index knows where the key repeats.
        let field = rest.trim_end_matches('`');
        let full = match at.strip_suffix(": ") {
            Some(parent) => format!("{parent}.{field}"),
            None => field.to_string(),
        };
        let repeat = positions
            .repeats
            .iter()
            .find(|(p, _)| *p == full)
            .or_else(|| {
                positions
                    .repeats
                    .iter()
                    .find(|(p, _)| p.ends_with(&format!(".{field}")))
            });
        if let Some((_, (line, col))) = repeat {
            diagnostic.location = Some(Location::new(path, *line, *col));
        }
        diagnostic.message = format!("{at}key `{field}` appears twice");
        diagnostic.hint =
            Some("a key may appear only once in a mapping; remove one of them".into());
    } else if message.contains("duplicate entry") {
        diagnostic.hint =
            Some("a key may appear only once in a mapping; remove one of them".into());
    } else if message.starts_with("invalid type: sequence, expected struct") {
        diagnostic.message =
            format!("{at}expected a mapping of keys (`key: value` lines), found a list");
        diagnostic.hint = Some("write it as `key: value` pairs, not as a list".into());
    } else if message.contains("found character that cannot start any token") {
        diagnostic.hint = Some("YAML indentation must use spaces, not tabs".into());
    } else if message.starts_with("unknown variant") {
        let hint = super::suggest::variant(&message);
        diagnostic.hint = Some(hint.unwrap_or_else(|| "write one of the values listed".into()));
    } else if let Some((bare, hint)) = super::suggest::bare_param(&message) {
        diagnostic.message = format!("{at}{bare}");
        diagnostic.hint = Some(hint);
    } else if message.starts_with("invalid type") || message.starts_with("invalid value") {
        diagnostic.hint = Some("`bqflat schema` shows the type every key takes".into());
    }
    if message.contains("untagged enum Column") {
        diagnostic.hint = Some(
            "write a name such as `device.category`, or `{field: device.category, as: device}`"
                .into(),
        );
    }
    if diagnostic.hint.is_none() && at.is_empty() {
        // What is left are YAML syntax errors.
        diagnostic.hint =
            Some("fix the YAML syntax here: quotes, brackets, colons and indentation".into());
    }
    diagnostic.with_source(text)
}

/// Line and column (from 1) of every node, by path: `` for the document, `a.b`, `a[0]`.
#[derive(Debug, Clone, Default)]
struct Positions {
    values: BTreeMap<String, (usize, usize)>,
    /// Keys that appear a second time in the same mapping: (path, position of the repeat).
    repeats: Vec<(String, (usize, usize))>,
}

enum Frame {
    Map {
        path: String,
        key: Option<String>,
    },
    Seq {
        path: String,
        next: usize,
    },
    /// A complex key (a mapping or list used as a key); its contents are not indexed.
    Skip,
}

struct Indexer {
    positions: Positions,
    stack: Vec<Frame>,
}

impl Positions {
    fn of(text: &str) -> Positions {
        let mut indexer = Indexer {
            positions: Positions::default(),
            stack: Vec::new(),
        };
        // serde_yaml reports syntax errors with better messages; a failed index only costs precision.
        let _ = Parser::new_from_str(text).load(&mut indexer, false);
        indexer.positions
    }
}

impl Indexer {
    /// The path of the node starting now, or `None` when the node is a mapping key.
    fn next_path(&mut self) -> Option<String> {
        match self.stack.last_mut() {
            None => Some(String::new()),
            Some(Frame::Map { path, key }) => key.take().map(|k| join(path, &k)),
            Some(Frame::Seq { path, next }) => {
                *next += 1;
                Some(format!("{path}[{}]", *next - 1))
            }
            Some(Frame::Skip) => Some("\u{0}".into()),
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, event: Event, mark: Marker) {
        let at = (mark.line(), mark.col() + 1);
        match event {
            Event::Scalar(value, ..) => match self.next_path() {
                Some(path) => {
                    self.positions.values.entry(path).or_insert(at);
                }
                None => {
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let full = join(path, &value);
                        if self.positions.values.contains_key(&full) {
                            self.positions.repeats.push((full, at));
                        }
                        *key = Some(value);
                    }
                }
            },
            Event::Alias(_) => {
                self.next_path()
                    .map(|path| self.positions.values.entry(path).or_insert(at));
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_seq = matches!(event, Event::SequenceStart(..));
                let frame = match self.next_path() {
                    Some(path) => {
                        self.positions.values.entry(path.clone()).or_insert(at);
                        if is_seq {
                            Frame::Seq { path, next: 0 }
                        } else {
                            Frame::Map { path, key: None }
                        }
                    }
                    None => Frame::Skip,
                };
                self.stack.push(frame);
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(Frame::Skip) = self.stack.pop() {
                    // The complex key is done; its value comes next under a placeholder name.
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Some("\u{0}".into());
                    }
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_nesting() {
        let text = "event: purchase\ncluster_by: [a, b]\ndedupe:\n  key: event_id\nparams:\n  - key: x\n    type: string\n";
        let p = Positions::of(text).values;
        assert_eq!(p["event"], (1, 8));
        assert_eq!(p["cluster_by[1]"], (2, 17));
        assert_eq!(p["dedupe.key"], (4, 8));
        assert_eq!(p["params[0].type"], (7, 11));
    }

    #[test]
    fn depth_is_counted_outside_strings_and_comments() {
        let at = |text: &str| check_depth(Utf8Path::new("a.yaml"), text).map_err(|d| d.location);
        let deep = |n: usize| "[".repeat(n);
        assert!(at(&deep(MAX_DEPTH)).is_ok());
        let err = at(&format!("a: 1\nb: {}", deep(MAX_DEPTH + 1))).unwrap_err();
        assert_eq!(err, Some(Location::new("a.yaml", 2, 4 + MAX_DEPTH)));
        for hidden in [
            format!("a: '{}'", deep(100)),
            format!("a: \"\\\"{}\"", deep(100)),
            format!("a: 1 # {}", deep(100)),
            format!("a: 'it''s {}'", deep(100)),
        ] {
            assert!(at(&hidden).is_ok(), "{hidden}");
        }
        // A quote inside a plain scalar starts no string.
        assert!(at(&format!("a: it's\nb: {}", deep(100))).is_err());
        let start = std::time::Instant::now();
        assert!(at(&deep(100_000)).is_err());
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn locate_falls_back_to_parent() {
        let loaded: Loaded<serde_yaml::Value> = parse_yaml(
            Utf8Path::new("a.yaml"),
            "dedupe:\n  key: x\n".into(),
            None,
            "",
        )
        .unwrap();
        assert_eq!(loaded.locate("dedupe.order_by").line, 2);
        assert_eq!(loaded.locate("nothing.here"), Location::file("a.yaml"));
    }
}
