//! The R seam of the HDF5 module: `rs_hdf5_read()` turns a file's bytes into nested R lists,
//! `rs_hdf5_write()` the reverse. Arrays cross in R's order (column-major, `dim` = the HDF5 shape,
//! so `a[i, j]` is h5py's `a[i-1, j-1]`). Errors come back as `kc_rust_error` lists of class
//! `kerasconfig_error_hdf5`.

use extendr_api::prelude::*;
use extendr_ffi::SEXPTYPE;

use kerasconfig_core::{permute, permute_cloned, read_hdf5 as read, Hdf5Limits as Limits};
use kerasconfig_core::{write_hdf5_pieces as write_pieces, write_hdf5_with as write_with, Hdf5Piece as Piece};
use kerasconfig_core::{ArchiveContent as Content, ArchiveError, ArchiveStreamError as StreamError};
use kerasconfig_core::{Array, Dataset, Dtype, ErrorKind as Kind, Group, Node, Values};

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

/// A new R vector of type `ty` and length `len` (contents unset), or `None` when R cannot
/// allocate it (large ones are allocated guarded, so that the failure cannot leak Rust's buffers).
pub(crate) fn alloc_vector(ty: SEXPTYPE, len: usize) -> Option<Robj> {
    let elem = match ty {
        SEXPTYPE::RAWSXP => 1,
        SEXPTYPE::INTSXP | SEXPTYPE::LGLSXP => 4,
        _ => 8,
    };
    let len_r = isize::try_from(len).ok()?;
    // SAFETY: on R's main thread; the vector is protected (by `Robj`) before anything else allocates.
    unsafe {
        let mut make = || extendr_ffi::Rf_allocVector(ty, len_r);
        let made = if len.saturating_mul(elem) < crate::json::GUARDED_ALLOCATION {
            make()
        } else {
            crate::json::rapi::guarded_alloc(&mut make)?
        };
        Some(Robj::from_sexp(made))
    }
}

/// A new R vector of `len` elements filled by `fill` (given its data as a slice).
fn filled<T>(ty: SEXPTYPE, len: usize, fill: impl FnOnce(&mut [T]) -> Option<()>) -> Option<Robj> {
    let robj = alloc_vector(ty, len)?;
    if len > 0 {
        // SAFETY: `robj` is a new vector of `len` elements of `T`'s size (the caller pairs `ty`
        // and `T`) that nothing else references.
        let data = unsafe { std::slice::from_raw_parts_mut(extendr_ffi::DATAPTR(robj.get()) as *mut T, len) };
        fill(data)?;
    }
    Some(robj)
}

fn usize_shape(shape: &[u64]) -> Vec<usize> {
    shape.iter().map(|&d| usize::try_from(d).unwrap_or(usize::MAX)).collect()
}

