//! Convolutions (plain, transposed, depthwise, separable) and pooling (windowed, global,
//! adaptive): Keras' `compute_conv_output_shape`, `compute_pooling_output_shape` and
//! `compute_conv_transpose_output_shape`.

use super::{shape_text, single, BuildConfig, Built, Dim, Init, Layer, Result, Shape, Shapes};

/// The spatial rank of a class with a rank suffix (`Conv2D` → 2).
fn rank_of(class: &str) -> usize {
    if class.ends_with("1D") {
        1
    } else if class.ends_with("3D") {
        3
    } else {
        2
    }
}

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let class = layer.class;
    let base = class.trim_end_matches("1D").trim_end_matches("2D").trim_end_matches("3D");
    let built = match base {
        "Conv" => conv(layer, single(layer, inputs)?, Kind::Plain)?,
        "DepthwiseConv" => conv(layer, single(layer, inputs)?, Kind::Depthwise)?,
        "SeparableConv" => conv(layer, single(layer, inputs)?, Kind::Separable)?,
        _ if class.ends_with("Transpose") && class.starts_with("Conv") => {
            let rank = if class.starts_with("Conv1D") {
                1
            } else if class.starts_with("Conv3D") {
                3
            } else {
                2
            };
            conv_rank(layer, single(layer, inputs)?, Kind::Transpose, rank)?
        }
        "MaxPooling" | "AveragePooling" => pool(layer, single(layer, inputs)?)?,
        "GlobalMaxPooling" | "GlobalAveragePooling" => global_pool(layer, single(layer, inputs)?)?,
        "AdaptiveMaxPooling" | "AdaptiveAveragePooling" => adaptive_pool(layer, single(layer, inputs)?)?,
        _ => return Ok(None),
    };
    Ok(Some(built))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Transpose,
    Depthwise,
    Separable,
}

/// The spatial dimensions and the channel dimension of an input of rank `rank + 2`.
fn split(layer: &Layer, shape: &Shape, rank: usize) -> Result<(Vec<Dim>, Dim)> {
    layer.expect_ndim(shape, rank + 2)?;
    Ok(if layer.channels_last() {
        (shape[1..=rank].to_vec(), shape[rank + 1])
    } else {
        (shape[2..].to_vec(), shape[1])
    })
}

fn join(layer: &Layer, batch: Dim, spatial: Vec<Dim>, channels: Dim) -> Shape {
    let mut out = vec![batch];
    if layer.channels_last() {
        out.extend(spatial);
        out.push(channels);
    } else {
        out.push(channels);
        out.extend(spatial);
    }
    out
}

fn conv(layer: &Layer, shape: &Shape, kind: Kind) -> Result<Built> {
    conv_rank(layer, shape, kind, rank_of(layer.class))
}

