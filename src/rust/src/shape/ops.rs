//! Keras ops recorded as nodes of a Functional graph (module `keras.src.ops.*`): the masks Keras'
//! layers compute (`not_equal`, `any`, `logical_or`, `expand_dims`, `zeros_like`, ...) and the
//! ops of Keras' own model configs. Their output shapes follow `compute_output_spec` of each op
//! class in keras/src/ops/numpy.py (broadcasting as `operation_utils.broadcast_shapes`); ops have
//! no variables and no build_config. An op without a rule is [`ShapeError::Unknown`].

use serde_json::Value;

use super::{as_int, BuildConfig, Built, Dim, Layer, Result, Shape, ShapeError, Shapes};

/// Builds op node `op` on its tensor arguments' shapes; `dtypes` are those tensors' dtypes.
pub fn build(op: &Layer, inputs: &Shapes, dtypes: &[String]) -> Result<Built> {
    let shapes: Vec<&Shape> = inputs.flatten();
    let first = *shapes.first().ok_or_else(|| op.incompatible("an op was called without tensors.".into()))?;
    let first_dtype = dtypes.first().cloned().unwrap_or_else(|| "float32".to_owned());
    let (shape, dtype) = match op.class {
        "NotEqual" | "Equal" | "Greater" | "GreaterEqual" | "Less" | "LessEqual" | "LogicalOr" | "LogicalAnd"
        | "LogicalXor" => (broadcast_all(op, &shapes)?, "bool".to_owned()),
        "LogicalNot" => (first.clone(), "bool".to_owned()),
        "Add" | "Subtract" | "Multiply" | "Maximum" | "Minimum" | "Divide" | "Power" => {
            (broadcast_all(op, &shapes)?, first_dtype)
        }
        "Square" | "Abs" | "Negative" | "Sqrt" | "Exp" | "Log" | "Sign" => (first.clone(), first_dtype),
        "ZerosLike" | "OnesLike" => {
            let dtype = op.get("dtype").and_then(Value::as_str).map_or(first_dtype, str::to_owned);
            (first.clone(), dtype)
        }
        "Any" | "All" => (reduce(op, first)?, "bool".to_owned()),
        "Mean" | "Sum" | "Max" | "Min" | "Prod" => (reduce(op, first)?, first_dtype),
        "ExpandDims" => (expand_dims(op, first)?, first_dtype),
        "Concatenate" => (concatenate(op, &shapes)?, first_dtype),
        _ => {
            return Err(ShapeError::Unknown {
                class: op.class.to_owned(),
                why: "an op whose output shape kerasconfig does not compute".to_owned(),
            })
        }
    };
    Ok(Built {
        outputs: Shapes::One(shape),
        dtypes: vec![dtype],
        variables: vec![],
        build_config: BuildConfig::None,
        nested: vec![],
    })
}

/// `operation_utils.broadcast_shapes`: an unknown dimension against a known one is the known one.
fn broadcast(op: &Layer, a: &Shape, b: &Shape) -> Result<Shape> {
    let n = a.len().max(b.len());
    let pad = |s: &Shape| -> Shape { std::iter::repeat_n(Some(1), n - s.len()).chain(s.iter().copied()).collect() };
    let (a, b) = (pad(a), pad(b));
    a.iter()
        .zip(&b)
        .map(|(x, y)| match (x, y) {
            (Some(1), y) => Ok(*y),
            (None, Some(1)) => Ok(None),
            (None, y) => Ok(*y),
            (x, y) if *y == Some(1) || y.is_none() || y == x => Ok(*x),
            _ => Err(op.incompatible(format!(
                "Cannot broadcast shape, the failure dim has value {}, which cannot be broadcasted to {}.",
                dim_text(*x),
                dim_text(*y)
            ))),
        })
        .collect()
}

fn broadcast_all(op: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    let mut out = shapes[0].clone();
    for s in &shapes[1..] {
        out = broadcast(op, &out, s)?;
    }
    Ok(out)
}

fn dim_text(d: Dim) -> String {
    d.map_or("None".to_owned(), |n| n.to_string())
}

/// The op's `axis` as a list of non-negative axes of a tensor of rank `rank`; None when absent.
fn axes(op: &Layer, rank: usize) -> Result<Option<Vec<usize>>> {
    let Some(v) = op.get("axis") else { return Ok(None) };
    let list: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        v => vec![v],
    };
    list.into_iter()
        .map(|a| {
            let a = as_int(a).ok_or_else(|| op.config_error("`axis` must be an integer or a list of them".into()))?;
            let k = if a < 0 { rank as i64 + a } else { a };
            usize::try_from(k)
                .ok()
                .filter(|k| *k < rank)
                .ok_or_else(|| op.incompatible(format!("axis {a} is out of bounds for a tensor of rank {rank}")))
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

/// `reduce_shape`: the reduced axes removed, or kept as 1 with `keepdims`; no axis reduces all.
fn reduce(op: &Layer, shape: &Shape) -> Result<Shape> {
    let keepdims = op.get("keepdims").and_then(Value::as_bool).unwrap_or(false);
    let reduced = axes(op, shape.len())?.unwrap_or_else(|| (0..shape.len()).collect());
    Ok(shape
        .iter()
        .enumerate()
        .filter_map(|(i, d)| match (reduced.contains(&i), keepdims) {
            (false, _) => Some(*d),
            (true, true) => Some(Some(1)),
            (true, false) => None,
        })
        .collect())
}

/// `ExpandDims.compute_output_spec`: a 1 inserted at each axis of the result (negative axes count
/// from the end of the result).
fn expand_dims(op: &Layer, shape: &Shape) -> Result<Shape> {
    let raw: Vec<i64> = match op.get("axis") {
        Some(Value::Array(a)) => a.iter().filter_map(as_int).collect(),
        Some(v) => as_int(v).into_iter().collect(),
        None => return Err(op.config_error("`axis` is required".into())),
    };
    let rank = (shape.len() + raw.len()) as i64;
    let mut at: Vec<usize> = Vec::with_capacity(raw.len());
    for a in raw {
        let k = if a < 0 { rank + a } else { a };
        let k = usize::try_from(k)
            .ok()
            .filter(|k| (*k as i64) < rank)
            .ok_or_else(|| op.incompatible(format!("axis {a} is out of bounds for a result of rank {rank}")))?;
        at.push(k);
    }
    let mut rest = shape.iter();
    Ok((0..rank as usize).map(|i| if at.contains(&i) { Some(1) } else { rest.next().copied().flatten() }).collect())
}

/// `Concatenate.compute_output_spec`: the sizes along `axis` add up (unknown if one is); the other
/// dimensions must agree.
fn concatenate(op: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    let rank = shapes[0].len();
    if shapes.iter().any(|s| s.len() != rank) {
        return Err(op.incompatible("all the input arrays must have same number of dimensions".into()));
    }
    let axis = axes(op, rank)?.and_then(|a| a.first().copied()).unwrap_or(0);
    let mut out = shapes[0].clone();
    for s in &shapes[1..] {
        for (i, d) in s.iter().enumerate() {
            if i == axis {
                out[i] = match (out[i], d) {
                    (Some(a), Some(b)) => Some(a + b),
                    _ => None,
                };
            } else if out[i].is_none() {
                out[i] = *d;
            }
        }
    }
    Ok(out)
}
