//! A strict reader of `.keras` archives (zip files) held in memory.
//!
//! The whole archive is checked before any member is extracted: the end of central directory
//! record, every central directory entry and every local header. Anything a `.keras` file written
//! by Keras never contains is refused: zip64, encryption, several disks, compression other than
//! stored or deflate, entries that overlap or point outside the file, duplicate names and names
//! that could escape a directory. Members are inflated with a hard output limit, so a declared
//! size is never trusted alone; their CRC-32 and size are verified.

use super::crc32::crc32;
use super::{show, Error};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

pub(crate) const LOCAL_SIG: u32 = 0x0403_4b50;
pub(crate) const CENTRAL_SIG: u32 = 0x0201_4b50;
pub(crate) const EOCD_SIG: u32 = 0x0605_4b50;
pub(crate) const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
pub(crate) const LOCAL_LEN: usize = 30;
pub(crate) const CENTRAL_LEN: usize = 46;
pub(crate) const EOCD_LEN: usize = 22;
/// The end record is at most its fixed part plus a 65 535-byte comment from the end.
pub(crate) const EOCD_SEARCH: usize = EOCD_LEN + 0xFFFF;

const FLAG_ENCRYPTED: u16 = 0x0001;
const FLAG_DATA_DESCRIPTOR: u16 = 0x0008;
const FLAG_STRONG_ENCRYPTION: u16 = 0x0040;
const METHOD_STORED: u16 = 0;
const METHOD_DEFLATE: u16 = 8;
const METHOD_AES: u16 = 99;
const ZIP64_EXTRA_ID: u16 = 0x0001;
/// Deflate cannot expand data by more than about 1032:1 (258 bytes from two bits): the output
/// buffer is never larger than that allows.
const DEFLATE_MAX_RATIO: u64 = 1032;

/// What was read: the names of all entries (central directory order) and the wanted members
/// that exist, in the order they were asked for.
#[derive(Debug)]
pub struct Archive {
    pub names: Vec<String>,
    pub members: Vec<(String, Vec<u8>)>,
}

/// [`Archive`] with stored members borrowed from the archive's bytes (checked, not copied).
#[derive(Debug)]
pub struct ArchiveRef<'a> {
    pub names: Vec<String>,
    pub members: Vec<(String, Cow<'a, [u8]>)>,
}

#[derive(Debug)]
struct Entry {
    name: String,
    method: u16,
    crc: u32,
    uncompressed: u32,
    header: usize,
    data_start: usize,
    data_end: usize,
}

