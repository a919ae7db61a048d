//! Keras ops that select, reorder, split and contract tensors (keras/src/ops/numpy.py, nn.py,
//! math.py of Keras 3.15.1): `GetItem` (`x[...]`), `Take`, `TakeAlongAxis`, `Split`, `TopK`,
//! `Where`, `OneHot`, `Cumsum`/`Cumprod`, `Sort`/`Argsort`, `Dot` and `Einsum`. Each follows its
//! class's `compute_output_spec`, errors included.

use serde_json::Value;

use super::ops::{axis_of, broadcast, result_type, shape_text};
use super::{as_int, Layer, Result, Shape, Shapes};

/// `GetItem.compute_output_spec`: the key (an int, or a tuple of ints, slices, `None` for a new
/// axis and at most one `...`) consumed dimension by dimension; ints drop a dimension, slices
/// keep its length (`len(range(*slice.indices(n)))`), unknown when the dimension is.
pub fn get_item(op: &Layer, x: &Shape, key: Option<&Value>) -> Result<Shape> {
    let key = key.unwrap_or(&Value::Null);
    let mut items: Vec<&Value> = match key {
        Value::Array(a) => a.iter().collect(),
        v if as_int(v).is_some() => vec![v],
        v => return Err(op.incompatible(format!("Unsupported key type for array slice. Received: `{}`", key_text(v)))),
    };
    let shown = key_text(key);
    let ellipses = items.iter().filter(|v| is_special(v, "__ellipsis__")).count();
    if ellipses > 1 {
        return Err(op.incompatible(format!("Slice should only have one ellipsis. Received: `{shown}`")));
    }
    let ellipsis_marker = serde_json::json!({"class_name": "__ellipsis__", "config": {}});
    if ellipses == 0 {
        items.push(&ellipsis_marker);
    }
    let mut remaining: Shape = x.clone();
    let mut out: Shape = Vec::new();
    let mut k = 0;
    while k < items.len() {
        let sub = items[k];
        k += 1;
        if is_special(sub, "__ellipsis__") {
            let rest = &items[k..];
            let needed = rest.len() - rest.iter().filter(|v| v.is_null()).count();
            let consumed = remaining.len().saturating_sub(needed);
            out.extend(remaining.drain(..consumed));
            continue;
        }
        if sub.is_null() {
            out.push(Some(1));
            continue;
        }
        if remaining.is_empty() {
            return Err(op.incompatible(format!(
                "Array has shape {} but slice has to many indices. Received: `{shown}`",
                shape_text(x)
            )));
        }
        let length = remaining.remove(0);
        if let Some(i) = as_int(sub) {
            if let Some(n) = length {
                let index = if i >= 0 { i } else { i + n };
                if index < 0 || index >= n {
                    return Err(op.incompatible(format!(
                        "Array has shape {} but out-of-bounds index {shown} was requested.",
                        shape_text(x)
                    )));
                }
            }
        } else if is_special(sub, "__slice__") {
            let c = sub.get("config").unwrap_or(&Value::Null);
            let bound = |k: &str| -> Result<Option<i64>> {
                match c.get(k) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => as_int(v).map(Some).ok_or_else(|| {
                        op.incompatible("slice indices must be integers or None or have an __index__ method".into())
                    }),
                }
            };
            let (start, stop, step) = (bound("start")?, bound("stop")?, bound("step")?);
            if step == Some(0) {
                return Err(op.incompatible("slice step cannot be zero".into()));
            }
            out.push(length.map(|n| slice_len(start, stop, step.unwrap_or(1), n)));
        } else {
            return Err(op.incompatible(format!("Unsupported key type for array slice. Received: `{shown}`")));
        }
    }
    Ok(out)
}

fn is_special(v: &Value, class: &str) -> bool {
    v.get("class_name").and_then(Value::as_str) == Some(class)
}

/// Python's `len(range(*slice(start, stop, step).indices(n)))`.
fn slice_len(start: Option<i64>, stop: Option<i64>, step: i64, n: i64) -> i64 {
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let norm = |v: i64, lo: i64, hi: i64| clamp(if v < 0 { v + n } else { v }, lo, hi);
    let (start, stop) = if step > 0 {
        (start.map_or(0, |s| norm(s, 0, n)), stop.map_or(n, |s| norm(s, 0, n)))
    } else {
        (start.map_or(n - 1, |s| norm(s, -1, n - 1)), stop.map_or(-1, |s| norm(s, -1, n - 1)))
    };
    let span = if step > 0 { stop - start } else { start - stop };
    if span <= 0 {
        0
    } else {
        (span + step.abs() - 1) / step.abs()
    }
}

