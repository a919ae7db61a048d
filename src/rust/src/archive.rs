//! `.keras` archives for R: `rs_archive_read()`, `rs_archive_write()` and `rs_archive_save()` over
//! the core's zip reader and writer. Nothing here touches the file system but `rs_archive_save()`:
//! R reads and writes the bytes. Problems come back as `kc_rust_error` lists of class
//! `kerasconfig_error_archive`; no input makes these functions panic.

use extendr_api::prelude::*;
use kerasconfig_core::{
    archive_size, archive_size_of, read_archive, show_entry as show, write_archive_into, write_archive_to,
};
use kerasconfig_core::{ArchiveContent, ArchiveStreamError};

const ARCHIVE_ERROR: &str = "kerasconfig_error_archive";

fn rust_error(message: &str) -> Robj {
    let mut list = list!(class = ARCHIVE_ERROR, message = message);
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

/// Reads a zip archive from memory. `bytes`: the whole file (a raw vector); `members`: the
/// names of the entries to extract (character; `NA` ignored); `limit`: the most bytes any one
/// of them, and all of them together, may inflate to, but for those `own_limits` (a named
/// numeric vector, or NULL) gives a limit of their own (weights). Returns a named list: `members` (the
/// names of all entries) and one raw vector per wanted entry that exists, named by the entry
/// (so do not ask for an entry called `members`); or a `kc_rust_error` of class
/// `kerasconfig_error_archive`.
#[extendr]
fn rs_archive_read(bytes: Robj, members: Robj, limit: f64, #[extendr(default = "NULL")] own_limits: Robj) -> Robj {
    let Some(data) = bytes.as_raw_slice() else {
        return rust_error("`bytes` must be a raw vector");
    };
    let wanted: Vec<&str> = if members.is_null() {
        Vec::new()
    } else {
        match members.as_str_vector() {
            Some(v) => v.into_iter().filter(|s| !s.is_na()).collect(),
            None => return rust_error("`members` must be a character vector"),
        }
    };
    if !(limit.is_finite() && limit >= 0.0) {
        return rust_error("`limit` must be a non-negative number of bytes");
    }
    // `as` saturates: limits beyond 2^64 are as good as none.
    let limit = limit.floor() as u64;
    let mut own: Vec<(&str, u64)> = Vec::new();
    if !own_limits.is_null() {
        let (Some(values), Some(names)) = (own_limits.as_real_slice(), own_limits.names()) else {
            return rust_error("`own_limits` must be a named numeric vector");
        };
        for (name, &value) in names.zip(values) {
            if !(value.is_finite() && value >= 0.0) {
                return rust_error("`own_limits` must hold non-negative numbers of bytes");
            }
            own.push((name, value.floor() as u64));
        }
    }
    match read_archive(data, &wanted, limit, &own) {
        Err(e) => rust_error(&e.0),
        Ok(archive) => {
            let mut names: Vec<String> = Vec::with_capacity(archive.members.len() + 1);
            let mut values: Vec<Robj> = Vec::with_capacity(archive.members.len() + 1);
            names.push("members".to_owned());
            values.push(Robj::from(archive.names));
            for (name, content) in archive.members {
                match raw_robj(&content) {
                    Some(raw) => values.push(raw),
                    None => {
                        return rust_error(&format!(
                            "R could not allocate the {} bytes of entry {}",
                            content.len(),
                            show(&name)
                        ))
                    }
                }
                names.push(name);
            }
            List::from_names_and_values(names, values).expect("as many names as values").into()
        }
    }
}

/// A raw vector holding `bytes`; `None` when R cannot allocate it (large ones are allocated
/// guarded, so that the failure cannot leak the archive's buffers).
fn raw_robj(bytes: &[u8]) -> Option<Robj> {
    let robj = alloc_raw(bytes.len())?;
    if !bytes.is_empty() {
        // SAFETY: the vector holds `bytes.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), extendr_ffi::RAW(robj.get()), bytes.len()) };
    }
    Some(robj)
}

/// A new raw vector of `len` bytes (contents unset); `None` when R cannot allocate it.
fn alloc_raw(len: usize) -> Option<Robj> {
    crate::hdf5::rhdf5::alloc_vector(extendr_ffi::SEXPTYPE::RAWSXP, len)
}

/// The members an archive is written from: entry names (no `NA`) and one content per name.
fn members<'a>(names: &'a Robj, contents: &Robj) -> std::result::Result<(Vec<&'a str>, Vec<Robj>), Robj> {
    let Some(names) = names.as_str_vector() else {
        return Err(rust_error("`names` must be a character vector"));
    };
    if names.iter().any(|s| s.is_na()) {
        return Err(rust_error("`names` must not contain NA"));
    }
    let Some(contents) = contents.as_list() else {
        return Err(rust_error("`contents` must be a list of raw vectors"));
    };
    if contents.len() != names.len() {
        return Err(rust_error("`names` and `contents` must have the same length"));
    }
    Ok((names, contents.iter().map(|(_, item)| item).collect()))
}

