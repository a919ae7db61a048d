//! Writes a zip archive the way Python's `zipfile` writes a `.keras` file: members stored
//! uncompressed, dated 1980-01-01 00:00, made by "Unix, zip 2.0", permissions 0600.

use super::crc32::Crc32;
use super::read::{check_name, CENTRAL_LEN, CENTRAL_SIG, EOCD_LEN, EOCD_SIG, LOCAL_LEN, LOCAL_SIG};
use super::{show, Error};
use std::collections::HashSet;

const VERSION: u16 = 20;
const MADE_BY: u16 = (3 << 8) | VERSION;
const FLAG_UTF8: u16 = 0x0800;
/// MS-DOS date of 1980-01-01 (day 1, month 1, year 1980 + 0); the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Unix permissions 0600 in the high half, as `zipfile.writestr()` sets them.
const EXTERNAL_ATTR: u32 = 0o600 << 16;

/// Appends little-endian fields at a position of a pre-sized buffer.
struct Out<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Out<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf[self.pos..self.pos + bytes.len()].copy_from_slice(bytes);
        self.pos += bytes.len();
    }
    fn put16(&mut self, v: u16) {
        self.put(&v.to_le_bytes());
    }
    fn put32(&mut self, v: u32) {
        self.put(&v.to_le_bytes());
    }
}

/// Copies `content` in blocks small enough to stay in cache while each is summed: the data is
/// read from memory once for both.
fn copy_summing(out: &mut Out, content: &[u8]) -> u32 {
    const BLOCK: usize = 1 << 16;
    let mut crc = Crc32::default();
    for block in content.chunks(BLOCK) {
        crc.update(block);
        out.put(block);
    }
    crc.value()
}

fn too_big() -> Error {
    Error::new("the archive would need zip64 (4 GiB or more, or 65 535 entries), which is not supported")
}

/// Checks `entries` (names safe and distinct, every size and offset within 32 bits) and returns
/// the size of the archive that holds them.
pub fn size(entries: &[(&str, &[u8])]) -> Result<usize, Error> {
    if entries.len() >= 0xFFFF {
        return Err(too_big());
    }
    let mut seen = HashSet::new();
    let mut offset: u64 = 0;
    let mut central: u64 = 0;
    for &(name, content) in entries {
        check_name(name.as_bytes())?;
        if !seen.insert(name) {
            return Err(Error::new(format!("the archive would have more than one entry named {}", show(name))));
        }
        if name.len() > usize::from(u16::MAX) {
            return Err(Error::new(format!("entry name {} is too long", show(name))));
        }
        if content.len() as u64 >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF {
            return Err(too_big());
        }
        offset += (LOCAL_LEN + name.len() + content.len()) as u64;
        central += (CENTRAL_LEN + name.len()) as u64;
    }
    if offset >= 0xFFFF_FFFF || offset + central >= 0xFFFF_FFFF {
        return Err(too_big());
    }
    usize::try_from(offset + central + EOCD_LEN as u64).map_err(|_| too_big())
}

/// An archive holding `entries` (name, content), stored, in the order given.
pub fn write(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    let mut out = vec![0; size(entries)?];
    write_into(entries, &mut out)?;
    Ok(out)
}

/// Writes the archive holding `entries` into `buf`, which must have exactly the [`size`] that
/// accepted them (each content is copied once, its CRC summed on the way).
pub fn write_into(entries: &[(&str, &[u8])], buf: &mut [u8]) -> Result<(), Error> {
    if size(entries)? != buf.len() {
        return Err(Error::new("the archive buffer does not have the archive's size"));
    }
    let mut out = Out { buf, pos: 0 };
    let mut crcs = Vec::with_capacity(entries.len());
    let mut offsets = Vec::with_capacity(entries.len());
    // Sizes, offsets and name lengths all fit: size() checked them.
    for &(name, content) in entries {
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let header = out.pos;
        offsets.push(header as u32);
        out.put32(LOCAL_SIG);
        out.put16(VERSION);
        out.put16(flags);
        out.put16(0); // method: stored
        out.put16(0); // time
        out.put16(DOS_DATE);
        out.put32(0); // CRC, set below
        out.put32(content.len() as u32);
        out.put32(content.len() as u32);
        out.put16(name.len() as u16);
        out.put16(0); // extra field length
        out.put(name.as_bytes());
        let crc = copy_summing(&mut out, content);
        out.buf[header + 14..header + 18].copy_from_slice(&crc.to_le_bytes());
        crcs.push(crc);
    }
    let cd_offset = out.pos;
    for (i, &(name, content)) in entries.iter().enumerate() {
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        out.put32(CENTRAL_SIG);
        out.put16(MADE_BY);
        out.put16(VERSION);
        out.put16(flags);
        out.put16(0);
        out.put16(0);
        out.put16(DOS_DATE);
        out.put32(crcs[i]);
        out.put32(content.len() as u32);
        out.put32(content.len() as u32);
        out.put16(name.len() as u16);
        out.put16(0); // extra field length
        out.put16(0); // comment length
        out.put16(0); // disk number start
        out.put16(0); // internal attributes
        out.put32(EXTERNAL_ATTR);
        out.put32(offsets[i]);
        out.put(name.as_bytes());
    }
    let cd_size = out.pos - cd_offset;
    let count = entries.len() as u16;
    out.put32(EOCD_SIG);
    out.put16(0); // this disk
    out.put16(0); // disk of the central directory
    out.put16(count);
    out.put16(count);
    out.put32(cd_size as u32);
    out.put32(cd_offset as u32);
    out.put16(0); // comment length
    Ok(())
}
