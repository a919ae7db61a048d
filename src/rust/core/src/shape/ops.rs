//! Keras ops recorded as nodes of a Functional graph (module `keras.src.ops.*`): the masks Keras'
//! layers compute (`not_equal`, `any`, `logical_or`, `expand_dims`, `zeros_like`, ...) and the
//! ops of Keras' own model configs. Their output shapes follow `compute_output_spec` of each op
//! class in keras/src/ops/numpy.py (broadcasting as `operation_utils.broadcast_shapes`); ops have
//! no variables and no build_config. An op without a rule is [`ShapeError::Unknown`].

use serde_json::Value;

use super::ops_select as select;
use super::{as_int, BuildConfig, Built, Dim, Layer, Result, Shape, ShapeError, Shapes};

/// Builds op node `op` on its tensor arguments' shapes; `dtypes` are those tensors' dtypes and
/// `args` the node's `args` (Python scalars among them count in the result's dtype, as weak types).
pub fn build(op: &Layer, inputs: &Shapes, dtypes: &[String], args: Option<&Value>) -> Result<Built> {
    let shapes: Vec<&Shape> = inputs.flatten();
    let first = *shapes.first().ok_or_else(|| op.incompatible("an op was called without tensors.".into()))?;
    let first_dtype = dtypes.first().cloned().unwrap_or_else(|| "float32".to_owned());
    let same = |s: &Shape| (s.clone(), first_dtype.clone());
    let second = || shapes.get(1).copied().ok_or_else(|| op.incompatible(format!("{} takes two tensors", op.class)));
    if let Some((outputs, dtypes)) = select::several(op, first, &first_dtype)? {
        return Ok(Built { outputs, dtypes, variables: vec![], build_config: BuildConfig::None, nested: vec![] });
    }
    let (shape, dtype) = match op.class {
        "NotEqual" | "Equal" | "Greater" | "GreaterEqual" | "Less" | "LessEqual" | "LogicalOr" | "LogicalAnd"
        | "LogicalXor" => (broadcast_all(op, &shapes)?, "bool".to_owned()),
        "LogicalNot" => (first.clone(), "bool".to_owned()),
        "Add" | "Subtract" | "Multiply" | "Maximum" | "Minimum" | "Power" | "FloorDivide" | "Mod" => {
            (broadcast_all(op, &shapes)?, result_type(dtypes, args))
        }
        "Divide" | "TrueDivide" => (broadcast_all(op, &shapes)?, floating(&result_type(dtypes, args))),
        // Keras' float functions give floatx for integer and bool tensors.
        "Sqrt" | "Exp" | "Log" | "Log1p" | "Expm1" | "Sin" | "Cos" | "Tan" | "Tanh" | "Reciprocal" | "Rsqrt"
        | "Erf" | "Erfinv" | "Floor" | "Ceil" => (first.clone(), floating(&first_dtype)),
        "Square" | "Abs" | "Absolute" | "Negative" | "Sign" | "Round" | "Relu" | "Relu6" | "Sigmoid" | "Softplus"
        | "Softsign" | "Silu" | "Gelu" | "Elu" | "Selu" | "LeakyRelu" | "HardSigmoid" | "HardSilu" | "Softmax"
        | "LogSoftmax" => same(first),
        "Clip" => (first.clone(), if first_dtype == "bool" { "int32".to_owned() } else { first_dtype.clone() }),
        "ZerosLike" | "OnesLike" | "Cast" => {
            let dtype = op.get("dtype").and_then(Value::as_str).map_or(first_dtype, str::to_owned);
            (first.clone(), dtype)
        }
        "Any" | "All" => (reduce(op, first)?, "bool".to_owned()),
        "Max" | "Min" => (reduce(op, first)?, first_dtype),
        "Sum" | "Prod" => {
            let dtype = if first_dtype == "bool" { "int32".to_owned() } else { first_dtype.clone() };
            (reduce(op, first)?, dtype)
        }
        "Mean" | "Std" | "Var" => (reduce(op, first)?, floating(&first_dtype)),
        "Argmax" | "Argmin" => (reduce(op, first)?, "int32".to_owned()),
        "ExpandDims" => (expand_dims(op, first)?, first_dtype),
        "Concatenate" => (concatenate(op, &shapes)?, result_type(dtypes, None)),
        "Stack" => (stack(op, &shapes)?, result_type(dtypes, None)),
        "Reshape" => (reshape(op, first)?, first_dtype),
        "Transpose" => (transpose(op, first)?, first_dtype),
        "Squeeze" => (squeeze(op, first)?, first_dtype),
        "Swapaxes" => (swapaxes(op, first)?, first_dtype),
        "Moveaxis" => (moveaxis(op, first)?, first_dtype),
        "Tile" => (tile(op, first)?, first_dtype),
        "BroadcastTo" => (int_list(op, "shape")?.into_iter().map(|d| (d >= 0).then_some(d)).collect(), first_dtype),
        "Matmul" => (matmul(op, first, second()?)?, result_type(dtypes, None)),
        "Dot" => (select::dot(op, first, second()?)?, result_type(dtypes, None)),
        "Einsum" => {
            let dtype = result_type(dtypes, None);
            let all_int8 = dtypes.iter().all(|d| d == "int8");
            (select::einsum(op, &shapes)?, if all_int8 { "int32".to_owned() } else { dtype })
        }
        "GetItem" => (select::get_item(op, first, args.and_then(|a| a.get(1)))?, first_dtype),
        // Indices may be a Python int (a scalar), not a tensor.
        "Take" => (select::take(op, first, shapes.get(1).copied().unwrap_or(&Vec::new()))?, first_dtype),
        "TakeAlongAxis" => (select::take_along_axis(op, first, second()?)?, first_dtype),
        "Where" => select::where_(op, &shapes, dtypes, args)?,
        "OneHot" => {
            let dtype = op.get("dtype").and_then(Value::as_str).unwrap_or("float32").to_owned();
            (select::one_hot(op, first)?, dtype)
        }
        "Cumsum" | "Cumprod" => {
            let dtype = op.get("dtype").and_then(Value::as_str).map_or(first_dtype.clone(), str::to_owned);
            (select::along_axis(op, first)?, if dtype == "bool" { "int32".to_owned() } else { dtype })
        }
        "Sort" => (select::along_axis(op, first)?, first_dtype),
        "Argsort" => (select::along_axis(op, first)?, "int32".to_owned()),
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

/// Keras' `dtypes.result_type` for the common dtypes: the tensors' dtypes promoted (bool < ints <
/// floats, wider wins), then Python scalars as weak types (a float scalar makes an integer or bool
/// result floatx, an int scalar makes a bool result int32).
pub(super) fn result_type(dtypes: &[String], args: Option<&Value>) -> String {
    let rank = |d: &str| -> (u8, u32) {
        let bits = d.trim_start_matches(|c: char| c.is_ascii_alphabetic()).parse::<u32>().unwrap_or(32);
        let kind = if d == "bool" {
            0
        } else if d.starts_with("uint") || d.starts_with("int") {
            1
        } else {
            2
        };
        (kind, bits)
    };
    let mut out = dtypes.first().cloned().unwrap_or_else(|| "float32".to_owned());
    for d in dtypes.iter().skip(1) {
        if rank(d) > rank(&out) {
            out.clone_from(d);
        }
    }
    let scalars: Vec<&Value> = args.and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let has_float = scalars.iter().any(|v| v.as_f64().is_some() && !v.is_i64() && !v.is_u64());
    let has_int = scalars.iter().any(|v| v.is_i64() || v.is_u64());
    if has_float && rank(&out).0 < 2 {
        return "float32".to_owned();
    }
    if has_int && out == "bool" {
        return "int32".to_owned();
    }
    out
}

/// The dtype of a floating result: integer and bool inputs give floatx.
fn floating(dtype: &str) -> String {
    if dtype.starts_with("float") || dtype.starts_with("bfloat") {
        dtype.to_owned()
    } else {
        "float32".to_owned()
    }
}

/// `operation_utils.broadcast_shapes`: an unknown dimension against a known one is the known one.
pub(super) fn broadcast(op: &Layer, a: &Shape, b: &Shape) -> Result<Shape> {
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

/// A config key holding an integer or a list of integers.
fn int_list(op: &Layer, key: &str) -> Result<Vec<i64>> {
    let bad = || op.config_error(format!("`{key}` must be an integer or a list of integers"));
    match op.get(key) {
        Some(Value::Array(a)) => a.iter().map(|v| as_int(v).ok_or_else(bad)).collect(),
        Some(v) => as_int(v).map(|n| vec![n]).ok_or_else(bad),
        None => Err(bad()),
    }
}

/// An axis of a tensor of rank `rank`, negative ones counted from the end.
pub(super) fn axis_of(op: &Layer, a: i64, rank: usize) -> Result<usize> {
    let k = if a < 0 { rank as i64 + a } else { a };
    usize::try_from(k)
        .ok()
        .filter(|k| *k < rank)
        .ok_or_else(|| op.incompatible(format!("axis {a} is out of bounds for a tensor of rank {rank}")))
}

/// `Stack.compute_output_spec`: the tensors' common shape with their count inserted at `axis` (of
/// the result).
fn stack(op: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    let rank = shapes[0].len();
    let mut common = shapes[0].clone();
    for s in &shapes[1..] {
        if s.len() != rank {
            return Err(op.incompatible("all input tensors must have the same shape".into()));
        }
        for (i, d) in s.iter().enumerate() {
            match (common[i], d) {
                (None, d) => common[i] = *d,
                (Some(a), Some(b)) if a != *b => {
                    return Err(op.incompatible("all input tensors must have the same shape".into()))
                }
                _ => {}
            }
        }
    }
    let axis = as_int(op.get("axis").unwrap_or(&Value::from(0))).unwrap_or(0);
    let at = axis_of(op, axis, rank + 1)?;
    common.insert(at, Some(shapes.len() as i64));
    Ok(common)
}

/// `compute_reshape_output_shape`: a -1 takes what is left, unknown when the input has an unknown
/// dimension; the sizes must agree when all are known.
fn reshape(op: &Layer, shape: &Shape) -> Result<Shape> {
    let new = int_list(op, "newshape")?;
    if new.iter().filter(|d| **d == -1).count() > 1 {
        return Err(op.incompatible("There must be at most one unknown dimension (-1) in newshape.".into()));
    }
    let known: Option<i64> = shape.iter().try_fold(1i64, |acc, d| d.map(|n| acc.saturating_mul(n)));
    let given: i64 = new.iter().filter(|d| **d != -1).product();
    if let (Some(total), false) = (known, new.contains(&-1)) {
        if total != given {
            return Err(op.incompatible(format!("cannot reshape a tensor of {total} elements into {given}")));
        }
    }
    Ok(new
        .iter()
        .map(|&d| match (d, known) {
            (-1, Some(total)) if given > 0 && total % given == 0 => Some(total / given),
            (-1, _) => None,
            (d, _) => Some(d),
        })
        .collect())
}

/// `Transpose.compute_output_spec`: the axes permuted (reversed when `axes` is None).
fn transpose(op: &Layer, shape: &Shape) -> Result<Shape> {
    if op.get("axes").is_none_or(Value::is_null) {
        return Ok(shape.iter().rev().copied().collect());
    }
    let axes = int_list(op, "axes")?;
    if axes.len() != shape.len() {
        return Err(op.incompatible(format!(
            "axis must be a list of the same length as the input shape, expected {}, but received {}.",
            shape.len(),
            axes.len()
        )));
    }
    axes.iter().map(|&a| axis_of(op, a, shape.len()).map(|k| shape[k])).collect()
}

/// `Squeeze.compute_output_spec`: the given axes removed (they must be 1), or every dimension
/// known to be 1.
fn squeeze(op: &Layer, shape: &Shape) -> Result<Shape> {
    if op.get("axis").is_none_or(Value::is_null) {
        return Ok(shape.iter().copied().filter(|d| *d != Some(1)).collect());
    }
    let at: Vec<usize> =
        int_list(op, "axis")?.into_iter().map(|a| axis_of(op, a, shape.len())).collect::<Result<_>>()?;
    if let Some(k) = at.iter().find(|k| shape[**k].is_some_and(|n| n != 1)) {
        return Err(op.incompatible(format!("Cannot squeeze axis {k}, because the dimension is not 1.")));
    }
    Ok(shape.iter().enumerate().filter(|(i, _)| !at.contains(i)).map(|(_, d)| *d).collect())
}

fn swapaxes(op: &Layer, shape: &Shape) -> Result<Shape> {
    let a = axis_of(op, int_list(op, "axis1")?[0], shape.len())?;
    let b = axis_of(op, int_list(op, "axis2")?[0], shape.len())?;
    let mut out = shape.clone();
    out.swap(a, b);
    Ok(out)
}

/// NumPy's `moveaxis`: the source axes go to the destination positions, the others keep their order.
fn moveaxis(op: &Layer, shape: &Shape) -> Result<Shape> {
    let rank = shape.len();
    let source: Vec<usize> =
        int_list(op, "source")?.into_iter().map(|a| axis_of(op, a, rank)).collect::<Result<_>>()?;
    let dest: Vec<usize> =
        int_list(op, "destination")?.into_iter().map(|a| axis_of(op, a, rank)).collect::<Result<_>>()?;
    if source.len() != dest.len() {
        return Err(op.incompatible("source and destination must have the same number of axes".into()));
    }
    let mut order: Vec<usize> = (0..rank).filter(|i| !source.contains(i)).collect();
    let mut moves: Vec<(usize, usize)> = dest.into_iter().zip(source).collect();
    moves.sort_unstable();
    for (d, s) in moves {
        order.insert(d.min(order.len()), s);
    }
    Ok(order.into_iter().map(|i| shape[i]).collect())
}

/// `Tile.compute_output_spec`: shape and repeats padded with leading 1s to one length, multiplied.
fn tile(op: &Layer, shape: &Shape) -> Result<Shape> {
    let repeats = int_list(op, "repeats")?;
    let n = repeats.len().max(shape.len());
    let shape: Shape = std::iter::repeat_n(Some(1), n - shape.len()).chain(shape.iter().copied()).collect();
    let repeats: Vec<i64> = std::iter::repeat_n(1, n - repeats.len()).chain(repeats).collect();
    Ok(shape.iter().zip(repeats).map(|(d, r)| d.map(|d| d * r)).collect())
}

/// `Matmul.compute_output_spec`: a 1-D operand gets a dimension for the product and loses it after;
/// batch dimensions broadcast; the contracted dimensions must agree when known.
fn matmul(op: &Layer, a: &Shape, b: &Shape) -> Result<Shape> {
    if a.is_empty() || b.is_empty() {
        return Err(op.incompatible("matmul does not take scalars".into()));
    }
    let a2: Shape = if a.len() == 1 { vec![Some(1), a[0]] } else { a.clone() };
    let b2: Shape = if b.len() == 1 { vec![b[0], Some(1)] } else { b.clone() };
    let (inner_a, inner_b) = (a2[a2.len() - 1], b2[b2.len() - 2]);
    if let (Some(x), Some(y)) = (inner_a, inner_b) {
        if x != y {
            return Err(op.incompatible(format!(
                "Inner dimensions (`x1.shape[-1]` and `x2.shape[-2]`) must be equal, but received `x1.shape={}` and `x2.shape={}`.",
                shape_text(a),
                shape_text(b)
            )));
        }
    }
    let mut out = broadcast(op, &a2[..a2.len() - 2].to_vec(), &b2[..b2.len() - 2].to_vec())?;
    if a.len() > 1 {
        out.push(a2[a2.len() - 2]);
    }
    if b.len() > 1 {
        out.push(b2[b2.len() - 1]);
    }
    Ok(out)
}

pub(super) fn shape_text(s: &Shape) -> String {
    let parts: Vec<String> = s.iter().map(|d| dim_text(*d)).collect();
    if parts.len() == 1 {
        format!("({},)", parts[0])
    } else {
        format!("({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(class: &str, config: Value, shapes: Vec<Shape>, dtypes: &[&str], args: Value) -> Result<(Shape, String)> {
        let op = Layer::new(class, &config, None);
        let dtypes: Vec<String> = dtypes.iter().map(|d| (*d).to_owned()).collect();
        let built = build(&op, &Shapes::Many(shapes.into_iter().map(Shapes::One).collect()), &dtypes, Some(&args))?;
        let Shapes::One(s) = built.outputs else { panic!("one output") };
        Ok((s, built.dtypes[0].clone()))
    }

    #[test]
    fn python_scalars_promote_integer_tensors_as_weak_types() {
        let int = vec![None, Some(3)];
        let (_, d) = run("Add", json!({"name": "add"}), vec![int.clone()], &["int32"], json!([{}, 1.5])).unwrap();
        assert_eq!(d, "float32");
        let (_, d) = run("Add", json!({"name": "add"}), vec![int.clone()], &["int32"], json!([{}, 1])).unwrap();
        assert_eq!(d, "int32");
        let (_, d) = run("TrueDivide", json!({"name": "t"}), vec![int], &["int32"], json!([{}, 2])).unwrap();
        assert_eq!(d, "float32");
    }

    #[test]
    fn reshape_transpose_matmul_follow_keras() {
        let x = vec![None, Some(3), Some(4)];
        let (s, _) = run("Reshape", json!({"newshape": [-1, 12]}), vec![x.clone()], &["float32"], json!([])).unwrap();
        assert_eq!(s, vec![None, Some(12)]);
        let (s, _) = run("Transpose", json!({"axes": null}), vec![x.clone()], &["float32"], json!([])).unwrap();
        assert_eq!(s, vec![Some(4), Some(3), None]);
        let y = vec![None, Some(4), Some(5)];
        let (s, _) = run("Matmul", json!({}), vec![x.clone(), y], &["float32", "float32"], json!([])).unwrap();
        assert_eq!(s, vec![None, Some(3), Some(5)]);
        assert!(run("Matmul", json!({}), vec![x.clone(), x], &["float32", "float32"], json!([])).is_err());
    }

    #[test]
    fn moveaxis_and_stack_place_axes_as_numpy() {
        let x = vec![None, Some(3), Some(4)];
        let (s, _) =
            run("Moveaxis", json!({"source": 1, "destination": -1}), vec![x.clone()], &["float32"], json!([])).unwrap();
        assert_eq!(s, vec![None, Some(4), Some(3)]);
        let (s, _) = run("Stack", json!({"axis": 0}), vec![x.clone(), x], &["float32", "float32"], json!([])).unwrap();
        assert_eq!(s, vec![Some(2), None, Some(3), Some(4)]);
    }
}
