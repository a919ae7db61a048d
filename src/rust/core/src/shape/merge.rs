//! Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot.

use super::{shape_text, BuildConfig, Built, Dim, Layer, Result, Shape, Shapes};

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let out = match layer.class {
        "Add" | "Subtract" | "Multiply" | "Average" | "Maximum" | "Minimum" => {
            elementwise(layer, &list(layer, inputs)?)?
        }
        "Concatenate" => concatenate(layer, &list(layer, inputs)?)?,
        "Dot" => dot(layer, &list(layer, inputs)?)?,
        _ => return Ok(None),
    };
    Ok(Some(layer.out(out, vec![], BuildConfig::InputShape(inputs.clone()))))
}

/// The input shapes of a merge layer: a list of tensors.
fn list<'s>(layer: &Layer, inputs: &'s Shapes) -> Result<Vec<&'s Shape>> {
    match inputs {
        Shapes::Many(v) if !v.is_empty() => v
            .iter()
            .map(|s| s.one().ok_or_else(|| layer.incompatible("a merge layer takes a list of tensors.".into())))
            .collect(),
        _ => Err(layer.incompatible(format!(
            "A merge layer should be called on a list of inputs. Received: input_shape={}",
            inputs.one().map_or("?".into(), shape_text)
        ))),
    }
}

/// Keras' `_compute_elemwise_op_output_shape`: numpy broadcasting with unknown dimensions.
fn broadcast(layer: &Layer, a: &[Dim], b: &[Dim]) -> Result<Vec<Dim>> {
    let (a, b) = if a.len() < b.len() { (b, a) } else { (a, b) };
    let mut out: Vec<Dim> = a[..a.len() - b.len()].to_vec();
    for (i, j) in a[a.len() - b.len()..].iter().zip(b) {
        out.push(match (i, j) {
            (None, _) | (_, None) => None,
            (Some(1), j) => *j,
            (i, Some(1)) => *i,
            (Some(x), Some(y)) if x == y => Some(*x),
            _ => {
                return Err(layer.incompatible(format!(
                    "Inputs have incompatible shapes. Received shapes {} and {}",
                    shape_text(&a.to_vec()),
                    shape_text(&b.to_vec())
                )))
            }
        });
    }
    Ok(out)
}

fn elementwise(layer: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    if layer.class == "Subtract" && shapes.len() != 2 {
        return Err(layer.incompatible(format!(
            "A `Subtract` layer should be called on exactly 2 inputs. Received: input_shape={}",
            shapes.iter().map(|s| shape_text(s)).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut out: Vec<Dim> = shapes[0].get(1..).unwrap_or_default().to_vec();
    for s in &shapes[1..] {
        out = broadcast(layer, &out, s.get(1..).unwrap_or_default())?;
    }
    let batches: std::collections::BTreeSet<i64> = shapes.iter().filter_map(|s| s.first().copied().flatten()).collect();
    let batch = if batches.len() == 1 { batches.into_iter().next() } else { None };
    let mut shape = vec![batch];
    shape.extend(out);
    Ok(shape)
}

fn concatenate(layer: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    let axis = layer.int_or("axis", -1)?;
    let rank = shapes[0].len();
    let bad = || {
        layer.incompatible(format!(
            "A `Concatenate` layer requires inputs with matching shapes except for the concatenation axis. Received: input_shape={}",
            shapes.iter().map(|s| shape_text(s)).collect::<Vec<_>>().join(", ")
        ))
    };
    if shapes.iter().any(|s| s.len() != rank) {
        return Err(bad());
    }
    let a = super::core::axis_index(layer, axis, rank)?;
    let mut out = shapes[0].clone();
    for s in &shapes[1..] {
        for (k, d) in s.iter().enumerate() {
            if k == a {
                out[k] = match (out[k], d) {
                    (Some(x), Some(y)) => Some(x + y),
                    _ => None,
                };
            } else if out[k].is_none() {
                out[k] = *d;
            } else if d.is_some() && *d != out[k] {
                return Err(bad());
            }
        }
    }
    Ok(out)
}

fn dot(layer: &Layer, shapes: &[&Shape]) -> Result<Shape> {
    if shapes.len() != 2 {
        return Err(layer.incompatible("A `Dot` layer should be called on a list of 2 inputs.".into()));
    }
    let (s1, s2) = (shapes[0], shapes[1]);
    let axes = layer.int_list("axes")?.ok_or_else(|| layer.config_error("`axes` is missing".into()))?;
    let norm = |a: i64, n: usize| if a < 0 { a.rem_euclid(n as i64) } else { a } as usize;
    let (a1, a2) = match axes.as_slice() {
        [a] => (norm(*a, s1.len()), norm(*a, s2.len())),
        [a, b] => (norm(*a, s1.len()), norm(*b, s2.len())),
        _ => return Err(layer.config_error("`axes` must be an int or a list of 2 ints".into())),
    };
    if a1 >= s1.len() || a2 >= s2.len() {
        return Err(layer.incompatible("`axes` are out of bounds for the inputs.".into()));
    }
    if let (Some(x), Some(y)) = (s1[a1], s2[a2]) {
        if x != y {
            return Err(layer.incompatible(format!(
                "Incompatible input shapes: axis values {x} (at axis {a1}) != {y} (at axis {a2}). Full input shapes: {}, {}",
                shape_text(s1),
                shape_text(s2)
            )));
        }
    }
    let mut out = s1.clone();
    out.remove(a1);
    let mut rest = s2.clone();
    rest.remove(a2);
    rest.remove(0);
    out.extend(rest);
    if out.len() == 1 {
        out.push(Some(1));
    }
    Ok(out)
}
