//! The shape engine: what Keras 3.15.1 makes of a built-in layer when it builds it on inputs of
//! given shapes. For a layer's config (as Keras serializes it) and its input shape(s), with
//! unknown dimensions allowed, [`build`] gives the output shape(s) and dtype(s) (Keras'
//! `compute_output_shape` / symbolic call), the variables Keras creates (path, shape, dtype,
//! trainable: parameter counts, the weights layout) and the `build_config` Keras records.
//!
//! The rules are learnt from each layer's `__init__`, `build` and `compute_output_shape` in Keras
//! 3.15.1 and checked against Python Keras by the fixtures of `tools/gen-shape-fixtures.py`
//! (tests.rs). A class without a rule is [`ShapeError::Unknown`], never a guess.

use serde_json::Value;

mod attention;
mod conv;
mod core;
mod merge;
mod model;
mod ops;
mod ops_select;
mod preprocessing;
mod reshape;
mod rnn;
#[cfg(test)]
mod tests;
mod updates;

pub use self::core::built_at_init;
pub use model::{build_model, LayerReport, ModelReport, Overrides};
pub(crate) use model::{endpoints, node_tensors};
pub use updates::{layer_updates, updates};

/// One dimension: `None` when unknown.
pub type Dim = Option<i64>;
/// A tensor's shape, batch dimension first.
pub type Shape = Vec<Dim>;

/// One tensor's shape or a nested list of them (several inputs or outputs).
#[derive(Clone, Debug, PartialEq)]
pub enum Shapes {
    One(Shape),
    Many(Vec<Shapes>),
}

impl Shapes {
    pub fn one(&self) -> Option<&Shape> {
        match self {
            Shapes::One(s) => Some(s),
            Shapes::Many(v) if v.len() == 1 => v[0].one(),
            Shapes::Many(_) => None,
        }
    }

    /// The flat list of tensor shapes, in order.
    pub fn flatten(&self) -> Vec<&Shape> {
        match self {
            Shapes::One(s) => vec![s],
            Shapes::Many(v) => v.iter().flat_map(|s| s.flatten()).collect(),
        }
    }

    /// Keras' JSON form: a list with `null` for unknown dimensions, nested for several.
    pub fn to_json(&self) -> Value {
        match self {
            Shapes::One(s) => shape_json(s),
            Shapes::Many(v) => Value::Array(v.iter().map(Shapes::to_json).collect()),
        }
    }

    /// Reads Keras' JSON form (a shape, or a nested list of shapes).
    pub fn from_json(v: &Value) -> Option<Shapes> {
        let items = v.as_array()?;
        if items.iter().all(|d| d.is_null() || d.is_i64() || d.is_u64()) {
            return items.iter().map(json_dim).collect::<Option<Shape>>().map(Shapes::One);
        }
        items.iter().map(Shapes::from_json).collect::<Option<Vec<_>>>().map(Shapes::Many)
    }
}

fn json_dim(d: &Value) -> Option<Dim> {
    if d.is_null() {
        Some(None)
    } else {
        d.as_i64().filter(|n| *n >= 0).map(Some)
    }
}

pub fn shape_json(s: &Shape) -> Value {
    Value::Array(s.iter().map(|d| d.map_or(Value::Null, Value::from)).collect())
}

/// Keras' text for a shape in messages: `(None, 8)`.
pub fn shape_text(s: &Shape) -> String {
    let dims: Vec<String> = s.iter().map(|d| d.map_or("None".to_owned(), |n| n.to_string())).collect();
    if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    }
}

/// A variable the layer creates when built.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// Keras' `variable.path`: `layer/kernel`, `bidirectional/forward_lstm/lstm_cell/kernel`.
    pub path: String,
    pub shape: Vec<i64>,
    pub dtype: String,
    pub trainable: bool,
    /// Where Keras takes its initial value from (`add_weight(initializer=)`).
    pub init: Init,
}

/// A variable's initializer: a key of its layer's config (`kernel_initializer`), or one Keras
/// names in the layer's code (`"zeros"`, or an initializer config).
#[derive(Debug, Clone, PartialEq)]
pub enum Init {
    Key(String),
    Spec(Value),
}

impl Init {
    /// Keras' usual key: `<name>_initializer` for a variable `name` (the last part of a path).
    pub fn key_of(name: &str) -> Init {
        Init::Key(format!("{}_initializer", name.rsplit('/').next().unwrap_or(name)))
    }

