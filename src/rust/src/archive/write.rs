//! Writes a zip archive the way Python's `zipfile` writes a `.keras` file: members stored
//! uncompressed, dated 1980-01-01 00:00, made by "Unix, zip 2.0", permissions 0600.

use super::crc32::crc32;
use super::read::{check_name, CENTRAL_SIG, EOCD_SIG, LOCAL_SIG};
use super::{show, Error};
use std::collections::HashSet;

const VERSION: u16 = 20;
const MADE_BY: u16 = (3 << 8) | VERSION;
const FLAG_UTF8: u16 = 0x0800;
/// MS-DOS date of 1980-01-01 (day 1, month 1, year 1980 + 0); the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;
/// Unix permissions 0600 in the high half, as `zipfile.writestr()` sets them.
const EXTERNAL_ATTR: u32 = 0o600 << 16;

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// An archive holding `entries` (name, content), stored, in the order given.
pub fn write(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Error> {
    let too_big =
        || Error::new("the archive would need zip64 (4 GiB or more, or 65 535 entries), which is not supported");
    if entries.len() >= 0xFFFF {
        return Err(too_big());
    }
    let mut seen = HashSet::new();
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    for &(name, content) in entries {
        check_name(name.as_bytes())?;
        if !seen.insert(name) {
            return Err(Error::new(format!("the archive would have more than one entry named {}", show(name))));
        }
        let size = u32::try_from(content.len()).ok().filter(|&s| s < 0xFFFF_FFFF).ok_or_else(too_big)?;
        let offset = u32::try_from(out.len()).ok().filter(|&o| o < 0xFFFF_FFFF).ok_or_else(too_big)?;
        let name_len =
            u16::try_from(name.len()).map_err(|_| Error::new(format!("entry name {} is too long", show(name))))?;
        let flags = if name.is_ascii() { 0 } else { FLAG_UTF8 };
        let crc = crc32(content);

        put32(&mut out, LOCAL_SIG);
        put16(&mut out, VERSION);
        put16(&mut out, flags);
        put16(&mut out, 0); // method: stored
        put16(&mut out, 0); // time
        put16(&mut out, DOS_DATE);
        put32(&mut out, crc);
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0); // extra field length
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(content);

        put32(&mut central, CENTRAL_SIG);
        put16(&mut central, MADE_BY);
        put16(&mut central, VERSION);
        put16(&mut central, flags);
        put16(&mut central, 0);
        put16(&mut central, 0);
        put16(&mut central, DOS_DATE);
        put32(&mut central, crc);
        put32(&mut central, size);
        put32(&mut central, size);
        put16(&mut central, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number start
        put16(&mut central, 0); // internal attributes
        put32(&mut central, EXTERNAL_ATTR);
        put32(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = u32::try_from(out.len()).ok().filter(|&o| o < 0xFFFF_FFFF).ok_or_else(too_big)?;
    let cd_size = u32::try_from(central.len()).map_err(|_| too_big())?;
    if u64::from(cd_offset) + u64::from(cd_size) >= 0xFFFF_FFFF {
        return Err(too_big());
    }
    out.extend_from_slice(&central);
    let count = entries.len() as u16;
    put32(&mut out, EOCD_SIG);
    put16(&mut out, 0); // this disk
    put16(&mut out, 0); // disk of the central directory
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_size);
    put32(&mut out, cd_offset);
    put16(&mut out, 0); // comment length
    Ok(out)
}