/// Python's repr of a key as Keras shows it in messages: `(slice(None, None, None), 5)`.
fn key_text(v: &Value) -> String {
    let opt = |v: Option<&Value>| v.filter(|v| !v.is_null()).map_or("None".to_owned(), Value::to_string);
    match v {
        Value::Null => "None".to_owned(),
        Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(key_text).collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        v if is_special(v, "__ellipsis__") => "Ellipsis".to_owned(),
        v if is_special(v, "__slice__") => {
            let c = v.get("config");
            let part = |k: &str| opt(c.and_then(|c| c.get(k)));
            format!("slice({}, {}, {})", part("start"), part("stop"), part("step"))
        }
        v => v.to_string(),
    }
}

/// `Take.compute_output_spec`: the indices' shape replaces dimension `axis` (the whole shape
/// without an axis).
pub fn take(op: &Layer, x: &Shape, indices: &Shape) -> Result<Shape> {
    let Some(axis) = op.get("axis").filter(|v| !v.is_null()) else { return Ok(indices.clone()) };
    let a = axis_of(op, as_int(axis).unwrap_or(i64::MAX), x.len())?;
    Ok(x[..a].iter().chain(indices).chain(&x[a + 1..]).copied().collect())
}

/// `compute_take_along_axis_output_shape`: same ranks; the indices' size at `axis`, the rest
/// broadcast.
pub fn take_along_axis(op: &Layer, x: &Shape, indices: &Shape) -> Result<Shape> {
    let axis = op.get("axis").filter(|v| !v.is_null());
    let mut input: Shape = match axis {
        Some(_) => x.clone(),
        None => vec![x.iter().try_fold(1i64, |acc, d| d.map(|n| acc * n))],
    };
    if input.len() != indices.len() {
        return Err(op.incompatible(format!(
            "`x` and `indices` must have the same number of dimensions, but receive shape {} and {}.",
            list_text(&input),
            list_text(indices)
        )));
    }
    let a = match axis {
        Some(v) => axis_of(op, as_int(v).unwrap_or(i64::MAX), input.len())?,
        None => 0,
    };
    input[a] = indices[a];
    broadcast(op, &input, indices)
}

fn list_text(s: &Shape) -> String {
    let parts: Vec<String> = s.iter().map(|d| d.map_or("None".to_owned(), |n| n.to_string())).collect();
    format!("[{}]", parts.join(", "))
}

/// `_compute_split_output_spec`: `n` equal parts (the size must divide), or the parts between
/// the given indices.
pub fn split(op: &Layer, x: &Shape) -> Result<Vec<Shape>> {
    let axis = as_int(op.get("axis").unwrap_or(&Value::from(0))).unwrap_or(0);
    let a = axis_of(op, axis, x.len())?;
    let size = x[a];
    let spec = op.get("indices_or_sections").unwrap_or(&Value::Null);
    let with = |d: Option<i64>| -> Shape {
        let mut s = x.clone();
        s[a] = d;
        s
    };
    if let Some(n) = as_int(spec).filter(|_| !spec.is_array()) {
        if n <= 0 {
            return Err(op.incompatible("number sections must be larger than 0.".into()));
        }
        let n_usize = usize::try_from(n).unwrap_or(usize::MAX).min(1 << 16);
        return match size {
            None => Ok(vec![with(None); n_usize]),
            Some(s) if s % n != 0 => Err(op.incompatible(format!(
                "`x` size on given `axis` must be divisible by `indices_or_sections` when `indices_or_sections` is an int. But received {s} and {n}."
            ))),
            Some(s) => Ok(vec![with(Some(s / n)); n_usize]),
        };
    }
    let Some(list) = spec.as_array() else {
        return Err(op.config_error("`indices_or_sections` must be an integer or a list of integers".into()));
    };
    let mut bounds: Vec<Option<i64>> = vec![Some(0)];
    for v in list {
        bounds.push(Some(as_int(v).ok_or_else(|| op.config_error("split indices must be integers".into()))?));
    }
    bounds.push(size);
    Ok(bounds
        .windows(2)
        .map(|w| match (w[0], w[1]) {
            (Some(s), Some(e)) => with(Some(e - s)),
            _ => with(None),
        })
        .collect())
}

