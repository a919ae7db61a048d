//! Whole models: a Sequential model's layers one after the other, a Functional model's graph
//! node by node (Keras' rebuild order), and models nested in others as layers.

use super::{build_in, nested_layer, BuildConfig, Built, Layer, Result, ShapeError, Shapes};
use serde_json::Value;
use std::collections::HashMap;

/// One call of a layer: the shapes it was called on and what it returned.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub inputs: Shapes,
    pub outputs: Shapes,
    pub dtypes: Vec<String>,
}

/// What a model's build made of one of its layers.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerReport {
    pub name: String,
    pub class: String,
    /// The layer's calls in node order (node 0 first).
    pub nodes: Vec<Node>,
    /// The layer as built by its first call: variables, build_config.
    pub built: Option<Built>,
    /// Why the layer is unbuilt: no rule for its class, incompatible inputs, or an unbuilt input.
    pub error: Option<ShapeError>,
    /// The inputs of the call that failed (for R to build a custom layer on).
    pub failed_inputs: Option<Shapes>,
    /// Every input tensor of every call, as Keras' summary shows them: `layer[node][tensor]`.
    pub connections: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ModelReport {
    pub layers: Vec<LayerReport>,
    /// The model's input shape(s), when known (Sequential: `build_input_shape`).
    pub inputs: Option<Shapes>,
    /// The model's output shape(s), when every layer on the way is built.
    pub outputs: Option<Shapes>,
    pub output_dtypes: Vec<String>,
}

impl ModelReport {
    pub fn params(&self) -> i64 {
        self.layers.iter().filter_map(|l| l.built.as_ref()).map(Built::params).sum()
    }
}

/// Results given for layers the engine has no rule for (custom layers, whose shapes R
/// computes), by layer name and node index.
pub type Overrides = HashMap<(String, usize), Built>;

/// Builds a serialized model (`{"class_name": "Sequential" | "Functional", "config": ...}`).
pub fn build_model(model: &Value, overrides: &Overrides) -> Result<ModelReport> {
    let (class, config) = nested_layer(model).ok_or_else(|| ShapeError::Config {
        layer: String::new(),
        message: "a model config must hold `class_name` and `config`".into(),
    })?;
    let layer = Layer::new(class, config, None);
    match class {
        "Sequential" => sequential(&layer, None, overrides, true),
        "Functional" | "Model" => functional(&layer, None, overrides, true),
        _ => Err(layer.config_error(format!("{class} is not a model class"))),
    }
}

/// A model used as a layer of another.
pub fn build_nested(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let report = match layer.class {
        "Sequential" => sequential(layer, Some(inputs), &Overrides::new(), false)?,
        "Functional" | "Model" if layer.get("input_layers").is_some() => {
            functional(layer, Some(inputs), &Overrides::new(), false)?
        }
        _ => return Ok(None),
    };
    if let Some(l) = report.layers.iter().find_map(|l| l.error.clone()) {
        return Err(l);
    }
    let outputs = report.outputs.clone().ok_or_else(|| layer.incompatible("the model has no outputs.".into()))?;
    let mut variables = Vec::new();
    let mut nested = Vec::new();
    for (i, l) in report.layers.iter().enumerate() {
        if let Some(b) = &l.built {
            variables.extend(b.variables.iter().cloned());
            nested.push(super::Nested {
                path: vec!["layers".into(), i.to_string()],
                build_config: b.build_config.clone(),
            });
        }
    }
    let build_config =
        if layer.class == "Sequential" { BuildConfig::InputShape(inputs.clone()) } else { BuildConfig::None };
    Ok(Some(Built { outputs, dtypes: report.output_dtypes, variables, build_config, nested }))
}

/// The batch shape and dtype of an InputLayer config.
fn input_layer(config: &Value) -> Option<(Shapes, String)> {
    let shape = config.get("batch_shape").or_else(|| config.get("batch_input_shape")).filter(|v| !v.is_null());
    let shape = match shape {
        Some(v) => Shapes::from_json(v)?,
        None => {
            let mut s = vec![None];
            s.extend(Shapes::from_json(config.get("shape")?)?.one()?.iter().copied());
            Shapes::One(s)
        }
    };
    let dtype = super::policy_name(config.get("dtype")).unwrap_or_else(|| "float32".into());
    Some((shape, dtype))
}

