//! Writes a zip archive the way Python's `zipfile` writes a `.keras` file: members stored
//! uncompressed, dated 1980-01-01 00:00, made by "Unix, zip 2.0", permissions 0600.

use super::crc32::Crc32;
use super::read::{check_name, CENTRAL_LEN, CENTRAL_SIG, EOCD_LEN, EOCD_SIG, LOCAL_LEN, LOCAL_SIG};
use super::{show, Error};
use std::collections::HashSet;
use std::io::{Seek, SeekFrom, Write};

const VERSION: u16 = 20;
const MADE_BY: u16 = (3 << 8) | VERSION;
const FLAG_UTF8: u16 = 0x0800;
/// MS-DOS date of 1980-01-01 (day 1, month 1, year 1980 + 0); the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Unix permissions 0600 in the high half, as `zipfile.writestr()` sets them.
const EXTERNAL_ATTR: u32 = 0o600 << 16;

fn too_big() -> Error {
    Error::new("the archive would need zip64 (4 GiB or more, or 65 535 entries), which is not supported")
}

/// Checks `entries` (names safe and distinct, every size and offset within 32 bits) and returns
/// the size of the archive that holds them.
pub fn size(entries: &[(&str, &[u8])]) -> Result<usize, Error> {
    size_of(&entries.iter().map(|&(n, c)| (n, c.len())).collect::<Vec<_>>())
}

/// [`size`] from names and content sizes.
pub fn size_of(entries: &[(&str, usize)]) -> Result<usize, Error> {
    if entries.len() >= 0xFFFF {
        return Err(too_big());
    }
    let mut seen = HashSet::new();
    let mut offset: u64 = 0;
    let mut central: u64 = 0;
    for &(name, len) in entries {
        check_name(name.as_bytes())?;
        if !seen.insert(name) {
            return Err(Error::new(format!("the archive would have more than one entry named {}", show(name))));
        }
        if name.len() > usize::from(u16::MAX) {
            return Err(Error::new(format!("entry name {} is too long", show(name))));
        }
        if len as u64 >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF {
            return Err(too_big());
        }
        offset += (LOCAL_LEN + name.len() + len) as u64;
        central += (CENTRAL_LEN + name.len()) as u64;
    }
    if offset >= 0xFFFF_FFFF || offset + central >= 0xFFFF_FFFF {
        return Err(too_big());
    }
    usize::try_from(offset + central + EOCD_LEN as u64).map_err(|_| too_big())
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn flags(name: &str) -> u16 {
    if name.is_ascii() {
        0
    } else {
        FLAG_UTF8
    }
}

/// The local header of a member (its CRC at offset 14). Sizes fit: [`size_of`] checked them.
fn local_header(name: &str, crc: u32, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(LOCAL_LEN + name.len());
    put32(&mut out, LOCAL_SIG);
    put16(&mut out, VERSION);
    put16(&mut out, flags(name));
    put16(&mut out, 0); // method: stored
    put16(&mut out, 0); // time
    put16(&mut out, DOS_DATE);
    put32(&mut out, crc);
    put32(&mut out, len as u32);
    put32(&mut out, len as u32);
    put16(&mut out, name.len() as u16);
    put16(&mut out, 0); // extra field length
    out.extend_from_slice(name.as_bytes());
    out
}

/// The central directory and end record of members (name, size, CRC, offset).
fn directory(members: &[(&str, usize, u32, usize)], cd_offset: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for &(name, len, crc, offset) in members {
        put32(&mut out, CENTRAL_SIG);
        put16(&mut out, MADE_BY);
        put16(&mut out, VERSION);
        put16(&mut out, flags(name));
        put16(&mut out, 0);
        put16(&mut out, 0);
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, len as u32);
        put32(&mut out, len as u32);
        put16(&mut out, name.len() as u16);
        put16(&mut out, 0); // extra field length
        put16(&mut out, 0); // comment length
        put16(&mut out, 0); // disk number start
        put16(&mut out, 0); // internal attributes
        put32(&mut out, EXTERNAL_ATTR);
        put32(&mut out, offset as u32);
        out.extend_from_slice(name.as_bytes());
    }
    let cd_size = out.len();
    let count = members.len() as u16;
    put32(&mut out, EOCD_SIG);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk of the central directory
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size as u32);
    put32(&mut out, cd_offset as u32);
    put16(&mut out, 0); // comment length
    out
}