/// `TopK.compute_output_spec`: the last dimension becomes `k`; values keep the dtype, indices
/// are int32.
pub fn top_k(op: &Layer, x: &Shape) -> Result<Shape> {
    let k = op.get("k").and_then(as_int).ok_or_else(|| op.config_error("`k` must be an integer".into()))?;
    let mut out = x.clone();
    match out.last_mut() {
        Some(d) => *d = Some(k),
        None => return Err(op.incompatible("top_k takes a tensor of rank at least 1".into())),
    }
    Ok(out)
}

/// `Where.compute_output_spec`: condition, `x1` and `x2` broadcast (numbers count as scalars);
/// the dtype is that of `x1` and `x2` together.
pub fn where_(op: &Layer, shapes: &[&Shape], dtypes: &[String], args: Option<&Value>) -> Result<(Shape, String)> {
    let args: Vec<&Value> = args.and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
    let mut tensor = 0usize;
    let mut out: Shape = Vec::new();
    let mut branch_dtypes = Vec::new();
    let mut scalars = Vec::new();
    for (i, a) in args.iter().enumerate().take(3) {
        let is_tensor = a.is_object();
        if is_tensor {
            let s = shapes.get(tensor).ok_or_else(|| op.incompatible("where: a tensor is missing".into()))?;
            out = broadcast(op, &out, s)?;
            if i > 0 {
                branch_dtypes.push(dtypes.get(tensor).cloned().unwrap_or_else(|| "float32".into()));
            }
            tensor += 1;
        } else if i > 0 {
            scalars.push((*a).clone());
        }
    }
    if branch_dtypes.is_empty() {
        return Err(op.incompatible("kerasconfig writes `where` with at least one tensor among `x1`, `x2`".into()));
    }
    Ok((out, result_type(&branch_dtypes, Some(&Value::Array(scalars)))))
}

/// `OneHot.compute_output_spec`: `num_classes` appended (axis -1) or inserted at `axis`.
pub fn one_hot(op: &Layer, x: &Shape) -> Result<Shape> {
    let n = op.get("num_classes").and_then(as_int);
    let axis = op.get("axis").and_then(as_int).unwrap_or(-1);
    let mut out = x.clone();
    if axis == -1 {
        out.push(n);
    } else if axis >= 0 && (axis as usize) < x.len() {
        out.insert(axis as usize, n);
    } else {
        return Err(op.incompatible(format!("axis must be -1 or between [0, {}), but received {axis}.", x.len())));
    }
    Ok(out)
}

/// `Cumsum`, `Cumprod`, `Sort`, `Argsort`: the shape kept along `axis`, flattened without one.
pub fn along_axis(op: &Layer, x: &Shape) -> Result<Shape> {
    match op.get("axis").filter(|v| !v.is_null()) {
        None => Ok(vec![x.iter().try_fold(1i64, |acc, d| d.map(|n| acc * n))]),
        Some(v) => {
            let a = as_int(v).ok_or_else(|| op.config_error("`axis` must be an integer".into()))?;
            let rank = x.len() as i64;
            if a < -rank || a >= rank {
                return Err(op.incompatible(format!("axis {a} is out of bounds for an array with dimension {rank}.")));
            }
            Ok(x.clone())
        }
    }
}

/// `Dot.compute_output_spec`.
pub fn dot(op: &Layer, a: &Shape, b: &Shape) -> Result<Shape> {
    if a.is_empty() || b.is_empty() {
        return broadcast(op, a, b);
    }
    if a.len() == 1 && b.len() == 1 {
        return Ok(vec![]);
    }
    if b.len() == 1 {
        if a[a.len() - 1] != b[0] {
            return Err(op.incompatible(format!(
                "Shape must match on the last axis of `x1` and `x2` when `x1` is N-d array while `x2` is 1-D, but receive shape `x1.shape={}` and x2.shape=`{}`.",
                shape_text(a),
                shape_text(b)
            )));
        }
        return Ok(a[..a.len() - 1].to_vec());
    }
    let (x, y) = (a[a.len() - 1], b[b.len() - 2]);
    if x.is_some() && y.is_some() && x != y {
        return Err(op.incompatible(format!(
            "Shape must match on the last axis of `x1` and second last axis of `x2` when `x1` is N-d array while `x2` is M-D, but received `x1.shape={}` and x2.shape=`{}`.",
            shape_text(a),
            shape_text(b)
        )));
    }
    let mut out: Shape = a[..a.len() - 1].to_vec();
    out.extend(b.iter().enumerate().filter(|(i, _)| *i != b.len() - 2).map(|(_, d)| *d));
    Ok(out)
}

