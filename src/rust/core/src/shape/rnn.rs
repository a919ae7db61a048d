//! Recurrent layers: the cells (SimpleRNN, LSTM, GRU, ConvLSTM, stacked), the RNN layers over
//! them, and the wrappers Bidirectional and TimeDistributed.

use super::{
    build_in, nested_layer, single, BuildConfig, Built, Init, Layer, Nested, Result, Shape, ShapeError, Shapes,
    Variable,
};
use serde_json::Value;

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let built = match layer.class {
        "SimpleRNN" | "LSTM" | "GRU" | "RNN" => rnn(layer, single(layer, inputs)?)?,
        "ConvLSTM1D" | "ConvLSTM2D" | "ConvLSTM3D" => rnn(layer, single(layer, inputs)?)?,
        "SimpleRNNCell" | "LSTMCell" | "GRUCell" | "StackedRNNCells" => cell_as_layer(layer, inputs)?,
        "Bidirectional" => bidirectional(layer, single(layer, inputs)?)?,
        "TimeDistributed" => time_distributed(layer, single(layer, inputs)?)?,
        _ => return Ok(None),
    };
    Ok(Some(built))
}

/// A cell built on the shape of one time step: its variables, output size and state sizes
/// (each a shape without batch), and the build_configs of the cells inside it.
struct Cell {
    variables: Vec<Variable>,
    output: Vec<i64>,
    states: Vec<Vec<i64>>,
    nested: Vec<Nested>,
    build_config: BuildConfig,
}

fn cell(cell: &Layer, step: &Shape) -> Result<Cell> {
    let record = BuildConfig::InputShape(Shapes::One(step.clone()));
    let last = |what| cell.known(*step.last().unwrap_or(&None), what);
    match cell.class {
        "SimpleRNNCell" | "LSTMCell" | "GRUCell" => {
            let units = cell.int("units")?;
            let gates = match cell.class {
                "LSTMCell" => 4,
                "GRUCell" => 3,
                _ => 1,
            };
            let input_dim = last("last")?;
            let mut vars = vec![
                cell.var("kernel", vec![input_dim, gates * units]),
                cell.var_init(
                    "recurrent_kernel",
                    vec![units, gates * units],
                    Init::Key("recurrent_initializer".into()),
                ),
            ];
            if cell.bool_or("use_bias", true) {
                let bias = if cell.class == "GRUCell" && cell.bool_or("reset_after", true) {
                    vec![2, 3 * units]
                } else {
                    vec![gates * units]
                };
                vars.push(cell.var("bias", bias));
            }
            let states = if cell.class == "LSTMCell" { vec![vec![units], vec![units]] } else { vec![vec![units]] };
            Ok(Cell { variables: vars, output: vec![units], states, nested: vec![], build_config: record })
        }
        "ConvLSTMCell" => {
            // `step` is (batch, *spatial, channels) or (batch, channels, *spatial).
            let rank = step.len() - 2;
            let filters = cell.int("filters")?;
            let kernel = cell.tuple("kernel_size", rank)?;
            let strides = cell.tuple_or("strides", rank, 1)?;
            let dilation = cell.tuple_or("dilation_rate", rank, 1)?;
            let padding = cell.str_or("padding", "valid").to_ascii_lowercase();
            let (spatial, channels) = if cell.channels_last() {
                (step[1..=rank].to_vec(), step[rank + 1])
            } else {
                (step[2..].to_vec(), step[1])
            };
            let in_ch = cell.known(channels, "channel")?;
            let out_spatial = super::conv::conv_spatial(cell, step, &spatial, &kernel, &strides, &dilation, &padding)?;
            let mut k = kernel.clone();
            k.extend([in_ch, 4 * filters]);
            let mut rk = kernel.clone();
            rk.extend([filters, 4 * filters]);
            let mut vars = vec![
                cell.var("kernel", k),
                cell.var_init("recurrent_kernel", rk, Init::Key("recurrent_initializer".into())),
            ];
            if cell.bool_or("use_bias", true) {
                vars.push(cell.var("bias", vec![4 * filters]));
            }
            // Unknown spatial sizes stay unknown: stored as -1 and turned back into None.
            let mut state: Vec<i64> = out_spatial.iter().map(|d| d.unwrap_or(-1)).collect();
            if cell.channels_last() {
                state.push(filters);
            } else {
                state.insert(0, filters);
            }
            Ok(Cell {
                variables: vars,
                output: state.clone(),
                states: vec![state.clone(), state],
                nested: vec![],
                build_config: record,
            })
        }
        "StackedRNNCells" => {
            let cells = cell
                .get("cells")
                .and_then(Value::as_array)
                .ok_or_else(|| cell.config_error("`cells` must be a list".into()))?;
            stacked(cell, cells, step)
        }
        other => {
            Err(ShapeError::Unknown { class: other.to_owned(), why: "not a recurrent cell kerasconfig knows".into() })
        }
    }
}

