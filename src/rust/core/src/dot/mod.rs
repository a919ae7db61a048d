//! Keras 3.15.1's `keras.utils.model_to_dot` (keras/src/utils/model_visualization.py), natively:
//! the Graphviz DOT text of a Sequential or Functional model's layer graph, as pydot writes it.
//!
//! Keras names a graph node by `id(layer)`, a memory address; here it is the layer's path
//! (`inner_model/dense`, unique since Keras forbids `/` in names). Everything else is what Keras
//! writes, byte for byte (tests.rs compares with its output for the fixtures of
//! tools/gen-plot-fixtures.py), except where Keras' text is not valid DOT: names are escaped in
//! the HTML-like labels (`&`, `<`, `>`) and in quoted strings (`\`).

use crate::shape::{build_model, endpoints, node_tensors, ModelReport, Overrides, Shapes};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

#[cfg(test)]
mod tests;

/// `model_to_dot`'s options (Keras' names and meanings).
#[derive(Clone, Debug)]
pub struct Options {
    pub show_shapes: bool,
    pub show_dtype: bool,
    pub show_layer_names: bool,
    pub rankdir: String,
    pub expand_nested: bool,
    /// The `dpi` attribute's text (a number).
    pub dpi: String,
    pub subgraph: bool,
    pub show_layer_activations: bool,
    pub show_trainable: bool,
    pub splines: String,
    /// Only these top-level layers are drawn (keras3's `layer_range`), with the edges between them.
    pub layer_range: Option<HashSet<String>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            show_shapes: false,
            show_dtype: false,
            show_layer_names: true,
            rankdir: "TB".into(),
            expand_nested: false,
            dpi: "200".into(),
            subgraph: false,
            show_layer_activations: false,
            show_trainable: false,
            splines: "ortho".into(),
            layer_range: None,
        }
    }
}

#[derive(Debug, PartialEq)]
pub enum DotError {
    /// The config is not a model Keras can draw.
    Config(String),
    /// Keras' "This model has not yet been built."
    NotBuilt(String),
}

impl DotError {
    pub fn class(&self) -> &'static str {
        match self {
            DotError::Config(_) => "kerasconfig_error_config",
            DotError::NotBuilt(_) => "kerasconfig_error_value",
        }
    }

    pub fn message(&self) -> String {
        match self {
            DotError::Config(m) => m.clone(),
            DotError::NotBuilt(name) => format!(
                "Model '{name}' has not yet been built. Build the model first by calling `build()` or by \
                 giving it an input shape."
            ),
        }
    }
}

/// What a model's build says of its layers, for their labels.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub layers: HashMap<String, LayerFigures>,
    /// The model's inputs and outputs (a nested model's label shows them, as Keras does).
    pub inputs: Option<Shapes>,
    pub outputs: Option<Shapes>,
    pub output_dtypes: Vec<String>,
}

#[derive(Clone, Debug, Default)]
pub struct LayerFigures {
    /// The tensors of the layer's first call (`layer.input`, `layer.output`).
    pub inputs: Option<Shapes>,
    pub outputs: Option<Shapes>,
    pub dtypes: Vec<String>,
    /// Keras' `layer.weights` is not empty.
    pub has_weights: bool,
}

impl Figures {
    pub fn from_report(r: &ModelReport) -> Figures {
        let layers = r
            .layers
            .iter()
            .map(|l| {
                let first = l.nodes.first();
                let figures = LayerFigures {
                    inputs: first.map(|n| n.inputs.clone()),
                    outputs: first.map(|n| n.outputs.clone()),
                    dtypes: first.map(|n| n.dtypes.clone()).unwrap_or_default(),
                    has_weights: l.built.as_ref().is_some_and(|b| !b.variables.is_empty()),
                };
                (l.name.clone(), figures)
            })
            .collect();
        Figures { layers, inputs: r.inputs.clone(), outputs: r.outputs.clone(), output_dtypes: r.output_dtypes.clone() }
    }
}

/// What R's custom layers said of their shapes (the shape engine's overrides), for every model
/// drawn that has such layers, by path (`""` for the model itself, `"inner"`, `"inner/deeper"`
/// for nested ones). Each model drawn is built by the shape engine with its overrides.
pub type Reports = HashMap<String, Overrides>;

/// `model_to_dot(model, **options).to_string()` for a serialized model
/// (`{"class_name": "Sequential" | "Functional", "config": ...}`).
pub fn model_to_dot(model: &Value, reports: &Reports, opts: &Options) -> Result<String, DotError> {
    let top = Model::new(model, String::new(), reports)?;
    if !top.built() {
        return Err(DotError::NotBuilt(top.name.to_owned()));
    }
    let mut out = String::new();
    top.write(opts, opts.subgraph, &mut out);
    Ok(out)
}

