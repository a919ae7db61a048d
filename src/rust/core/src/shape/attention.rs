//! Attention layers: Attention, AdditiveAttention (a list of query, value and optional key),
//! MultiHeadAttention and GroupQueryAttention (query, value, key as arguments).

use super::{shape_text, BuildConfig, Built, Init, Layer, Result, Shape, Shapes};

pub fn build(layer: &Layer, inputs: &Shapes) -> Result<Option<Built>> {
    build_call(layer, inputs, false)
}

/// With `return_attention_scores` (a call argument), the scores are a second output.
pub fn build_call(layer: &Layer, inputs: &Shapes, scores: bool) -> Result<Option<Built>> {
    let built = match layer.class {
        "Attention" | "AdditiveAttention" => dot_attention(layer, inputs, scores)?,
        "MultiHeadAttention" | "GroupQueryAttention" => multi_head(layer, inputs, scores)?,
        _ => return Ok(None),
    };
    Ok(Some(built))
}

fn tensors<'s>(layer: &Layer, inputs: &'s Shapes) -> Result<Vec<&'s Shape>> {
    let all = inputs.flatten();
    if !(2..=3).contains(&all.len()) {
        return Err(layer.incompatible(format!(
            "{} layer inputs must be a list of length 2 or 3, namely [query, value] or [query, value, key]. Received length: {}.",
            layer.class,
            all.len()
        )));
    }
    Ok(all)
}

fn dot_attention(layer: &Layer, inputs: &Shapes, scores: bool) -> Result<Built> {
    let all = tensors(layer, inputs)?;
    let (q, v) = (all[0], all[1]);
    let k = all.get(2).copied().unwrap_or(v);
    let mut out = q[..q.len().saturating_sub(1)].to_vec();
    out.push(*v.last().unwrap_or(&None));
    let mut vars = Vec::new();
    if layer.class == "AdditiveAttention" {
        if layer.bool_or("use_scale", true) {
            let dim = layer.known(*q.last().unwrap_or(&None), "last")?;
            vars.push(layer.var_init("scale", vec![dim], Init::named("glorot_uniform")));
        }
    } else {
        if layer.bool_or("use_scale", false) {
            vars.push(layer.var_init("scale", vec![], Init::named("ones")));
        }
        if layer.str_or("score_mode", "dot") == "concat" {
            vars.push(layer.var_init("concat_score_weight", vec![], Init::named("ones")));
        }
    }
    let mut built = layer.out(out, vars, BuildConfig::InputShape(inputs.clone()));
    if scores {
        let mut s = q[..q.len().saturating_sub(1)].to_vec();
        s.push(k.get(k.len().wrapping_sub(2)).copied().flatten());
        with_scores(layer, &mut built, s);
    }
    Ok(built)
}

fn with_scores(layer: &Layer, built: &mut Built, scores: Shape) {
    let Shapes::One(out) = built.outputs.clone() else {
        return;
    };
    built.outputs = Shapes::Many(vec![Shapes::One(out), Shapes::One(scores)]);
    built.dtypes.push(layer.compute_dtype.clone());
}

fn multi_head(layer: &Layer, inputs: &Shapes, scores: bool) -> Result<Built> {
    let all = inputs.flatten();
    if !(2..=3).contains(&all.len()) {
        return Err(layer.incompatible(format!("{} takes a query, a value and optionally a key.", layer.class)));
    }
    let (q, v) = (all[0], all[1]);
    let k = all.get(2).copied().unwrap_or(v);
    let gqa = layer.class == "GroupQueryAttention";
    let (q_heads, kv_heads, key_dim, value_dim) = if gqa {
        let hd = layer.int("head_dim")?;
        (layer.int("num_query_heads")?, layer.int("num_key_value_heads")?, hd, hd)
    } else {
        let heads = layer.int("num_heads")?;
        let key_dim = layer.int("key_dim")?;
        (heads, heads, key_dim, layer.int_or("value_dim", key_dim)?)
    };
    let last = |s: &Shape, what: &str| layer.known(*s.last().unwrap_or(&None), what);
    let (qd, kd, vd) = (last(q, "query's last")?, last(k, "key's last")?, last(v, "value's last")?);
    if gqa && q_heads % kv_heads.max(1) != 0 {
        return Err(layer.incompatible(format!(
            "`num_query_heads` ({q_heads}) must be a multiple of `num_key_value_heads` ({kv_heads})."
        )));
    }
    if !gqa && q.len() >= 2 && v.len() >= 2 {
        let (qs, vs) = (&q[1..q.len() - 1], &v[1..v.len() - 1]);
        if qs.len() != vs.len() {
            return Err(layer.incompatible(format!(
                "The query and value tensors must have the same rank. Received: query={}, value={}",
                shape_text(q),
                shape_text(v)
            )));
        }
    }
    if k.len() >= 2
        && v.len() >= 2
        && k[..k.len() - 1] != v[..v.len() - 1]
        && k[1..k.len() - 1].iter().zip(&v[1..v.len() - 1]).any(|(a, b)| a.is_some() && b.is_some() && a != b)
    {
        return Err(layer.incompatible(format!(
            "All dimensions of `value` and `key`, except the last one, must be equal. Received: value_shape={} and key_shape={}",
            shape_text(v),
            shape_text(k)
        )));
    }
    let out_dims: Vec<i64> = match layer.int_list("output_shape")? {
        Some(dims) => dims,
        None => vec![qd],
    };
    let bias = layer.bool_or("use_bias", true);
    let mut vars = Vec::new();
    let mut dense = |name: &str, kernel: Vec<i64>, b: Vec<i64>| {
        vars.push(layer.var(&format!("{name}/kernel"), kernel));
        if bias {
            vars.push(layer.var(&format!("{name}/bias"), b));
        }
    };
    dense("query", vec![qd, q_heads, key_dim], vec![q_heads, key_dim]);
    dense("key", vec![kd, kv_heads, key_dim], vec![kv_heads, key_dim]);
    dense("value", vec![vd, kv_heads, value_dim], vec![kv_heads, value_dim]);
    let mut kernel = vec![q_heads, value_dim];
    kernel.extend(&out_dims);
    dense("attention_output", kernel, out_dims.clone());
    let mut out = q[..q.len() - 1].to_vec();
    out.extend(out_dims.iter().map(|&d| Some(d)));
    let mut dict =
        vec![("query_shape".to_owned(), Shapes::One(q.clone())), ("value_shape".to_owned(), Shapes::One(v.clone()))];
    if all.len() == 3 {
        dict.push(("key_shape".to_owned(), Shapes::One(k.clone())));
    }
    let mut built = layer.out(out, vars, BuildConfig::ShapesDict(dict));
    if scores {
        // (batch, heads, query's attention dims, key's attention dims)
        let mut s = vec![q[0], Some(q_heads)];
        s.extend(&q[1..q.len() - 1]);
        s.extend(&k[1..k.len() - 1]);
        with_scores(layer, &mut built, s);
    }
    Ok(built)
}
