//! The R seam of the HDF5 module: `rs_hdf5_read()` turns a file's bytes into nested R lists,
//! `rs_hdf5_write()` the reverse. Arrays cross in R's order (column-major, `dim` = the HDF5 shape,
//! so `a[i, j]` is h5py's `a[i-1, j-1]`). Errors come back as `kc_rust_error` lists of class
//! `kerasconfig_error_hdf5`.

use extendr_api::prelude::*;

use super::read::{read, Limits};
use super::tree::{Array, Dataset, Dtype, Group, Node, Values};
use super::write::write;
use super::Kind;

const HDF5_ERROR: &str = "kerasconfig_error_hdf5";

fn rust_error(kind: Kind, message: &str) -> Robj {
    let subclass = match kind {
        Kind::Corrupt => "kerasconfig_error_hdf5_corrupt",
        Kind::Unsupported => "kerasconfig_error_hdf5_unsupported",
        Kind::Limit => "kerasconfig_error_hdf5_limit",
    };
    let mut list = list!(class = r!([subclass, HDF5_ERROR]), message = message);
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

/// Element order from row-major (HDF5) to column-major (R), or back with `to_c`.
fn reorder<T: Clone>(data: &[T], shape: &[u64], to_c: bool) -> Vec<T> {
    if shape.len() < 2 {
        return data.to_vec();
    }
    let rank = shape.len();
    let mut cstride = vec![1usize; rank];
    for k in (0..rank - 1).rev() {
        cstride[k] = cstride[k + 1] * shape[k + 1] as usize;
    }
    // `offsets[f]`: the row-major offset of the element at column-major position `f`.
    let mut offsets = Vec::with_capacity(data.len());
    let mut idx = vec![0usize; rank];
    let mut c = 0usize;
    for _ in 0..data.len() {
        offsets.push(c);
        for k in 0..rank {
            idx[k] += 1;
            c += cstride[k];
            if idx[k] < shape[k] as usize {
                break;
            }
            c -= cstride[k] * idx[k];
            idx[k] = 0;
        }
    }
    if to_c {
        let mut out = data.to_vec();
        for (f, &c) in offsets.iter().enumerate() {
            out[c] = data[f].clone();
        }
        out
    } else {
        offsets.iter().map(|&c| data[c].clone()).collect()
    }
}

fn array_to_r(a: &Array) -> Robj {
    let mut value: Robj = match &a.values {
        Values::Float(v) => reorder(v, &a.shape, false).into(),
        Values::Int(v) => {
            let small = matches!(a.dtype, Dtype::Int { size: 1 | 2, .. } | Dtype::Int { size: 4, signed: true });
            let v = reorder(v, &a.shape, false);
            if small {
                v.iter().map(|&x| x as i32).collect::<Vec<i32>>().into()
            } else {
                v.iter().map(|&x| x as f64).collect::<Vec<f64>>().into()
            }
        }
        Values::Bool(v) => reorder(v, &a.shape, false).into_iter().map(Rbool::from).collect::<Logicals>().into(),
        Values::Str(v) => reorder(v, &a.shape, false).into(),
    };
    if !a.shape.is_empty() {
        let dims: Vec<f64> = a.shape.iter().map(|&d| d as f64).collect();
        let dims: Robj = if a.shape.iter().all(|&d| d <= i32::MAX as u64) {
            a.shape.iter().map(|&d| d as i32).collect::<Vec<i32>>().into()
        } else {
            dims.into()
        };
        let _ = value.set_attrib("dim", dims);
    }
    list!(dtype = a.dtype.name(), value = value).into()
}

fn attrs_to_r(attrs: &[(String, Array)]) -> Robj {
    let names: Vec<&str> = attrs.iter().map(|(n, _)| n.as_str()).collect();
    let values: Vec<Robj> = attrs.iter().map(|(_, a)| array_to_r(a)).collect();
    List::from_names_and_values(names, values).expect("as many names as values").into()
}

pub(crate) fn group_to_r(g: &Group) -> Robj {
    let names: Vec<&str> = g.members.iter().map(|(n, _)| n.as_str()).collect();
    let values: Vec<Robj> = g
        .members
        .iter()
        .map(|(_, m)| match m {
            Node::Group(c) => group_to_r(c),
            Node::Dataset(d) => {
                list!(kind = "dataset", attrs = attrs_to_r(&d.attrs), data = array_to_r(&d.data)).into()
            }
        })
        .collect();
    let members: Robj = List::from_names_and_values(names, values).expect("as many names as values").into();
    list!(kind = "group", attrs = attrs_to_r(&g.attrs), members = members).into()
}

/// Reads an HDF5 file from memory (`bytes`, a raw vector). Decoded arrays may take at most
/// `limit` bytes (and never more than the file could inflate to). Returns the root group:
/// `list(kind = "group", attrs, members)`, members named, datasets `list(kind = "dataset",
/// attrs, data)`, every array `list(dtype, value)`; or a `kc_rust_error`.
#[extendr]
fn rs_hdf5_read(bytes: Robj, limit: f64) -> Robj {
    let Some(data) = bytes.as_raw_slice() else {
        return rust_error(Kind::Corrupt, "`bytes` must be a raw vector");
    };
    let cap = if limit.is_finite() && limit >= 0.0 { limit as u64 } else { u64::MAX };
    match read(data, Limits::for_file(data.len(), cap)) {
        Ok(root) => group_to_r(&root),
        Err(e) => rust_error(e.kind, &e.message),
    }
}

fn r_array(x: &Robj, what: &str) -> std::result::Result<Array, String> {
    let l = x.as_list().ok_or_else(|| format!("{what} must be list(dtype, value)"))?;
    let dtype_name = l.dollar("dtype").ok().and_then(|d| d.as_str().map(str::to_owned)).unwrap_or_default();
    let dtype = Dtype::from_name(&dtype_name).ok_or_else(|| format!("{what} has an unknown dtype '{dtype_name}'"))?;
    let value = l.dollar("value").map_err(|_| format!("{what} has no value"))?;
    let shape: Vec<u64> = match value.get_attrib("dim") {
        Some(d) => d
            .as_real_vector()
            .or_else(|| d.as_integer_vector().map(|v| v.iter().map(|&x| x as f64).collect()))
            .unwrap_or_default()
            .iter()
            .map(|&x| x as u64)
            .collect(),
        None if value.len() == 1 && !value.is_list() => vec![],
        None => vec![value.len() as u64],
    };
    let values = match dtype {
        Dtype::Float { .. } | Dtype::Bfloat16 => {
            let v = value
                .as_real_vector()
                .or_else(|| value.as_integer_vector().map(|v| v.iter().map(|&x| x as f64).collect()));
            Values::Float(reorder(&v.ok_or_else(|| format!("{what} must be numeric"))?, &shape, true))
        }
        Dtype::Int { .. } => {
            let v: Vec<i64> = if let Some(v) = value.as_integer_vector() {
                v.iter().map(|&x| x as i64).collect()
            } else if let Some(v) = value.as_real_vector() {
                v.iter().map(|&x| x as i64).collect()
            } else {
                return Err(format!("{what} must be numeric"));
            };
            Values::Int(reorder(&v, &shape, true))
        }
        Dtype::Bool => {
            let v = value.as_logical_vector().ok_or_else(|| format!("{what} must be logical"))?;
            Values::Bool(reorder(&v.iter().map(|b| b.is_true()).collect::<Vec<_>>(), &shape, true))
        }
        Dtype::Str => {
            let v = value.as_string_vector().ok_or_else(|| format!("{what} must be character"))?;
            Values::Str(reorder(&v, &shape, true))
        }
    };
    Ok(Array { dtype, shape, values })
}

fn r_attrs(x: Robj, what: &str) -> std::result::Result<Vec<(String, Array)>, String> {
    if x.is_null() {
        return Ok(vec![]);
    }
    let l = x.as_list().ok_or_else(|| format!("{what}: attrs must be a list"))?;
    l.iter().map(|(n, a)| Ok((n.to_owned(), r_array(&a, &format!("{what}@{n}"))?))).collect()
}

fn r_group(x: &Robj, path: &str, depth: usize) -> std::result::Result<Group, String> {
    if depth > 64 {
        return Err("groups nested too deep".into());
    }
    let l = x.as_list().ok_or_else(|| format!("{path}: a group must be a list"))?;
    let attrs = r_attrs(l.dollar("attrs").unwrap_or(().into()), path)?;
    let mut members = Vec::new();
    if let Ok(m) = l.dollar("members") {
        if let Some(m) = m.as_list() {
            for (name, node) in m.iter() {
                let p = format!("{path}/{name}");
                let nl = node.as_list().ok_or_else(|| format!("{p}: a member must be a list"))?;
                let ty = nl.dollar("kind").ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default();
                let node = if ty == "dataset" {
                    let attrs = r_attrs(nl.dollar("attrs").unwrap_or(().into()), &p)?;
                    let data = r_array(&nl.dollar("data").map_err(|_| format!("{p}: no data"))?, &p)?;
                    Node::Dataset(Dataset { attrs, data })
                } else {
                    Node::Group(r_group(&node, &p, depth + 1)?)
                };
                members.push((name.to_owned(), node));
            }
        }
    }
    Ok(Group { attrs, members })
}

/// Writes the group `root` (the form `rs_hdf5_read()` returns) as HDF5 bytes, or a `kc_rust_error`.
#[extendr]
fn rs_hdf5_write(root: Robj) -> Robj {
    match r_group(&root, "", 0) {
        Err(m) => rust_error(Kind::Corrupt, &m),
        Ok(g) => match write(&g) {
            Ok(bytes) => Raw::from_bytes(&bytes).into(),
            Err(e) => rust_error(e.kind, &e.message),
        },
    }
}

/// Each value rounded to the nearest float32 (as Keras stores float32 variables).
#[extendr]
fn rs_round_f32(x: &[f64]) -> Vec<f64> {
    x.iter().map(|&v| v as f32 as f64).collect()
}

extendr_module! {
    mod rhdf5;
    fn rs_round_f32;
    fn rs_hdf5_read;
    fn rs_hdf5_write;
}
