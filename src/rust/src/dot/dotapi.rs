//! The extendr seam of `model_to_dot`: JSON text in, DOT text out, failures as `kc_rust_error`.

use crate::shape::rapi::overrides_from_json;
use extendr_api::prelude::*;
use kerasconfig_core::{model_to_dot, DotOptions as Options, Reports};
use serde_json::Value;

/// Bounds what is parsed: configs are bounded by R's side too.
const MAX_BYTES: usize = 256 << 20;

fn error(class: &str, message: &str) -> Robj {
    crate::rust_error(class, message)
}

fn parse(text: &str, what: &str) -> std::result::Result<Value, Robj> {
    if text.len() > MAX_BYTES {
        return Err(error("kerasconfig_error_config", &format!("The {what} is too large to draw.")));
    }
    serde_json::from_str(text).map_err(|e| error("kerasconfig_error_config", &format!("Invalid {what}: {e}.")))
}

fn options(v: &Value) -> Options {
    let d = Options::default();
    let flag = |k: &str, default: bool| v.get(k).and_then(Value::as_bool).unwrap_or(default);
    let text = |k: &str, default: &str| v.get(k).and_then(Value::as_str).unwrap_or(default).to_owned();
    Options {
        show_shapes: flag("show_shapes", d.show_shapes),
        show_dtype: flag("show_dtype", d.show_dtype),
        show_layer_names: flag("show_layer_names", d.show_layer_names),
        rankdir: text("rankdir", &d.rankdir),
        expand_nested: flag("expand_nested", d.expand_nested),
        dpi: text("dpi", &d.dpi),
        subgraph: flag("subgraph", d.subgraph),
        show_layer_activations: flag("show_layer_activations", d.show_layer_activations),
        show_trainable: flag("show_trainable", d.show_trainable),
        splines: text("splines", &d.splines),
        layer_range: v
            .get("layer_range")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect()),
    }
}

/// The DOT text of the serialized model `model` (JSON text). `overrides` (JSON text) holds what
/// R's custom layers said of their shapes (the shape engine's overrides, as `rs_shape_model`
/// takes them) for the model and the models nested in it, by path (`""`, `"inner"`,
/// `"inner/deeper"`); `options` (JSON text) `model_to_dot`'s options.
#[extendr]
fn rs_model_to_dot(model: &str, overrides: &str, options_json: &str) -> Robj {
    let parsed = (|| {
        Ok((parse(model, "model config")?, parse(overrides, "shape overrides")?, parse(options_json, "options")?))
    })();
    let (model, overrides, opts): (Value, Value, Value) = match parsed {
        Ok(p) => p,
        Err(e) => return e,
    };
    let mut reports = Reports::new();
    for (path, v) in overrides.as_object().into_iter().flatten() {
        match overrides_from_json(v) {
            Ok(o) => reports.insert(path.clone(), o),
            Err(m) => return error("kerasconfig_error_shape", &m),
        };
    }
    match model_to_dot(&model, &reports, &options(&opts)) {
        Ok(text) => r!(text),
        Err(e) => error(e.class(), &e.message()),
    }
}

extendr_module! {
    mod dotapi;
    fn rs_model_to_dot;
}