fn stacked(owner: &Layer, cells: &[Value], step: &Shape) -> Result<Cell> {
    let mut out = Cell {
        variables: vec![],
        output: vec![],
        states: vec![],
        nested: vec![],
        build_config: BuildConfig::InputShape(Shapes::One(step.clone())),
    };
    let mut shape = step.clone();
    for (i, c) in cells.iter().enumerate() {
        let (class, config) =
            nested_layer(c).ok_or_else(|| owner.config_error("every cell must be a layer config".into()))?;
        let inner = Layer::new(class, config, Some(owner));
        let built = cell(&inner, &shape)?;
        out.variables.extend(built.variables);
        out.states.extend(built.states);
        out.nested.push(Nested { path: vec![format!("cells"), i.to_string()], build_config: built.build_config });
        for mut n in built.nested {
            n.path.splice(0..0, ["cells".to_owned(), i.to_string()]);
            out.nested.push(n);
        }
        shape = vec![shape[0]];
        shape.extend(built.output.iter().map(|&d| Some(d)));
        out.output = built.output;
    }
    Ok(out)
}

fn dims(batch: super::Dim, d: &[i64]) -> Shape {
    let mut s = vec![batch];
    s.extend(d.iter().map(|&n| if n < 0 { None } else { Some(n) }));
    s
}

/// The cell of an RNN layer: `cell` in RNN's config; for LSTM, GRU, SimpleRNN and ConvLSTM,
/// the layer's own config read as its cell's (named as Keras names it).
fn rnn_cell<'a>(layer: &'a Layer<'a>) -> Result<(String, Layer<'a>, Option<&'a [Value]>)> {
    let cell_class = match layer.class {
        "SimpleRNN" => "SimpleRNNCell",
        "LSTM" => "LSTMCell",
        "GRU" => "GRUCell",
        c if c.starts_with("ConvLSTM") => "ConvLSTMCell",
        _ => {
            let v = layer.get("cell").ok_or_else(|| layer.config_error("`cell` is missing".into()))?;
            if let Some(list) = v.as_array() {
                return Ok((
                    "stacked_rnn_cells".into(),
                    Layer::new("StackedRNNCells", layer.config, Some(layer)),
                    Some(list),
                ));
            }
            let (class, config) =
                nested_layer(v).ok_or_else(|| layer.config_error("`cell` must be a layer config".into()))?;
            let cell = Layer::new(class, config, Some(layer));
            return Ok((cell.name.clone(), cell, None));
        }
    };
    let name = match cell_class {
        "SimpleRNNCell" => "simple_rnn_cell",
        "LSTMCell" => "lstm_cell",
        "GRUCell" => "gru_cell",
        _ => "conv_lstm_cell",
    };
    let mut cell = Layer::new(cell_class, layer.config, Some(layer));
    cell.name = name.to_owned();
    cell.path = format!("{}/{}", layer.path, name);
    Ok((name.to_owned(), cell, None))
}

fn rnn(layer: &Layer, shape: &Shape) -> Result<Built> {
    let conv = layer.class.starts_with("ConvLSTM");
    let rank = if conv { layer.class[8..9].parse::<usize>().unwrap_or(2) + 3 } else { 3 };
    layer.expect_ndim(shape, rank)?;
    let (_, mut cell_layer, list) = rnn_cell(layer)?;
    if list.is_some() {
        cell_layer.name = "stacked_rnn_cells".into();
        cell_layer.path = format!("{}/stacked_rnn_cells", layer.path);
    }
    let mut step = vec![shape[0]];
    step.extend(&shape[2..]);
    let built = match list {
        Some(cells) => stacked(&cell_layer, cells, &step)?,
        None => cell(&cell_layer, &step)?,
    };
    let mut output = if layer.bool_or("return_sequences", false) {
        let mut s = vec![shape[0], shape[1]];
        s.extend(dims(shape[0], &built.output).into_iter().skip(1));
        s
    } else {
        dims(shape[0], &built.output)
    };
    let mut nested = Vec::new();
    if !matches!(layer.class, "SimpleRNN" | "LSTM" | "GRU") && !conv {
        nested.push(Nested { path: vec!["cell".into()], build_config: built.build_config.clone() });
        for mut n in built.nested {
            n.path.insert(0, "cell".into());
            nested.push(n);
        }
    }
    let outputs = if layer.bool_or("return_state", false) {
        let mut all = vec![Shapes::One(std::mem::take(&mut output))];
        all.extend(built.states.iter().map(|s| Shapes::One(dims(shape[0], s))));
        Shapes::Many(all)
    } else {
        Shapes::One(output)
    };
    let n = outputs.flatten().len();
    Ok(Built {
        outputs,
        dtypes: vec![layer.compute_dtype.clone(); n],
        variables: built.variables,
        build_config: BuildConfig::InputShape(Shapes::One(shape.clone())),
        nested,
    })
}