/// An archive holding `entries` (name, content), stored, in the order given (for the tests and the
/// fuzz target; R's archives are written into R's memory or a file).
#[cfg(any(test, fuzzing))]
pub fn write(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0; size(entries)?];
    write_into(entries, &mut out)?;
    Ok(out)
}

/// Writes the archive holding `entries` into `buf`, which must have exactly the [`size`] that
/// accepted them (each content is copied once, its CRC summed on the way, in blocks that stay
/// in cache between the two).
pub fn write_into(entries: &[(&str, &[u8])], buf: &mut [u8]) -> Result<(), Error> {
    if size(entries)? != buf.len() {
        return Err(Error::new("the archive buffer does not have the archive's size"));
    }
    const BLOCK: usize = 1 << 16;
    let mut pos = 0;
    let mut members = Vec::with_capacity(entries.len());
    for &(name, content) in entries {
        let header = local_header(name, 0, content.len());
        buf[pos..pos + header.len()].copy_from_slice(&header);
        let mut crc = Crc32::default();
        let mut at = pos + header.len();
        for block in content.chunks(BLOCK) {
            crc.update(block);
            buf[at..at + block.len()].copy_from_slice(block);
            at += block.len();
        }
        buf[pos + 14..pos + 18].copy_from_slice(&crc.value().to_le_bytes());
        members.push((name, content.len(), crc.value(), pos));
        pos = at;
    }
    let dir = directory(&members, pos);
    buf[pos..].copy_from_slice(&dir);
    Ok(())
}

/// A member's content, given in pieces (an HDF5 file whose weights are encoded as they go).
pub trait Content {
    /// Its size.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Gives every byte, in order, to `sink`.
    fn emit(&self, sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> Result<(), StreamError>;
}

impl Content for &[u8] {
    fn len(&self) -> usize {
        <[u8]>::len(self)
    }
    fn emit(&self, sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>) -> Result<(), StreamError> {
        sink(self).map_err(StreamError::Io)
    }
}

/// Why streaming an archive failed: writing (the file system), or the archive or a member.
#[derive(Debug)]
pub enum StreamError {
    Io(std::io::Error),
    Archive(Error),
}

/// Writes the archive holding `entries` to `out` as it goes (no copy of it in memory): each
/// local header is written with its CRC left blank and completed once its content has passed.
pub fn write_to<W: Write + Seek>(entries: &[(&str, &dyn Content)], out: &mut W) -> Result<(), StreamError> {
    let lens: Vec<(&str, usize)> = entries.iter().map(|&(n, c)| (n, c.len())).collect();
    size_of(&lens).map_err(StreamError::Archive)?;
    let mut pos = 0;
    let mut members = Vec::with_capacity(entries.len());
    for &(name, content) in entries {
        let len = content.len();
        let header = local_header(name, 0, len);
        out.write_all(&header).map_err(StreamError::Io)?;
        let mut crc = Crc32::default();
        let mut written = 0usize;
        content.emit(&mut |bytes| {
            crc.update(bytes);
            written += bytes.len();
            out.write_all(bytes)
        })?;
        if written != len {
            return Err(StreamError::Archive(Error::new(format!(
                "entry {} gave {written} bytes, not the {len} it declared",
                show(name)
            ))));
        }
        let end = pos + header.len() + len;
        out.seek(SeekFrom::Start((pos + 14) as u64)).map_err(StreamError::Io)?;
        out.write_all(&crc.value().to_le_bytes()).map_err(StreamError::Io)?;
        out.seek(SeekFrom::Start(end as u64)).map_err(StreamError::Io)?;
        members.push((name, len, crc.value(), pos));
        pos = end;
    }
    out.write_all(&directory(&members, pos)).map_err(StreamError::Io)?;
    out.flush().map_err(StreamError::Io)
}
