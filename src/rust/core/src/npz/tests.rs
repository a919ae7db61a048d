use super::npy::{self, Content};
use super::{pickle, read};
use crate::archive::read::read as unzip;
use crate::archive::write::write as zip_write;
use crate::hdf5::tree::{Dtype, Group, Node, Values};
use crate::hdf5::Kind;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../../../tests/testthat/fixtures/saving/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// model.weights.npz of the .keras Keras 3.15.1 wrote (tools/gen-saving-fixtures.py).
fn keras_npz() -> Vec<u8> {
    let a = unzip(&fixture("npz_mlp.keras"), &["model.weights.npz"], 1 << 30).expect("the fixture reads");
    a.members.into_iter().next().expect("it has model.weights.npz").1
}

fn npy_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut h = header.to_owned();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(data);
    out
}

fn dataset<'a>(g: &'a Group, path: &str) -> &'a crate::hdf5::tree::Array {
    match g.at(path) {
        Some(Node::Dataset(d)) => &d.data,
        other => panic!("{path}: {other:?}"),
    }
}

#[test]
fn keras_npz_weights_read_into_the_h5_layout() {
    let root = read(&keras_npz(), 1 << 30).expect("Keras' npz reads");
    let kernel = dataset(&root, "layers/dense/vars/0");
    assert_eq!(kernel.shape, vec![3, 4]);
    assert_eq!(kernel.dtype, Dtype::Float { size: 4 });
    // BatchNormalization: gamma, beta, moving_mean, moving_variance.
    for i in 0..4 {
        assert_eq!(dataset(&root, &format!("layers/batch_normalization/vars/{i}")).shape, vec![4]);
    }
    let Values::Float(var) = &dataset(&root, "layers/batch_normalization/vars/3").values else { panic!() };
    assert_eq!(var, &vec![1.0; 4]);
    assert_eq!(dataset(&root, "layers/dense_1/vars/1").shape, vec![2]);
    // The optimizer's iterations (int64) and learning rate.
    let it = dataset(&root, "optimizer/vars/0");
    assert_eq!((it.dtype, it.values.clone()), (Dtype::Int { size: 4, signed: true }, Values::Int(vec![0])));
    assert!(matches!(root.at("vars"), Some(Node::Group(g)) if g.members.is_empty()));
}