/// `Einsum.compute_output_spec`, including its string rewriting: each operand's dimensions put
/// in place of its letters in the output spec (`...` taking the rest), letters it lacks as 1,
/// then all broadcast.
pub fn einsum(op: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    let subscripts = op.get("subscripts").and_then(Value::as_str).unwrap_or_default().to_owned();
    let parts: Vec<&str> = subscripts.split("->").collect();
    if parts.len() > 2 {
        return Err(op.incompatible(format!(
            "At most one '->' is supported in `einsum` subscripts, but received {subscripts}."
        )));
    }
    let (inputs, output_spec) = (parts[0], parts.get(1).copied());
    let specs: Vec<&str> = inputs.split(',').collect();
    if specs.len() != shapes.len() {
        return Err(op.incompatible(format!(
            "Number of operands ({}) does not match the number of input specs ({}) in `einsum`, received subscripts={subscripts}.",
            shapes.len(),
            specs.len()
        )));
    }
    let mut kept: Vec<char> = Vec::new();
    let mut reduced: Vec<char> = Vec::new();
    for c in inputs.chars().filter(|c| c.is_alphabetic()) {
        if !kept.contains(&c) && !reduced.contains(&c) {
            kept.push(c);
        } else if kept.contains(&c) {
            kept.retain(|k| *k != c);
            reduced.push(c);
        }
    }
    if let Some(out) = output_spec {
        let all: Vec<char> = kept.iter().chain(&reduced).copied().collect();
        kept = all.into_iter().filter(|c| out.contains(*c)).collect();
    }
    kept.sort_unstable();
    let target = match output_spec {
        None => format!("...{}", kept.iter().collect::<String>()),
        Some(o) => o.to_owned(),
    };
    let dim = |d: Option<i64>| d.unwrap_or(-1).to_string();
    let mut out: Option<Shape> = None;
    for (x, spec) in shapes.iter().zip(&specs) {
        let mut expanded = target.clone();
        let pieces: Vec<&str> = spec.split("...").collect();
        if pieces.len() == 1 {
            if x.len() != spec.chars().count() {
                return Err(op.incompatible(format!(
                    "Number of dimensions in the subscript does not match the number of dimensions in the operand, received subscript `{spec}` and operand of shape [{}].",
                    x.iter().map(|d| dim(*d)).collect::<Vec<_>>().join(", ")
                )));
            }
            for (d, c) in x.iter().zip(spec.chars()) {
                expanded = expanded.replace(c, &format!("{} ", dim(*d)));
            }
            expanded = expanded.replace("...", "");
        } else {
            let (head, tail): (Vec<char>, Vec<char>) = (pieces[0].chars().collect(), pieces[1].chars().collect());
            if head.len() + tail.len() > x.len() {
                return Err(op.incompatible(format!("einsum subscript `{spec}` has more dimensions than its operand")));
            }
            for (i, c) in head.iter().enumerate() {
                expanded = expanded.replace(*c, &format!("{} ", dim(x[i])));
            }
            for (i, c) in tail.iter().rev().enumerate() {
                expanded = expanded.replace(*c, &format!("{} ", dim(x[x.len() - 1 - i])));
            }
            let wild: Vec<String> = x[head.len()..x.len() - tail.len()].iter().map(|d| dim(*d)).collect();
            expanded = expanded.replace("...", &format!("{} ", wild.join(" ")));
        }
        let shape: Shape = expanded
            .chars()
            .map(|c| if c.is_ascii_lowercase() { "1 ".to_owned() } else { c.to_string() })
            .collect::<String>()
            .split_whitespace()
            .map(|t| match t.parse::<i64>() {
                Ok(-1) => Ok(None),
                Ok(n) => Ok(Some(n)),
                Err(_) => Err(op.incompatible(format!("invalid literal for int() with base 10: '{t}'"))),
            })
            .collect::<Result<_>>()?;
        out = Some(match out {
            None => shape,
            Some(o) => broadcast(op, &o, &shape)?,
        });
    }
    out.ok_or_else(|| op.incompatible("einsum takes at least one operand".into()))
}