/// Writes a zip archive in memory, members stored uncompressed as Keras writes them.
/// `names`: entry names (character); `contents`: a list of raw vectors (or single strings,
/// written as UTF-8), one per name. Returns the archive as a raw vector, or a `kc_rust_error`.
#[extendr]
fn rs_archive_write(names: Robj, contents: Robj) -> Robj {
    let (names, items) = match members(&names, &contents) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let mut entries: Vec<(&str, &[u8])> = Vec::with_capacity(names.len());
    for (name, item) in names.iter().zip(items.iter()) {
        let bytes: &[u8] = if let Some(raw) = item.as_raw_slice() {
            raw
        } else if let Some(text) = item.as_str().filter(|s| item.len() == 1 && !s.is_na()) {
            text.as_bytes()
        } else {
            return rust_error(&format!("the content of entry {} must be a raw vector or a single string", show(name)));
        };
        entries.push((name, bytes));
    }
    let size = match archive_size(&entries) {
        Ok(size) => size,
        Err(e) => return rust_error(&e.0),
    };
    // Written straight into the R vector: the archive is as large as the model's weights.
    let Some(out) = alloc_raw(size) else {
        return rust_error(&format!("R could not allocate the {size} bytes of the archive"));
    };
    // SAFETY: `out` is a raw vector of `size` bytes that nothing else references yet.
    let buf = unsafe { std::slice::from_raw_parts_mut(extendr_ffi::RAW(out.get()), size) };
    match write_archive_into(&entries, buf) {
        Ok(()) => out,
        Err(e) => rust_error(&e.0),
    }
}

/// Writes a zip archive to the file `path` as it is made, members stored uncompressed as Keras
/// writes them; `names` and `contents` as for `rs_archive_write()`. HDF5 groups are written
/// with their float32 weights encoded from R's memory straight into the file: no copy of the
/// archive, or of the weights file, is made in memory. Returns NULL, or a `kc_rust_error`
/// (class `kerasconfig_error_file` when the file system refuses).
#[extendr]
fn rs_archive_save(path: &str, names: Robj, contents: Robj) -> Robj {
    let (names, items) = match members(&names, &contents) {
        Ok(m) => m,
        Err(e) => return e,
    };
    let mut hdf5: Vec<Option<crate::hdf5::rhdf5::Hdf5Content>> = Vec::with_capacity(items.len());
    let mut raw: Vec<&[u8]> = Vec::with_capacity(items.len());
    for (name, item) in names.iter().zip(items.iter()) {
        if item.is_list() {
            match crate::hdf5::rhdf5::hdf5_content(item) {
                Ok(c) => hdf5.push(Some(c)),
                Err(e) => return e,
            }
            raw.push(&[]);
        } else if let Some(bytes) = item.as_raw_slice() {
            hdf5.push(None);
            raw.push(bytes);
        } else if let Some(text) = item.as_str().filter(|s| item.len() == 1 && !s.is_na()) {
            hdf5.push(None);
            raw.push(text.as_bytes());
        } else {
            return rust_error(&format!(
                "the content of entry {} must be a raw vector, a single string or an HDF5 group",
                show(name)
            ));
        }
    }
    let entries: Vec<(&str, &dyn ArchiveContent)> = names
        .iter()
        .zip(hdf5.iter().zip(raw.iter()))
        .map(|(&name, (h, r))| match h {
            Some(h) => (name, h as &dyn ArchiveContent),
            None => (name, r as &dyn ArchiveContent),
        })
        .collect();
    // Refused before the file is touched (too large, bad or repeated names).
    let lens: Vec<(&str, usize)> = entries.iter().map(|&(n, c)| (n, c.len())).collect();
    if let Err(e) = archive_size_of(&lens) {
        return rust_error(&e.0);
    }
    let file = match std::fs::File::create(path) {
        Ok(f) => f,
        Err(e) => return file_error(&e),
    };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    match write_archive_to(&entries, &mut out) {
        Ok(()) => match out.into_inner() {
            Ok(_) => ().into(),
            Err(e) => file_error(e.error()),
        },
        Err(ArchiveStreamError::Io(e)) => file_error(&e),
        Err(ArchiveStreamError::Archive(e)) => rust_error(&e.0),
    }
}

fn file_error(e: &std::io::Error) -> Robj {
    let mut list = list!(class = "kerasconfig_error_file", message = e.to_string());
    list.set_class(&["kc_rust_error"]).expect("a list takes a class");
    list.into()
}

extendr_module! {
    mod archive;
    fn rs_archive_read;
    fn rs_archive_write;
    fn rs_archive_save;
}