/// An array as an R vector in R's order, or `None` when R cannot allocate it. `file`: the bytes
/// `Values::Stored` arrays lie in.
fn array_to_r(a: &Array, file: &[u8]) -> Option<Robj> {
    let shape = usize_shape(&a.shape);
    let n = a.values.len();
    let mut value: Robj = match &a.values {
        Values::Float(v) => filled(SEXPTYPE::REALSXP, n, |d: &mut [f64]| permute(v, d, &shape, false, |&x| x))?,
        Values::F32(v) => {
            filled(SEXPTYPE::REALSXP, n, |d: &mut [f64]| permute(v, d, &shape, false, |&x| f64::from(x)))?
        }
        Values::Int(v) => {
            let small = matches!(a.dtype, Dtype::Int { size: 1 | 2, .. } | Dtype::Int { size: 4, signed: true });
            if small {
                filled(SEXPTYPE::INTSXP, n, |d: &mut [i32]| permute(v, d, &shape, false, |&x| x as i32))?
            } else {
                filled(SEXPTYPE::REALSXP, n, |d: &mut [f64]| permute(v, d, &shape, false, |&x| x as f64))?
            }
        }
        Values::Bool(v) => {
            filled(SEXPTYPE::LGLSXP, n, |d: &mut [i32]| permute(v, d, &shape, false, |&x| i32::from(x)))?
        }
        // Only written, never read.
        Values::External { .. } => return None,
        &Values::Stored { offset, len } => {
            let bytes = file.get(offset..offset.checked_add(len.checked_mul(4)?)?)?;
            // SAFETY: `[u8; 4]` has size 4 and alignment 1: `bytes` is exactly `len` of them.
            let words = unsafe { std::slice::from_raw_parts(bytes.as_ptr() as *const [u8; 4], len) };
            filled(SEXPTYPE::REALSXP, n, |d: &mut [f64]| {
                permute(words, d, &shape, false, |&w| f64::from(f32::from_le_bytes(w)))
            })?
        }
        Values::Str(v) => permute_cloned(v, &shape, false)?.into(),
    };
    if !a.shape.is_empty() {
        let dims: Robj = if a.shape.iter().all(|&d| d <= i32::MAX as u64) {
            a.shape.iter().map(|&d| d as i32).collect::<Vec<i32>>().into()
        } else {
            a.shape.iter().map(|&d| d as f64).collect::<Vec<f64>>().into()
        };
        let _ = value.set_attrib("dim", dims);
    }
    Some(list!(dtype = a.dtype.name(), value = value).into())
}

fn attrs_to_r(attrs: &[(String, Array)], file: &[u8]) -> Option<Robj> {
    let names: Vec<&str> = attrs.iter().map(|(n, _)| n.as_str()).collect();
    let values: Vec<Robj> = attrs.iter().map(|(_, a)| array_to_r(a, file)).collect::<Option<_>>()?;
    Some(List::from_names_and_values(names, values).expect("as many names as values").into())
}

fn group_to_r_or_none(g: &Group, file: &[u8]) -> Option<Robj> {
    let names: Vec<&str> = g.members.iter().map(|(n, _)| n.as_str()).collect();
    let values: Vec<Robj> = g
        .members
        .iter()
        .map(|(_, m)| match m {
            Node::Group(c) => group_to_r_or_none(c, file),
            Node::Dataset(d) => Some(
                list!(kind = "dataset", attrs = attrs_to_r(&d.attrs, file)?, data = array_to_r(&d.data, file)?).into(),
            ),
        })
        .collect::<Option<_>>()?;
    let members: Robj = List::from_names_and_values(names, values).expect("as many names as values").into();
    Some(list!(kind = "group", attrs = attrs_to_r(&g.attrs, file)?, members = members).into())
}

/// The tree as nested R lists (see `rs_hdf5_read()`), or a `kc_rust_error` when R cannot
/// allocate an array.
pub(crate) fn group_to_r(g: &Group) -> Robj {
    group_to_r_in(g, &[])
}

/// [`group_to_r`] for a tree read from `file` (with `Values::Stored` arrays).
fn group_to_r_in(g: &Group, file: &[u8]) -> Robj {
    group_to_r_or_none(g, file)
        .unwrap_or_else(|| rust_error(Kind::Limit, "R could not allocate the memory the arrays need"))
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
    // float32 weights go from the file's bytes to R's doubles in one pass.
    let limits = Limits { stored: true, ..Limits::for_file(data.len(), cap) };
    match read(data, limits) {
        Ok(root) => group_to_r_in(&root, data),
        Err(e) => rust_error(e.kind, &e.message),
    }
}

/// An R array whose values the writer encodes from R's memory: the vector and its shape.
type Sources = Vec<(Robj, Vec<usize>)>;

