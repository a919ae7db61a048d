//! The extendr seam of the shape engine: the model's JSON text in, a compact report out (one
//! column per figure, one row per layer), so R reads no report text on the way. What R needs
//! only on demand (a layer's tensors, build_configs) comes as small JSON texts per layer.
//! Failures are `kc_rust_error` lists.

use crate::fast::rapi::{closure, R_existsVarInFrame};
use extendr_api::prelude::*;
use extendr_ffi::{
    R_NamesSymbol, Rboolean, Rf_allocVector, Rf_defineVar, Rf_getAttrib, Rf_install, Rf_protect, Rf_unprotect,
    SET_STRING_ELT, SET_VECTOR_ELT, SEXP, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH,
};
use kerasconfig_core::{build_model, built_at_init, layer_updates, nested_layer, shape_text, updates};
use kerasconfig_core::{BuildConfig, Built, Init, LayerReport, ModelReport, Nested, Overrides, Shapes, Variable};
use serde_json::{json, Value};

// `SEXP` points to a struct extendr-ffi declares opaque; only the pointer crosses the boundary.
#[allow(improper_ctypes)]
extern "C" {
    fn R_MakeActiveBinding(sym: SEXP, fun: SEXP, env: SEXP);
    fn R_EnvironmentIsLocked(env: SEXP) -> Rboolean;
}

/// Config JSON is bounded by R's side (the codec's limits); this bounds what the engine walks.
const MAX_CONFIG_BYTES: usize = 256 << 20;

fn error(class: &str, message: &str) -> Robj {
    crate::rust_error(class, message)
}

/// Builds the serialized model `model` (JSON text). `overrides` (JSON text) gives the results
/// of layers the engine has no rule for: `{"<layer>#<node>": {"outputs", "dtypes", "variables",
/// "input_shape"}}`. With `build`, each layer's build_config and those of the layers nested in
/// it come too (column `build`, JSON text), for a model being built in R.
/// Returns a named list of columns: `name`, `class`, `built`, `nodes` (call count), `variables`
/// (count), `params`, `trainable_params`, `non_trainable_params`, `trainable_bytes`,
/// `non_trainable_bytes`, `output_shape` (Keras' text of the last call's outputs), `error_class`,
/// `error_message`, `connections` (list), `tensors` (JSON text of the calls' shapes and dtypes),
/// `weights` (JSON text of the variables: `path`, `shape`, `dtype`, `trainable`), `failed_inputs`
/// (JSON text), `build` (JSON text: `build_config`, `nested`, `updates`), and `model_updates`
/// (JSON text: the model's own updates; with `build` only).
#[extendr]
fn rs_shape_model(model: &str, overrides: &str, build: bool) -> Robj {
    if model.len() > MAX_CONFIG_BYTES {
        return error("kerasconfig_error_config", "The model config is too large for shape inference.");
    }
    let model: Value = match serde_json::from_str(model) {
        Ok(v) => v,
        Err(e) => return error("kerasconfig_error_config", &format!("Invalid model config: {e}.")),
    };
    let overrides = match parse_overrides(overrides) {
        Ok(o) => o,
        Err(m) => return error("kerasconfig_error_shape", &m),
    };
    match build_model(&model, &overrides) {
        Ok(report) => columns(&report, build.then_some(&model)),
        Err(e) => error(e.class(), &e.message()),
    }
}

fn parse_overrides(text: &str) -> std::result::Result<Overrides, String> {
    if text.is_empty() {
        return Ok(Overrides::new());
    }
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid overrides: {e}"))?;
    overrides_from_json(&v)
}