fn unbuilt(name: &str, class: &str, error: ShapeError) -> LayerReport {
    LayerReport {
        name: name.to_owned(),
        class: class.to_owned(),
        nodes: vec![],
        built: None,
        error: Some(error),
        failed_inputs: None,
        connections: vec![],
    }
}

fn after(layer: &str, blocker: &str) -> ShapeError {
    ShapeError::Unknown {
        class: String::new(),
        why: format!("layer '{layer}' is unbuilt because '{blocker}' before it is"),
    }
}

/// Builds one call of a layer: the engine's rule, or the result given for it.
fn call(layer: &Layer, node: usize, inputs: &Shapes, kwargs: Option<&Value>, overrides: &Overrides) -> Result<Built> {
    if let Some(b) = overrides.get(&(layer.name.clone(), node)) {
        return Ok(b.clone());
    }
    let scores = kwargs.and_then(|k| k.get("return_attention_scores")).and_then(Value::as_bool).unwrap_or(false);
    if scores {
        if let Some(b) = super::attention::build_call(layer, inputs, true)? {
            return Ok(b);
        }
    }
    build_in(layer, inputs)
}

fn sequential(model: &Layer, given: Option<&Shapes>, overrides: &Overrides, top: bool) -> Result<ModelReport> {
    let layers = model
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| model.config_error("`layers` must be a list".into()))?;
    let mut report = ModelReport::default();
    let mut current: Option<(Shapes, Vec<String>, String)> = None;
    let start_input = layers.first().and_then(nested_layer).filter(|(c, _)| *c == "InputLayer");
    if let Some((_, cfg)) = start_input {
        let (shape, dtype) =
            input_layer(cfg).ok_or_else(|| model.config_error("the InputLayer has no valid `batch_shape`".into()))?;
        let name = cfg.get("name").and_then(Value::as_str).unwrap_or("input_layer").to_owned();
        report.layers.push(LayerReport {
            name: name.clone(),
            class: "InputLayer".into(),
            nodes: vec![super::model::Node {
                inputs: shape.clone(),
                outputs: shape.clone(),
                dtypes: vec![dtype.clone()],
            }],
            built: Some(Built {
                outputs: shape.clone(),
                dtypes: vec![dtype.clone()],
                variables: vec![],
                build_config: BuildConfig::None,
                nested: vec![],
            }),
            error: None,
            failed_inputs: None,
            connections: vec![],
        });
        current = Some((given.cloned().unwrap_or(shape), vec![dtype], name));
    } else if let Some(shape) = given.cloned().or_else(|| model.get("build_input_shape").and_then(Shapes::from_json)) {
        current = Some((shape, vec!["float32".into()], String::new()));
    }
    report.inputs = current.as_ref().map(|c| c.0.clone());
    let skip = usize::from(start_input.is_some());
    for (i, v) in layers.iter().enumerate().skip(skip) {
        let (class, config) =
            nested_layer(v).ok_or_else(|| model.config_error(format!("layer {i} is not a layer config")))?;
        let parent = if top { None } else { Some(model) };
        let layer = Layer::new(class, config, parent);
        let Some((shape, _, prev)) = current.take() else {
            let blocker =
                report.layers.iter().rev().find(|l| l.error.is_some()).map_or(String::new(), |l| l.name.clone());
            let error = if blocker.is_empty() {
                ShapeError::Unknown { class: class.to_owned(), why: "the model has no input shape".into() }
            } else {
                after(&layer.name, &blocker)
            };
            report.layers.push(unbuilt(&layer.name, class, error));
            continue;
        };
        let _ = prev;
        match call(&layer, 0, &shape, None, overrides) {
            Ok(b) => {
                current = Some((b.outputs.clone(), b.dtypes.clone(), layer.name.clone()));
                report.layers.push(LayerReport {
                    name: layer.name.clone(),
                    class: class.to_owned(),
                    nodes: vec![Node { inputs: shape, outputs: b.outputs.clone(), dtypes: b.dtypes.clone() }],
                    built: Some(b),
                    error: None,
                    failed_inputs: None,
                    connections: vec![],
                });
            }
            Err(e) => {
                let mut r = unbuilt(&layer.name, class, e);
                r.failed_inputs = Some(shape);
                report.layers.push(r);
            }
        }
    }
    if let Some((shape, dtypes, _)) = current {
        if report.layers.iter().all(|l| l.error.is_none()) {
            report.outputs = Some(shape);
            report.output_dtypes = dtypes;
        }
    }
    Ok(report)
}