fn r_array(x: &Robj, what: &str, sources: &mut Sources) -> std::result::Result<Array, String> {
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
    let n = value.len();
    let count = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
    if count != Some(n as u64) {
        return Err(format!("{what}: {n} values for shape {shape:?}"));
    }
    let ushape = usize_shape(&shape);
    // The values are read where R holds them (borrowed, not copied) and put in HDF5's order.
    fn row_major<S: Copy, D: Default + Clone>(src: &[S], shape: &[usize], f: impl Fn(&S) -> D) -> Vec<D> {
        let mut out = vec![D::default(); src.len()];
        // Lengths were checked against the shape.
        let _ = permute(src, &mut out, shape, true, f);
        out
    }
    let values = match dtype {
        // float32 rounded once, on the way into HDF5's order.
        Dtype::Float { size: 4 } => {
            if value.as_real_slice().is_some() {
                // Encoded by the writer from R's memory, without a copy in between.
                sources.push((value, ushape));
                Values::External { source: sources.len() - 1, len: n }
            } else if let Some(v) = value.as_integer_slice() {
                Values::F32(row_major(v, &ushape, |&x| x as f32))
            } else {
                return Err(format!("{what} must be numeric"));
            }
        }
        Dtype::Float { .. } | Dtype::Bfloat16 => {
            if let Some(v) = value.as_real_slice() {
                Values::Float(row_major(v, &ushape, |&x| x))
            } else if let Some(v) = value.as_integer_slice() {
                Values::Float(row_major(v, &ushape, |&x| x as f64))
            } else {
                return Err(format!("{what} must be numeric"));
            }
        }
        Dtype::Int { .. } => {
            if let Some(v) = value.as_integer_slice() {
                Values::Int(row_major(v, &ushape, |&x| x as i64))
            } else if let Some(v) = value.as_real_slice() {
                Values::Int(row_major(v, &ushape, |&x| x as i64))
            } else {
                return Err(format!("{what} must be numeric"));
            }
        }
        Dtype::Bool => {
            let v = value.as_logical_slice().ok_or_else(|| format!("{what} must be logical"))?;
            Values::Bool(row_major(v, &ushape, |b| b.is_true()))
        }
        Dtype::Str => {
            let v = value.as_string_vector().ok_or_else(|| format!("{what} must be character"))?;
            Values::Str(
                permute_cloned(&v, &ushape, true).ok_or_else(|| format!("{what}: {n} values for shape {shape:?}"))?,
            )
        }
    };
    Ok(Array { dtype, shape, values })
}

fn r_attrs(x: Robj, what: &str, sources: &mut Sources) -> std::result::Result<Vec<(String, Array)>, String> {
    if x.is_null() {
        return Ok(vec![]);
    }
    let l = x.as_list().ok_or_else(|| format!("{what}: attrs must be a list"))?;
    l.iter().map(|(n, a)| Ok((n.to_owned(), r_array(&a, &format!("{what}@{n}"), sources)?))).collect()
}

fn r_group(x: &Robj, path: &str, depth: usize, sources: &mut Sources) -> std::result::Result<Group, String> {
    if depth > 64 {
        return Err("groups nested too deep".into());
    }
    let l = x.as_list().ok_or_else(|| format!("{path}: a group must be a list"))?;
    let attrs = r_attrs(l.dollar("attrs").unwrap_or(().into()), path, sources)?;
    let mut members = Vec::new();
    if let Ok(m) = l.dollar("members") {
        if let Some(m) = m.as_list() {
            for (name, node) in m.iter() {
                let p = format!("{path}/{name}");
                let nl = node.as_list().ok_or_else(|| format!("{p}: a member must be a list"))?;
                let ty = nl.dollar("kind").ok().and_then(|t| t.as_str().map(str::to_owned)).unwrap_or_default();
                let node = if ty == "dataset" {
                    let attrs = r_attrs(nl.dollar("attrs").unwrap_or(().into()), &p, sources)?;
                    let data = r_array(&nl.dollar("data").map_err(|_| format!("{p}: no data"))?, &p, sources)?;
                    Node::Dataset(Dataset { attrs, data })
                } else {
                    Node::Group(r_group(&node, &p, depth + 1, sources)?)
                };
                members.push((name.to_owned(), node));
            }
        }
    }
    Ok(Group { attrs, members })
}

