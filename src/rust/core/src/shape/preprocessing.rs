//! Preprocessing layers: encodings and lookups, Normalization, image resizing and cropping,
//! spectrograms, Pipeline.

use super::{
    build_in, nested_layer, shape_text, single, BuildConfig, Built, Init, Layer, Nested, Result, Shape, Shapes,
};
use serde_json::Value;

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let record = BuildConfig::InputShape(inputs.clone());
    let built = match layer.class {
        "CategoryEncoding" => {
            let shape = single(layer, inputs)?;
            let n = Some(layer.int("num_tokens")?);
            let mode = layer.str_or("output_mode", "multi_hot");
            let out = if shape.is_empty() {
                vec![n]
            } else if mode == "one_hot" && (shape.last() != Some(&Some(1)) || shape.len() == 1) {
                with_last(shape, n, false)
            } else {
                with_last(shape, n, true)
            };
            layer.out(out, vec![], record)
        }
        "Discretization" => {
            let shape = single(layer, inputs)?;
            let mode = layer.str_or("output_mode", "int");
            if mode == "int" {
                typed(layer.out(shape.clone(), vec![], record), "int32")
            } else {
                let depth = match layer.get("bin_boundaries").and_then(Value::as_array) {
                    Some(b) => b.len() as i64 + 1,
                    None => layer.int("num_bins")?,
                };
                let out = if mode == "one_hot" {
                    if shape.len() > 1 && shape.last() == Some(&Some(1)) {
                        with_last(shape, Some(depth), true)
                    } else {
                        with_last(shape, Some(depth), false)
                    }
                } else if shape.len() >= 2 {
                    let mut o = vec![shape[0]];
                    o.extend(&shape[2..]);
                    o.push(Some(depth));
                    o
                } else {
                    vec![Some(depth)]
                };
                layer.out(out, vec![], record)
            }
        }
        "Hashing" => {
            let shape = single(layer, inputs)?;
            let bins = Some(layer.int("num_bins")?);
            match layer.str_or("output_mode", "int") {
                // Its dtype policy (int64 in int mode) is its output dtype.
                "int" => layer.out(shape.clone(), vec![], record),
                _ if shape.is_empty() => layer.out(vec![bins], vec![], record),
                _ => layer.out(with_last(shape, bins, true), vec![], record),
            }
        }
        "HashedCrossing" => {
            let all = inputs.flatten();
            if all.len() != 2 {
                return Err(layer.incompatible("Expected as input a list/tuple of 2 tensors.".into()));
            }
            let (a, b) = (all[0], all[1]);
            if a.last() != b.last() {
                return Err(layer.incompatible(format!(
                    "Expected the two input tensors to have identical shapes. Received input_shape=({}, {})",
                    shape_text(a),
                    shape_text(b)
                )));
            }
            let bins = Some(layer.int("num_bins")?);
            match layer.str_or("output_mode", "int") {
                "int" => layer.out(a.clone(), vec![], record),
                "one_hot" if a.last() != Some(&Some(1)) => layer.out(with_last(a, bins, false), vec![], record),
                _ => layer.out(with_last(a, bins, true), vec![], record),
            }
        }
        "IntegerLookup" | "StringLookup" => {
            let shape = single(layer, inputs)?;
            lookup(layer, shape.clone(), record)?
        }
        "TextVectorization" => {
            let shape = single(layer, inputs)?;
            if layer.str_or("output_mode", "int") == "int" {
                let len = layer.get("output_sequence_length").and_then(super::as_int);
                typed(layer.out(vec![shape.first().copied().flatten(), len], vec![], record), "int64")
            } else {
                let mut s = shape.clone();
                if layer.get("split").is_none() {
                    if s.len() <= 1 {
                        s.push(Some(1));
                    }
                } else {
                    s.push(None);
                }
                lookup(layer, s, record)?
            }
        }
        "Normalization" => normalization(layer, single(layer, inputs)?)?,
        "CenterCrop" | "RandomCrop" | "Resizing" => {
            let shape = single(layer, inputs)?;
            if !(3..=4).contains(&shape.len()) {
                return Err(layer.incompatible(format!(
                    "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 (unbatched) or 4 (batched). Received: {}",
                    shape_text(shape)
                )));
            }
            let (h, w) = (Some(layer.int("height")?), Some(layer.int("width")?));
            let first = shape.len() - 3 + usize::from(!layer.channels_last());
            let mut out = shape.clone();
            out[first] = h;
            out[first + 1] = w;
            layer.out(out, vec![], record)
        }
        "MelSpectrogram" => {
            let shape = single(layer, inputs)?;
            let bins = Some(layer.int_or("num_mel_bins", 128)?);
            let stride = layer.int_or("sequence_stride", 512)?;
            let frames = |d: super::Dim| d.map(|n| (n + stride + 1).div_euclid(stride));
            let out = match shape.len() {
                1 => vec![bins, frames(shape[0])],
                0 => return Err(layer.incompatible("MelSpectrogram needs inputs of rank 1 or 2.".into())),
                _ => vec![shape[0], bins, frames(shape[1])],
            };
            layer.out(out, vec![], record)
        }
        "STFTSpectrogram" => stft(layer, single(layer, inputs)?)?,
        "Pipeline" => pipeline(layer, inputs)?,
        _ => return Ok(None),
    };
    Ok(Some(built))
}

