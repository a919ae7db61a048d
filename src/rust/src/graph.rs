//! Functional model graphs for R: reads the nodes of deserialized layer configs (R lists) and checks
//! them with the core's rebuild order (`kerasconfig_core::resolve_graph`), for R
//! (`rs_functional_graph()`) and the fast path alike.

use extendr_api::prelude::*;
use extendr_ffi::{R_ClassSymbol, R_NamesSymbol, Rf_getAttrib, SEXPTYPE, STRING_ELT, TYPEOF, VECTOR_ELT, XLENGTH};
use kerasconfig_core::{check_endpoint, resolve_graph as resolve, Ref};

/// The inputs a node reads, from the deserialized node: a Keras 3 node (a named list, `args`
/// and `kwargs`, whose `keras_tensor` values carry `keras_history`) or a Keras 2 node (an
/// unnamed list of `["layer", node, tensor(, kwargs)]`). A node or a history it cannot read is
/// an error, never a reference silently dropped.
pub(crate) unsafe fn node_refs(node: extendr_ffi::SEXP) -> Result<Vec<Ref>, &'static str> {
    if TYPEOF(node) != SEXPTYPE::VECSXP {
        return Err("a node must be a list");
    }
    let mut out = Vec::new();
    if Rf_getAttrib(node, R_NamesSymbol) == extendr_ffi::R_NilValue {
        for i in 0..XLENGTH(node) {
            out.push(
                keras2_ref(VECTOR_ELT(node, i))
                    .ok_or("a Keras 2 node must list [layer, node_index, tensor_index] references")?,
            );
        }
    } else {
        tensor_refs(node, &mut out, 0)?;
    }
    Ok(out)
}

/// The `keras_history` of every symbolic tensor inside `x`.
unsafe fn tensor_refs(x: extendr_ffi::SEXP, out: &mut Vec<Ref>, depth: usize) -> Result<(), &'static str> {
    if TYPEOF(x) != SEXPTYPE::VECSXP {
        return Ok(());
    }
    if depth > 100 {
        return Err("a node nests deeper than 100 levels");
    }
    let class = Rf_getAttrib(x, R_ClassSymbol);
    if TYPEOF(class) == SEXPTYPE::STRSXP {
        if XLENGTH(class) == 1 && text(STRING_ELT(class, 0)) == Some("keras_tensor") {
            match named(x, "keras_history") {
                // A tensor without history is a constant input, as in Keras.
                None => {}
                Some(h) if h == extendr_ffi::R_NilValue => {}
                Some(h) => out.push(as_ref(h).ok_or("a keras_history must be [layer_name, node_index, tensor_index]")?),
            }
        }
        return Ok(());
    }
    for i in 0..XLENGTH(x) {
        tensor_refs(VECTOR_ELT(x, i), out, depth + 1)?;
    }
    Ok(())
}

/// A CHARSXP's text when it is valid UTF-8 (names in a graph are compared, never translated:
/// a Latin-1 name simply matches nothing).
unsafe fn text<'a>(c: extendr_ffi::SEXP) -> Option<&'a str> {
    std::ffi::CStr::from_ptr(extendr_ffi::R_CHAR(c)).to_str().ok()
}

unsafe fn named(x: extendr_ffi::SEXP, key: &str) -> Option<extendr_ffi::SEXP> {
    let names = Rf_getAttrib(x, R_NamesSymbol);
    if TYPEOF(names) != SEXPTYPE::STRSXP {
        return None;
    }
    (0..XLENGTH(names)).find(|&i| text(STRING_ELT(names, i)) == Some(key)).map(|i| VECTOR_ELT(x, i))
}

/// A whole, non-negative number.
unsafe fn index_number(x: extendr_ffi::SEXP) -> Option<i64> {
    // The type first: XLENGTH of NULL (a JSON `null`) is an R error, a long jump over this frame.
    if !matches!(TYPEOF(x), SEXPTYPE::INTSXP | SEXPTYPE::REALSXP) || XLENGTH(x) != 1 {
        return None;
    }
    let v = match TYPEOF(x) {
        SEXPTYPE::INTSXP if *extendr_ffi::INTEGER(x) != i32::MIN => f64::from(*extendr_ffi::INTEGER(x)),
        SEXPTYPE::REALSXP => *extendr_ffi::REAL(x),
        _ => return None,
    };
    (v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15).then_some(v as i64)
}

unsafe fn scalar_string(x: extendr_ffi::SEXP) -> Option<String> {
    (TYPEOF(x) == SEXPTYPE::STRSXP && XLENGTH(x) == 1 && STRING_ELT(x, 0) != extendr_ffi::R_NaString)
        .then(|| text(STRING_ELT(x, 0)).map(str::to_owned))
        .flatten()
}

/// `[layer, node_index, tensor_index]`.
unsafe fn as_ref(h: extendr_ffi::SEXP) -> Option<Ref> {
    if TYPEOF(h) != SEXPTYPE::VECSXP || !(3..=4).contains(&XLENGTH(h)) {
        return None;
    }
    index_number(VECTOR_ELT(h, 2))?;
    Some(Ref { layer: scalar_string(VECTOR_ELT(h, 0))?, node: index_number(VECTOR_ELT(h, 1))? })
}