/// Puts source `i` (doubles, R's order) into `out` as HDF5 stores float32: row-major,
/// little-endian, each value rounded once.
fn encode_f32(sources: &Sources, i: usize, out: &mut [u8]) -> bool {
    let Some((robj, shape)) = sources.get(i) else { return false };
    let Some(values) = robj.as_real_slice() else { return false };
    if out.len() != values.len() * 4 {
        return false;
    }
    // SAFETY: `[u8; 4]` has the size of four bytes and alignment 1: `out` is exactly
    // `values.len()` of them.
    let words = unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr() as *mut [u8; 4], values.len()) };
    permute(values, words, shape, true, |&x| (x as f32).to_le_bytes()).is_some()
}

/// Writes the group `root` (the form `rs_hdf5_read()` returns) as HDF5 bytes, or a `kc_rust_error`.
#[extendr]
fn rs_hdf5_write(root: Robj) -> Robj {
    match hdf5_bytes(&root) {
        Ok(bytes) => filled(SEXPTYPE::RAWSXP, bytes.len(), |d: &mut [u8]| {
            d.copy_from_slice(&bytes);
            Some(())
        })
        .unwrap_or_else(|| {
            rust_error(Kind::Limit, &format!("R could not allocate the {} bytes of the file", bytes.len()))
        }),
        Err(e) => e,
    }
}

/// An HDF5 file made from an R group, as an archive member: its pieces, the float32 weights
/// encoded from R's memory as the archive writer takes them (through one buffer, reused).
pub(crate) struct Hdf5Content {
    pieces: Vec<Piece>,
    sources: Sources,
    scratch: std::cell::RefCell<Vec<u8>>,
}

/// The HDF5 file of the group `root` (as `rs_hdf5_write()` takes it), or a `kc_rust_error`.
pub(crate) fn hdf5_content(root: &Robj) -> std::result::Result<Hdf5Content, Robj> {
    let mut sources = Sources::new();
    let g = r_group(root, "", 0, &mut sources).map_err(|m| rust_error(Kind::Corrupt, &m))?;
    let pieces =
        write_pieces(&g, &mut |i, out| encode_f32(&sources, i, out)).map_err(|e| rust_error(e.kind, &e.message))?;
    Ok(Hdf5Content { pieces, sources, scratch: Default::default() })
}

impl Content for Hdf5Content {
    fn len(&self) -> usize {
        self.pieces.iter().map(Piece::len).sum()
    }
    fn emit(&self, sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> std::result::Result<(), StreamError> {
        let mut scratch = self.scratch.borrow_mut();
        for piece in &self.pieces {
            match piece {
                Piece::Bytes(b) => sink(b).map_err(StreamError::Io)?,
                &Piece::External { source, len } => {
                    scratch.clear();
                    scratch.resize(len * 4, 0);
                    if !encode_f32(&self.sources, source, &mut scratch) {
                        return Err(StreamError::Archive(ArchiveError::new(format!(
                            "the values of array {source} could not be encoded"
                        ))));
                    }
                    sink(&scratch).map_err(StreamError::Io)?;
                }
            }
        }
        Ok(())
    }
}

/// The HDF5 bytes of the group `root` (as `rs_hdf5_write()` takes it), or a `kc_rust_error`.
fn hdf5_bytes(root: &Robj) -> std::result::Result<Vec<u8>, Robj> {
    let mut sources = Sources::new();
    let g = r_group(root, "", 0, &mut sources).map_err(|m| rust_error(Kind::Corrupt, &m))?;
    write_with(&g, &mut |i, out| encode_f32(&sources, i, out)).map_err(|e| rust_error(e.kind, &e.message))
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
