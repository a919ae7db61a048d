//! Core, activation, regularization and normalization layers: Dense, EinsumDense, Embedding,
//! the normalizations, and the layers whose output has their input's shape.

use super::{build_in, single, BuildConfig, Built, Init, Layer, Nested, Result, Shape, Shapes, Variable};
use serde_json::Value;

/// Layers built from their constructor on (`self.built = True`): no build step, no build_config.
const SAME_BUILT_AT_INIT: &[&str] = &[
    "Activation",
    "ActivityRegularization",
    "AlphaDropout",
    "Dropout",
    "ELU",
    "GaussianDropout",
    "GaussianNoise",
    "Identity",
    "LeakyReLU",
    "Masking",
    "ReLU",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "UnitNormalization",
];

/// Whether Keras 3.15.1 builds a built-in layer of this class in its constructor
/// (`_build_at_init()`, or `self.built = True` in `__init__`). Its from_config then skips the
/// config's build_config (`if build_config and not instance.built`), so none is written back:
/// Keras 3.0-3.3 wrote one on Dropout, pooling and activation layers.
pub fn built_at_init(class: &str) -> bool {
    let pooling = ["1D", "2D", "3D"]
        .iter()
        .filter_map(|s| class.strip_suffix(s))
        .any(|base| matches!(base, "MaxPooling" | "AveragePooling" | "GlobalMaxPooling" | "GlobalAveragePooling"));
    pooling || SAME_BUILT_AT_INIT.contains(&class) || matches!(class, "Reshape" | "InputLayer")
}

/// Layers with a build step but no variables, whose output has the input's shape.
const SAME_BUILT_ON_CALL: &[&str] = &[
    "AugMix",
    "AutoContrast",
    "ContrastLimitedAdaptiveHistogramEqualization",
    "CutMix",
    "Equalization",
    "MaxNumBoundingBoxes",
    "MixUp",
    "RandAugment",
    "RandomBrightness",
    "RandomColorDegeneration",
    "RandomColorJitter",
    "RandomContrast",
    "RandomElasticTransform",
    "RandomErasing",
    "RandomFlip",
    "RandomGaussianBlur",
    "RandomGrayscale",
    "RandomHue",
    "RandomInvert",
    "RandomPerspective",
    "RandomPosterization",
    "RandomRotation",
    "RandomSaturation",
    "RandomSharpness",
    "RandomShear",
    "RandomTranslation",
    "RandomZoom",
    "Rescaling",
    "Solarization",
];

/// Spatial dropout's input rank.
fn spatial_ndim(class: &str) -> Option<usize> {
    match class {
        "SpatialDropout1D" => Some(3),
        "SpatialDropout2D" => Some(4),
        "SpatialDropout3D" => Some(5),
        _ => None,
    }
}

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    let class = layer.class;
    if SAME_BUILT_AT_INIT.contains(&class) {
        let shape = single(layer, inputs)?;
        if let Some(n) = spatial_ndim(class) {
            layer.expect_ndim(shape, n)?;
        }
        return Ok(Some(layer.out(shape.clone(), vec![], BuildConfig::None)));
    }
    if SAME_BUILT_ON_CALL.contains(&class) {
        let shape = single(layer, inputs)?;
        return Ok(Some(layer.out(shape.clone(), vec![], BuildConfig::InputShape(inputs.clone()))));
    }
    let built = match class {
        "Dense" => dense(layer, single(layer, inputs)?)?,
        "EinsumDense" => einsum_dense(layer, single(layer, inputs)?)?,
        "Embedding" | "ReversibleEmbedding" => embedding(layer, single(layer, inputs)?)?,
        "BatchNormalization" => batch_norm(layer, single(layer, inputs)?)?,
        "LayerNormalization" => layer_norm(layer, single(layer, inputs)?)?,
        "GroupNormalization" => group_norm(layer, single(layer, inputs)?)?,
        "RMSNormalization" => rms_norm(layer, single(layer, inputs)?)?,
        "PReLU" => prelu(layer, single(layer, inputs)?)?,
        "LayerScale" => {
            let shape = single(layer, inputs)?;
            let dim = layer.int("projection_dim")?;
            // Keras: `initializers.Constant(init_values)`.
            let value = layer.get("init_values").cloned().unwrap_or(serde_json::json!(0.0));
            let init = Init::Spec(serde_json::json!({"class_name": "Constant", "config": {"value": value}}));
            let vars = vec![layer.var_init("variable", vec![dim], init)];
            layer.out(shape.clone(), vars, BuildConfig::InputShape(inputs.clone()))
        }
        "SpectralNormalization" => spectral_norm(layer, inputs)?,
        "Lambda" => match lambda(layer, inputs) {
            Some(built) => built,
            None => return Ok(None),
        },
        "CustomScaleLayer" => {
            let all = inputs.flatten();
            let first = all.first().ok_or_else(|| layer.incompatible("expects a list of two tensors.".to_owned()))?;
            layer.out((*first).clone(), vec![], BuildConfig::InputShape(inputs.clone()))
        }
        _ => return Ok(None),
    };
    Ok(Some(built))
}

