//! The extendr seam of the shape engine: JSON text in, JSON text out (R reads it with
//! `config_from_json`), failures as `kc_rust_error` lists.

use super::model::{build_model, LayerReport, ModelReport, Overrides};
use super::{BuildConfig, Built, Nested, ShapeError, Shapes, Variable};
use extendr_api::prelude::*;
use serde_json::{json, Value};

/// Config JSON is bounded by R's side (the codec's limits); this bounds what the engine walks.
const MAX_CONFIG_BYTES: usize = 256 << 20;

fn error(class: &str, message: &str) -> Robj {
    crate::rust_error(class, message)
}

/// Builds the serialized model `model` (JSON text). `overrides` (JSON text) gives the results
/// of layers the engine has no rule for: `{"<layer>#<node>": {"outputs", "dtypes", "variables"}}`.
/// Returns the report as JSON text.
#[extendr]
fn rs_shape_model(model: &str, overrides: &str) -> Robj {
    if model.len() > MAX_CONFIG_BYTES {
        return error(
            "kerasconfig_error_config",
            "The model config is too large for shape inference.",
        );
    }
    let model: Value = match serde_json::from_str(model) {
        Ok(v) => v,
        Err(e) => {
            return error(
                "kerasconfig_error_config",
                &format!("Invalid model config: {e}."),
            )
        }
    };
    let overrides = match parse_overrides(overrides) {
        Ok(o) => o,
        Err(m) => return error("kerasconfig_error_shape", &m),
    };
    match build_model(&model, &overrides) {
        Ok(report) => r!(report_json(&report).to_string()),
        Err(e) => error(e.class(), &e.message()),
    }
}

fn parse_overrides(text: &str) -> std::result::Result<Overrides, String> {
    let mut out = Overrides::new();
    if text.is_empty() {
        return Ok(out);
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid overrides: {e}"))?;
    for (key, b) in v.as_object().into_iter().flatten() {
        let (name, node) = key
            .rsplit_once('#')
            .ok_or("override keys are <layer>#<node>")?;
        let node: usize = node
            .parse()
            .map_err(|_| "override keys are <layer>#<node>")?;
        let outputs = Shapes::from_json(&b["outputs"])
            .ok_or_else(|| format!("layer '{name}': invalid output shape"))?;
        let n = outputs.flatten().len();
        let dtypes = match b["dtypes"].as_array() {
            Some(d) => d
                .iter()
                .map(|x| x.as_str().unwrap_or("float32").to_owned())
                .collect(),
            None => vec!["float32".to_owned(); n],
        };
        let variables = b["variables"]
            .as_array()
            .map(|vars| {
                vars.iter()
                    .map(|v| Variable {
                        path: v["path"].as_str().unwrap_or("").to_owned(),
                        shape: v["shape"]
                            .as_array()
                            .map(|s| s.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default(),
                        dtype: v["dtype"].as_str().unwrap_or("float32").to_owned(),
                        trainable: v["trainable"].as_bool().unwrap_or(true),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let build_config = match b.get("input_shape").and_then(Shapes::from_json) {
            Some(s) => BuildConfig::InputShape(s),
            None => BuildConfig::None,
        };
        out.insert(
            (name.to_owned(), node),
            Built {
                outputs,
                dtypes,
                variables,
                build_config,
                nested: vec![],
            },
        );
    }
    Ok(out)
}

fn error_json(e: &ShapeError) -> Value {
    json!({ "class": e.class(), "message": e.message() })
}

fn nested_json(n: &Nested) -> Value {
    json!({ "path": n.path, "build_config": n.build_config.to_json() })
}

fn layer_json(l: &LayerReport) -> Value {
    let nodes: Vec<Value> = l
        .nodes
        .iter()
        .map(|n| json!({ "inputs": n.inputs.to_json(), "outputs": n.outputs.to_json(), "dtypes": n.dtypes }))
        .collect();
    let mut v = json!({ "name": l.name, "class": l.class, "nodes": nodes });
    if let Some(b) = &l.built {
        v["params"] = json!(b.params());
        v["variables"] = Value::Array(
            b.variables
                .iter()
                .map(|x| json!({ "path": x.path, "shape": x.shape, "dtype": x.dtype, "trainable": x.trainable }))
                .collect(),
        );
        v["build_config"] = b.build_config.to_json();
        v["nested"] = Value::Array(b.nested.iter().map(nested_json).collect());
    }
    if let Some(e) = &l.error {
        v["error"] = error_json(e);
    }
    if !l.connections.is_empty() {
        v["connections"] = json!(l.connections);
    }
    if let Some(s) = &l.failed_inputs {
        v["failed_inputs"] = s.to_json();
    }
    v
}

fn report_json(r: &ModelReport) -> Value {
    json!({
        "layers": r.layers.iter().map(layer_json).collect::<Vec<_>>(),
        "inputs": r.inputs.as_ref().map(Shapes::to_json),
        "outputs": r.outputs.as_ref().map(Shapes::to_json),
        "output_dtypes": r.output_dtypes,
    })
}

extendr_module! {
    mod rapi;
    fn rs_shape_model;
}