fn typed(mut built: Built, dtype: &str) -> Built {
    built.dtypes = vec![dtype.to_owned(); built.dtypes.len()];
    built
}

/// `shape` with its last dimension replaced by `d` (`replace`), or with `d` appended.
fn with_last(shape: &Shape, d: super::Dim, replace: bool) -> Shape {
    let mut out = shape.clone();
    if replace && !out.is_empty() {
        *out.last_mut().unwrap() = d;
    } else {
        out.push(d);
    }
    out
}

fn lookup(layer: &Layer, shape: Shape, record: BuildConfig) -> Result<Built> {
    let mode = layer.str_or("output_mode", "int");
    if mode == "int" {
        return Ok(typed(layer.out(shape, vec![], record), "int64"));
    }
    let depth = if layer.bool_or("pad_to_max_tokens", false) {
        layer.get("max_tokens").and_then(super::as_int)
    } else {
        layer.get("vocabulary").and_then(Value::as_array).map(|v| {
            let oov = layer.get("num_oov_indices").and_then(super::as_int).unwrap_or(1);
            let mask = i64::from(layer.get("mask_token").is_some() && mode == "int");
            v.len() as i64 + oov + mask
        })
    };
    let out = if mode == "one_hot" {
        if shape.len() > 1 && shape.last() == Some(&Some(1)) {
            with_last(&shape, depth, true)
        } else {
            with_last(&shape, depth, false)
        }
    } else {
        with_last(&shape, depth, true)
    };
    Ok(layer.out(out, vec![], record))
}