    pub fn named(name: &str) -> Init {
        Init::Spec(Value::String(name.to_owned()))
    }

    pub fn to_json(&self) -> Value {
        match self {
            Init::Key(k) => serde_json::json!({ "key": k }),
            Init::Spec(s) => serde_json::json!({ "spec": s }),
        }
    }
}

impl Variable {
    pub fn size(&self) -> i64 {
        self.shape.iter().product()
    }
}

/// The `build_config` Keras records for a built layer.
#[derive(Clone, Debug, PartialEq)]
pub enum BuildConfig {
    /// The layer is built from its constructor on (`self.built = True`): no build_config.
    None,
    /// `{"input_shape": ...}`: one argument of `build`.
    InputShape(Shapes),
    /// `{"shapes_dict": {...}}`: several arguments of `build`, by name.
    ShapesDict(Vec<(String, Shapes)>),
}

impl BuildConfig {
    pub fn to_json(&self) -> Value {
        match self {
            BuildConfig::None => Value::Null,
            BuildConfig::InputShape(s) => serde_json::json!({ "input_shape": s.to_json() }),
            BuildConfig::ShapesDict(d) => {
                let map = d.iter().map(|(k, s)| (k.clone(), s.to_json())).collect::<serde_json::Map<_, _>>();
                serde_json::json!({ "shapes_dict": map })
            }
        }
    }
}

/// What Keras makes of a layer built on given inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct Built {
    pub outputs: Shapes,
    /// The dtype of each output tensor, in `outputs.flatten()` order.
    pub dtypes: Vec<String>,
    pub variables: Vec<Variable>,
    pub build_config: BuildConfig,
    /// The build_configs Keras records in the configs of the layers inside this one.
    pub nested: Vec<Nested>,
}

/// A build_config of a layer nested in another's config: `path` leads to it through config
/// keys and list indexes (`["cell", "cells", "1"]`), skipping each nested layer's `config`.
#[derive(Clone, Debug, PartialEq)]
pub struct Nested {
    pub path: Vec<String>,
    pub build_config: BuildConfig,
}

impl Built {
    pub fn params(&self) -> i64 {
        self.variables.iter().map(Variable::size).sum()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ShapeError {
    /// No rule for this class (a custom layer, or a built-in Keras cannot build from a config).
    Unknown { class: String, why: String },
    /// The inputs do not fit the layer (Keras raises ValueError): names the layer.
    Incompatible { layer: String, message: String },
    /// The config lacks something the rule needs, or holds a value of the wrong kind.
    Config { layer: String, message: String },
}

impl ShapeError {
    pub fn class(&self) -> &'static str {
        match self {
            ShapeError::Unknown { .. } => "kerasconfig_error_shape_unknown",
            ShapeError::Incompatible { .. } => "kerasconfig_error_shape",
            ShapeError::Config { .. } => "kerasconfig_error_config",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ShapeError::Unknown { class, why } => {
                format!("No shape rule for a {class} layer: {why}.")
            }
            ShapeError::Incompatible { layer, message } => format!("Layer '{layer}': {message}"),
            ShapeError::Config { layer, message } => {
                format!("Layer '{layer}': invalid config: {message}")
            }
        }
    }
}

pub type Result<T> = std::result::Result<T, ShapeError>;

/// A layer being built: its class, config, name and dtype policy.
pub struct Layer<'a> {
    pub class: &'a str,
    pub config: &'a Value,
    pub name: String,
    /// Dtype of its computations and outputs (policy `compute_dtype`).
    pub compute_dtype: String,
    /// Dtype of its variables (policy `variable_dtype`).
    pub variable_dtype: String,
    /// `trainable` of the layer (and of the layers wrapping it).
    pub trainable: bool,
    /// The path prefix of its variables (the layer's name, or wrapper/…/name).
    pub path: String,
}

