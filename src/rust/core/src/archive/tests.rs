//! Tests of the archive reader and writer. Hostile archives are built here by a small zip writer
//! whose every field can be set by hand.

use super::crc32::crc32;
use super::read::{read, read_with};
use super::write::write;
use miniz_oxide::deflate::compress_to_vec;

const MIB: u64 = 1 << 20;

/// One entry of a hand-built archive. `data` is what is stored (already compressed for
/// method 8); the other fields are written as given.
#[derive(Clone)]
struct TestEntry {
    name: Vec<u8>,
    local_name: Option<Vec<u8>>,
    data: Vec<u8>,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: u32,
    uncompressed: u32,
    cd_extra: Vec<u8>,
    /// Overrides the local header offset written in the central directory.
    offset: Option<u32>,
    disk_start: u16,
}

fn stored(name: &str, content: &[u8]) -> TestEntry {
    TestEntry {
        name: name.as_bytes().to_vec(),
        local_name: None,
        data: content.to_vec(),
        method: 0,
        flags: 0,
        crc: crc32(content),
        compressed: content.len() as u32,
        uncompressed: content.len() as u32,
        cd_extra: Vec::new(),
        offset: None,
        disk_start: 0,
    }
}

fn deflated(name: &str, content: &[u8]) -> TestEntry {
    let data = compress_to_vec(content, 9);
    TestEntry { compressed: data.len() as u32, data, method: 8, ..stored(name, content) }
}

#[derive(Default, Clone)]
struct Options {
    comment: Vec<u8>,
    disk: u16,
    cd_disk: u16,
    /// Overrides (this disk's count, total count).
    counts: Option<(u16, u16)>,
    /// Bytes between the entries and the central directory.
    gap: Vec<u8>,
    prefix: Vec<u8>,
}

fn p16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn p32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_le_bytes());
}

fn build_with(entries: &[TestEntry], o: &Options) -> Vec<u8> {
    let mut out = o.prefix.clone();
    let mut cd = Vec::new();
    for e in entries {
        let offset = out.len() as u32;
        let local_name = e.local_name.clone().unwrap_or_else(|| e.name.clone());
        p32(&mut out, 0x0403_4b50);
        p16(&mut out, 20);
        p16(&mut out, e.flags);
        p16(&mut out, e.method);
        p16(&mut out, 0);
        p16(&mut out, 0x21);
        p32(&mut out, e.crc);
        p32(&mut out, e.compressed);
        p32(&mut out, e.uncompressed);
        p16(&mut out, local_name.len() as u16);
        p16(&mut out, 0);
        out.extend_from_slice(&local_name);
        out.extend_from_slice(&e.data);

        p32(&mut cd, 0x0201_4b50);
        p16(&mut cd, 0x0314);
        p16(&mut cd, 20);
        p16(&mut cd, e.flags);
        p16(&mut cd, e.method);
        p16(&mut cd, 0);
        p16(&mut cd, 0x21);
        p32(&mut cd, e.crc);
        p32(&mut cd, e.compressed);
        p32(&mut cd, e.uncompressed);
        p16(&mut cd, e.name.len() as u16);
        p16(&mut cd, e.cd_extra.len() as u16);
        p16(&mut cd, 0);
        p16(&mut cd, e.disk_start);
        p16(&mut cd, 0);
        p32(&mut cd, 0o600 << 16);
        p32(&mut cd, e.offset.unwrap_or(offset));
        cd.extend_from_slice(&e.name);
        cd.extend_from_slice(&e.cd_extra);
    }
    out.extend_from_slice(&o.gap);
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&cd);
    let (this, total) = o.counts.unwrap_or((entries.len() as u16, entries.len() as u16));
    p32(&mut out, 0x0605_4b50);
    p16(&mut out, o.disk);
    p16(&mut out, o.cd_disk);
    p16(&mut out, this);
    p16(&mut out, total);
    p32(&mut out, cd.len() as u32);
    p32(&mut out, cd_offset);
    p16(&mut out, o.comment.len() as u16);
    out.extend_from_slice(&o.comment);
    out
}

fn build(entries: &[TestEntry]) -> Vec<u8> {
    build_with(entries, &Options::default())
}

const CONFIG: &[u8] = br#"{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": []}}"#;
const META: &[u8] = br#"{"keras_version": "3.15.1", "date_saved": "2026-11-28@21:51:34"}"#;

