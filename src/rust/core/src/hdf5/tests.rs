use super::read::{read, Limits};
use super::tree::{Array, Dtype, Group, Node, Values};
use super::write::write;
use super::Kind;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../tests/testthat/fixtures/weights")
}

fn limits(len: usize) -> Limits {
    Limits::for_file(len, 1 << 32)
}

fn h5py() -> Value {
    serde_json::from_slice(&std::fs::read(fixtures().join("h5py.json")).unwrap()).unwrap()
}

/// The little-endian bytes numpy would give for these values, to compare CRCs with h5py's.
fn le_bytes(a: &Array) -> Vec<u8> {
    let mut out = Vec::new();
    match (&a.values, a.dtype) {
        (Values::F32(v), Dtype::Float { size: 4 }) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        (Values::Float(v), Dtype::Float { size: 8 }) => v.iter().for_each(|x| out.extend(x.to_le_bytes())),
        (Values::Float(_), Dtype::Float { size: 2 }) => {
            let bytes = super::write::write(&Group {
                attrs: vec![],
                members: vec![("x".into(), Node::Dataset(super::tree::Dataset { attrs: vec![], data: a.clone() }))],
            })
            .unwrap();
            let back = read(&bytes, limits(bytes.len())).unwrap();
            let Some(Node::Dataset(d)) = back.member("x") else { panic!() };
            assert_eq!(&d.data, a);
            return half_bytes(a);
        }
        (Values::Int(v), Dtype::Int { size, .. }) => {
            v.iter().for_each(|x| out.extend(&x.to_le_bytes()[..size as usize]))
        }
        (Values::Bool(v), _) => v.iter().for_each(|x| out.push(u8::from(*x))),
        _ => {}
    }
    out
}

fn half_bytes(a: &Array) -> Vec<u8> {
    let Values::Float(v) = &a.values else { unreachable!() };
    let mut out = Vec::new();
    for x in v {
        // Exact for the values in the fixture.
        let h: u16 = match *x {
            1.5 => 0x3e00,
            x if x == 0.0 && x.is_sign_negative() => 0x8000,
            65504.0 => 0x7bff,
            x if x.is_infinite() => 0x7c00,
            _ => 0x0001, // 6e-8 rounds to the smallest subnormal
        };
        out.extend(h.to_le_bytes());
    }
    out
}

fn source(rel: &str) -> Option<Vec<u8>> {
    if let Some(name) = rel.strip_prefix("fixture:") {
        return Some(std::fs::read(fixtures().join(name)).unwrap());
    }
    let dir = crate::testing::reference_dir("HDF5 reference files")?;
    let bytes = std::fs::read(dir.join(rel)).unwrap();
    if rel.ends_with(".keras") {
        let mut a = crate::archive::read::read(&bytes, &["model.weights.h5"], 1 << 30).unwrap();
        return Some(a.members.remove(0).1);
    }
    Some(bytes)
}

fn datasets<'a>(g: &'a Group, path: &str, out: &mut Vec<(String, &'a super::tree::Dataset)>) {
    for (name, m) in &g.members {
        let p = format!("{path}/{name}");
        match m {
            Node::Group(c) => datasets(c, &p, out),
            Node::Dataset(d) => out.push((p, d)),
        }
    }
}

#[test]
fn every_dataset_h5py_reads_is_read_with_equal_shape_dtype_and_bytes() {
    let expected = h5py();
    let mut files = 0;
    let mut matched = 0;
    for (rel, want) in expected.as_object().unwrap() {
        let Some(bytes) = source(rel) else { continue };
        let root = read(&bytes, limits(bytes.len())).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let mut got = Vec::new();
        datasets(&root, "", &mut got);
        let want = want["datasets"].as_object().unwrap();
        assert_eq!(got.len(), want.len(), "{rel}: number of datasets");
        for (path, d) in got {
            let w = &want[&path];
            let shape: Vec<u64> = w["shape"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect();
            assert_eq!(d.data.shape, shape, "{rel}{path}");
            let dtype = w["dtype"].as_str().unwrap();
            if dtype == "object" {
                assert_eq!(d.data.dtype, Dtype::Str, "{rel}{path}");
                let Values::Str(v) = &d.data.values else { panic!() };
                let wv: Vec<&str> = w["values"].as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect();
                assert_eq!(v, &wv, "{rel}{path}");
            } else {
                let expect_name = match dtype {
                    ">i4" => "int32",
                    ">f4" => "float32",
                    d => d,
                };
                assert_eq!(d.data.dtype.name(), expect_name, "{rel}{path}");
                let crc = crate::archive::crc32::crc32(&le_bytes(&d.data));
                assert_eq!(crc as u64, w["crc32"].as_u64().unwrap(), "{rel}{path}: bytes differ");
            }
            matched += 1;
        }
        files += 1;
    }
    eprintln!("{files} files, {matched} datasets equal to h5py's");
    assert!(files >= 2);
}

#[test]
fn attributes_read_as_h5py_reads_them() {
    let bytes = std::fs::read(fixtures().join("features-earliest.h5")).unwrap();
    let bytes2 = std::fs::read(fixtures().join("features-latest.h5")).unwrap();
    for b in [bytes, bytes2] {
        let root = read(&b, limits(b.len())).unwrap();
        let Some(Node::Group(g)) = root.at("g/nested") else { panic!("g/nested") };
        let s = |n: &str| match &g.attr(n).unwrap().values {
            Values::Str(v) => v.clone(),
            v => panic!("{n}: {v:?}"),
        };
        assert_eq!(s("name"), vec!["nested \u{e9}"]);
        assert_eq!(g.attr("name").unwrap().shape, Vec::<u64>::new());
        assert_eq!(s("fixed"), vec!["fixed-bytes"]);
        assert_eq!(s("names"), vec!["a", "bc", "def"]);
        assert_eq!(s("vnames"), vec!["x", "yz"]);
        assert_eq!(g.attr("empty").unwrap().values, Values::Float(vec![]));
        assert_eq!(g.attr("ints").unwrap().values, Values::Int(vec![0, 1, 2]));
        let Some(Node::Group(many)) = root.at("many") else { continue };
        let names: Vec<&str> = many.members.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names.len(), 40);
        assert!(names.windows(2).all(|w| w[0] < w[1]), "members in name order");
    }
}