/// The overrides `rs_shape_model` takes, parsed (the DOT generator gets them from R too).
pub fn overrides_from_json(v: &Value) -> std::result::Result<Overrides, String> {
    let mut out = Overrides::new();
    for (key, b) in v.as_object().into_iter().flatten() {
        let (name, node) = key.rsplit_once('#').ok_or("override keys are <layer>#<node>")?;
        let node: usize = node.parse().map_err(|_| "override keys are <layer>#<node>")?;
        let outputs =
            Shapes::from_json(&b["outputs"]).ok_or_else(|| format!("layer '{name}': invalid output shape"))?;
        let n = outputs.flatten().len();
        let dtypes = match b["dtypes"].as_array() {
            Some(d) => d.iter().map(|x| x.as_str().unwrap_or("float32").to_owned()).collect(),
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
                        init: Init::key_of(v["path"].as_str().unwrap_or("")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        // A custom build() of several arguments records them by name, as Keras' shapes_dict.
        let shapes_dict = b
            .get("shapes_dict")
            .and_then(Value::as_object)
            .map(|d| d.iter().filter_map(|(k, v)| Some((k.clone(), Shapes::from_json(v)?))).collect::<Vec<_>>());
        let build_config = match (shapes_dict, b.get("input_shape").and_then(Shapes::from_json)) {
            (Some(d), _) => BuildConfig::ShapesDict(d),
            (None, Some(s)) => BuildConfig::InputShape(s),
            (None, None) => BuildConfig::None,
        };
        out.insert((name.to_owned(), node), Built { outputs, dtypes, variables, build_config, nested: vec![] });
    }
    Ok(out)
}

/// Bits per scalar of a variable dtype, as Keras' summary counts them (`dtype_utils.dtype_size`).
fn dtype_bits(dtype: &str) -> f64 {
    match dtype {
        "bool" => 1.0,
        "int8" | "uint8" => 8.0,
        "float16" | "bfloat16" | "int16" | "uint16" => 16.0,
        "float64" | "int64" | "uint64" => 64.0,
        _ => 32.0,
    }
}

/// Keras' text for one call's outputs: `(None, 4)`, or `[(None, 4), (None, 4)]` for several.
fn shapes_text(s: &Shapes) -> String {
    match s {
        Shapes::One(shape) => shape_text(shape),
        Shapes::Many(v) => format!("[{}]", v.iter().map(shapes_text).collect::<Vec<_>>().join(", ")),
    }
}

/// Per-layer sums of the variables: params, trainable/non-trainable params and bytes.
#[derive(Default)]
struct Sums {
    params: f64,
    trainable: f64,
    frozen: f64,
    trainable_bytes: f64,
    frozen_bytes: f64,
}

fn sums(built: Option<&Built>) -> Sums {
    let mut s = Sums::default();
    for v in built.map_or(&[][..], |b| &b.variables[..]) {
        let n = v.shape.iter().map(|&d| d as f64).product::<f64>();
        let bytes = n * dtype_bits(&v.dtype) / 8.0;
        s.params += n;
        if v.trainable {
            s.trainable += n;
            s.trainable_bytes += bytes;
        } else {
            s.frozen += n;
            s.frozen_bytes += bytes;
        }
    }
    s
}

fn tensors_json(l: &LayerReport) -> String {
    let nodes: Vec<Value> = l
        .nodes
        .iter()
        .map(|n| json!({ "inputs": n.inputs.to_json(), "outputs": n.outputs.to_json(), "dtypes": n.dtypes }))
        .collect();
    Value::Array(nodes).to_string()
}

fn weights_json(b: &Built) -> String {
    let vars: Vec<Value> = b
        .variables
        .iter()
        .map(|v| {
            json!({ "path": v.path, "shape": v.shape, "dtype": v.dtype, "trainable": v.trainable, "init": v.init.to_json() })
        })
        .collect();
    Value::Array(vars).to_string()
}

fn nested_json(n: &Nested) -> Value {
    json!({ "path": n.path, "build_config": n.build_config.to_json() })
}

/// What R applies to a layer it builds: build_configs (its own and its nested layers') and the
/// config changes building makes (updates.rs). `model` is the serialized model.
fn build_json(model: &Value, l: &LayerReport, b: &Built) -> String {
    let updates = layer_config(model, &l.name).map_or_else(Vec::new, |(class, config)| updates(class, config, b));
    json!({
        "build_config": b.build_config.to_json(),
        "nested": b.nested.iter().map(nested_json).collect::<Vec<_>>(),
        "updates": updates,
    })
    .to_string()
}

/// The `(class_name, config)` of the layer named `name` in a serialized model.
fn layer_config<'a>(model: &'a Value, name: &str) -> Option<(&'a str, &'a Value)> {
    let layers = model.get("config")?.get("layers")?.as_array()?;
    layers.iter().find_map(|e| {
        let (class, config) = nested_layer(e)?;
        let own = e.get("name").or_else(|| config.get("name")).and_then(Value::as_str);
        (own == Some(name)).then_some((class, config))
    })
}

/// The config changes building makes to the model itself (a Sequential model without an
/// InputLayer gets one), as JSON text.
fn model_updates(model: &Value, r: &ModelReport) -> Option<String> {
    let (class, config) = nested_layer(model)?;
    let inputs = r.inputs.clone()?;
    let mut out = Vec::new();
    layer_updates(&[], class, config, &BuildConfig::InputShape(inputs), &mut out);
    Some(Value::Array(out).to_string())
}

fn columns(r: &ModelReport, build: Option<&Value>) -> Robj {
    let ls = &r.layers;
    let text = |f: &dyn Fn(&LayerReport) -> Option<String>| -> Robj {
        Robj::from(ls.iter().map(f).collect::<Vec<Option<String>>>())
    };
    let s: Vec<Sums> = ls.iter().map(|l| sums(l.built.as_ref())).collect();
    let num = |f: fn(&Sums) -> f64| Robj::from(s.iter().map(f).collect::<Vec<f64>>());
    let connections = List::from_values(ls.iter().map(|l| {
        if l.connections.is_empty() {
            Robj::from(Vec::<String>::new())
        } else {
            Robj::from(l.connections.clone())
        }
    }));
    let out = list!(
        name = text(&|l| Some(l.name.clone())),
        class = text(&|l| Some(l.class.clone())),
        built = Robj::from(ls.iter().map(|l| l.built.is_some()).collect::<Vec<bool>>()),
        nodes = Robj::from(ls.iter().map(|l| l.nodes.len() as i32).collect::<Vec<i32>>()),
        variables = Robj::from(
            ls.iter().map(|l| l.built.as_ref().map_or(0, |b| b.variables.len() as i32)).collect::<Vec<i32>>()
        ),
        params = num(|s| s.params),
        trainable_params = num(|s| s.trainable),
        non_trainable_params = num(|s| s.frozen),
        trainable_bytes = num(|s| s.trainable_bytes),
        non_trainable_bytes = num(|s| s.frozen_bytes),
        output_shape = text(&|l| Some(l.nodes.last().map_or_else(|| "?".to_owned(), |n| shapes_text(&n.outputs)))),
        error_class = text(&|l| l.error.as_ref().map(|e| e.class().to_owned())),
        error_message = text(&|l| l.error.as_ref().map(|e| e.message())),
        connections = connections,
        tensors = text(&|l| Some(tensors_json(l))),
        weights = text(&|l| l.built.as_ref().map(weights_json)),
        failed_inputs = text(&|l| l.failed_inputs.as_ref().map(|s| s.to_json().to_string())),
        build = text(&|l| build.and_then(|m| l.built.as_ref().map(|b| build_json(m, l, b)))),
        model_updates = Robj::from(build.and_then(|m| model_updates(m, r)))
    );
    out.into()
}

/// Links the layer objects of a model to it: in the environment of each layer of `layers` (a list
/// named by the layers' names in the model), `.__shape_of__` becomes `list(model, name)`, and
/// `output` and `input` become active bindings whose functions have `bodies$output` and
/// `bodies$input` as bodies and the layer as environment (unless the layer has bindings of those
/// names). What R would do in a loop over the layers, without an R closure call per layer.
/// Locked environments and elements that are not environments are left alone.
#[extendr]
fn rs_bind_layers(model: Robj, layers: List, bodies: List) -> Robj {
    let (Some(output), Some(input)) = (bodies.dollar("output").ok(), bodies.dollar("input").ok()) else {
        return error("kerasconfig_error_type", "`bodies` must hold `output` and `input`.");
    };
    // SAFETY: on R's main thread (inside `.Call`); the arguments are alive for the whole call.
    unsafe {
        let list = layers.get();
        let n = XLENGTH(list);
        let list_names = Rf_getAttrib(list, R_NamesSymbol);
        if TYPEOF(list_names) != SEXPTYPE::STRSXP || XLENGTH(list_names) != n {
            return error("kerasconfig_error_type", "`layers` must be a named list.");
        }
        bind_layers(model.get(), list, list_names, [output.get(), input.get()]);
    }
    model
}

/// The loop of `rs_bind_layers`, shared with the fast path (which builds models natively):
/// `layers[[i]]` gets `.__shape_of__` = `list(model, names[i])` and active bindings `output` and
/// `input` with `bodies` as bodies.
///
/// # Safety
/// On R's main thread; every SEXP made is protected until it is bound into a layer environment,
/// which keeps it alive. Only allocation can fail (an R error).
pub(crate) unsafe fn bind_layers(model: SEXP, list: SEXP, names: SEXP, bodies: [SEXP; 2]) {
    let shape_of = Rf_install(c".__shape_of__".as_ptr());
    let sides = [(Rf_install(c"output".as_ptr()), bodies[0]), (Rf_install(c"input".as_ptr()), bodies[1])];
    for i in 0..XLENGTH(list) {
        // A layer is the callable its environment encloses (R/callable.R).
        let Some(env) = crate::fast::instance_env(VECTOR_ELT(list, i)) else { continue };
        if R_EnvironmentIsLocked(env) != Rboolean::FALSE {
            continue;
        }
        let link = Rf_protect(Rf_allocVector(SEXPTYPE::VECSXP, 2));
        SET_VECTOR_ELT(link, 0, model);
        let name = Rf_allocVector(SEXPTYPE::STRSXP, 1);
        SET_VECTOR_ELT(link, 1, name);
        SET_STRING_ELT(name, 0, STRING_ELT(names, i));
        Rf_defineVar(shape_of, link, env);
        Rf_unprotect(1);
        for &(sym, body) in &sides {
            if R_existsVarInFrame(env, sym) == Rboolean::FALSE {
                let f = Rf_protect(closure(body, env));
                R_MakeActiveBinding(sym, f, env);
                Rf_unprotect(1);
            }
        }
    }
}

/// Whether Keras 3.15.1 builds a built-in layer of this class in its constructor, and so ignores
/// the build_config of its config (`super::built_at_init`).
#[extendr]
fn rs_built_at_init(class: &str) -> bool {
    built_at_init(class)
}

extendr_module! {
    mod rapi;
    fn rs_shape_model;
    fn rs_built_at_init;
    fn rs_bind_layers;
}