fn err(bytes: &[u8], limit: u64) -> String {
    match read(bytes, &["config.json", "metadata.json"], limit) {
        Ok(a) => panic!("expected an error, read {:?}", a.names),
        Err(e) => e.0,
    }
}

fn assert_err(bytes: &[u8], needle: &str) {
    let message = err(bytes, 256 * MIB);
    assert!(message.contains(needle), "message {message:?} lacks {needle:?}");
}

#[test]
fn reads_stored_and_deflated_members() {
    let bytes =
        build(&[stored("metadata.json", META), deflated("config.json", CONFIG), stored("model.weights.h5", b"HDF")]);
    let a = read(&bytes, &["config.json", "metadata.json", "absent.json", "config.json"], 256 * MIB).unwrap();
    assert_eq!(a.names, ["metadata.json", "config.json", "model.weights.h5"]);
    assert_eq!(a.members.len(), 2);
    assert_eq!(a.members[0], ("config.json".to_owned(), CONFIG.to_vec()));
    assert_eq!(a.members[1], ("metadata.json".to_owned(), META.to_vec()));
    // Members that are not wanted are never extracted.
    let a = read(&bytes, &[], 0).unwrap();
    assert!(a.members.is_empty());
}

#[test]
fn reads_empty_archives_and_members() {
    let a = read(&build(&[]), &["config.json"], MIB).unwrap();
    assert!(a.names.is_empty() && a.members.is_empty());
    let a = read(&build(&[stored("config.json", b""), deflated("x/", b"")]), &["config.json", "x/"], MIB).unwrap();
    assert_eq!(a.members[0].1, b"");
    assert_eq!(a.members[1].1, b"");
}

#[test]
fn reads_archives_with_a_comment() {
    let o = Options { comment: b"a comment with PK\x05\x06 inside".to_vec(), ..Options::default() };
    let a = read(&build_with(&[stored("config.json", CONFIG)], &o), &["config.json"], MIB).unwrap();
    assert_eq!(a.members[0].1, CONFIG);
    let o = Options { comment: vec![b'z'; 0xFFFF], ..Options::default() };
    let a = read(&build_with(&[stored("config.json", CONFIG)], &o), &["config.json"], MIB).unwrap();
    assert_eq!(a.members[0].1, CONFIG);
}

#[test]
fn writer_output_reads_back_and_matches_keras_layout() {
    let bytes = write(&[("metadata.json", META), ("config.json", CONFIG), ("d\u{e9}j\u{e0}.json", b"{}")]).unwrap();
    let a = read(&bytes, &["config.json", "metadata.json", "d\u{e9}j\u{e0}.json"], MIB).unwrap();
    assert_eq!(a.names, ["metadata.json", "config.json", "d\u{e9}j\u{e0}.json"]);
    assert_eq!(a.members[0].1, CONFIG);
    assert_eq!(a.members[1].1, META);
    // The first local header, byte for byte as Python's zipfile writes it in a .keras file.
    let mut expected = vec![0x50, 0x4b, 3, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0];
    expected.extend_from_slice(&crc32(META).to_le_bytes());
    expected.extend_from_slice(&(META.len() as u32).to_le_bytes());
    expected.extend_from_slice(&(META.len() as u32).to_le_bytes());
    expected.extend_from_slice(&[13, 0, 0, 0]);
    expected.extend_from_slice(b"metadata.json");
    assert_eq!(&bytes[..expected.len()], &expected[..]);
    assert_eq!(&bytes[bytes.len() - 22..bytes.len() - 18], b"PK\x05\x06");
    // The same bytes as the hand-built archive, apart from the UTF-8 flag of the third name.
    let again = write(&[("metadata.json", META), ("config.json", CONFIG)]).unwrap();
    assert_eq!(again, build(&[stored("metadata.json", META), stored("config.json", CONFIG)]));
    assert_eq!(write(&[]).unwrap().len(), 22);
}

#[test]
fn writer_refuses_bad_names() {
    for name in ["../config.json", "/etc/passwd", "a\\b", "", "a\0b", "C:/x"] {
        assert!(write(&[(name, b"x")]).is_err(), "{name:?}");
    }
    let e = write(&[("a", b"x"), ("a", b"y")]).unwrap_err();
    assert!(e.0.contains("more than one entry named 'a'"), "{e}");
}

