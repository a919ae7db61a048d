//! The pure JSON codec, with no R in it: a parser that pushes values into a [`read::Sink`], and a
//! [`write::Printer`] that a [`write::Source`] drives, producing Python's `json.dumps` text byte
//! for byte. The R glue (the package crate's `json::rbuild`, `json::rwalk`) plugs into these traits; the fuzz
//! target includes this directory by path, so nothing here may depend on extendr.

pub mod float;
pub mod read;
pub mod write;

// A plain Rust value model for tests; the fuzz target includes it by path too.
#[cfg(test)]
pub mod tree;

/// Deepest nesting of arrays and objects accepted when reading and writing: the package's one
/// depth limit, as for R lists (`kc_max_depth`), far above real configs (13 levels at most in the
/// reference data) and far from the end of the C stack.
pub const MAX_DEPTH: usize = 100;

#[cfg(test)]
mod tests {
    use super::tree::{parse, to_json};
    use std::path::Path;

    /// Every `.json` file of the Keras reference corpus (`$KERASCONFIG_REFERENCE`, set by `make
    /// test`) reads and writes back to the same bytes. Skipped when the corpus is absent.
    #[test]
    fn reference_corpus_round_trips_byte_for_byte() {
        let Some(root) = crate::testing::reference_dir("reference round trip") else { return };
        let mut files = Vec::new();
        for folder in ["objects", "models", "edge"] {
            collect_json(&Path::new(&root).join(folder), &mut files);
        }
        for file in &files {
            let text = std::fs::read(file).unwrap();
            let value = parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let written = to_json(&value, false).unwrap();
            assert!(written.as_bytes() == text, "{} does not round-trip", file.display());
        }
        assert!(files.len() >= 376, "only {} reference files", files.len());
    }

    fn collect_json(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                collect_json(&path, files);
            } else if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
}
