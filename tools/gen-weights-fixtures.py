"""Dumps what h5py reads from the reference HDF5 files into tests/testthat/fixtures/weights/h5py.json.

Run by hand (CI never needs Python):
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-weights-fixtures.py ../shared/keras-reference

For every dataset of every file (the model.weights.h5 inside each .keras, and each legacy .h5): its
path, shape, dtype, the CRC-32 of its little-endian C-order bytes (exact equality, checked by cargo
test), the float64 sum, and up to 6 elements with their 0-based indices (checked in R, where they
test the C-to-R axis order); arrays of at most 64 elements are given whole. Attributes are dumped as
text (strings) or lists.
"""
import io, json, os, sys, zipfile, zlib
import h5py, numpy as np

ref = sys.argv[1]
fix = "tests/testthat/fixtures/weights"

# Files exercising what Keras files rarely use: chunks, filters, other types, libver "latest".
def features(path, libver):
    with h5py.File(path, "w", libver=libver) as f:
        g = f.create_group("g/nested")
        g.attrs["name"] = "nested \u00e9"
        g.attrs["fixed"] = np.bytes_("fixed-bytes")
        g.attrs["names"] = np.array([b"a", b"bc", b"def"])
        g.attrs["vnames"] = np.array(["x", "yz"], dtype=h5py.string_dtype())
        g.attrs["empty"] = np.asarray([])
        g.attrs["ints"] = np.arange(3, dtype="int64")
        x = (np.arange(7 * 5 * 3, dtype="float32").reshape(7, 5, 3) - 50) / 7
        f.create_dataset("gzip_shuffle", data=x, chunks=(3, 2, 3), compression="gzip", shuffle=True)
        f.create_dataset("fletcher", data=x[0], chunks=(2, 2), fletcher32=True)
        f.create_dataset("chunked_plain", data=np.arange(40, dtype="float64").reshape(8, 5), chunks=(3, 5))
        f.create_dataset("f16", data=np.array([1.5, -0.0, 65504, 6e-8, np.inf], dtype="float16"))
        f.create_dataset("f64", data=np.array([np.pi, -1e300], dtype="float64"))
        f.create_dataset("i8", data=np.array([-128, 127, 0], dtype="int8"))
        f.create_dataset("u16", data=np.array([0, 65535], dtype="uint16"))
        f.create_dataset("i64", data=np.array([-(2 ** 40), 2 ** 53], dtype="int64"))
        f.create_dataset("be_i32", data=np.array([1, -2, 3], dtype=">i4"))
        f.create_dataset("be_f32", data=np.array([1.25, -2.5], dtype=">f4"))
        f.create_dataset("bools", data=np.array([True, False, True]))
        f.create_dataset("scalar", data=np.int32(7))
        f.create_dataset("empty", data=np.zeros((0, 3), dtype="float32"))
        f.create_dataset("strings", data=np.array(["one", "two"], dtype=h5py.string_dtype()))
        for i in range(40):  # enough members to need several B-tree / symbol-table nodes
            f.create_dataset("many/m%02d" % i, data=np.float32(i))

features(os.path.join(fix, "features-earliest.h5"), "earliest")
# libver="latest" (superblock 3, object headers 2): only what it stores compactly, since groups of
# more than 8 members (fractal heaps) and chunked layouts (version 4 indexes) are not read.
with h5py.File(os.path.join(fix, "features-latest.h5"), "w", libver="latest") as f:
    g = f.create_group("g/nested")
    g.attrs["name"] = "nested \u00e9"
    g.attrs["fixed"] = np.bytes_("fixed-bytes")
    g.attrs["names"] = np.array([b"a", b"bc", b"def"])
    g.attrs["vnames"] = np.array(["x", "yz"], dtype=h5py.string_dtype())
    g.attrs["empty"] = np.asarray([])
    g.attrs["ints"] = np.arange(3, dtype="int64")
    f.create_dataset("g/f32", data=np.arange(12, dtype="float32").reshape(3, 4) / 3)
    f.create_dataset("g/i64", data=np.array([-(2 ** 40), 2 ** 53], dtype="int64"))
    f.create_dataset("g/bools", data=np.array([True, False, True]))
    f.create_dataset("g/scalar", data=np.float32(0.1))
    f.create_dataset("g/strings", data=np.array(["one", "two"], dtype=h5py.string_dtype()))
files = {}
for rel in ["keras_files/func_multi_io_compiled.keras", "keras_files/seq_mlp_compiled.keras",
            "legacy/tf2.15.1/mlp.keras", "legacy/tf2.15.1/lstm.keras",
            "legacy/tf2.15.1/mlp.h5", "legacy/tf2.15.1/lstm.h5",
            "fixture:features-earliest.h5", "fixture:features-latest.h5"]:
    path = os.path.join(fix, rel[8:]) if rel.startswith("fixture:") else os.path.join(ref, rel)
    if rel.endswith(".keras"):
        f = h5py.File(io.BytesIO(zipfile.ZipFile(path).read("model.weights.h5")), "r")
    else:
        f = h5py.File(path, "r")
    out = {"datasets": {}, "attrs": {}}
    def attrs(name, obj):
        for k, v in obj.attrs.items():
            if k == "model_config" or k == "training_config":
                v = "<json>"
            elif isinstance(v, np.ndarray):
                v = [x.decode() if isinstance(x, bytes) else (x if isinstance(x, str) else float(x)) for x in v.tolist()]
            elif isinstance(v, (bytes, np.bytes_)):
                v = v.decode()
            out["attrs"]["/" + name + "@" + k if name else "/@" + k] = v
    attrs("", f)
    def val(x):
        if isinstance(x, bytes):
            return x.decode()
        if isinstance(x, (np.bool_, bool)):
            return bool(x)
        x = float(x)
        return x if np.isfinite(x) else str(x)
    def visit(name, obj):
        attrs(name, obj)
        if isinstance(obj, h5py.Dataset):
            a = obj[()]
            a = np.asarray(a)
            le = a.astype(a.dtype.newbyteorder("<")) if a.dtype.kind != "O" else np.zeros(0)
            rng = np.random.default_rng(len(name))
            idx = [tuple(int(i) for i in np.unravel_index(k, a.shape)) for k in
                   sorted(set([0, a.size - 1] + list(rng.integers(0, a.size, 4))))] if a.size else []
            d = {"shape": list(a.shape), "dtype": str(a.dtype), "crc32": zlib.crc32(le.tobytes()),
                 "sum": val(a.astype(np.float64).sum()) if a.dtype.kind in "fiub" else None,
                 "samples": [[list(i), val(a[i])] for i in idx]}
            if a.size <= 64:
                d["values"] = [val(x) for x in a.ravel()]
            out["datasets"]["/" + name] = d
    f.visititems(visit)
    files[rel] = out
with open("tests/testthat/fixtures/weights/h5py.json", "w") as fh:
    json.dump(files, fh, indent=1)
print({k: len(v["datasets"]) for k, v in files.items()})