/// Bounds-checked little-endian reads.
fn u16_at(b: &[u8], pos: usize) -> Option<u16> {
    let s = b.get(pos..pos.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], pos: usize) -> Option<u32> {
    let s = b.get(pos..pos.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Checks that an entry name could only ever name a file inside the archive's own tree.
pub(crate) fn check_name(raw: &[u8]) -> Result<String, Error> {
    let lossy = || String::from_utf8_lossy(raw).into_owned();
    if raw.is_empty() {
        return Err(Error::new("an entry has an empty name"));
    }
    if raw.contains(&0) {
        return Err(Error::new(format!(
            "entry {} has a NUL byte in its name, which does not belong in a .keras archive",
            show(&lossy())
        )));
    }
    let name = match std::str::from_utf8(raw) {
        Ok(s) => s.to_owned(),
        Err(_) => return Err(Error::new(format!("entry {} has a name that is not valid UTF-8", show(&lossy())))),
    };
    let bad = |why: &str| {
        Error::new(format!("entry {} has a path that does not belong in a .keras archive ({why})", show(&name)))
    };
    if name.contains('\\') {
        return Err(bad("it contains a backslash"));
    }
    if name.starts_with('/') {
        return Err(bad("it is absolute"));
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(bad("it starts with a drive letter"));
    }
    if name.split('/').any(|part| part == "..") {
        return Err(bad("it has a '..' component"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("it contains a control character"));
    }
    Ok(name)
}

/// Does a central directory extra field hold a zip64 record? Scans well-formed fields only.
fn has_zip64_extra(mut extra: &[u8]) -> bool {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        if id == ZIP64_EXTRA_ID {
            return true;
        }
        match extra.get(4 + len..) {
            Some(rest) => extra = rest,
            None => return false,
        }
    }
    false
}

/// The sizes a local header's zip64 record gives (uncompressed, then compressed, 8 bytes each),
/// as (compressed, uncompressed) when both fit the 32-bit sizes this reader takes.
fn local_zip64_sizes(mut extra: &[u8]) -> Option<(u32, u32)> {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let body = extra.get(4..4 + len)?;
        if id == ZIP64_EXTRA_ID {
            let u = u64::from_le_bytes(body.get(0..8)?.try_into().ok()?);
            let c = u64::from_le_bytes(body.get(8..16)?.try_into().ok()?);
            return Some((u32::try_from(c).ok()?, u32::try_from(u).ok()?));
        }
        extra = &extra[4 + len..];
    }
    None
}

/// Finds the end of central directory record: the last signature in the final 65 557 bytes
/// whose comment length reaches exactly the end of the file.
fn find_eocd(b: &[u8]) -> Option<usize> {
    if b.len() < EOCD_LEN {
        return None;
    }
    let first = b.len().saturating_sub(EOCD_SEARCH);
    (first..=b.len() - EOCD_LEN).rev().find(|&pos| {
        u32_at(b, pos) == Some(EOCD_SIG)
            && u16_at(b, pos + 20).is_some_and(|comment| pos + EOCD_LEN + usize::from(comment) == b.len())
    })
}

/// Parses and checks the archive's whole structure.
fn parse(b: &[u8]) -> Result<Vec<Entry>, Error> {
    let starts_like_zip = b.len() >= 4 && (u32_at(b, 0) == Some(LOCAL_SIG) || u32_at(b, 0) == Some(EOCD_SIG));
    if !starts_like_zip {
        return Err(Error::new("not a zip archive"));
    }
    let Some(eocd) = find_eocd(b) else {
        return Err(Error::new("the archive is truncated or corrupt: it has no end of central directory record"));
    };
    let field16 = |off: usize| u16_at(b, eocd + off).unwrap_or(0);
    let field32 = |off: usize| u32_at(b, eocd + off).unwrap_or(0);
    let (disk, cd_disk, disk_entries, entries) = (field16(4), field16(6), field16(8), field16(10));
    let (cd_size, cd_offset) = (field32(12), field32(16));
    if eocd >= 20 && u32_at(b, eocd - 20) == Some(ZIP64_LOCATOR_SIG)
        || entries == 0xFFFF
        || disk_entries == 0xFFFF
        || cd_size == 0xFFFF_FFFF
        || cd_offset == 0xFFFF_FFFF
    {
        return Err(Error::new("zip64 archives are not supported"));
    }
    if disk != 0 || cd_disk != 0 || disk_entries != entries {
        return Err(Error::new("multi-disk (split or spanned) archives are not supported"));
    }
    let (cd_start, cd_len) = (cd_offset as usize, cd_size as usize);
    if cd_start.checked_add(cd_len) != Some(eocd) {
        return Err(Error::new(format!(
            "the archive is truncated or corrupt: its central directory (offset {cd_start}, {cd_len} bytes) \
             does not end where the end of central directory record starts (offset {eocd})"
        )));
    }
    if usize::from(entries) * CENTRAL_LEN > cd_len {
        return Err(Error::new(format!(
            "the archive is corrupt: its central directory is too small for {entries} entries"
        )));
    }

    let mut out: Vec<Entry> = Vec::with_capacity(usize::from(entries));
    let mut seen: HashSet<String> = HashSet::with_capacity(usize::from(entries));
    let mut pos = cd_start;
    for index in 0..usize::from(entries) {
        let truncated =
            || Error::new(format!("the archive is corrupt: central directory entry {} is truncated", index + 1));
        let fixed = b.get(pos..pos + CENTRAL_LEN).filter(|_| pos + CENTRAL_LEN <= eocd).ok_or_else(truncated)?;
        if u32_at(fixed, 0) != Some(CENTRAL_SIG) {
            return Err(Error::new(format!(
                "the archive is corrupt: central directory entry {} has a bad signature",
                index + 1
            )));
        }
        let f16 = |off: usize| u16_at(fixed, off).unwrap_or(0);
        let f32 = |off: usize| u32_at(fixed, off).unwrap_or(0);
        let (flags, method) = (f16(8), f16(10));
        let (crc, compressed, uncompressed) = (f32(16), f32(20), f32(24));
        let (name_len, extra_len, comment_len) = (usize::from(f16(28)), usize::from(f16(30)), usize::from(f16(32)));
        let (disk_start, header) = (f16(34), f32(42));
        let name_start = pos + CENTRAL_LEN;
        let next = name_start + name_len + extra_len + comment_len;
        if next > eocd {
            return Err(truncated());
        }
        let name = check_name(&b[name_start..name_start + name_len])?;
        let extra = &b[name_start + name_len..name_start + name_len + extra_len];
        pos = next;

        if compressed == 0xFFFF_FFFF || uncompressed == 0xFFFF_FFFF || header == 0xFFFF_FFFF || has_zip64_extra(extra) {
            return Err(Error::new(format!("entry {} uses zip64, which is not supported", show(&name))));
        }
        if disk_start != 0 {
            return Err(Error::new("multi-disk (split or spanned) archives are not supported"));
        }
        if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 || method == METHOD_AES {
            return Err(Error::new(format!(
                "entry {} is encrypted; encrypted archives are not supported",
                show(&name)
            )));
        }
        if method != METHOD_STORED && method != METHOD_DEFLATE {
            return Err(Error::new(format!(
                "entry {} uses an unsupported compression method {method} (only 0, stored, and 8, deflate, are supported)",
                show(&name)
            )));
        }
        if method == METHOD_STORED && compressed != uncompressed {
            return Err(Error::new(format!(
                "entry {} is stored uncompressed but declares {compressed} stored bytes and {uncompressed} bytes of content",
                show(&name)
            )));
        }
        if !seen.insert(name.clone()) {
            return Err(Error::new(format!("the archive has more than one entry named {}", show(&name))));
        }

        // The local header must agree with the central directory.
        let header = header as usize;
        let outside =
            || Error::new(format!("the archive is corrupt: entry {} points outside the archive's data", show(&name)));
        let local = header
            .checked_add(LOCAL_LEN)
            .filter(|&end| end <= cd_start)
            .and_then(|end| b.get(header..end))
            .ok_or_else(outside)?;
        if u32_at(local, 0) != Some(LOCAL_SIG) {
            return Err(Error::new(format!(
                "the archive is corrupt: entry {} has no local header at offset {header}",
                show(&name)
            )));
        }
        let l16 = |off: usize| u16_at(local, off).unwrap_or(0);
        let l32 = |off: usize| u32_at(local, off).unwrap_or(0);
        let (local_name_len, local_extra_len) = (usize::from(l16(26)), usize::from(l16(28)));
        // header + LOCAL_LEN <= cd_start <= b.len(), and the rest are at most 2^32 each.
        let data_start = header + LOCAL_LEN + local_name_len + local_extra_len;
        let data_end = data_start.saturating_add(compressed as usize);
        if data_end > cd_start {
            return Err(Error::new(format!(
                "the archive is truncated or corrupt: the data of entry {} runs past the end of the entries",
                show(&name)
            )));
        }
        let local_name = &b[header + LOCAL_LEN..header + LOCAL_LEN + local_name_len];
        let disagree = |what: &str| {
            Error::new(format!(
                "the archive is corrupt: the local header of entry {} disagrees with the central directory ({what})",
                show(&name)
            ))
        };
        if local_name != name.as_bytes() {
            return Err(disagree("name"));
        }
        if l16(6) & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_DATA_DESCRIPTOR)
            != flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_DATA_DESCRIPTOR)
        {
            return Err(disagree("flags"));
        }
        if l16(8) != method {
            return Err(disagree("compression method"));
        }
        // A local header may give its sizes in a zip64 record even when the central directory
        // needs none (Python's zipfile with force_zip64, which Keras' npz weights use).
        let local_extra = &b[header + LOCAL_LEN + local_name_len..data_start];
        let (local_compressed, local_uncompressed) = match (l32(18), l32(22)) {
            (u32::MAX, u32::MAX) => match local_zip64_sizes(local_extra) {
                Some((c, u)) => (u64::from(c), u64::from(u)),
                None => return Err(disagree("zip64 sizes")),
            },
            (c, u) => (u64::from(c), u64::from(u)),
        };
        if flags & FLAG_DATA_DESCRIPTOR == 0
            && (l32(14) != crc
                || local_compressed != u64::from(compressed)
                || local_uncompressed != u64::from(uncompressed))
        {
            return Err(disagree("CRC or sizes"));
        }
        out.push(Entry { name, method, crc, uncompressed, header, data_start, data_end });
    }
    if pos != eocd {
        return Err(Error::new(format!(
            "the archive is corrupt: its central directory holds {} bytes more than its {entries} entries",
            eocd - pos
        )));
    }

    // No two entries may share bytes (overlapping entries are how the worst zip bombs work).
    let mut spans: Vec<(usize, usize, &str)> = out.iter().map(|e| (e.header, e.data_end, e.name.as_str())).collect();
    spans.sort_unstable();
    for pair in spans.windows(2) {
        if pair[1].0 < pair[0].1 {
            return Err(Error::new(format!(
                "the archive is corrupt: entries {} and {} overlap",
                show(pair[0].2),
                show(pair[1].2)
            )));
        }
    }
    Ok(out)
}