fn is_model(class: &str, config: &Value) -> bool {
    matches!(class, "Sequential" | "Functional" | "Model") && config.get("layers").is_some_and(Value::is_array)
}

/// A layer entry of a model config.
struct Entry<'a> {
    name: String,
    class: &'a str,
    /// The serialized layer (`class_name`, `config`, and in a Functional model `inbound_nodes`).
    value: &'a Value,
    config: &'a Value,
}

impl Entry<'_> {
    fn is_model(&self) -> bool {
        is_model(self.class, self.config)
    }
}

struct Model<'a> {
    name: &'a str,
    sequential: bool,
    config: &'a Value,
    /// Node ids of this model's layers start with it: `""` or `"outer/inner/"`.
    prefix: String,
    /// Every layer of the config, in order.
    entries: Vec<Entry<'a>>,
    figures: Figures,
    reports: &'a Reports,
}

impl<'a> Model<'a> {
    fn new(model: &'a Value, path: String, reports: &'a Reports) -> Result<Model<'a>, DotError> {
        let class = model.get("class_name").and_then(Value::as_str).unwrap_or("");
        let config = model.get("config").unwrap_or(&Value::Null);
        if !is_model(class, config) {
            return Err(DotError::Config(format!(
                "model_to_dot() draws Sequential and Functional models; got a config of class '{class}'."
            )));
        }
        let name = config.get("name").and_then(Value::as_str).unwrap_or("");
        let sequential = class == "Sequential";
        let mut entries = Vec::new();
        for (i, e) in config["layers"].as_array().into_iter().flatten().enumerate() {
            let class = e.get("class_name").and_then(Value::as_str);
            let layer_config = e.get("config").filter(|c| c.is_object());
            let (Some(class), Some(layer_config)) = (class, layer_config) else {
                return Err(DotError::Config(format!("Layer {} of model '{name}' is not a layer config.", i + 1)));
            };
            let layer_name = e
                .get("name")
                .and_then(Value::as_str)
                .or_else(|| layer_config.get("name").and_then(Value::as_str))
                .unwrap_or("");
            entries.push(Entry { name: layer_name.to_owned(), class, value: e, config: layer_config });
        }
        let none = Overrides::new();
        let overrides = reports.get(&path).unwrap_or(&none);
        let figures = build_model(model, overrides).map(|r| Figures::from_report(&r)).unwrap_or_default();
        let prefix = if path.is_empty() { String::new() } else { format!("{path}/") };
        Ok(Model { name, sequential, config, prefix, entries, figures, reports })
    }

    /// Keras' `model.built`: a Sequential model has an input shape; a Functional one always is.
    fn built(&self) -> bool {
        !self.sequential
            || self.entries.first().is_some_and(|e| e.class == "InputLayer")
            || self.config.get("build_input_shape").is_some_and(|s| !s.is_null())
            || self.figures.inputs.is_some()
    }

    /// `model.layers` (a Sequential model hides its InputLayer) or Functional `_operations`.
    fn layers(&self) -> Vec<&Entry<'a>> {
        self.entries.iter().filter(|e| !(self.sequential && e.class == "InputLayer")).collect()
    }

    fn entry(&self, name: &str) -> Option<&Entry<'a>> {
        self.entries.iter().find(|e| e.name == name)
    }

    fn id(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn nested(&self, entry: &Entry<'a>) -> Option<Model<'a>> {
        if !entry.is_model() {
            return None;
        }
        Model::new(entry.value, format!("{}{}", self.prefix, entry.name), self.reports).ok()
    }

    /// The graph (or cluster) of this model, as Keras' `model_to_dot` builds it.
    fn write(&self, opts: &Options, cluster: bool, out: &mut String) {
        if cluster {
            out.push_str(&format!("subgraph {} {{\n", quote_id(&format!("cluster_{}", self.name))));
            out.push_str(&format!("style=dashed;\nlabel={};\nlabeljust=l;\n", quote_attr(self.name)));
        } else {
            out.push_str("digraph G {\n");
            out.push_str(&format!(
                "rankdir={};\nconcentrate=true;\ndpi={};\nsplines={};\nnode [shape=record];\n",
                quote_attr(&opts.rankdir),
                opts.dpi,
                quote_attr(&opts.splines)
            ));
        }
        let top = self.prefix.is_empty();
        let drawn = |e: &Entry| !top || opts.layer_range.as_ref().is_none_or(|r| r.contains(&e.name));
        let layers: Vec<&Entry<'a>> = self.layers().into_iter().filter(|e| drawn(e)).collect();
        for layer in &layers {
            match self.nested(layer).filter(|_| opts.expand_nested) {
                Some(inner) => inner.write(opts, true, out),
                None => out.push_str(&format!(
                    "{} [label={}, fontname=Helvetica, border=0, margin=0];\n",
                    quote_id(&self.id(&layer.name)),
                    self.label(layer, opts)
                )),
            }
        }
        let mut edges: Vec<(String, String)> = Vec::new();
        let mut add = |src: String, dst: String| {
            if !edges.contains(&(src.clone(), dst.clone())) {
                edges.push((src, dst));
            }
        };
        if self.sequential && !opts.expand_nested {
            for pair in layers.windows(2) {
                add(self.id(&pair[0].name), self.id(&pair[1].name));
            }
        } else if self.sequential {
            // The first layer's input is the hidden InputLayer: the edge into it is the outer model's.
            for pair in layers.windows(2) {
                if let (Some(src), Some(dst)) = (self.source(&pair[0].name, 0), self.destination(&pair[1].name, 0)) {
                    add(src, dst);
                }
            }
        } else {
            for layer in &layers {
                for node in layer.value.get("inbound_nodes").and_then(Value::as_array).into_iter().flatten() {
                    for (input_index, (source, _, tensor)) in node_tensors(node).into_iter().enumerate() {
                        if !self.entry(&source).is_some_and(&drawn) {
                            continue;
                        }
                        if !opts.expand_nested {
                            add(self.id(&source), self.id(&layer.name));
                            continue;
                        }
                        let src = self.source(&source, tensor);
                        let dst = self.destination(&layer.name, input_index);
                        if let (Some(src), Some(dst)) = (src, dst) {
                            add(src, dst);
                        }
                    }
                }
            }
        }
        let arrow = "->";
        for (src, dst) in edges {
            out.push_str(&format!("{} {arrow} {} [penwidth=2];\n", quote_id(&src), quote_id(&dst)));
        }
        out.push_str("}\n");
    }

    /// The box an edge leaves from: the layer itself, or inside a nested model the layer that
    /// produces its output `output_index` (Keras follows `model.outputs[i]._keras_history`).
    fn source(&self, name: &str, output_index: usize) -> Option<String> {
        let entry = self.entry(name)?;
        let Some(inner) = self.nested(entry) else { return Some(self.id(name)) };
        if inner.sequential {
            let last = inner.layers().last()?.name.clone();
            return inner.source(&last, 0);
        }
        let (layer, _, tensor) = endpoints(inner.config.get("output_layers")).into_iter().nth(output_index)?;
        inner.source(&layer, tensor)
    }

    /// The box an edge goes to: the layer itself, or inside a nested model the InputLayer of
    /// input `input_index` (Functional) or the first layer (Sequential).
    fn destination(&self, name: &str, input_index: usize) -> Option<String> {
        let entry = self.entry(name)?;
        let Some(inner) = self.nested(entry) else { return Some(self.id(name)) };
        if inner.sequential {
            let first = inner.layers().first()?.name.clone();
            return inner.destination(&first, input_index);
        }
        let (layer, _, _) = endpoints(inner.config.get("input_layers")).into_iter().nth(input_index)?;
        inner.destination(&layer, input_index)
    }

    /// Keras' `make_layer_label`: an HTML-like table.
    fn label(&self, layer: &Entry, opts: &Options) -> String {
        let mut colspan = usize::from(opts.show_dtype) + usize::from(opts.show_trainable);
        if opts.show_shapes {
            colspan += 2;
        }
        let colspan = colspan.max(1);
        let class = html(layer.class);
        let mut t = String::from(r#"<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">"#);
        let title = if opts.show_layer_names {
            format!("<b>{}</b> ({class})", html(&layer.name))
        } else {
            format!("<b>{class}</b>")
        };
        t.push_str(&format!(
            r#"<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">{title}</font></td></tr>"#
        ));
        if opts.show_layer_activations {
            if let Some(a) = activation_name(layer.config) {
                t.push_str(&format!(
                    r#"<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">Activation: <b>{}</b></font></td></tr>"#,
                    html(&a)
                ));
            }
        }
        let nested = self.nested(layer);
        let figures = self.figures.layers.get(&layer.name);
        let mut cols = Vec::new();
        let cell = |text: String| format!(r#"<td bgcolor="white"><font point-size="14">{text}</font></td>"#);
        if opts.show_shapes {
            let (input, output) = match &nested {
                // A Functional model shows the structure of its inputs and outputs.
                Some(m) if !m.sequential => {
                    (m.figures.inputs.as_ref().map(py_shapes), m.figures.outputs.as_ref().map(py_shapes))
                }
                _ => (
                    figures.and_then(|f| f.inputs.as_ref()).map(py_flat_shapes),
                    figures.and_then(|f| f.outputs.as_ref()).map(py_flat_shapes),
                ),
            };
            if layer.class != "InputLayer" {
                cols.push(cell(format!("Input shape: <b>{}</b>", input.unwrap_or_else(|| "?".into()))));
            }
            cols.push(cell(format!("Output shape: <b>{}</b>", output.unwrap_or_else(|| "?".into()))));
        }
        if opts.show_dtype {
            let dtypes = match &nested {
                Some(m) if !m.sequential && !m.figures.output_dtypes.is_empty() => m.figures.output_dtypes.clone(),
                _ => figures.map(|f| f.dtypes.clone()).unwrap_or_default(),
            };
            let text = match dtypes.len() {
                0 => "?".to_owned(),
                1 => dtypes[0].clone(),
                _ => format!("[{}]", dtypes.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ")),
            };
            cols.push(cell(format!("Output dtype: <b>{}</b>", html(&text))));
        }
        if opts.show_trainable && figures.is_some_and(|f| f.has_weights) {
            if layer.config.get("trainable").and_then(Value::as_bool).unwrap_or(true) {
                cols.push(
                    r#"<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b></font></td>"#
                        .into(),
                );
            } else {
                cols.push(
                    r#"<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b></font></td>"#
                        .into(),
                );
            }
        }
        if !cols.is_empty() {
            t.push_str(&format!("<tr>{}</tr>", cols.concat()));
        }
        t.push_str("</table>>");
        t
    }
}

/// The name Keras shows for a layer's `activation`: a built-in's name, a function's
/// `__name__` (the registered name without its package), an activation layer's name.
fn activation_name(config: &Value) -> Option<String> {
    match config.get("activation")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => {
            let inner = o.get("config")?;
            if let Some(s) = inner.as_str() {
                return Some(s.rsplit_once('>').map_or(s, |(_, n)| n).to_owned());
            }
            inner
                .get("name")
                .and_then(Value::as_str)
                .or_else(|| o.get("class_name").and_then(Value::as_str))
                .map(str::to_owned)
        }
        _ => None,
    }
}

/// Python's `str()` of a shape tuple: `(None, 8)`, `(8,)`, `()`.
fn py_shape(s: &[Option<i64>]) -> String {
    let dims: Vec<String> = s.iter().map(|d| d.map_or("None".to_owned(), |n| n.to_string())).collect();
    if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    }
}

/// A structure of shapes as Python prints it (lists for several).
fn py_shapes(s: &Shapes) -> String {
    match s {
        Shapes::One(s) => py_shape(s),
        Shapes::Many(v) => format!("[{}]", v.iter().map(py_shapes).collect::<Vec<_>>().join(", ")),
    }
}

/// A layer's `input`/`output`: its node's tensors, flattened; one tensor stands alone.
fn py_flat_shapes(s: &Shapes) -> String {
    let flat = s.flatten();
    if flat.len() == 1 {
        py_shape(flat[0])
    } else {
        format!("[{}]", flat.iter().map(|s| py_shape(s)).collect::<Vec<_>>().join(", "))
    }
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

const DOT_KEYWORDS: [&str; 6] = ["graph", "subgraph", "digraph", "node", "edge", "strict"];

/// pydot's `make_quoted`, escaping backslashes too (so that any name makes valid DOT).
fn make_quoted(s: &str) -> String {
    let escaped = s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n").replace('\r', "\\r");
    format!("\"{escaped}\"")
}

fn is_numeral(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    !s.is_empty() && s != "." && digits(int) && digits(frac)
}

fn starts_with_digit(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_numeric())
}

/// pydot's `any_needs_quotes` where it decides: digits, alphanumerics not starting with a digit
/// and numerals stand bare.
fn bare(s: &str) -> Option<bool> {
    if !s.is_empty() && s.chars().all(char::is_numeric) {
        return Some(true);
    }
    if !s.is_empty() && s.chars().all(char::is_alphanumeric) {
        return Some(!starts_with_digit(s));
    }
    if !s.is_ascii() {
        return Some(false);
    }
    is_numeral(s).then_some(true)
}

/// pydot's `quote_id_if_necessary` (node and graph names).
fn quote_id(s: &str) -> String {
    if DOT_KEYWORDS.contains(&s.to_lowercase().as_str()) {
        return make_quoted(s);
    }
    let plain = bare(s).unwrap_or_else(|| {
        let mut c = s.chars();
        c.next().is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
            && c.all(|x| x == '_' || x.is_ascii_alphanumeric())
    });
    if plain {
        s.to_owned()
    } else {
        make_quoted(s)
    }
}

/// pydot's `quote_attr_if_necessary` (attribute values).
fn quote_attr(s: &str) -> String {
    if s.is_empty() {
        return "\"\"".into();
    }
    if !DOT_KEYWORDS.contains(&s.to_lowercase().as_str()) && bare(s) == Some(true) {
        s.to_owned()
    } else {
        make_quoted(s)
    }
}