/// The policy name of a config's `dtype`: a string, a `DTypePolicy` config, or null.
fn policy_name(dtype: Option<&Value>) -> Option<String> {
    match dtype? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("config")?.get("name")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `(compute_dtype, variable_dtype)` of a policy name: `mixed_float16` computes in float16 and
/// keeps float32 variables; quantized policies (`int8_from_float32`) keep their source dtype.
pub fn policy_dtypes(name: &str) -> (String, String) {
    if let Some(half) = name.strip_prefix("mixed_") {
        return (half.to_owned(), "float32".to_owned());
    }
    if let Some((_, source)) = name.split_once("_from_") {
        return (source.to_owned(), source.to_owned());
    }
    (name.to_owned(), name.to_owned())
}

impl<'a> Layer<'a> {
    pub fn new(class: &'a str, config: &'a Value, parent: Option<&Layer>) -> Layer<'a> {
        let name = config.get("name").and_then(Value::as_str).unwrap_or(class).to_owned();
        let default_policy = parent.map_or("float32".to_owned(), |p| p.policy_name());
        let policy = policy_name(config.get("dtype")).unwrap_or(default_policy);
        let (compute_dtype, variable_dtype) = policy_dtypes(&policy);
        let trainable =
            config.get("trainable").and_then(Value::as_bool).unwrap_or(true) && parent.is_none_or(|p| p.trainable);
        let path = match parent {
            Some(p) => format!("{}/{}", p.path, name),
            None => name.clone(),
        };
        Layer { class, config, name, compute_dtype, variable_dtype, trainable, path }
    }

    fn policy_name(&self) -> String {
        if self.compute_dtype == self.variable_dtype {
            self.compute_dtype.clone()
        } else {
            format!("mixed_{}", self.compute_dtype)
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.config.get(key).filter(|v| !v.is_null())
    }

    pub fn bool_or(&self, key: &str, default: bool) -> bool {
        self.get(key).and_then(Value::as_bool).unwrap_or(default)
    }

    pub fn str_or(&self, key: &str, default: &'a str) -> &'a str {
        self.get(key).and_then(Value::as_str).unwrap_or(default)
    }

    pub fn int(&self, key: &str) -> Result<i64> {
        self.get(key).and_then(as_int).ok_or_else(|| self.config_error(format!("`{key}` must be an integer")))
    }

    pub fn int_or(&self, key: &str, default: i64) -> Result<i64> {
        match self.get(key) {
            None => Ok(default),
            Some(_) => self.int(key),
        }
    }

    /// An int or a list of `n` ints (Keras' `standardize_tuple`).
    pub fn tuple(&self, key: &str, n: usize) -> Result<Vec<i64>> {
        let v = self.get(key).ok_or_else(|| self.config_error(format!("`{key}` is missing")))?;
        self.tuple_of(key, v, n)
    }

    pub fn tuple_or(&self, key: &str, n: usize, default: i64) -> Result<Vec<i64>> {
        match self.get(key) {
            None => Ok(vec![default; n]),
            Some(v) => self.tuple_of(key, v, n),
        }
    }

    fn tuple_of(&self, key: &str, v: &Value, n: usize) -> Result<Vec<i64>> {
        if let Some(i) = as_int(v) {
            return Ok(vec![i; n]);
        }
        let items: Option<Vec<i64>> = v.as_array().map(|a| a.iter().map(as_int).collect()).unwrap_or(None);
        match items {
            Some(items) if items.len() == n => Ok(items),
            _ => Err(self.config_error(format!("`{key}` must be an integer or a list of {n} integers"))),
        }
    }

    /// An optional list of ints (`None` for null).
    pub fn int_list(&self, key: &str) -> Result<Option<Vec<i64>>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => {
                if let Some(i) = as_int(v) {
                    return Ok(Some(vec![i]));
                }
                v.as_array()
                    .and_then(|a| a.iter().map(as_int).collect::<Option<Vec<_>>>())
                    .map(Some)
                    .ok_or_else(|| self.config_error(format!("`{key}` must be a list of integers")))
            }
        }
    }

    pub fn channels_last(&self) -> bool {
        self.str_or("data_format", "channels_last") != "channels_first"
    }

    pub fn config_error(&self, message: String) -> ShapeError {
        ShapeError::Config { layer: self.name.clone(), message }
    }

    pub fn incompatible(&self, message: String) -> ShapeError {
        ShapeError::Incompatible { layer: self.name.clone(), message }
    }

    /// A variable of this layer (its dtype from the policy, trainable as the layer).
    pub fn var(&self, name: &str, shape: Vec<i64>) -> Variable {
        Variable {
            path: format!("{}/{}", self.path, name),
            shape,
            dtype: self.variable_dtype.clone(),
            trainable: self.trainable,
            init: Init::key_of(name),
        }
    }

    /// A variable whose initializer is not `<name>_initializer`.
    pub fn var_init(&self, name: &str, shape: Vec<i64>, init: Init) -> Variable {
        Variable { init, ..self.var(name, shape) }
    }

    pub fn frozen_var(&self, name: &str, shape: Vec<i64>) -> Variable {
        Variable { trainable: false, ..self.var(name, shape) }
    }

    pub fn frozen_var_init(&self, name: &str, shape: Vec<i64>, init: Init) -> Variable {
        Variable { trainable: false, ..self.var_init(name, shape, init) }
    }

    /// The result of a layer with one output in its compute dtype.
    pub fn out(&self, shape: Shape, variables: Vec<Variable>, build_config: BuildConfig) -> Built {
        Built {
            outputs: Shapes::One(shape),
            dtypes: vec![self.compute_dtype.clone()],
            variables,
            build_config,
            nested: vec![],
        }
    }

    /// `(ndim check)`: Keras' InputSpec message.
    pub fn expect_ndim(&self, shape: &Shape, ndim: usize) -> Result<()> {
        if shape.len() != ndim {
            return Err(self.incompatible(format!(
                "Input 0 of layer '{}' is incompatible with the layer: expected ndim={ndim}, found ndim={}. Full shape received: {}",
                self.name,
                shape.len(),
                shape_text(shape)
            )));
        }
        Ok(())
    }

    pub fn expect_min_ndim(&self, shape: &Shape, ndim: usize) -> Result<()> {
        if shape.len() < ndim {
            return Err(self.incompatible(format!(
                "Input 0 of layer '{}' is incompatible with the layer: expected min_ndim={ndim}, found ndim={}. Full shape received: {}",
                self.name,
                shape.len(),
                shape_text(shape)
            )));
        }
        Ok(())
    }

    /// A known dimension the layer's variables depend on.
    pub fn known(&self, d: Dim, what: &str) -> Result<i64> {
        d.ok_or_else(|| self.incompatible(format!("the {what} dimension of the inputs should be defined. Found None.")))
    }

    /// The nested layer config under `key` (`{class_name, config, ...}`).
    pub fn nested(&self, key: &str) -> Result<(&'a str, &'a Value)> {
        let v = self.get(key).ok_or_else(|| self.config_error(format!("`{key}` is missing")))?;
        nested_layer(v).ok_or_else(|| self.config_error(format!("`{key}` must be a layer config")))
    }
}