fn conv_rank(layer: &Layer, shape: &Shape, kind: Kind, rank: usize) -> Result<Built> {
    let (spatial, channels) = split(layer, shape, rank)?;
    let in_ch = layer.known(channels, "channel")?;
    let kernel = layer.tuple("kernel_size", rank)?;
    let strides = layer.tuple_or("strides", rank, 1)?;
    let dilation = layer.tuple_or("dilation_rate", rank, 1)?;
    let padding = layer.str_or("padding", "valid").to_ascii_lowercase();
    let dm = layer.int_or("depth_multiplier", 1)?;
    let filters = match kind {
        Kind::Depthwise => in_ch * dm,
        _ => layer.int("filters")?,
    };
    let groups = layer.int_or("groups", 1)?;
    if kind == Kind::Plain && (groups <= 0 || in_ch % groups != 0) {
        return Err(layer.incompatible(format!(
            "The number of input channels must be evenly divisible by the number of groups. Received groups={groups}, but the input has {in_ch} channels (full input shape is {}).",
            shape_text(shape)
        )));
    }
    let out_spatial: Vec<Dim> = if kind == Kind::Transpose {
        let output_padding = match layer.get("output_padding") {
            None => None,
            Some(_) => Some(layer.tuple("output_padding", rank)?),
        };
        if padding != "valid" && padding != "same" {
            return Err(layer.config_error(format!(
                "The `padding` argument must be one of 'valid', 'same'. Received: padding={padding}"
            )));
        }
        (0..rank)
            .map(|i| {
                spatial[i].map(|n| {
                    let k = (kernel[i] - 1) * dilation[i] + 1;
                    let s = strides[i];
                    match (padding.as_str(), &output_padding) {
                        ("valid", None) => (n - 1) * s + k + (k.max(s) - k),
                        ("valid", Some(op)) => (n - 1) * s + k + op[i],
                        (_, None) => n * s,
                        (_, Some(op)) => (n - 1) * s + k % 2 + op[i],
                    }
                })
            })
            .collect()
    } else {
        conv_spatial(layer, shape, &spatial, &kernel, &strides, &dilation, &padding)?
    };
    let mut vars = Vec::new();
    let mut ks = kernel.clone();
    match kind {
        Kind::Plain => {
            ks.extend([in_ch / groups, filters]);
            vars.push(layer.var("kernel", ks));
        }
        Kind::Transpose => {
            ks.extend([filters, in_ch]);
            vars.push(layer.var("kernel", ks));
        }
        Kind::Depthwise => {
            ks.extend([in_ch, dm]);
            vars.push(layer.var_init("kernel", ks, Init::Key("depthwise_initializer".into())));
        }
        Kind::Separable => {
            ks.extend([in_ch, dm]);
            vars.push(layer.var_init("depthwise_kernel", ks, Init::Key("depthwise_initializer".into())));
            let mut pw = vec![1; rank];
            pw.extend([in_ch * dm, filters]);
            vars.push(layer.var_init("pointwise_kernel", pw, Init::Key("pointwise_initializer".into())));
        }
    }
    if layer.bool_or("use_bias", true) {
        vars.push(layer.var("bias", vec![filters]));
    }
    let out = join(layer, shape[0], out_spatial, Some(filters));
    Ok(layer.out(out, vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// Output spatial dimensions of a convolution (Keras' `compute_conv_output_shape`).
pub fn conv_spatial(
    layer: &Layer,
    shape: &Shape,
    spatial: &[Dim],
    kernel: &[i64],
    strides: &[i64],
    dilation: &[i64],
    padding: &str,
) -> Result<Vec<Dim>> {
    let mut out = Vec::with_capacity(spatial.len());
    for i in 0..spatial.len() {
        let Some(n) = spatial[i] else {
            out.push(None);
            continue;
        };
        let s = strides[i];
        if s <= 0 {
            return Err(layer.config_error(format!("strides must be positive, got {s}")));
        }
        let o = match padding {
            "valid" => (n - dilation[i] * (kernel[i] - 1) - 1).div_euclid(s) + 1,
            "same" | "causal" => (n - 1).div_euclid(s) + 1,
            _ => {
                return Err(
                    layer.config_error(format!("`padding` must be either `'valid'` or `'same'`. Received {padding}."))
                )
            }
        };
        if o <= 0 {
            return Err(layer.incompatible(format!(
                "Computed output size would be zero or negative. Received `inputs shape={}`, `kernel size={kernel:?}`, `dilation_rate={dilation:?}`, `strides={strides:?}`, `padding={padding}`.",
                shape_text(shape)
            )));
        }
        out.push(Some(o));
    }
    Ok(out)
}

fn pool(layer: &Layer, shape: &Shape) -> Result<Built> {
    let rank = rank_of(layer.class);
    let (spatial, channels) = split(layer, shape, rank)?;
    let pool = layer.tuple_or("pool_size", rank, 2)?;
    let strides = match layer.get("strides") {
        None => pool.clone(),
        Some(_) => layer.tuple("strides", rank)?,
    };
    let padding = layer.str_or("padding", "valid").to_ascii_lowercase();
    let mut out = Vec::with_capacity(rank);
    for i in 0..rank {
        let Some(n) = spatial[i] else {
            out.push(None);
            continue;
        };
        let o = match padding.as_str() {
            "valid" => (n - pool[i]).div_euclid(strides[i].max(1)) + 1,
            "same" => (n - 1).div_euclid(strides[i].max(1)) + 1,
            _ => {
                return Err(layer.config_error(format!(
                    "Argument `padding` must be either 'valid' or 'same'. Received: padding={padding}"
                )))
            }
        };
        if o <= 0 {
            return Err(layer.incompatible(format!(
                "Computed output size would be zero or negative. Received: `inputs.shape={}`, `pool_size={pool:?}`, `strides={strides:?}`, `padding={padding}`.",
                shape_text(shape)
            )));
        }
        out.push(Some(o));
    }
    Ok(layer.out(join(layer, shape[0], out, channels), vec![], BuildConfig::None))
}

fn global_pool(layer: &Layer, shape: &Shape) -> Result<Built> {
    let rank = rank_of(layer.class);
    let (_, channels) = split(layer, shape, rank)?;
    let out = if layer.bool_or("keepdims", false) {
        join(layer, shape[0], vec![Some(1); rank], channels)
    } else {
        vec![shape[0], channels]
    };
    Ok(layer.out(out, vec![], BuildConfig::None))
}

fn adaptive_pool(layer: &Layer, shape: &Shape) -> Result<Built> {
    let rank = rank_of(layer.class);
    let (_, channels) = split(layer, shape, rank)?;
    let size = layer.tuple("output_size", rank)?;
    let out = join(layer, shape[0], size.into_iter().map(Some).collect(), channels);
    Ok(layer.out(out, vec![], BuildConfig::InputShape(Shapes::One(shape.clone()))))
}