#[test]
fn rejects_what_is_not_a_zip() {
    assert_err(b"", "not a zip archive");
    assert_err(b"PK", "not a zip archive");
    assert_err(b"{\"class_name\": \"Dense\"}", "not a zip archive");
    assert_err(&[0u8; 100], "not a zip archive");
}

#[test]
fn rejects_truncated_archives() {
    let bytes = build(&[stored("metadata.json", META), stored("config.json", CONFIG)]);
    for cut in [bytes.len() - 1, bytes.len() - 10, bytes.len() - 30, bytes.len() / 2, 40, 4] {
        assert_err(&bytes[..cut], "truncated");
    }
    // Garbage after the end record: the record no longer ends the file.
    let mut longer = bytes.clone();
    longer.extend_from_slice(b"junk");
    assert_err(&longer, "truncated or corrupt");
}

#[test]
fn rejects_path_traversal_and_odd_names() {
    for (name, why) in [
        ("../config.json", "'..' component"),
        ("assets/../../evil", "'..' component"),
        ("..", "'..' component"),
        ("/etc/passwd", "absolute"),
        ("a\\b", "backslash"),
        ("..\\evil", "backslash"),
        ("C:evil", "drive letter"),
        ("a\nb", "control character"),
    ] {
        let bytes = build(&[stored("config.json", CONFIG), stored(name, b"x")]);
        let message = err(&bytes, MIB);
        assert!(
            message.contains("does not belong in a .keras archive") && message.contains(why),
            "{name:?}: {message}"
        );
    }
    let mut nul = stored("a", b"x");
    nul.name = b"a\0b".to_vec();
    nul.local_name = Some(nul.name.clone());
    assert_err(&build(&[nul]), "NUL byte");
    let mut latin1 = stored("a", b"x");
    latin1.name = b"caf\xe9".to_vec();
    latin1.local_name = Some(latin1.name.clone());
    assert_err(&build(&[latin1]), "not valid UTF-8");
    assert_err(&build(&[stored("", b"x")]), "empty name");
}

#[test]
fn rejects_duplicate_names() {
    let bytes = build(&[stored("config.json", CONFIG), stored("config.json", b"{}")]);
    assert_err(&bytes, "more than one entry named 'config.json'");
}

#[test]
fn rejects_unsupported_methods_and_encryption() {
    let mut bzip = stored("config.json", CONFIG);
    bzip.method = 12;
    assert_err(&build(&[bzip]), "entry 'config.json' uses an unsupported compression method 12");
    let mut enc = stored("config.json", CONFIG);
    enc.flags = 1;
    assert_err(&build(&[enc]), "encrypted");
    let mut strong = stored("config.json", CONFIG);
    strong.flags = 0x41;
    assert_err(&build(&[strong]), "encrypted");
    let mut aes = stored("config.json", CONFIG);
    aes.method = 99;
    assert_err(&build(&[aes]), "encrypted");
    // Also when the entry is not one that is read.
    let mut weights = stored("model.weights.h5", b"HDF");
    weights.method = 14;
    assert_err(&build(&[stored("config.json", CONFIG), weights]), "unsupported compression method 14");
}