/// Keras 2's reference: unnamed, a string then two numbers, and maybe a kwargs dict.
pub(crate) unsafe fn keras2_ref(x: extendr_ffi::SEXP) -> Option<Ref> {
    if TYPEOF(x) != SEXPTYPE::VECSXP || Rf_getAttrib(x, R_NamesSymbol) != extendr_ffi::R_NilValue {
        return None;
    }
    as_ref(x)
}

/// Checks a Functional model's graph as its `from_config()` does before anything is built:
/// `names` of the layers, `initial` node counts, each layer's deserialized `inbound_nodes` (a list
/// of nodes, or NULL), then the model's `input_layers` and `output_layers`, each given as one
/// reference, a list or a named list of references. Returns every layer's node count, or the
/// message of Keras' error. R (`rs_functional_graph`) and the fast path both check this way.
///
/// # Safety
/// On R's main thread; the SEXPs are alive for the call.
pub unsafe fn check_functional(
    names: &[String],
    initial: &[u32],
    inbound: &[extendr_ffi::SEXP],
    endpoints: [extendr_ffi::SEXP; 2],
) -> Result<Vec<u32>, String> {
    let mut nodes = Vec::with_capacity(inbound.len());
    for (i, &layer_nodes) in inbound.iter().enumerate() {
        let layer = names.get(i).map_or("", String::as_str);
        let mut per_layer = Vec::new();
        match TYPEOF(layer_nodes) {
            SEXPTYPE::NILSXP => {}
            SEXPTYPE::VECSXP => {
                for j in 0..XLENGTH(layer_nodes) {
                    let refs = node_refs(VECTOR_ELT(layer_nodes, j))
                        .map_err(|problem| format!("Malformed inbound node of layer '{layer}': {problem}."))?;
                    per_layer.push(refs);
                }
            }
            _ => return Err(format!("The inbound_nodes of layer '{layer}' must be a list.")),
        }
        nodes.push(per_layer);
    }
    let counts = resolve(names, initial, &nodes).map_err(|e| e.message())?;
    for (key, x) in ["input_layers", "output_layers"].into_iter().zip(endpoints) {
        check_endpoints(key, x, names, &counts)?;
    }
    Ok(counts)
}

/// `input_layers` / `output_layers`: NULL, one reference, or a list (or named list) of them, each
/// naming a layer of the model and one of its nodes.
unsafe fn check_endpoints(key: &str, x: extendr_ffi::SEXP, names: &[String], counts: &[u32]) -> Result<(), String> {
    let check = |r: extendr_ffi::SEXP| -> Result<(), String> {
        let r = keras2_ref(r)
            .ok_or_else(|| format!("'{key}' must hold [layer_name, node_index, tensor_index] references."))?;
        check_endpoint(key, &r, names, counts)
    };
    match TYPEOF(x) {
        SEXPTYPE::NILSXP => Ok(()),
        _ if keras2_ref(x).is_some() => check(x),
        SEXPTYPE::VECSXP => (0..XLENGTH(x)).try_for_each(|i| check(VECTOR_ELT(x, i))),
        _ => Err(format!("'{key}' must hold [layer_name, node_index, tensor_index] references.")),
    }
}

/// [`check_functional`] for R: returns the node counts, named by layer, or a `kc_rust_error` of
/// class `kerasconfig_error_graph`.
#[extendr]
fn rs_functional_graph(names: Robj, initial: Vec<i32>, inbound: List, input_layers: Robj, output_layers: Robj) -> Robj {
    let names = match crate::texts_arg(&names, "A layer name") {
        Ok(n) => n,
        Err(e) => return e,
    };
    let inbound: Vec<extendr_ffi::SEXP> = inbound.values().map(|v| unsafe { v.get() }).collect();
    let initial: Vec<u32> = initial.iter().map(|&n| n.max(0) as u32).collect();
    // SAFETY: on R's main thread; the arguments are alive for the whole call.
    match unsafe { check_functional(&names, &initial, &inbound, [input_layers.get(), output_layers.get()]) } {
        Ok(counts) => {
            let counts: Vec<i32> = counts.into_iter().map(|c| c as i32).collect();
            let mut out: Robj = counts.into();
            out.set_names(names).expect("one name per count");
            out
        }
        Err(message) => crate::rust_error("kerasconfig_error_graph", &message),
    }
}

/// The layers a layer's `inbound_nodes` read, each once, in order of first use (for summaries);
/// a node that cannot be read reads nothing here, as validation has refused it already.
#[extendr]
fn rs_node_layers(inbound: Robj) -> Vec<String> {
    let mut layers: Vec<String> = Vec::new();
    if let Some(list) = inbound.as_list() {
        for (_, node) in list.iter() {
            for r in unsafe { node_refs(node.get()) }.unwrap_or_default() {
                if !layers.contains(&r.layer) {
                    layers.push(r.layer);
                }
            }
        }
    }
    layers
}

extendr_module! {
    mod graph;
    fn rs_functional_graph;
    fn rs_node_layers;
}
