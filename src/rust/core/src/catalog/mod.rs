//! The catalog of Keras built-ins: every public class and function of the namespaces configs
//! use, the model classes, and the non-exported classes real configs name, with their
//! parameters and default configs.
//!
//! `catalog.json` is generated from the Keras reference data by `tools/gen-catalog.py` and
//! embedded at build time; it is parsed once, on first use. An entry's `id` is its index in
//! the catalog, stable for a given catalog.json, and is how R refers to it. Entries that stand
//! for the same Python object (an alias such as `Convolution2D`, a re-export such as
//! `keras.metrics.mean_squared_error` or `keras.DTypePolicy`) share one `canonical_id`: the first
//! non-alias entry of the object, listed under its home namespace. Every lookup answers with
//! that canonical entry.
//!
//! Lookup rules are in `index.rs` (the `resolve::Builtins` implementation) and `legacy.rs`.

use crate::resolve::Kind;
use serde_json::{Map, Value};
use std::sync::LazyLock;

pub mod checks;
pub mod derive;
mod index;
mod legacy;
mod parse;
pub mod rules;
#[cfg(test)]
mod tests;

pub struct Catalog {
    pub source: Source,
    /// The public namespaces every symbol was listed from (besides the top level).
    pub namespaces: Vec<String>,
    /// Names exported by the `keras` module itself.
    pub top_level: Vec<String>,
    /// `module.name` paths Keras refuses to deserialize.
    pub non_modeling_apis: Vec<String>,
    /// The modules Keras searches for `{"module": "builtins", "class_name": "function"}`.
    pub function_modules: Vec<String>,
    /// Names that several function modules export as different objects.
    pub collisions: Vec<Collision>,
    entries: &'static [Entry],
    index: index::Index,
}

/// Where the catalog's data comes from.
pub struct Source {
    pub keras_version: String,
    pub backend: String,
    /// When the reference data was generated.
    pub generated: String,
}

/// One exported name (or one non-exported class) of Keras.
pub struct Entry {
    pub id: usize,
    /// The namespace it is listed in: `keras.layers`, `keras` for the top level, or the module
    /// a config names for a non-exported class.
    pub namespace: String,
    /// The module Keras writes in configs for it (functions: of its first export path).
    pub module: String,
    /// Its exported name in `namespace`.
    pub name: String,
    /// The name Keras writes: a class's `class_name`, a function's config string.
    pub canonical: String,
    /// The entry that stands for the same object; its own id for canonical entries.
    pub canonical_id: usize,
    pub kind: Kind,
    /// `layers`, `optimizers`, `schedules`, `losses`, `metrics`, `activations`, …
    pub family: String,
    /// The defining module and the Python name.
    pub python_path: String,
    /// Keras base classes, nearest first; `None` for functions.
    pub bases: Option<Vec<String>>,
    pub params: Vec<Param>,
    /// The config of a default instance, keys in Keras' order; `None` when it cannot be built.
    pub default_config: Option<Map<String, Value>>,
    pub config_keys: Option<Vec<String>>,
    pub serialized_as: SerializedAs,
    /// The arguments the default instance was built with (classes only).
    pub required_args_used: Option<Map<String, Value>>,
    pub is_alias: bool,
    /// Other exported names of the same object in `namespace`.
    pub aliases: Vec<String>,
}

/// A constructor parameter (classes) or a signature parameter (functions).
pub struct Param {
    pub name: String,
    /// Python's parameter kind: `positional_or_keyword`, `keyword_only`, `var_keyword`, …
    pub kind: String,
    pub required: bool,
    /// The serialized default; `None` when the parameter has none.
    pub default: Option<Value>,
}

/// The header Keras writes for an instance: `module` and `registered_name` (`None` when null
/// or, for KerasTensor, absent). Functions are written with module `builtins`.
pub struct SerializedAs {
    pub module: Option<String>,
    pub registered_name: Option<String>,
}

pub struct Collision {
    pub name: String,
    pub candidates: Vec<CollisionCandidate>,
}

pub struct CollisionCandidate {
    pub module: String,
    pub kind: Kind,
    pub python_path: String,
}

impl Entry {
    /// The module that defines the object, and the object's name there.
    pub fn defining_module_and_name(&self) -> (&str, &str) {
        self.python_path.rsplit_once('.').unwrap_or(("", &self.python_path))
    }
}

impl Catalog {
    fn from_json(text: &str) -> std::result::Result<Catalog, String> {
        let parsed = parse::parse(text)?;
        // The catalog lives as long as the process, so its entries are leaked once to let
        // lookups hand out `&'static Entry` without borrowing the catalog.
        let entries: &'static [Entry] = Box::leak(parsed.entries.into_boxed_slice());
        let index = index::Index::new(entries, &parsed.non_modeling_apis);
        Ok(Catalog {
            source: parsed.source,
            namespaces: parsed.namespaces,
            top_level: parsed.top_level,
            non_modeling_apis: parsed.non_modeling_apis,
            function_modules: parsed.function_modules,
            collisions: parsed.collisions,
            entries,
            index,
        })
    }

    /// All entries, in id order.
    pub fn entries(&self) -> &'static [Entry] {
        self.entries
    }

    pub fn by_id(&self, id: usize) -> Option<&'static Entry> {
        self.entries.get(id)
    }
}

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    // Generated and checked by `cargo test`: a failure here is a build defect, not user input.
    Catalog::from_json(include_str!("catalog.json")).unwrap_or_else(|e| panic!("invalid embedded catalog: {e}"))
});

pub fn catalog() -> &'static Catalog {
    &CATALOG
}

pub fn by_id(id: usize) -> Option<&'static Entry> {
    catalog().by_id(id)
}

/// The names Keras' `activations.get()` takes: its activation functions, exported names (the
/// aliases `swish` and `hard_swish`) included, but not the namespace helpers.
static ACTIVATION_NAMES: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    catalog()
        .entries()
        .iter()
        .filter(|e| e.namespace == "keras.activations" && e.kind == Kind::Function)
        .map(|e| e.name.as_str())
        .filter(|n| !matches!(*n, "get" | "serialize" | "deserialize"))
        .collect()
});

pub fn is_activation_name(name: &str) -> bool {
    ACTIVATION_NAMES.contains(name)
}