enum Inflate {
    TooBig,
    Corrupt,
    Trailing(usize),
    OutOfMemory(usize),
}

/// Inflates raw deflate data, failing as soon as the output passes `max` bytes. The output
/// buffer is allocated once: `max` is the size the entry declares, and deflate cannot expand
/// data beyond `DEFLATE_MAX_RATIO`, so a small entry that lies about its size costs no more
/// than its data allows. An allocation the system refuses is an error, not an abort.
fn inflate(data: &[u8], max: usize) -> Result<Vec<u8>, Inflate> {
    // One byte of room beyond `max` tells a stream of exactly `max` bytes from a longer one.
    let cap = max.saturating_add(1);
    let ratio_bound = (data.len() as u64).saturating_mul(DEFLATE_MAX_RATIO).saturating_add(64);
    let size = (cap as u64).min(ratio_bound) as usize;
    let mut out = Vec::new();
    out.try_reserve_exact(size).map_err(|_| Inflate::OutOfMemory(size))?;
    out.resize(size, 0);
    let mut state = Box::<DecompressorOxide>::default();
    let (status, read, written) =
        decompress(&mut state, data, &mut out, 0, inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF);
    if written > max {
        return Err(Inflate::TooBig);
    }
    match status {
        TINFLStatus::Done if read == data.len() => {
            out.truncate(written);
            Ok(out)
        }
        TINFLStatus::Done => Err(Inflate::Trailing(data.len() - read)),
        // The buffer was full: the stream holds more than `max` bytes (or more than the ratio
        // bound, which no valid stream does).
        TINFLStatus::HasMoreOutput => Err(Inflate::TooBig),
        _ => Err(Inflate::Corrupt),
    }
}