/// A tensor reference: `[layer, node, tensor]`.
type Ref = (String, usize, usize);

/// The structure of a call's inputs, with references in place of tensors.
#[derive(Debug)]
enum Arg {
    Tensor(Ref),
    List(Vec<Arg>),
}

/// A tensor reference `[layer, node, tensor]`, from a `__keras_tensor__` or a Keras 2 list (also
/// what the DOT writer reads a graph with). Indices are whole and not negative.
fn tensor_ref(v: &Value) -> Option<Ref> {
    let history = if v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") {
        v.get("config")?.get("keras_history")?
    } else {
        v
    };
    let a = history.as_array()?;
    if !(3..=4).contains(&a.len()) {
        return None;
    }
    let index = |v: &Value| super::as_int(v).and_then(|n| usize::try_from(n).ok());
    Some((a[0].as_str()?.to_owned(), index(&a[1])?, index(&a[2])?))
}

/// Keras 3 node arguments: tensors (possibly in lists); other values are not inputs.
fn arg(v: &Value) -> Option<Arg> {
    if v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") {
        return tensor_ref(v).map(Arg::Tensor);
    }
    let items = v.as_array()?;
    let args: Vec<Arg> = items.iter().filter_map(arg).collect();
    (!args.is_empty()).then_some(Arg::List(args))
}

/// A node's inputs and keyword arguments: Keras 3's `{"args", "kwargs"}` or Keras 2's list of
/// `[layer, node, tensor, kwargs]`.
fn node_inputs(node: &Value) -> Option<(Arg, Option<&Value>)> {
    if let Some(args) = node.get("args").and_then(Value::as_array) {
        let kwargs = node.get("kwargs");
        let mut parts: Vec<Arg> = args.iter().filter_map(arg).collect();
        if let Some(k) = kwargs.and_then(Value::as_object) {
            for key in ["query", "value", "key", "inputs"] {
                if let Some(a) = k.get(key).and_then(arg) {
                    parts.push(a);
                }
            }
        }
        return match parts.len() {
            0 => None,
            1 => parts.pop().map(|a| (a, kwargs)),
            _ => Some((Arg::List(parts), kwargs)),
        };
    }
    let refs = node.as_array()?;
    let mut parts: Vec<Arg> = refs.iter().map(|r| tensor_ref(r).map(Arg::Tensor)).collect::<Option<_>>()?;
    let kwargs = refs.first().and_then(|r| r.get(3));
    match parts.len() {
        0 => None,
        1 => parts.pop().map(|a| (a, kwargs)),
        _ => Some((Arg::List(parts), kwargs)),
    }
}