/// Lambda with an explicit `output_shape` (Keras' `compute_output_shape`): the shape(s) given,
/// without the batch dimension, after the batch size of the first input. A function (a
/// serialized `__lambda__` or registered function) or no `output_shape` is `None`: the output is
/// what the function returns, unknown here. Keras builds a Lambda on its first call.
fn lambda(layer: &Layer, inputs: &Shapes) -> Option<Built> {
    let given = Shapes::from_json(layer.get("output_shape")?)?;
    let batch = inputs.flatten().first().and_then(|s| s.first().copied()).unwrap_or(None);
    fn with_batch(s: &Shapes, batch: Option<i64>) -> Shapes {
        match s {
            Shapes::One(dims) => Shapes::One(std::iter::once(batch).chain(dims.iter().copied()).collect()),
            Shapes::Many(v) => Shapes::Many(v.iter().map(|x| with_batch(x, batch)).collect()),
        }
    }
    let outputs = with_batch(&given, batch);
    let n = outputs.flatten().len();
    Some(Built {
        outputs,
        dtypes: vec![layer.compute_dtype.clone(); n],
        variables: vec![],
        build_config: BuildConfig::InputShape(inputs.clone()),
        nested: vec![],
    })
}

/// Resolves a possibly negative axis against a rank.
pub fn axis_index(layer: &Layer, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if a < 0 || a >= r {
        return Err(layer.incompatible(format!("axis {axis} is out of bounds for an input of rank {rank}.")));
    }
    Ok(a as usize)
}

/// The known size of `shape[axis]`, or Keras' error about an undefined axis.
fn axis_dim(layer: &Layer, shape: &Shape, axis: i64) -> Result<i64> {
    let i = axis_index(layer, axis, shape.len())?;
    shape[i].ok_or_else(|| {
        layer.incompatible(format!(
            "Axis {axis} of input tensor should have a defined dimension but the layer received an input with shape {}.",
            super::shape_text(shape)
        ))
    })
}

