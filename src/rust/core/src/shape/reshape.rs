//! Reshaping layers: Flatten, Reshape, Permute, RepeatVector, Cropping, ZeroPadding, UpSampling.

use super::{shape_text, single, BuildConfig, Built, Dim, Layer, Result, Shape, Shapes};
use serde_json::Value;

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let class = layer.class;
    let shape = match class {
        "Flatten" | "Reshape" | "Permute" | "RepeatVector" => single(layer, inputs)?,
        _ if class.starts_with("Cropping") || class.starts_with("ZeroPadding") || class.starts_with("UpSampling") => {
            single(layer, inputs)?
        }
        _ => return Ok(None),
    };
    let recorded = BuildConfig::InputShape(Shapes::One(shape.clone()));
    let (out, build_config) = match class {
        "Flatten" => {
            let rest = &shape[1..];
            let n = rest.iter().try_fold(1i64, |acc, d| d.map(|d| acc * d));
            (vec![shape[0], n], recorded)
        }
        "Reshape" => (reshape(layer, shape)?, BuildConfig::None),
        "Permute" => {
            let dims = layer.int_list("dims")?.ok_or_else(|| layer.config_error("`dims` is missing".into()))?;
            let mut sorted = dims.clone();
            sorted.sort_unstable();
            if sorted != (1..=dims.len() as i64).collect::<Vec<_>>() || dims.len() + 1 != shape.len() {
                return Err(layer.incompatible(format!(
                    "Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` must be consecutive and start from 1. Received dims={dims:?} for an input of shape {}",
                    shape_text(shape)
                )));
            }
            let mut out = vec![shape[0]];
            out.extend(dims.iter().map(|&d| shape[d as usize]));
            (out, recorded)
        }
        "RepeatVector" => {
            layer.expect_ndim(shape, 2)?;
            (vec![shape[0], Some(layer.int("n")?), shape[1]], recorded)
        }
        _ => (spatial(layer, shape)?, recorded),
    };
    Ok(Some(layer.out(out, vec![], build_config)))
}

fn reshape(layer: &Layer, shape: &Shape) -> Result<Shape> {
    let target =
        layer.int_list("target_shape")?.ok_or_else(|| layer.config_error("`target_shape` is missing".into()))?;
    let mut out: Shape = vec![shape[0]];
    let unknown = target.iter().filter(|&&d| d == -1).count();
    if unknown > 1 {
        return Err(layer.incompatible("There must be at most one unknown dimension in output_shape.".into()));
    }
    let input: Option<i64> = shape[1..].iter().try_fold(1i64, |acc, d| d.map(|d| acc * d));
    let known: i64 = target.iter().filter(|&&d| d != -1).product();
    for &d in &target {
        if d == -1 {
            out.push(match input {
                Some(n) if known != 0 && n % known == 0 => Some(n / known),
                Some(_) => return Err(size_error(layer, shape, &target)),
                None => None,
            });
        } else {
            out.push(Some(d));
        }
    }
    if unknown == 0 {
        if let Some(n) = input {
            if n != known {
                return Err(size_error(layer, shape, &target));
            }
        }
    }
    Ok(out)
}

fn size_error(layer: &Layer, shape: &Shape, target: &[i64]) -> super::ShapeError {
    layer.incompatible(format!(
        "total size of new array must be unchanged, input_shape = {}, output_shape = {target:?}",
        shape_text(&shape[1..].to_vec())
    ))
}

/// Cropping, ZeroPadding, UpSampling: each spatial dimension changes on its own.
fn spatial(layer: &Layer, shape: &Shape) -> Result<Shape> {
    let class = layer.class;
    let rank = if class.ends_with("1D") {
        1
    } else if class.ends_with("3D") {
        3
    } else {
        2
    };
    layer.expect_ndim(shape, rank + 2)?;
    // 1D layers are always channels-last.
    let first = if rank > 1 && !layer.channels_last() { 2 } else { 1 };
    let mut out = shape.clone();
    let change: Box<dyn Fn(usize, i64) -> Result<i64>> = if class.starts_with("UpSampling") {
        let size = layer.tuple_or("size", rank, 2)?;
        Box::new(move |i, n| Ok(n * size[i]))
    } else {
        let key = if class.starts_with("Cropping") { "cropping" } else { "padding" };
        let default = if class.starts_with("Cropping") && rank == 1 {
            1
        } else if class.starts_with("Cropping") {
            0
        } else {
            1
        };
        let pairs = pairs(layer, key, rank, default)?;
        if class.starts_with("Cropping") {
            let shape = shape.clone();
            Box::new(move |i, n| {
                let o = n - pairs[i].0 - pairs[i].1;
                if o <= 0 {
                    return Err(layer_error(&shape, &pairs));
                }
                Ok(o)
            })
        } else {
            Box::new(move |i, n| Ok(n + pairs[i].0 + pairs[i].1))
        }
    };
    for i in 0..rank {
        let d: Dim = shape[first + i];
        out[first + i] = match d {
            Some(n) => Some(change(i, n).map_err(|m| layer.incompatible(m.message()))?),
            None => None,
        };
    }
    Ok(out)
}

fn layer_error(shape: &Shape, pairs: &[(i64, i64)]) -> super::ShapeError {
    super::ShapeError::Incompatible {
        layer: String::new(),
        message: format!("Cropping {pairs:?} would leave no data from an input of shape {}.", shape_text(shape)),
    }
}

/// A cropping/padding spec: an int (all sides), a list of `rank` ints (symmetric per
/// dimension), or a list of `rank` pairs. 1D: an int or one pair.
fn pairs(layer: &Layer, key: &str, rank: usize, default: i64) -> Result<Vec<(i64, i64)>> {
    let bad = || {
        layer.config_error(format!(
            "`{key}` must be an int, a tuple of {rank} ints or a tuple of {rank} tuples of 2 ints"
        ))
    };
    let Some(v) = layer.get(key) else {
        return Ok(vec![(default, default); rank]);
    };
    if let Some(n) = super::as_int(v) {
        return Ok(vec![(n, n); rank]);
    }
    let items = v.as_array().ok_or_else(bad)?;
    if rank == 1 {
        let p: Vec<i64> = items.iter().map(super::as_int).collect::<Option<_>>().ok_or_else(bad)?;
        return if p.len() == 2 { Ok(vec![(p[0], p[1])]) } else { Err(bad()) };
    }
    if items.len() != rank {
        return Err(bad());
    }
    items
        .iter()
        .map(|item: &Value| {
            if let Some(n) = super::as_int(item) {
                return Ok((n, n));
            }
            let p: Vec<i64> = item.as_array().and_then(|a| a.iter().map(super::as_int).collect()).ok_or_else(bad)?;
            if p.len() == 2 {
                Ok((p[0], p[1]))
            } else {
                Err(bad())
            }
        })
        .collect()
}