/// Keras' `node.input_tensors`: the tensors of a call, flattened (arguments in order, then keyword
/// arguments by sorted key, as `tree.flatten` orders a dict); a Keras 2 node's references as
/// listed. Shared with the DOT writer.
pub(crate) fn node_tensors(node: &Value) -> Vec<Ref> {
    fn walk(v: &Value, out: &mut Vec<Ref>) {
        if v.get("class_name").and_then(Value::as_str) == Some("__keras_tensor__") {
            out.extend(tensor_ref(v));
            return;
        }
        match v {
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                keys.into_iter().for_each(|k| walk(&o[k], out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Some(args) = node.get("args") {
        walk(args, &mut out);
        if let Some(kwargs) = node.get("kwargs") {
            walk(kwargs, &mut out);
        }
    } else if let Some(refs) = node.as_array() {
        // Keras 2: a list of `[layer, node, tensor, kwargs]`.
        out.extend(refs.iter().filter_map(tensor_ref));
    }
    out
}

fn refs(arg: &Arg, out: &mut Vec<Ref>) {
    match arg {
        Arg::Tensor(r) => out.push(r.clone()),
        Arg::List(v) => v.iter().for_each(|a| refs(a, out)),
    }
}

/// The endpoint references of `input_layers` / `output_layers`: one, a list, or a dict (in
/// order; also what the DOT writer draws a model's ends with).
pub(crate) fn endpoints(v: Option<&Value>) -> Vec<Ref> {
    let Some(v) = v else { return vec![] };
    if let Some(r) = tensor_ref(v) {
        return vec![r];
    }
    match v {
        Value::Array(a) => a.iter().flat_map(|x| endpoints(Some(x))).collect(),
        Value::Object(o) => o.values().flat_map(|x| endpoints(Some(x))).collect(),
        _ => vec![],
    }
}

fn functional(model: &Layer, given: Option<&Shapes>, overrides: &Overrides, top: bool) -> Result<ModelReport> {
    let entries = model
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| model.config_error("`layers` must be a list".into()))?;
    let n = entries.len();
    let mut names = Vec::with_capacity(n);
    let mut layers = Vec::with_capacity(n);
    let mut pending: Vec<Vec<&Value>> = Vec::with_capacity(n);
    // Keras ops recorded as nodes (masks' not_equal, any, ...): their own rules (ops.rs).
    let is_op: Vec<bool> = entries
        .iter()
        .map(|e| e.get("module").and_then(Value::as_str).is_some_and(|m| m.starts_with("keras.src.ops.")))
        .collect();
    for (i, e) in entries.iter().enumerate() {
        let (class, config) =
            nested_layer(e).ok_or_else(|| model.config_error(format!("layer {i} is not a layer config")))?;
        let layer = Layer::new(class, config, if top { None } else { Some(model) });
        let name = e.get("name").and_then(Value::as_str).map_or(layer.name.clone(), str::to_owned);
        names.push(name);
        layers.push(layer);
        pending.push(e.get("inbound_nodes").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default());
    }
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
    let inputs = endpoints(model.get("input_layers"));
    let given: Vec<&super::Shape> = given.map(|g| g.flatten()).unwrap_or_default();
    let mut reports: Vec<LayerReport> = Vec::with_capacity(n);
    for (i, layer) in layers.iter().enumerate() {
        let mut r = LayerReport {
            name: names[i].clone(),
            class: layer.class.to_owned(),
            nodes: vec![],
            built: None,
            error: None,
            failed_inputs: None,
            connections: vec![],
        };
        if layer.class == "InputLayer" {
            match input_layer(layer.config) {
                Some((mut shape, dtype)) => {
                    if let Some(k) = inputs.iter().position(|x| x.0 == names[i]) {
                        if let Some(g) = given.get(k) {
                            shape = Shapes::One((*g).clone());
                        }
                    }
                    r.nodes.push(Node { inputs: shape.clone(), outputs: shape.clone(), dtypes: vec![dtype.clone()] });
                    r.built = Some(Built {
                        outputs: shape,
                        dtypes: vec![dtype],
                        variables: vec![],
                        build_config: BuildConfig::None,
                        nested: vec![],
                    });
                }
                None => r.error = Some(layer.config_error("the InputLayer has no valid `batch_shape`".into())),
            }
        } else if matches!(layer.class, "Functional" | "Model") && layer.get("input_layers").is_some() {
            // A nested Functional model has a node of its own (its construction) before any call.
            match build_nested(layer, &Shapes::Many(vec![])) {
                Ok(Some(b)) => {
                    r.nodes.push(Node {
                        inputs: Shapes::Many(vec![]),
                        outputs: b.outputs.clone(),
                        dtypes: b.dtypes.clone(),
                    });
                    r.built = Some(b);
                }
                Ok(None) => {}
                Err(e) => r.error = Some(e),
            }
        }
        reports.push(r);
    }
    let mut done = vec![0usize; n];
    loop {
        let mut progress = false;
        for i in 0..n {
            while done[i] < pending[i].len() {
                let node = pending[i][done[i]];
                let Some((args, kwargs)) = node_inputs(node) else {
                    reports[i]
                        .error
                        .get_or_insert(model.config_error(format!("a node of layer '{}' has no inputs", names[i])));
                    done[i] = pending[i].len();
                    break;
                };
                let mut needed = Vec::new();
                refs(&args, &mut needed);
                // Keras' summary connects a node to every tensor it took: its arguments, then the
                // tensors of its keyword arguments (a mask) by sorted key.
                let mut connected = node_tensors(node);
                if connected.is_empty() {
                    connected.clone_from(&needed);
                }
                let inbound = connected.iter().map(|(l, k, t)| format!("{l}[{k}][{t}]"));
                let ready = needed.iter().all(|(l, k, _)| {
                    index.get(l.as_str()).is_some_and(|&j| reports[j].nodes.len() > *k || reports[j].error.is_some())
                });
                if !ready {
                    break;
                }
                done[i] += 1;
                progress = true;
                reports[i].connections.extend(inbound);
                let blocked = needed.iter().find_map(|(l, k, _)| {
                    let j = index[l.as_str()];
                    (reports[j].nodes.len() <= *k).then(|| names[j].clone())
                });
                if let Some(b) = blocked {
                    reports[i].error.get_or_insert(after(&names[i], &b));
                    continue;
                }
                let shapes = resolve(&args, &reports, &index);
                let Some(shapes) = shapes else {
                    reports[i].error.get_or_insert(model.config_error(format!(
                        "a node of layer '{}' refers to a tensor that does not exist",
                        names[i]
                    )));
                    continue;
                };
                if reports[i].error.is_some() && reports[i].built.is_none() {
                    continue;
                }
                let node_index = reports[i].nodes.len();
                let result = if is_op[i] {
                    let dtypes: Vec<String> = needed
                        .iter()
                        .filter_map(|(l, k, t)| reports[index[l.as_str()]].nodes.get(*k)?.dtypes.get(*t).cloned())
                        .collect();
                    super::ops::build(&layers[i], &shapes, &dtypes, node.get("args"))
                } else {
                    call(&layers[i], node_index, &shapes, kwargs, overrides)
                };
                match result {
                    Ok(b) => {
                        reports[i].nodes.push(Node {
                            inputs: shapes,
                            outputs: b.outputs.clone(),
                            dtypes: b.dtypes.clone(),
                        });
                        if reports[i].built.is_none() {
                            reports[i].built = Some(b);
                        }
                    }
                    Err(e) => {
                        reports[i].failed_inputs.get_or_insert(shapes);
                        reports[i].error.get_or_insert(e);
                    }
                }
            }
        }
        if !progress {
            break;
        }
    }
    for i in 0..n {
        if done[i] < pending[i].len() && reports[i].error.is_none() {
            reports[i].error =
                Some(model.config_error(format!("layer '{}' is part of a loop or disconnected", names[i])));
        }
    }
    let mut report = ModelReport { layers: reports, ..Default::default() };
    let collect = |refs: &[Ref], report: &ModelReport| -> Option<(Vec<Shapes>, Vec<String>)> {
        let mut shapes = Vec::new();
        let mut dtypes = Vec::new();
        for (l, k, t) in refs {
            let node = report.layers.get(*index.get(l.as_str())?)?.nodes.get(*k)?;
            let flat = node.outputs.flatten();
            shapes.push(Shapes::One((*flat.get(*t)?).clone()));
            dtypes.push(node.dtypes.get(*t).cloned().unwrap_or_default());
        }
        Some((shapes, dtypes))
    };
    let single_or_list = |mut v: Vec<Shapes>, v_is_single: bool| {
        if v_is_single && v.len() == 1 {
            v.pop().unwrap()
        } else {
            Shapes::Many(v)
        }
    };
    if let Some((s, _)) = collect(&inputs, &report) {
        report.inputs = Some(single_or_list(
            s,
            tensor_ref(model.get("input_layers").unwrap_or(&Value::Null)).is_some() || inputs.len() == 1,
        ));
    }
    let outputs = endpoints(model.get("output_layers"));
    if let Some((s, d)) = collect(&outputs, &report) {
        let single = tensor_ref(model.get("output_layers").unwrap_or(&Value::Null)).is_some();
        report.outputs = Some(single_or_list(s, single));
        report.output_dtypes = d;
    }
    Ok(report)
}

/// The shapes of a call's inputs, in the call's structure.
fn resolve(arg: &Arg, reports: &[LayerReport], index: &HashMap<&str, usize>) -> Option<Shapes> {
    match arg {
        Arg::Tensor((l, k, t)) => {
            let node = reports.get(*index.get(l.as_str())?)?.nodes.get(*k)?;
            node.outputs.flatten().get(*t).map(|s| Shapes::One((*s).clone()))
        }
        Arg::List(v) => v.iter().map(|a| resolve(a, reports, index)).collect::<Option<Vec<_>>>().map(Shapes::Many),
    }
}
