//! The catalog of Keras built-ins for R: its entries (`rs_catalog_entry()`,
//! `rs_catalog_symbols()`) and, in `rules`, what Keras' `__init__` does to their arguments.

use extendr_api::prelude::*;
use kerasconfig_core::by_id;
pub(crate) use kerasconfig_core::{catalog, is_activation_name, Entry};
use serde_json::Value;

pub(crate) mod rules;

fn null() -> Robj {
    ().into()
}

fn string_or_null(s: Option<&str>) -> Robj {
    s.map_or_else(null, Robj::from)
}

/// JSON as text, for R to parse with the package's JSON codec.
fn json_or_null(v: Option<Value>) -> Robj {
    v.map_or_else(null, |v| Robj::from(v.to_string()))
}

fn strings(v: &[String]) -> Robj {
    Robj::from(v.iter().map(String::as_str).collect::<Vec<_>>())
}

/// One entry as a named list; `default_config`, `required_args_used` and parameter defaults are
/// JSON text (`NULL` when absent). `NULL` for an id out of range.
#[extendr]
fn rs_catalog_entry(id: i32) -> Robj {
    let Some(e) = usize::try_from(id).ok().and_then(by_id) else {
        return null();
    };
    let params = List::from_values(e.params.iter().map(|p| {
        list!(
            name = p.name.as_str(),
            kind = p.kind.as_str(),
            required = p.required,
            has_default = p.default.is_some(),
            default = json_or_null(p.default.clone())
        )
    }));
    list!(
        id = e.id as i32,
        namespace = e.namespace.as_str(),
        module = e.module.as_str(),
        name = e.name.as_str(),
        canonical = e.canonical.as_str(),
        canonical_id = e.canonical_id as i32,
        kind = e.kind.word(),
        family = e.family.as_str(),
        python_path = e.python_path.as_str(),
        bases = e.bases.as_deref().map_or_else(null, strings),
        params = params,
        default_config = json_or_null(e.default_config.clone().map(Value::Object)),
        config_keys = e.config_keys.as_deref().map_or_else(null, strings),
        serialized_as = list!(
            module = string_or_null(e.serialized_as.module.as_deref()),
            registered_name = string_or_null(e.serialized_as.registered_name.as_deref())
        ),
        required_args_used = json_or_null(e.required_args_used.clone().map(Value::Object)),
        is_alias = e.is_alias,
        aliases = strings(&e.aliases)
    )
    .into()
}

/// Every entry, as a named list of equal-length columns for a data frame.
#[extendr]
fn rs_catalog_symbols() -> Robj {
    let es = catalog().entries();
    let ints = |f: fn(&Entry) -> usize| Robj::from(es.iter().map(|e| f(e) as i32).collect::<Vec<_>>());
    let texts = |f: fn(&Entry) -> &str| Robj::from(es.iter().map(f).collect::<Vec<_>>());
    list!(
        id = ints(|e| e.id),
        namespace = texts(|e| &e.namespace),
        module = texts(|e| &e.module),
        name = texts(|e| &e.name),
        canonical = texts(|e| &e.canonical),
        canonical_id = ints(|e| e.canonical_id),
        kind = texts(|e| e.kind.word()),
        family = texts(|e| &e.family),
        python_path = texts(|e| &e.python_path),
        is_alias = Robj::from(es.iter().map(|e| e.is_alias).collect::<Vec<_>>())
    )
    .into()
}

/// Whether `name` is a built-in activation's name (`activations.get()`).
#[extendr]
fn rs_is_activation_name(name: &str) -> bool {
    is_activation_name(name)
}

extendr_module! {
    mod catalog;
    use rules;
    fn rs_catalog_entry;
    fn rs_catalog_symbols;
    fn rs_is_activation_name;
}