/// A cell called on its own takes (inputs, states); Keras builds it on the inputs' shape.
fn cell_as_layer(layer: &Layer, inputs: &Shapes) -> Result<Built> {
    let step = inputs
        .flatten()
        .first()
        .map(|s| (*s).clone())
        .ok_or_else(|| layer.incompatible("a cell needs inputs.".into()))?;
    let built = cell(layer, &step)?;
    let mut outs = vec![Shapes::One(dims(step[0], &built.output))];
    outs.push(Shapes::Many(built.states.iter().map(|s| Shapes::One(dims(step[0], s))).collect()));
    let outputs = Shapes::Many(outs);
    let n = outputs.flatten().len();
    Ok(Built {
        outputs,
        dtypes: vec![layer.compute_dtype.clone(); n],
        variables: built.variables,
        build_config: built.build_config,
        nested: built.nested,
    })
}

/// The wrapped layer of a wrapper, named and placed as Keras places it.
fn wrapped<'a>(owner: &'a Layer<'a>, key: &str, name: Option<String>) -> Result<Layer<'a>> {
    let (class, config) = owner.nested(key)?;
    let mut inner = Layer::new(class, config, Some(owner));
    if let Some(name) = name {
        inner.name = name;
        inner.path = format!("{}/{}", owner.path, inner.name);
    }
    Ok(inner)
}

fn bidirectional(layer: &Layer, shape: &Shape) -> Result<Built> {
    let forward = wrapped(layer, "layer", None)?;
    // Keras 3 writes the forward layer (named forward_<name>) under `layer`; a config from
    // elsewhere may hold the original layer, which Keras renames.
    let forward = if forward.name.starts_with("forward_") {
        forward
    } else {
        let name = format!("forward_{}", forward.name);
        wrapped(layer, "layer", Some(name))?
    };
    let backward = match layer.get("backward_layer") {
        Some(_) => wrapped(layer, "backward_layer", None)?,
        None => {
            let name = format!("backward_{}", forward.name.trim_start_matches("forward_"));
            wrapped(layer, "layer", Some(name))?
        }
    };
    let inputs = Shapes::One(shape.clone());
    let f = build_in(&forward, &inputs)?;
    let b = build_in(&backward, &inputs)?;
    let merge = layer.get("merge_mode").and_then(Value::as_str);
    let (out, states): (Shape, Vec<Shapes>) = match &f.outputs {
        Shapes::One(s) => (s.clone(), vec![]),
        Shapes::Many(v) => (v[0].one().cloned().unwrap_or_default(), v[1..].to_vec()),
    };
    let mut outputs = match merge {
        None => vec![Shapes::One(out.clone()), Shapes::One(out)],
        Some("concat") => {
            let mut o = out;
            if let Some(last) = o.last_mut() {
                *last = last.map(|d| d * 2);
            }
            vec![Shapes::One(o)]
        }
        Some("sum" | "mul" | "ave") => vec![Shapes::One(out)],
        Some(m) => {
            return Err(layer.config_error(format!(
                "Invalid merge mode. Received: {m}. Merge mode should be one of {{\"sum\", \"mul\", \"ave\", \"concat\", None}}"
            )))
        }
    };
    if !states.is_empty() {
        outputs.extend(states.iter().cloned());
        outputs.extend(states.iter().cloned());
    }
    let outputs = if outputs.len() == 1 { outputs.pop().unwrap() } else { Shapes::Many(outputs) };
    let mut variables = f.variables;
    variables.extend(b.variables);
    let nested = vec![
        Nested { path: vec!["layer".into()], build_config: f.build_config },
        Nested { path: vec!["backward_layer".into()], build_config: b.build_config },
    ];
    let n = outputs.flatten().len();
    Ok(Built {
        outputs,
        dtypes: vec![layer.compute_dtype.clone(); n],
        variables,
        build_config: BuildConfig::InputShape(Shapes::One(shape.clone())),
        nested,
    })
}

fn time_distributed(layer: &Layer, shape: &Shape) -> Result<Built> {
    if shape.len() < 3 {
        return Err(layer.incompatible(format!(
            "`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, received: {}",
            super::shape_text(shape)
        )));
    }
    let inner = wrapped(layer, "layer", None)?;
    let mut step = vec![shape[0]];
    step.extend(&shape[2..]);
    let b = build_in(&inner, &Shapes::One(step))?;
    let insert_time = |s: &Shape| {
        let mut o = vec![s[0], shape[1]];
        o.extend(&s[1..]);
        o
    };
    let outputs = match &b.outputs {
        Shapes::One(s) => Shapes::One(insert_time(s)),
        Shapes::Many(v) => {
            Shapes::Many(v.iter().map(|s| Shapes::One(insert_time(s.one().unwrap_or(&vec![])))).collect())
        }
    };
    let mut nested = vec![Nested { path: vec!["layer".into()], build_config: b.build_config }];
    for mut n in b.nested {
        n.path.insert(0, "layer".into());
        nested.push(n);
    }
    Ok(Built {
        outputs,
        dtypes: b.dtypes,
        variables: b.variables,
        build_config: BuildConfig::InputShape(Shapes::One(shape.clone())),
        nested,
    })
}