/// The outputs of the ops with several: `Split`'s parts, `TopK`'s values and indices.
pub fn several(op: &Layer, x: &Shape, dtype: &str) -> Result<Option<(Shapes, Vec<String>)>> {
    Ok(match op.class {
        "Split" => {
            let parts = split(op, x)?;
            let dtypes = vec![dtype.to_owned(); parts.len()];
            Some((Shapes::Many(parts.into_iter().map(Shapes::One).collect()), dtypes))
        }
        "TopK" => {
            let s = top_k(op, x)?;
            Some((
                Shapes::Many(vec![Shapes::One(s.clone()), Shapes::One(s)]),
                vec![dtype.to_owned(), "int32".to_owned()],
            ))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer<'a>(class: &'a str, config: &'a Value) -> Layer<'a> {
        Layer::new(class, config, None)
    }

    #[test]
    fn get_item_follows_numpy_slicing_with_unknown_dims() {
        let c = json!({});
        let op = layer("GetItem", &c);
        let x = vec![None, Some(3), Some(4)];
        let all = json!({"class_name": "__slice__", "config": {"start": null, "stop": null, "step": null}});
        let s13 = json!({"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": null}});
        let ell = json!({"class_name": "__ellipsis__", "config": {}});
        assert_eq!(get_item(&op, &x, Some(&json!([all, s13]))).unwrap(), vec![None, Some(2), Some(4)]);
        assert_eq!(get_item(&op, &x, Some(&json!([all, -1]))).unwrap(), vec![None, Some(4)]);
        assert_eq!(get_item(&op, &x, Some(&json!([ell, 0]))).unwrap(), vec![None, Some(3)]);
        assert_eq!(get_item(&op, &x, Some(&json!([all, null]))).unwrap(), vec![None, Some(1), Some(3), Some(4)]);
        assert_eq!(get_item(&op, &x, Some(&json!(1))).unwrap(), vec![Some(3), Some(4)]);
        let e = get_item(&op, &x, Some(&json!([all, 5]))).unwrap_err();
        assert!(e.message().contains("out-of-bounds index (slice(None, None, None), 5)"), "{}", e.message());
        assert!(get_item(&op, &x, Some(&s13)).unwrap_err().message().contains("Unsupported key type"));
        assert!(get_item(&op, &x, Some(&json!([all, 1, 2, 3]))).unwrap_err().message().contains("to many indices"));
    }

    #[test]
    fn slice_lengths_match_python_ranges() {
        assert_eq!(slice_len(None, None, 2, 4), 2);
        assert_eq!(slice_len(Some(-3), None, 1, 4), 3);
        assert_eq!(slice_len(None, None, -1, 4), 4);
        assert_eq!(slice_len(Some(3), Some(1), 1, 4), 0);
        assert_eq!(slice_len(Some(10), None, 1, 4), 0);
    }

    #[test]
    fn split_dot_einsum_follow_keras() {
        let x = vec![None, Some(3), Some(4)];
        let c = json!({"indices_or_sections": [1, 3], "axis": 2});
        assert_eq!(
            split(&layer("Split", &c), &x).unwrap(),
            vec![vec![None, Some(3), Some(1)], vec![None, Some(3), Some(2)], vec![None, Some(3), Some(1)]]
        );
        let c = json!({"indices_or_sections": 3, "axis": 2});
        assert!(split(&layer("Split", &c), &x).unwrap_err().message().contains("divisible"));
        let e = json!({});
        let y = vec![None, Some(4), Some(5)];
        assert_eq!(dot(&layer("Dot", &e), &x, &y).unwrap(), vec![None, Some(3), None, Some(5)]);
        let c = json!({"subscripts": "bij,bjk->bik"});
        assert_eq!(einsum(&layer("Einsum", &c), &[&x, &y]).unwrap(), vec![None, Some(3), Some(5)]);
        let c = json!({"subscripts": "bij,bkj"});
        assert_eq!(einsum(&layer("Einsum", &c), &[&x, &x]).unwrap(), vec![Some(3), Some(3)]);
        let c = json!({"subscripts": "...j->..."});
        assert_eq!(einsum(&layer("Einsum", &c), &[&x]).unwrap(), vec![None, Some(3)]);
    }
}