#[test]
fn legacy_h5_root_attributes_hold_the_model_config_and_layer_names() {
    let Some(bytes) = source("legacy/tf2.15.1/lstm.h5") else { return };
    let root = read(&bytes, limits(bytes.len())).unwrap();
    let Values::Str(cfg) = &root.attr("model_config").unwrap().values else { panic!() };
    assert!(cfg[0].starts_with("{\"class_name\": \"Sequential\""));
    let Some(Node::Group(mw)) = root.member("model_weights") else { panic!() };
    assert_eq!(
        mw.attr("layer_names").unwrap().values,
        Values::Str(vec!["embedding".into(), "lstm".into(), "dense".into()])
    );
}

#[test]
fn written_files_read_back_equal() {
    for name in ["features-earliest.h5", "features-latest.h5"] {
        let b = std::fs::read(fixtures().join(name)).unwrap();
        let root = read(&b, limits(b.len())).unwrap();
        let out = write(&root).unwrap();
        let back = read(&out, limits(out.len())).unwrap();
        assert_eq!(back, root, "{name}");
    }
}

fn err_kind(b: &[u8]) -> Kind {
    match read(b, limits(b.len())) {
        Err(e) => e.kind,
        Ok(_) => panic!("read a hostile file"),
    }
}

#[test]
fn truncated_files_are_refused_at_every_length() {
    let b = std::fs::read(fixtures().join("features-earliest.h5")).unwrap();
    let mut refused = 0;
    for len in (0..b.len()).step_by(37) {
        if read(&b[..len], limits(len)).is_err() {
            refused += 1;
        }
    }
    assert!(refused > 0);
    assert_eq!(err_kind(&b[..100]), Kind::Corrupt);
    assert_eq!(err_kind(b"not hdf5"), Kind::Corrupt);
}