#[test]
fn npy_headers_and_data_are_checked() {
    let data: Vec<u8> = [1.5f32, -2.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    let file = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", &data);
    assert!(matches!(npy::parse(&file).unwrap().content, Content::Numeric));
    let decoded = |descr: &str, data: &[u8], count: u64| {
        let (dtype, size, big) = npy::numeric_type(descr).unwrap();
        npy::decode(data, dtype, size, big, count).unwrap()
    };
    assert_eq!(decoded("<f4", &data, 2), Values::Float(vec![1.5, -2.0]));
    let be: Vec<u8> = [7i16, -3].iter().flat_map(|x| x.to_be_bytes()).collect();
    let file = npy_file("{'descr': '>i2', 'fortran_order': False, 'shape': (1, 2), }", &be);
    let ok = npy::parse(&file).unwrap();
    assert!(matches!(ok.content, Content::Numeric) && ok.shape == vec![1, 2]);
    assert_eq!(decoded(">i2", &be, 2), Values::Int(vec![7, -3]));
    let kind = |bytes: &[u8]| npy::parse(bytes).unwrap_err().kind;
    // A shape that declares more data than is stored, less, or more than memory can address.
    assert_eq!(kind(&npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", &data)), Kind::Corrupt);
    assert_eq!(kind(&npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &data)), Kind::Corrupt);
    let huge = "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }";
    assert_eq!(kind(&npy_file(huge, &data)), Kind::Limit);
    let big = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }";
    assert_eq!(kind(&npy_file(big, &data)), Kind::Corrupt);
    assert_eq!(kind(b"\x93NUMPY\x01\x00\xff\xff{"), Kind::Corrupt);
    assert_eq!(kind(b"PK\x03\x04 not npy"), Kind::Corrupt);
    assert_eq!(
        kind(&npy_file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (), }", &[])),
        Kind::Unsupported
    );
    assert_eq!(kind(&npy_file("{'descr': '<U3', 'fortran_order': False, 'shape': (), }", &[0; 12])), Kind::Unsupported);
    assert_eq!(kind(&npy_file("{'descr': '<f4', 'shape': (2,), }", &data)), Kind::Corrupt);
    let mut long = b"\x93NUMPY\x02\x00".to_vec();
    long.extend_from_slice(&(1u32 << 20).to_le_bytes());
    long.extend(std::iter::repeat_n(b' ', 1 << 20));
    assert_eq!(kind(&long), Kind::Limit);
}

/// The pickle of Keras' `layers/dense.npy` (its data after the header).
fn dense_pickle() -> Vec<u8> {
    let root = keras_npz();
    let a = unzip(&root, &["layers/dense.npy"], 1 << 30).unwrap();
    let member = &a.members[0].1;
    let npy = npy::parse(member).unwrap();
    let Content::Object(p) = npy.content else { panic!("an object array") };
    p.to_vec()
}

#[test]
fn pickles_run_nothing_and_refuse_what_they_may_not_build() {
    let p = dense_pickle();
    assert_eq!(pickle::variables_dict(&p).unwrap().len(), 2);
    // Another global (os.system), named in the refusal.
    let evil = b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x02ls\x94\x85R.";
    let e = pickle::variables_dict(evil).unwrap_err();
    assert_eq!(e.kind, Kind::Unsupported);
    assert!(e.message.contains("os.system"), "{}", e.message);
    let evil = b"cos\nsystem\n(S'ls'\ntR.";
    assert_eq!(pickle::variables_dict(evil).unwrap_err().kind, Kind::Unsupported);
    // Every truncation of a real pickle is refused, none panics.
    for n in 0..p.len() {
        assert!(pickle::variables_dict(&p[..n]).is_err(), "truncated at {n}");
    }
    // Opcodes this reader does not know (INST, PERSID), memo reads of nothing, stack underflow.
    for bad in [&b"\x80\x04(i__main__\nX\n."[..], b"\x80\x04P1\n.", b"\x80\x04h\x07.", b"\x80\x04R.", b"\x80\x04(a."] {
        assert!(pickle::variables_dict(bad).is_err());
    }
    // A kernel whose bytes do not match its shape: change the array state's (3, 4) to (3, 5)
    // (after the state's version 1; the Variable's own `_shape` is not what is read).
    let at = p.windows(7).position(|w| w == [b'K', 1, b'K', 3, b'K', 4, 0x86]).expect("the kernel's shape");
    let mut lying = p.clone();
    lying[at + 5] = 5;
    assert_eq!(pickle::variables_dict(&lying).unwrap_err().kind, Kind::Corrupt);
    // Every single-byte change is read or refused, never a panic.
    for i in 0..p.len() {
        let mut q = p.clone();
        q[i] ^= 0x5a;
        let _ = pickle::variables_dict(&q);
    }
}

#[test]
fn npz_archives_that_are_not_keras_weights_are_refused() {
    let data: Vec<u8> = [1.5f32].iter().flat_map(|x| x.to_le_bytes()).collect();
    let plain = npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", &data);
    let zip = zip_write(&[("layers/dense.npy", &plain)]).unwrap();
    assert_eq!(read(&zip, 1 << 20).unwrap_err().kind, Kind::Unsupported);
    let zip = zip_write(&[("notes.txt", b"hello")]).unwrap();
    assert_eq!(read(&zip, 1 << 20).unwrap_err().kind, Kind::Corrupt);
    assert_eq!(read(b"not a zip", 1 << 20).unwrap_err().kind, Kind::Corrupt);
    let zip = zip_write(&[("a//b.npy", &plain)]).unwrap();
    assert!(read(&zip, 1 << 20).is_err());
}

#[test]
fn a_local_zip64_record_gives_the_sizes_and_must_agree_with_the_central_directory() {
    // Keras writes model.weights.npz with Python's force_zip64: its local header's sizes are
    // 0xFFFFFFFF and the real ones in a zip64 record.
    let keras = fixture("npz_mlp.keras");
    assert!(unzip(&keras, &["model.weights.npz"], 1 << 30).is_ok());
    let at = keras.windows(17).position(|w| w == b"model.weights.npz").expect("the local header's name");
    let mut lying = keras.clone();
    // The zip64 record follows the name: id, length, uncompressed size (8 bytes), compressed size.
    lying[at + 17 + 4] ^= 1;
    let e = unzip(&lying, &["model.weights.npz"], 1 << 30).unwrap_err();
    assert!(e.0.contains("disagrees"), "{}", e.0);
}