fn dense(layer: &Layer, shape: &Shape) -> Result<Built> {
    layer.expect_min_ndim(shape, 2)?;
    let units = layer.int("units")?;
    let input_dim = layer.known(*shape.last().unwrap(), "last")?;
    let mut vars = vec![layer.var("kernel", vec![input_dim, units])];
    if layer.bool_or("use_bias", true) {
        vars.push(layer.var("bias", vec![units]));
    }
    lora(layer, &mut vars, input_dim, units)?;
    let mut out = shape.clone();
    *out.last_mut().unwrap() = Some(units);
    Ok(layer.out(out, vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// LoRA adapters (`lora_rank`), created after the kernel and bias.
fn lora(layer: &Layer, vars: &mut Vec<Variable>, rows: i64, cols: i64) -> Result<()> {
    if let Some(rank) = layer.get("lora_rank") {
        let rank =
            super::as_int(rank).ok_or_else(|| layer.config_error("`lora_rank` must be an integer".to_owned()))?;
        vars.push(layer.var_init("lora_kernel_a", vec![rows, rank], Init::named("he_uniform")));
        vars.push(layer.var_init("lora_kernel_b", vec![rank, cols], Init::named("zeros")));
    }
    Ok(())
}

/// EinsumDense: Keras' `_analyze_einsum_string`.
fn einsum_dense(layer: &Layer, shape: &Shape) -> Result<Built> {
    let equation = layer
        .get("equation")
        .and_then(Value::as_str)
        .ok_or_else(|| layer.config_error("`equation` is missing".into()))?;
    let bad = || layer.config_error(format!("invalid einsum equation {equation:?}"));
    let (lhs, out_spec) = equation.split_once("->").ok_or_else(bad)?;
    let (in_spec, w_spec) = lhs.split_once(',').ok_or_else(bad)?;
    let (in_spec, out_spec, w_spec) = (in_spec.trim(), out_spec.trim(), w_spec.trim());
    let (left, in_spec, out_spec) =
        if let (Some(i), Some(o)) = (in_spec.strip_prefix("..."), out_spec.strip_prefix("...")) {
            (Some(true), i, o)
        } else if let (Some(i), Some(o)) = (in_spec.strip_suffix("..."), out_spec.strip_suffix("...")) {
            (Some(false), i, o)
        } else {
            (None, in_spec, out_spec)
        };
    let ok = |s: &str| s.chars().all(|c| c.is_ascii_alphabetic());
    if !ok(in_spec) || !ok(out_spec) || !ok(w_spec) {
        return Err(bad());
    }
    let left_elided = left == Some(true);
    let in_c: Vec<char> = in_spec.chars().collect();
    let out_c: Vec<char> = out_spec.chars().collect();
    let w_c: Vec<char> = w_spec.chars().collect();
    let elided = shape.len() as i64 - in_c.len() as i64;
    if left.is_none() && elided != 0 || elided < 0 {
        return Err(layer.incompatible(format!(
            "the einsum equation {equation:?} does not fit an input of shape {}.",
            super::shape_text(shape)
        )));
    }
    let mut output: Shape = match layer.get("output_shape") {
        Some(v) if super::as_int(v).is_some() => vec![super::as_int(v)],
        Some(Value::Array(a)) => a.iter().map(super::as_int).collect(),
        _ => return Err(layer.config_error("`output_shape` must be an integer or a list".into())),
    };
    output.insert(0, shape[0]);
    let elided = elided as usize;
    if elided > 0 && left_elided {
        for d in &shape[1..elided] {
            output.insert(1, *d);
        }
    } else if elided > 0 {
        for d in &shape[shape.len() - elided..] {
            output.push(*d);
        }
    }
    // With the ellipsis on the left, the spec's letters follow the elided dimensions.
    let index = |spec: &[char], c: char| -> Option<usize> {
        let i = spec.iter().position(|&x| x == c)?;
        Some(if left_elided { i + elided } else { i })
    };
    let in_at = |c: char| index(&in_c, c).and_then(|i| shape.get(i).copied());
    let out_at = |c: char| index(&out_c, c).and_then(|i| output.get(i).copied());
    for &c in &in_c {
        if let Some(o) = out_at(c) {
            let i = in_at(c).unwrap();
            if o.is_some() && o != i {
                return Err(layer.incompatible(format!(
                    "Input shape and output shape do not match at shared dimension '{c}'. Input shape is {}, and output shape is {}.",
                    i.map_or("None".into(), |n| n.to_string()),
                    o.map_or("None".into(), |n| n.to_string())
                )));
            }
        }
    }
    let mut kernel = Vec::with_capacity(w_c.len());
    for &c in &w_c {
        let d = if in_c.contains(&c) {
            in_at(c).unwrap()
        } else if out_c.contains(&c) {
            out_at(c).unwrap()
        } else {
            return Err(bad());
        };
        kernel.push(layer.known(d, "weight")?);
    }
    let mut vars = vec![layer.var("kernel", kernel)];
    if let Some(bias_axes) = layer.get("bias_axes").and_then(Value::as_str) {
        let first = bias_axes
            .chars()
            .map(|c| out_c.iter().position(|&x| x == c))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(bad)?;
        let first = first.into_iter().min().ok_or_else(bad)?;
        let left_offset = if left_elided { elided } else { 0 };
        let mut bias = Vec::new();
        for (k, &c) in out_c.iter().enumerate().skip(first) {
            if bias_axes.contains(c) {
                bias.push(layer.known(output[k + left_offset], "bias")?);
            } else {
                bias.push(1);
            }
        }
        if !left_elided {
            bias.extend(std::iter::repeat_n(1, elided));
        }
        vars.push(layer.var("bias", bias));
    }
    Ok(layer.out(output, vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

fn embedding(layer: &Layer, shape: &Shape) -> Result<Built> {
    let input_dim = layer.int("input_dim")?;
    let output_dim = layer.int("output_dim")?;
    let mut vars = vec![layer.var("embeddings", vec![input_dim, output_dim])];
    if layer.class == "ReversibleEmbedding" && !layer.bool_or("tie_weights", true) {
        vars.push(layer.var_init(
            "reverse_embeddings",
            vec![output_dim, input_dim],
            Init::Key("embeddings_initializer".into()),
        ));
    }
    lora(layer, &mut vars, input_dim, output_dim)?;
    let mut out = shape.clone();
    out.push(Some(output_dim));
    Ok(layer.out(out, vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// The `axis` of a config as a list of ints (an int gives one).
fn axes(layer: &Layer, default: i64) -> Result<Vec<i64>> {
    Ok(layer.int_list("axis")?.unwrap_or_else(|| vec![default]))
}

fn batch_norm(layer: &Layer, shape: &Shape) -> Result<Built> {
    let axis = layer.int_or("axis", -1)?;
    let dim = axis_dim(layer, shape, axis)?;
    let mut vars = Vec::new();
    if layer.bool_or("scale", true) {
        vars.push(layer.var("gamma", vec![dim]));
    }
    if layer.bool_or("center", true) {
        vars.push(layer.var("beta", vec![dim]));
    }
    vars.push(layer.frozen_var("moving_mean", vec![dim]));
    vars.push(layer.frozen_var("moving_variance", vec![dim]));
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// The parameter shape of a normalization over `axes` (sorted, as Keras sorts them).
fn axes_shape(layer: &Layer, shape: &Shape, axes: &[i64]) -> Result<Vec<i64>> {
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    sorted.iter().map(|&a| axis_dim(layer, shape, a)).collect()
}

fn layer_norm(layer: &Layer, shape: &Shape) -> Result<Built> {
    let dims = axes_shape(layer, shape, &axes(layer, -1)?)?;
    let rms = layer.bool_or("rms_scaling", false);
    let mut vars = Vec::new();
    if layer.bool_or("scale", true) || rms {
        vars.push(layer.var("gamma", dims.clone()));
    }
    if layer.bool_or("center", true) && !rms {
        vars.push(layer.var("beta", dims));
    }
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

fn rms_norm(layer: &Layer, shape: &Shape) -> Result<Built> {
    let dims = axes_shape(layer, shape, &axes(layer, -1)?)?;
    let vars = vec![layer.var_init("scale", dims, Init::named("ones"))];
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

fn group_norm(layer: &Layer, shape: &Shape) -> Result<Built> {
    let axis = layer.int_or("axis", -1)?;
    let dim = axis_dim(layer, shape, axis)?;
    let groups = layer.int_or("groups", 32)?;
    let groups = if groups == -1 { dim } else { groups };
    if groups > dim {
        return Err(layer
            .incompatible(format!("Number of groups ({groups}) cannot be more than the number of channels ({dim}).")));
    }
    if groups <= 0 || dim % groups != 0 {
        return Err(layer.incompatible(format!(
            "Number of groups ({groups}) must be a multiple of the number of channels ({dim})."
        )));
    }
    let mut vars = Vec::new();
    if layer.bool_or("scale", true) {
        vars.push(layer.var("gamma", vec![dim]));
    }
    if layer.bool_or("center", true) {
        vars.push(layer.var("beta", vec![dim]));
    }
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

fn prelu(layer: &Layer, shape: &Shape) -> Result<Built> {
    let mut param: Vec<Option<i64>> = shape[1..].to_vec();
    if let Some(shared) = layer.int_list("shared_axes")? {
        for a in shared {
            let i = a - 1;
            if i < 0 || i as usize >= param.len() {
                return Err(layer.incompatible(format!("shared axis {a} is out of bounds.")));
            }
            param[i as usize] = Some(1);
        }
    }
    let param = param.into_iter().map(|d| layer.known(d, "non-shared")).collect::<Result<Vec<_>>>()?;
    let vars = vec![layer.var("alpha", param)];
    Ok(layer.out(shape.clone(), vars, BuildConfig::InputShape(Shapes::One(shape.clone()))))
}

/// SpectralNormalization: the wrapped layer, plus `vector_u` after its kernel (Keras tracks the
/// kernel as the wrapper's own weight, then `vector_u`, then the wrapped layer's others).
fn spectral_norm(layer: &Layer, inputs: &Shapes) -> Result<Built> {
    let (class, config) = layer.nested("layer")?;
    let inner = Layer::new(class, config, Some(layer));
    let mut built = build_in(&inner, inputs)?;
    let k = built
        .variables
        .iter()
        .position(|v| v.path.ends_with("/kernel") || v.path.ends_with("/embeddings"))
        .ok_or_else(|| layer.incompatible(format!("{class} object has no attribute 'kernel' nor 'embeddings'")))?;
    let kernel = built.variables.remove(k);
    let normal = serde_json::json!({"class_name": "TruncatedNormal", "config": {"mean": 0.0, "stddev": 0.02}});
    let u = Variable {
        dtype: kernel.dtype.clone(),
        ..layer.frozen_var_init("vector_u", vec![1, *kernel.shape.last().unwrap_or(&1)], Init::Spec(normal))
    };
    let mut vars = vec![kernel, u];
    vars.append(&mut built.variables);
    let nested = vec![Nested {
        path: vec!["layer".into()],
        build_config: std::mem::replace(&mut built.build_config, BuildConfig::None),
    }];
    Ok(Built { variables: vars, build_config: BuildConfig::InputShape(inputs.clone()), nested, ..built })
}
