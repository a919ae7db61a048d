//! Lookups over the entries: which module spellings name which class, which names the built-in
//! function search finds, and the names to suggest per module.

use super::legacy::LEGACY_CLASSES;
use super::{Catalog, Entry};
use crate::resolve::{Builtins, ClassLookup, Kind};
use indexmap::IndexSet;
// foldhash: these maps are read for every object a config names (SipHash showed in profiles).
use foldhash::{HashMap, HashMapExt, HashSet};

/// The order in which `{"module": "builtins", "class_name": "function"}` configs search the
/// function modules. Keras iterates a frozenset of module names, so its order depends on Python's
/// hash seed; we need a fixed one. In Keras 3.15.1 it decides only `get`, `serialize` and
/// `deserialize`, the helper trios every one of these modules exports: every other name found in
/// several modules (`mean_squared_error` in losses and metrics) is one function exported twice.
/// Activations come first because layer configs name functions most often as activations, then
/// the modules of compile configs (losses, metrics), then the rest.
pub(super) const FUNCTION_SEARCH_ORDER: [&str; 7] = [
    "keras.activations",
    "keras.losses",
    "keras.metrics",
    "keras.initializers",
    "keras.regularizers",
    "keras.constraints",
    "keras.optimizers",
];

#[derive(Default)]
struct Module {
    /// Class name → id of the canonical entry.
    classes: HashMap<&'static str, usize>,
    /// Every class and function name the module holds, in catalog order, for suggestions.
    names: IndexSet<&'static str>,
}

impl Module {
    fn add(&mut self, entry: &Entry, name: &'static str) {
        self.names.insert(name);
        if entry.kind == Kind::Class {
            // The first entry to claim a name keeps it; the tests check that every entry
            // resolves to its own canonical entry, so no two objects compete for one name.
            self.classes.entry(name).or_insert(entry.canonical_id);
        }
    }
}

pub(super) struct Index {
    /// Every module a class can be named with: public namespaces, the modules Keras writes,
    /// the private modules that define each object, and legacy paths.
    modules: HashMap<&'static str, Module>,
    /// Function name (exported or canonical) → id of the canonical entry, in search order.
    functions: HashMap<&'static str, usize>,
    non_modeling: HashSet<String>,
    /// The last dotted part of each non-modeling path: most names are not among them, and are
    /// told so without building the path.
    non_modeling_tails: HashSet<String>,
    /// Every canonical name once, in catalog order.
    canonical_names: IndexSet<&'static str>,
}

/// The `get`, `serialize` and `deserialize` helpers every namespace exports turn configs into
/// objects and back; they model nothing. Keras resolves a function config named `get` to
/// `keras.activations.get`; we refuse them as non-modeling APIs instead.
fn is_namespace_helper(e: &Entry) -> bool {
    e.kind == Kind::Function && matches!(e.name.as_str(), "get" | "serialize" | "deserialize")
}

impl Index {
    pub(super) fn new(entries: &'static [Entry], non_modeling_apis: &[String]) -> Index {
        let mut modules: HashMap<&'static str, Module> = HashMap::new();
        for e in entries {
            // A public spelling accepts the exported name (an alias such as Convolution2D) and
            // the canonical name that Keras writes.
            let public = [Some(e.namespace.as_str()), Some(e.module.as_str()), e.serialized_as.module.as_deref()];
            let public: IndexSet<&'static str> = public.into_iter().flatten().filter(|m| is_keras(m)).collect();
            for module in public {
                let m = modules.entry(module).or_default();
                m.add(e, &e.name);
                if e.kind == Kind::Class {
                    m.classes.entry(&e.canonical).or_insert(e.canonical_id);
                }
            }
            // Keras imports a private module and looks the name up in its namespace, where only
            // the Python name is defined: aliases are export paths, not module attributes.
            let (defining, python_name) = e.defining_module_and_name();
            modules.entry(defining).or_default().add(e, python_name);
        }
        for &(module, name, python_path) in LEGACY_CLASSES {
            if let Some(e) = entries.iter().find(|e| e.python_path == python_path) {
                modules.entry(module).or_default().add(e, name);
            }
        }

        let mut functions = HashMap::new();
        for namespace in FUNCTION_SEARCH_ORDER {
            let modeling = entries.iter().filter(|e| !is_namespace_helper(e));
            for e in modeling.filter(|e| e.kind == Kind::Function && e.namespace == namespace) {
                // Keras finds only an object's first export path, so `swish` fails there; we
                // resolve aliases to the canonical function, which Keras writes anyway.
                functions.entry(e.name.as_str()).or_insert(e.canonical_id);
                functions.entry(e.canonical.as_str()).or_insert(e.canonical_id);
            }
        }

        let helpers = entries.iter().filter(|e| is_namespace_helper(e));
        let mut non_modeling: HashSet<String> = non_modeling_apis.iter().cloned().collect();
        non_modeling.extend(helpers.map(|e| format!("{}.{}", e.namespace, e.name)));
        let non_modeling_tails = non_modeling.iter().map(|p| tail(p).to_owned()).collect();
        Index {
            modules,
            functions,
            non_modeling,
            non_modeling_tails,
            canonical_names: entries.iter().map(|e| e.canonical.as_str()).collect(),
        }
    }
}

/// What follows the last dot (all of `path` without one).
fn tail(path: &str) -> &str {
    path.rsplit_once('.').map_or(path, |(_, t)| t)
}

fn is_keras(module: &str) -> bool {
    module == "keras" || module.starts_with("keras.")
}

impl Builtins for Catalog {
    type Ref = &'static Entry;

    /// Functions are not classes: a module that holds only a function of that name answers
    /// `NotInModule`, as does a known module without the name.
    fn class(&self, module: &str, name: &str) -> ClassLookup<&'static Entry> {
        match self.index.modules.get(module) {
            None => ClassLookup::UnknownModule,
            Some(m) => match m.classes.get(name) {
                Some(&id) => ClassLookup::Found(&self.entries[id]),
                None => ClassLookup::NotInModule,
            },
        }
    }

    /// Only function entries: Keras would also hand back a class exported under that name by a
    /// function module (`BinaryCrossentropy`), which a function config never means.
    fn function(&self, name: &str) -> Option<&'static Entry> {
        self.index.functions.get(name).map(|&id| &self.entries[id])
    }

    fn is_non_modeling(&self, module: &str, name: &str) -> bool {
        // `module.name` ends in `name`'s own last part.
        self.index.non_modeling_tails.contains(tail(name))
            && self.index.non_modeling.contains(&format!("{module}.{name}"))
    }

    /// The names a module holds (classes and functions; none for an unknown module), or every
    /// canonical name.
    fn names(&self, module: Option<&str>) -> Vec<&str> {
        match module {
            Some(module) => self.index.modules.get(module).map_or_else(Vec::new, |m| m.names.iter().copied().collect()),
            None => self.index.canonical_names.iter().copied().collect(),
        }
    }

    fn class_name<'r>(&self, found: &'r &'static Entry) -> &'r str {
        &found.canonical
    }
}