#[test]
fn rejects_zip64_and_multi_disk() {
    let mut big = stored("config.json", CONFIG);
    big.uncompressed = 0xFFFF_FFFF;
    assert_err(&build(&[big]), "zip64");
    let mut extra = stored("config.json", CONFIG);
    extra.cd_extra = vec![1, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    assert_err(&build(&[extra]), "zip64");
    let o = Options { counts: Some((0xFFFF, 0xFFFF)), ..Options::default() };
    assert_err(&build_with(&[stored("config.json", CONFIG)], &o), "zip64");
    // A zip64 end-of-central-directory locator just before the end record.
    let mut entry = stored("config.json", CONFIG);
    let mut with_locator = build(&[entry.clone()]);
    let eocd = with_locator.len() - 22;
    let mut locator = vec![0x50, 0x4b, 6, 7];
    locator.extend_from_slice(&[0; 16]);
    with_locator.splice(eocd..eocd, locator);
    assert_err(&with_locator, "zip64");

    let o = Options { disk: 1, ..Options::default() };
    assert_err(&build_with(&[entry.clone()], &o), "multi-disk");
    let o = Options { cd_disk: 2, ..Options::default() };
    assert_err(&build_with(&[entry.clone()], &o), "multi-disk");
    let o = Options { counts: Some((0, 1)), ..Options::default() };
    assert_err(&build_with(&[entry.clone()], &o), "multi-disk");
    entry.disk_start = 1;
    assert_err(&build(&[entry]), "multi-disk");
}

#[test]
fn rejects_out_of_bounds_and_overlapping_entries() {
    let mut far = stored("config.json", CONFIG);
    far.offset = Some(1_000_000);
    assert_err(&build(&[far]), "points outside");
    let mut long = stored("config.json", CONFIG);
    long.compressed = 1_000;
    long.uncompressed = 1_000;
    assert_err(&build(&[long]), "runs past the end");
    // Two central directory entries pointing at the same local header.
    let first = stored("config.json", CONFIG);
    let mut second = stored("metadata.json", META);
    second.offset = Some(0);
    second.local_name = Some(b"metadata.json".to_vec());
    let bytes = build(&[first, second]);
    let message = err(&bytes, MIB);
    assert!(message.contains("disagrees") || message.contains("overlap"), "{message}");
    // A local header that disagrees with the central directory.
    let mut liar = stored("config.json", CONFIG);
    liar.local_name = Some(b"config.jsoN".to_vec());
    assert_err(&build(&[liar]), "disagrees");
    // Bytes between the entries and the central directory are fine; inside the central
    // directory (beyond its entries) they are not.
    let o = Options { gap: b"padding".to_vec(), ..Options::default() };
    assert!(read(&build_with(&[stored("config.json", CONFIG)], &o), &["config.json"], MIB).is_ok());
    let o = Options { counts: Some((0, 0)), ..Options::default() };
    assert_err(&build_with(&[stored("config.json", CONFIG)], &o), "bytes more than");
    let o = Options { counts: Some((5, 5)), ..Options::default() };
    assert_err(&build_with(&[stored("config.json", CONFIG)], &o), "too small");
    // Data before the first entry (a self-extracting stub) is not accepted.
    let o = Options { prefix: b"MZ stub".to_vec(), ..Options::default() };
    assert_err(&build_with(&[stored("config.json", CONFIG)], &o), "not a zip archive");
}

#[test]
fn overlapping_spans_are_detected_directly() {
    // Entry b's header lies inside entry a's data (a's data was built to include it).
    let b_entry = stored("b", b"bbbb");
    let b_local_len = 30 + 1 + 4;
    let b_local = build(std::slice::from_ref(&b_entry))[..b_local_len].to_vec();
    let a_content = [b"aaaa".as_slice(), &b_local].concat();
    let mut a_entry = stored("a", &a_content);
    a_entry.data = a_content.clone();
    let mut b_shifted = b_entry;
    b_shifted.offset = Some((30 + 1 + 4) as u32);
    // Place only a's local header and data (b's bytes already inside it), then the CD.
    let mut out = Vec::new();
    let full = build(&[a_entry.clone()]);
    out.extend_from_slice(&full[..30 + 1 + a_content.len()]);
    let cd_offset = out.len() as u32;
    let mut cd = full[30 + 1 + a_content.len()..full.len() - 22].to_vec();
    let b_cd = {
        let single = build(&[b_shifted.clone()]);
        single[b_local_len..single.len() - 22].to_vec()
    };
    cd.extend_from_slice(&b_cd);
    out.extend_from_slice(&cd);
    p32(&mut out, 0x0605_4b50);
    p16(&mut out, 0);
    p16(&mut out, 0);
    p16(&mut out, 2);
    p16(&mut out, 2);
    p32(&mut out, cd.len() as u32);
    p32(&mut out, cd_offset);
    p16(&mut out, 0);
    assert_err(&out, "entries 'a' and 'b' overlap");
}

#[test]
fn rejects_bad_crc_sizes_and_deflate_data() {
    let mut bad_crc = stored("config.json", CONFIG);
    bad_crc.crc ^= 1;
    assert_err(&build(&[bad_crc]), "CRC mismatch in entry 'config.json'");
    let mut bad_crc = deflated("config.json", CONFIG);
    bad_crc.crc ^= 1;
    assert_err(&build(&[bad_crc]), "CRC mismatch in entry 'config.json'");
    let mut short = deflated("config.json", CONFIG);
    short.uncompressed -= 1;
    assert_err(&build(&[short]), "inflates to more than the 85 bytes it declares");
    let mut long = deflated("config.json", CONFIG);
    long.uncompressed += 1;
    assert_err(&build(&[long]), "holds");
    let mut stored_sizes = stored("config.json", CONFIG);
    stored_sizes.uncompressed += 1;
    assert_err(&build(&[stored_sizes]), "stored uncompressed but declares");
    let mut garbage = deflated("config.json", CONFIG);
    garbage.data = vec![0xFF; 40];
    garbage.compressed = 40;
    assert_err(&build(&[garbage]), "corrupt or truncated");
    let mut cut = deflated("config.json", CONFIG);
    cut.data.truncate(cut.data.len() / 2);
    cut.compressed = cut.data.len() as u32;
    assert_err(&build(&[cut]), "corrupt or truncated");
    let mut trailing = deflated("config.json", CONFIG);
    trailing.data.extend_from_slice(b"xyz");
    trailing.compressed += 3;
    assert_err(&build(&[trailing]), "followed by 3 unexpected bytes");
}

#[test]
fn zip_bombs_stop_at_the_limit() {
    // 64 MiB of zeros deflates to about 64 KiB; the entry claims 1 KiB.
    let zeros = vec![0u8; 64 << 20];
    let mut bomb = deflated("config.json", &zeros);
    assert!(bomb.data.len() < 100_000);
    bomb.uncompressed = 1024;
    let bytes = build(&[bomb.clone()]);
    // Inflating stops just past the declared size, well before the limit.
    let message = err(&bytes, 256 * MIB);
    assert!(message.starts_with("entry 'config.json' inflates to more than the 1024 bytes it declares"), "{message}");
    let message = err(&bytes, MIB);
    assert!(message.starts_with("entry 'config.json' inflates to more than the 1024 bytes it declares"), "{message}");
    // Declared sizes over the limit are refused before inflating.
    bomb.uncompressed = 64 << 20;
    let message = err(&build(&[bomb]), MIB);
    assert!(message.starts_with("entry 'config.json' inflates to more than 1048576 bytes (it declares"), "{message}");
    // Stored entries too.
    let message = err(&build(&[stored("config.json", &[b' '; 2000])]), 1000);
    assert!(message.contains("inflates to more than 1000 bytes"), "{message}");
    // Exactly at the limit is fine.
    let a = read(&build(&[deflated("config.json", &[b' '; 1000])]), &["config.json"], 1000).unwrap();
    assert_eq!(a.members[0].1.len(), 1000);
    let a = read(&build(&[stored("config.json", &[b' '; 1000])]), &["config.json"], 1000).unwrap();
    assert_eq!(a.members[0].1.len(), 1000);
    // The limit covers all wanted entries together.
    let two = build(&[deflated("config.json", &[b' '; 700]), deflated("metadata.json", &[b' '; 700])]);
    let message = err(&two, 1000);
    assert!(message.contains("together inflate to more than 1000 bytes"), "{message}");
    let mut liar = deflated("metadata.json", &[b' '; 700]);
    liar.uncompressed = 10;
    let message = err(&build(&[deflated("config.json", &[b' '; 700]), liar]), 1000);
    assert!(message.contains("inflates to more than the 10 bytes it declares"), "{message}");
    // A truthful 64 MiB member is read under a 64 MiB limit.
    let a = read(&build(&[deflated("config.json", &zeros)]), &["config.json"], 64 * MIB).unwrap();
    assert_eq!(a.members[0].1.len(), 64 << 20);
}

/// A tiny deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        match rng.below(7) {
            0 => {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 => {
                let i = rng.below(v.len());
                if let Some(b) = v.get_mut(i) {
                    *b = [0, 0xFF, 0x7F, 0x80, 1][rng.below(5)];
                }
            }
            2 => {
                let len = rng.below(v.len() + 1);
                v.truncate(len);
            }
            3 => {
                let i = rng.below(v.len() + 1);
                let n = rng.below(8);
                for _ in 0..n {
                    v.insert(i.min(v.len()), rng.next() as u8);
                }
            }
            4 => {
                // A 16- or 32-bit field set to an interesting value.
                let i = rng.below(v.len());
                let value: u32 = [0, 1, 0xFFFF, 0xFFFF_FFFF, 0x7FFF_FFFF, 30, v.len() as u32][rng.below(7)];
                for (k, byte) in value.to_le_bytes().iter().enumerate().take(2 + 2 * rng.below(2)) {
                    if let Some(b) = v.get_mut(i + k) {
                        *b = *byte;
                    }
                }
            }
            5 => {
                let i = rng.below(v.len());
                let n = rng.below(16).min(v.len() - i.min(v.len()));
                v.drain(i..i + n);
            }
            _ => {
                // Copy a chunk from elsewhere (duplicates headers and signatures).
                if v.len() > 8 {
                    let from = rng.below(v.len() - 4);
                    let to = rng.below(v.len() - 4);
                    let n = rng.below(46).min(v.len() - from.max(to));
                    let chunk = v[from..from + n].to_vec();
                    v[to..to + n].copy_from_slice(&chunk);
                }
            }
        }
    }
    v
}