/// `(class_name, config)` of a serialized layer.
pub fn nested_layer(v: &Value) -> Option<(&str, &Value)> {
    let class = v.get("class_name")?.as_str()?;
    let config = v.get("config")?;
    config.is_object().then_some((class, config))
}

pub fn as_int(v: &Value) -> Option<i64> {
    v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
}

/// The single input shape of a one-input layer.
pub fn single<'s>(layer: &Layer, inputs: &'s Shapes) -> Result<&'s Shape> {
    inputs.one().ok_or_else(|| layer.incompatible("expects a single input tensor.".to_owned()))
}

/// Builds a built-in layer of class `class` (Keras' canonical class name) with config `config`
/// on inputs of shapes `inputs`.
#[cfg(test)]
pub fn build(class: &str, config: &Value, inputs: &Shapes) -> Result<Built> {
    build_in(&Layer::new(class, config, None), inputs)
}

/// Builds `layer`, which may be nested in another (its variables' paths and trainability).
pub fn build_in(layer: &Layer, inputs: &Shapes) -> Result<Built> {
    if let Some(built) = core::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = conv::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = reshape::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = merge::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = attention::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = rnn::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = preprocessing::build(layer, inputs)? {
        return Ok(built);
    }
    if let Some(built) = model::build_nested(layer, inputs)? {
        return Ok(built);
    }
    Err(ShapeError::Unknown { class: layer.class.to_owned(), why: unknown_reason(layer.class).to_owned() })
}

fn unknown_reason(class: &str) -> &'static str {
    match class {
        "Lambda" => "its output shape is what its function returns; give the layer an `output_shape`",
        "FlaxLayer" | "JaxLayer" | "TorchModuleWrapper" | "TFSMLayer" => {
            "it wraps a backend-specific module whose shapes only its framework knows"
        }
        "Wrapper" => "it is an abstract base class",
        _ => "not a Keras built-in layer kerasconfig knows",
    }
}