fn small_file(shape: Vec<u64>) -> Vec<u8> {
    let n = shape.iter().product::<u64>() as usize;
    let ds = super::tree::Dataset {
        attrs: vec![("name".into(), Array::string("x"))],
        data: Array { dtype: Dtype::Float { size: 4 }, shape, values: Values::Float(vec![1.0; n]) },
    };
    let g = Group { attrs: vec![], members: vec![("d".into(), Node::Dataset(ds))] };
    write(&Group { attrs: vec![], members: vec![("g".into(), Node::Group(g))] }).unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn a_dataset_declaring_a_huge_shape_is_refused_without_allocating() {
    let mut b = small_file(vec![2, 3]);
    // The dataspace message holds dims 2 and 3 as u64 after its 8-byte prefix.
    let mut pat = vec![1u8, 2, 0, 0, 0, 0, 0, 0];
    pat.extend(2u64.to_le_bytes());
    pat.extend(3u64.to_le_bytes());
    let at = find(&b, &pat);
    b[at + 8..at + 16].copy_from_slice(&(1u64 << 40).to_le_bytes());
    let t = std::time::Instant::now();
    assert_eq!(err_kind(&b), Kind::Limit);
    b[at + 8..at + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    assert_eq!(err_kind(&b), Kind::Limit);
    // A shape within the budget but larger than the stored data: its storage lies.
    b[at + 8..at + 16].copy_from_slice(&200u64.to_le_bytes());
    assert_eq!(err_kind(&b), Kind::Corrupt);
    assert!(t.elapsed().as_millis() < 500);
}

#[test]
fn a_size_or_address_beyond_the_file_is_refused() {
    let b = small_file(vec![2, 3]);
    // The layout message: version 3, class 1, address, size 24.
    let at = find(&b, &[3u8, 1]);
    let mut lie = b.clone();
    lie[at + 2..at + 10].copy_from_slice(&(b.len() as u64 - 4).to_le_bytes());
    assert_eq!(err_kind(&lie), Kind::Corrupt);
    let mut lie = b.clone();
    lie[at + 2..at + 10].copy_from_slice(&u64::MAX.wrapping_sub(3).to_le_bytes());
    assert_eq!(err_kind(&lie), Kind::Corrupt);
}

#[test]
fn a_group_linking_to_itself_is_a_cycle_error() {
    let b = small_file(vec![2]);
    let root = read(&b, limits(b.len())).unwrap();
    assert!(root.member("g").is_some());
    // Point the link 'd' inside g at g's own header: the address of g in the root's link.
    let root_link = find(&b, &[1u8, 0x10, 1, 1, b'g']);
    let g_addr = &b[root_link + 5..root_link + 13].to_vec();
    let mut cyc = b.clone();
    let d_link = find(&cyc, &[1u8, 0x10, 1, 1, b'd']);
    cyc[d_link + 5..d_link + 13].copy_from_slice(g_addr);
    let e = read(&cyc, limits(cyc.len())).unwrap_err();
    assert_eq!(e.kind, Kind::Corrupt);
    assert!(e.message.contains("cycle"), "{}", e.message);
}

#[test]
fn random_mutations_never_panic() {
    let seeds: Vec<Vec<u8>> = ["features-earliest.h5", "features-latest.h5"]
        .iter()
        .map(|n| std::fs::read(fixtures().join(n)).unwrap())
        .chain([small_file(vec![3, 2])])
        .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in 0..3000 {
        let mut b = seeds[i % seeds.len()].clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % b.len() as u64) as usize;
            b[at] = next() as u8;
        }
        let _ = read(&b, limits(b.len()));
    }
}

#[test]
fn external_values_are_written_as_the_same_float32_values_would_be_and_refused_without_their_source() {
    let tree = |values: Values| Group {
        attrs: vec![],
        members: vec![(
            "w".into(),
            Node::Dataset(super::tree::Dataset {
                attrs: vec![],
                data: Array { dtype: Dtype::Float { size: 4 }, shape: vec![2, 3], values },
            }),
        )],
    };
    let values: Vec<f32> = vec![0.5, -1.0, 2.25, 1e-3, 7.0, -0.0];
    let expected = write(&tree(Values::F32(values.clone()))).unwrap();
    let mut asked = Vec::new();
    let got = super::write::write_with(&tree(Values::External { source: 3, len: 6 }), &mut |source, out| {
        asked.push((source, out.len()));
        for (o, v) in out.chunks_exact_mut(4).zip(&values) {
            o.copy_from_slice(&v.to_le_bytes());
        }
        true
    })
    .unwrap();
    assert_eq!(asked, vec![(3, 24)]);
    assert_eq!(got, expected);
    let err = write(&tree(Values::External { source: 0, len: 6 })).unwrap_err();
    assert_eq!(err.kind, Kind::Corrupt);
}

#[test]
fn stored_float32_datasets_point_at_the_bytes_that_decode_to_their_values() {
    let values: Vec<f32> = (0..600).map(|i| i as f32 * 0.25 - 7.0).collect();
    let tree = Group {
        attrs: vec![],
        members: vec![
            (
                "w".into(),
                Node::Dataset(super::tree::Dataset {
                    attrs: vec![],
                    data: Array {
                        dtype: Dtype::Float { size: 4 },
                        shape: vec![20, 30],
                        values: Values::F32(values.clone()),
                    },
                }),
            ),
            (
                "d".into(),
                Node::Dataset(super::tree::Dataset {
                    attrs: vec![],
                    data: Array {
                        dtype: Dtype::Float { size: 8 },
                        shape: vec![2],
                        values: Values::Float(vec![1.5, 2.5]),
                    },
                }),
            ),
        ],
    };
    let bytes = write(&tree).unwrap();
    let stored = read(&bytes, Limits { stored: true, ..limits(bytes.len()) }).unwrap();
    let Some(Node::Dataset(w)) = stored.member("w") else { panic!() };
    let Values::Stored { offset, len } = w.data.values else { panic!("{:?}", w.data.values) };
    assert_eq!(len, 600);
    let decoded: Vec<f32> =
        bytes[offset..offset + 4 * len].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    assert_eq!(decoded, values);
    // Other types are decoded as usual, and the budget still counts stored data.
    let plain = read(&bytes, limits(bytes.len())).unwrap();
    assert_eq!(plain.member("w"), tree.member("w"));
    let Some(Node::Dataset(d)) = stored.member("d") else { panic!() };
    assert_eq!(d.data.values, Values::Float(vec![1.5, 2.5]));
    let small = Limits { max_bytes: 600 * 8 - 1, stored: true };
    assert_eq!(read(&bytes, small).unwrap_err().kind, Kind::Limit);
}