/// Reads an archive and extracts the `wanted` members that exist. Each member, and all of them
/// together, may hold at most `limit` bytes.
pub fn read(bytes: &[u8], wanted: &[&str], limit: u64) -> Result<Archive, Error> {
    read_with(bytes, wanted, limit, &[])
}

/// [`read`], where the members named in `own` each have a limit of their own, outside the
/// shared one: weights are far larger than any config.
pub fn read_with(bytes: &[u8], wanted: &[&str], limit: u64, own: &[(&str, u64)]) -> Result<Archive, Error> {
    let a = read_borrowed(bytes, wanted, limit, own)?;
    Ok(Archive { names: a.names, members: a.members.into_iter().map(|(n, c)| (n, c.into_owned())).collect() })
}

/// [`read_with`], stored members borrowed from `bytes`: the caller makes the one copy it needs.
pub fn read_borrowed<'a>(
    bytes: &'a [u8],
    wanted: &[&str],
    limit: u64,
    own: &[(&str, u64)],
) -> Result<ArchiveRef<'a>, Error> {
    let entries = parse(bytes)?;
    let by_name: HashMap<&str, &Entry> = entries.iter().map(|e| (e.name.as_str(), e)).collect();
    let shared_limit = usize::try_from(limit).unwrap_or(usize::MAX - 1).min(usize::MAX - 1);
    let mut members: Vec<(String, Cow<'a, [u8]>)> = Vec::new();
    let mut total = 0usize;
    let mut done: HashSet<&str> = HashSet::new();
    for &name in wanted {
        let Some(entry) = by_name.get(name) else {
            continue;
        };
        if !done.insert(name) {
            continue;
        }
        let own_limit = own.iter().find(|(n, _)| *n == name).map(|&(_, l)| usize::try_from(l).unwrap_or(usize::MAX));
        let limit = own_limit.unwrap_or(shared_limit);
        // A member with a limit of its own does not count towards the shared total.
        let total_before = if own_limit.is_some() { 0 } else { total };
        let declared = entry.uncompressed as usize;
        if declared > limit {
            return Err(Error::new(format!(
                "entry {} inflates to more than {limit} bytes (it declares {declared})",
                show(name)
            )));
        }
        if declared > limit - total_before {
            return Err(Error::new(format!(
                "the wanted entries together inflate to more than {limit} bytes (stopped at {})",
                show(name)
            )));
        }
        let data = &bytes[entry.data_start..entry.data_end];
        let content = if entry.method == METHOD_STORED {
            Ok(Cow::Borrowed(data))
        } else {
            // Never more than declared: the declared size was checked against the limit, and
            // inflating stops as soon as the output passes it.
            inflate(data, declared).map(Cow::Owned)
        };
        let content = {
            match content {
                Ok(v) => v,
                Err(Inflate::TooBig) => {
                    return Err(Error::new(format!(
                        "entry {} inflates to more than the {declared} bytes it declares: the archive is corrupt \
                         or a zip bomb",
                        show(name)
                    )))
                }
                Err(Inflate::Corrupt) => {
                    return Err(Error::new(format!("the deflate data of entry {} is corrupt or truncated", show(name))))
                }
                Err(Inflate::Trailing(n)) => {
                    return Err(Error::new(format!(
                        "the deflate data of entry {} is followed by {n} unexpected bytes",
                        show(name)
                    )))
                }
                Err(Inflate::OutOfMemory(n)) => {
                    return Err(Error::new(format!(
                        "the system cannot give the {n} bytes of memory that entry {} needs",
                        show(name)
                    )))
                }
            }
        };
        if content.len() != entry.uncompressed as usize {
            return Err(Error::new(format!(
                "entry {} holds {} bytes but declares {}: the archive is corrupt",
                show(name),
                content.len(),
                entry.uncompressed
            )));
        }
        if crc32(&content) != entry.crc {
            return Err(Error::new(format!("CRC mismatch in entry {}: the archive is corrupt", show(name))));
        }
        if own_limit.is_none() {
            total += content.len();
        }
        members.push((name.to_owned(), content));
    }
    Ok(ArchiveRef { names: entries.into_iter().map(|e| e.name).collect(), members })
}