fn normalization(layer: &Layer, shape: &Shape) -> Result<Built> {
    let ndim = shape.len() as i64;
    let axes = layer.int_list("axis")?.unwrap_or_else(|| vec![-1]);
    if axes.iter().any(|&a| a < -ndim || a >= ndim) {
        return Err(layer.incompatible(format!(
            "All `axis` values must be in the range [-ndim, ndim). Received inputs with ndim={ndim}, while axis={axes:?}"
        )));
    }
    let mut keep: Vec<usize> = axes.iter().map(|&a| if a < 0 { a + ndim } else { a } as usize).collect();
    keep.sort_unstable();
    let dims = keep
        .iter()
        .map(|&d| {
            shape[d].ok_or_else(|| {
                layer.incompatible(format!(
                    "All `axis` values to be kept must have a known shape. Received axis={axes:?}, inputs.shape={}, with unknown axis at index {d}",
                    shape_text(shape)
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut vars = Vec::new();
    if layer.get("mean").is_none() {
        vars.push(layer.frozen_var_init("mean", dims.clone(), Init::named("zeros")));
        vars.push(layer.frozen_var_init("variance", dims, Init::named("ones")));
        let mut count = layer.frozen_var_init("count", vec![], Init::named("zeros"));
        count.dtype = "int32".into();
        vars.push(count);
    }
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

fn stft(layer: &Layer, shape: &Shape) -> Result<Built> {
    layer.expect_ndim(shape, 3)?;
    let frame_length = layer.int_or("frame_length", 256)?;
    let frame_step = match layer.get("frame_step") {
        None => frame_length / 2,
        Some(_) => layer.int("frame_step")?,
    };
    let fft = match layer.get("fft_length") {
        None => (frame_length.max(1) as u64).next_power_of_two() as i64,
        Some(_) => layer.int("fft_length")?,
    };
    let last = layer.channels_last();
    let channels = if last { shape[2] } else { shape[1] };
    let mut freq = fft / 2 + 1;
    let mode = layer.str_or("mode", "log");
    if mode == "stft" {
        freq *= 2;
    }
    let padding = layer.str_or("padding", "valid").to_ascii_lowercase();
    let time = if last { shape[1] } else { shape[2] };
    let time = super::conv::conv_spatial(layer, shape, &[time], &[frame_length], &[frame_step], &[1], &padding)?[0];
    let out = if layer.bool_or("expand_dims", false) {
        if last {
            vec![shape[0], time, Some(freq), channels]
        } else {
            vec![shape[0], channels, time, Some(freq)]
        }
    } else {
        let f = channels.map(|c| c * freq);
        if last {
            vec![shape[0], time, f]
        } else {
            vec![shape[0], f, time]
        }
    };
    let kernel = vec![frame_length, 1, fft / 2 + 1];
    let mut vars = Vec::new();
    if mode != "imag" {
        vars.push(layer.var("real_kernel", kernel.clone()));
    }
    if mode != "real" {
        vars.push(layer.var("imag_kernel", kernel));
    }
    Ok(layer.out(out, vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// Pipeline: its layers one after the other. Keras builds them by running the pipeline on a
/// placeholder batch (the numpy backend's `compute_output_spec` puts 83 for unknown dimensions),
/// so their build_configs hold that placeholder.
fn pipeline(layer: &Layer, inputs: &Shapes) -> Result<Built> {
    let layers = layer
        .get("layers")
        .and_then(Value::as_array)
        .ok_or_else(|| layer.config_error("`layers` must be a list".into()))?;
    let placeholder = |s: &Shape| -> Shape { s.iter().map(|d| Some(d.unwrap_or(83))).collect() };
    let mut shape = single(layer, inputs)?.clone();
    let mut concrete = placeholder(&shape);
    let mut variables = Vec::new();
    let mut nested = Vec::new();
    for (i, v) in layers.iter().enumerate() {
        let (class, config) = nested_layer(v)
            .ok_or_else(|| layer.config_error("every element of `layers` must be a layer config".into()))?;
        let inner = Layer::new(class, config, Some(layer));
        let b = build_in(&inner, &Shapes::One(shape.clone()))?;
        let concrete_b = build_in(&inner, &Shapes::One(concrete.clone()))?;
        variables.extend(b.variables);
        nested.push(Nested { path: vec!["layers".into(), i.to_string()], build_config: concrete_b.build_config });
        shape = b
            .outputs
            .one()
            .cloned()
            .ok_or_else(|| layer.incompatible("pipeline layers must return one tensor.".into()))?;
        concrete = concrete_b.outputs.one().cloned().unwrap_or_else(|| placeholder(&shape));
    }
    let mut built = layer.out(shape, variables, BuildConfig::InputShape(inputs.clone()));
    built.nested = nested;
    Ok(built)
}