#[test]
fn random_mutations_never_panic() {
    let config = CONFIG.repeat(20);
    let seeds = [
        build(&[stored("metadata.json", META), stored("config.json", CONFIG), stored("model.weights.h5", b"HDF5")]),
        build(&[
            stored("metadata.json", META),
            deflated("config.json", &config),
            deflated("model.weights.h5", &[7; 3000]),
        ]),
        write(&[("metadata.json", META), ("config.json", CONFIG)]).unwrap(),
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut ok, mut refused) = (0, 0);
    // KC_FUZZ_ROUNDS=1000000 cargo test --release random_mutations for a longer run.
    let rounds: usize = std::env::var("KC_FUZZ_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30_000);
    for round in 0..rounds {
        let seed = &seeds[round % seeds.len()];
        let input = mutate(&mut rng, seed);
        match read(&input, &["config.json", "metadata.json", "model.weights.h5"], 64 * 1024) {
            Ok(a) => {
                ok += 1;
                let total: usize = a.members.iter().map(|(_, c)| c.len()).sum();
                assert!(total <= 64 * 1024);
            }
            Err(e) => {
                refused += 1;
                assert!(!e.0.is_empty());
            }
        }
    }
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn messages_escape_hostile_names() {
    let bytes = build(&[stored("config.json", CONFIG), stored("../\u{1b}[31mred", b"x")]);
    let message = err(&bytes, MIB);
    assert!(!message.contains('\u{1b}'), "{message}");
    assert!(message.contains("\\u{1b}"), "{message}");
}

#[test]
fn weights_have_a_limit_of_their_own_outside_the_configs_shared_one() {
    let archive = build(&[
        deflated("config.json", &[b' '; 700]),
        deflated("model.weights.h5", &[7u8; 5000]),
        deflated("metadata.json", &[b' '; 200]),
    ]);
    let wanted = ["config.json", "model.weights.h5", "metadata.json"];
    // Under the shared limit alone the weights are refused...
    let shared = read(&archive, &wanted, 1000).map(|_| ()).unwrap_err().0;
    assert!(shared.contains("model.weights.h5"), "{shared}");
    // ...with a limit of their own they are read, and do not count towards the configs' total.
    let a = read_with(&archive, &wanted, 1000, &[("model.weights.h5", 5000)]).unwrap();
    assert_eq!(a.members.iter().map(|(_, c)| c.len()).collect::<Vec<_>>(), [700, 5000, 200]);
    // Their own limit still binds them.
    let own = read_with(&archive, &wanted, 1000, &[("model.weights.h5", 4999)]).map(|_| ()).unwrap_err().0;
    assert!(own.contains("inflates to more than 4999 bytes"), "{own}");
}

#[test]
fn streaming_to_a_file_writes_the_same_bytes_as_writing_in_memory() {
    use super::write::{write_to, Content};
    let big: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let entries: Vec<(&str, &[u8])> =
        vec![("metadata.json", META), ("config.json", CONFIG), ("model.weights.h5", &big)];
    let expected = write(&entries).unwrap();
    let contents: Vec<(&str, &dyn Content)> = entries.iter().map(|(n, c)| (*n, c as &dyn Content)).collect();
    let mut out = std::io::Cursor::new(Vec::new());
    write_to(&contents, &mut out).unwrap();
    assert_eq!(out.into_inner(), expected);
    let twice: Vec<(&str, &dyn Content)> = vec![("a", contents[0].1), ("a", contents[1].1)];
    assert!(matches!(
        write_to(&twice, &mut std::io::Cursor::new(Vec::new())),
        Err(super::write::StreamError::Archive(_))
    ));
}
