//! What building a layer changes in its config besides `build_config`: attributes Keras'
//! `build()` reassigns and `get_config()` then writes. R applies these to the layers of a model
//! it builds (R/shapes.R), so their configs are the text Keras writes for the built model.
//!
//! - LayerNormalization and RMSNormalization: an `axis` integer becomes a one-element list, a
//!   list is sorted (`self.axis = [self.axis]`, `sorted(self.axis)`).
//! - Sequential without an InputLayer: building prepends `InputLayer(batch_shape, dtype)` (the
//!   first layer's compute dtype) and the config then records `build_input_shape`.

use super::{as_int, nested_layer, policy_dtypes, policy_name, BuildConfig, Built, Shapes};
use serde_json::{json, Value};

/// The updates of a built layer (`class`, `config`) and of the layers nested in it, as JSON:
/// `{"path": [...], "key": ..., "value": ...}` sets a config entry of the layer at `path` (as in
/// [`super::Nested`]); `{"path": [...], "input_layer": {"batch_shape", "dtype"}}` prepends an
/// InputLayer to the layers of the Sequential model at `path`.
pub fn updates(class: &str, config: &Value, built: &Built) -> Vec<Value> {
    let mut out = Vec::new();
    layer_updates(&[], class, config, &built.build_config, &mut out);
    for n in &built.nested {
        if let Some((c, cfg)) = at_path(config, &n.path) {
            layer_updates(&n.path, c, cfg, &n.build_config, &mut out);
        }
    }
    out
}

/// The updates of one layer built with `build_config`.
pub fn layer_updates(path: &[String], class: &str, config: &Value, build_config: &BuildConfig, out: &mut Vec<Value>) {
    match class {
        "LayerNormalization" | "RMSNormalization" => {
            let axis = config.get("axis").unwrap_or(&Value::Null);
            let value = if let Some(a) = as_int(axis) {
                Some(json!([a]))
            } else {
                axis.as_array().and_then(|items| {
                    let mut sorted: Vec<i64> = items.iter().map(as_int).collect::<Option<_>>()?;
                    sorted.sort_unstable();
                    let changed = items.iter().map(as_int).ne(sorted.iter().map(|&a| Some(a)));
                    changed.then(|| json!(sorted))
                })
            };
            if let Some(value) = value {
                out.push(json!({ "path": path, "key": "axis", "value": value }));
            }
        }
        "Sequential" => {
            let BuildConfig::InputShape(Shapes::One(shape)) = build_config else { return };
            let layers = config.get("layers").and_then(Value::as_array);
            let Some((first_class, first)) = layers.and_then(|l| l.first()).and_then(nested_layer) else { return };
            if first_class == "InputLayer" {
                return;
            }
            let policy = policy_name(first.get("dtype")).unwrap_or_else(|| "float32".into());
            let dtype = policy_dtypes(&policy).0;
            let batch_shape = Shapes::One(shape.clone()).to_json();
            out.push(json!({ "path": path, "input_layer": { "batch_shape": batch_shape, "dtype": dtype } }));
        }
        _ => {}
    }
}

/// The layer at `path` inside the layer config `config`: config keys and list indexes, each
/// nested layer entered through its `config`.
fn at_path<'a>(config: &'a Value, path: &[String]) -> Option<(&'a str, &'a Value)> {
    let mut current = config;
    let mut found = None;
    for key in path {
        let next = match current {
            Value::Array(items) => items.get(key.parse::<usize>().ok()?)?,
            _ => current.get(key)?,
        };
        match nested_layer(next) {
            Some((c, cfg)) => {
                found = Some((c, cfg));
                current = cfg;
            }
            None => {
                found = None;
                current = next;
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(build_config: BuildConfig) -> Built {
        Built { outputs: Shapes::One(vec![]), dtypes: vec![], variables: vec![], build_config, nested: vec![] }
    }

    /// Keras 3.15.1 writes `"axis": [-1]` for a built LayerNormalization(axis=-1), and sorts lists.
    #[test]
    fn normalization_axes_become_sorted_lists() {
        let b = built(BuildConfig::None);
        assert_eq!(
            updates("LayerNormalization", &json!({"axis": -1}), &b),
            vec![json!({"path": [], "key": "axis", "value": [-1]})]
        );
        assert_eq!(updates("RMSNormalization", &json!({"axis": [2, 1]}), &b)[0]["value"], json!([1, 2]));
        assert!(updates("RMSNormalization", &json!({"axis": [1, 2]}), &b).is_empty());
    }

    /// Keras 3.15.1: `Sequential([Dense(4), Dense(2)])` built on `(None, 8)` writes an InputLayer
    /// `{"batch_shape": [null, 8], "dtype": "float32"}` first; one that has an InputLayer keeps it.
    #[test]
    fn a_sequential_built_without_input_layer_gets_one() {
        let dense = json!({"class_name": "Dense", "config": {"units": 4, "dtype": "mixed_float16"}});
        let b = built(BuildConfig::InputShape(Shapes::One(vec![None, Some(8)])));
        let up = updates("Sequential", &json!({"layers": [dense]}), &b);
        assert_eq!(up, vec![json!({"path": [], "input_layer": {"batch_shape": [null, 8], "dtype": "float16"}})]);
        let input = json!({"class_name": "InputLayer", "config": {"batch_shape": [null, 8]}});
        assert!(updates("Sequential", &json!({"layers": [input, dense]}), &b).is_empty());
    }

    #[test]
    fn nested_layers_are_found_by_their_paths() {
        let norm = json!({"class_name": "LayerNormalization", "config": {"axis": -1}});
        let config = json!({"layer": {"class_name": "Sequential", "config": {"layers": [norm]}}});
        let mut b = built(BuildConfig::None);
        b.nested.push(super::super::Nested {
            path: vec!["layer".into(), "layers".into(), "0".into()],
            build_config: BuildConfig::None,
        });
        let up = updates("TimeDistributed", &config, &b);
        assert_eq!(up, vec![json!({"path": ["layer", "layers", "0"], "key": "axis", "value": [-1]})]);
    }
}
