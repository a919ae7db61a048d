"""Era fixtures: .keras files written by older Keras 3 releases, and what Keras 3.15.1 makes of them.

Run by hand, in two steps (CI never needs Python):
    # 1. once per older release, each in its own venv (Python 3.11):
    #      python3 -m venv /tmp/venv-keras-X && /tmp/venv-keras-X/bin/pip install keras==X jax scipy h5py
    #    (3.0.5 and 3.3.3 with "numpy<2" jax==0.4.30 jaxlib==0.4.30 "scipy<1.14" "ml-dtypes<0.5" packaging;
    #    3.6.0 and 3.10.0 with "numpy<2.3" jax==0.5.0 jaxlib==0.5.0). The numpy backend where the release
    #    has a working one; 3.0.5's imports torch from its numpy backend, so it runs on jax.
    KERAS_BACKEND=jax   /tmp/venv-keras-3.0.5/bin/python  tools/gen-keras3-era-fixtures.py write
    KERAS_BACKEND=numpy /tmp/venv-keras-3.3.3/bin/python  tools/gen-keras3-era-fixtures.py write
    KERAS_BACKEND=numpy /tmp/venv-keras-3.6.0/bin/python  tools/gen-keras3-era-fixtures.py write
    KERAS_BACKEND=numpy /tmp/venv-keras-3.10.0/bin/python tools/gen-keras3-era-fixtures.py write
    # 2. with Keras 3.15.1:
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-keras3-era-fixtures.py read

Step 1 writes `<model>-<version>.keras` into tests/testthat/fixtures/eras/ with model.save(), for:
- `mlp`: a compiled Sequential MLP with Dropout (Adam, a metric);
- `func` (3.0.5 and 3.6.0): a compiled Functional model with two inputs, Embedding(mask_zero) + LSTM
  on one, a Dense layer shared by both branches, Concatenate (RMSprop, two losses with loss_weights);
- `cnn` (3.3.3 and 3.10.0): a compiled Sequential CNN with BatchNormalization (SGD with momentum).
(func and cnn on two releases each keep the fixtures small: every HDF5 group costs about 1 kB.)
The weights are set to distinct pseudo-random values (BatchNormalization's moving statistics too)
and the optimizer is built with its variables set the same way, so that every array in the file
differs from its initial value: a reader that drops or reorders them is caught.

Step 2 writes, beside each `<f>.keras`:
- `<f>.k315.json`: `keras.saving.load_model(<f>)` serialized as saving_lib does
  (`serialize_keras_object` inside `ObjectSharingScope`, `json.dumps`), compile config included;
  or `<f>.k315.error.txt` (the exception's last line) when Keras 3.15.1 refuses the file;
- `<f>.weights.json`: the arrays h5py reads from the file's model.weights.h5: `weights`, in the order
  of Keras 3.15.1's `model.get_weights()` (each array matched to the one dataset of the file holding
  exactly its values and shape), with its dataset path, shape and C-order values; `optimizer`, the
  datasets `optimizer/vars/<i>` in index order; `datasets`, the number of datasets in the file.
"""
import json, os, sys

FIX = "tests/testthat/fixtures/eras"


def write():
    import numpy as np
    import keras

    version = keras.__version__
    L = keras.layers
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(sum(map(int, version.split("."))))

    def scramble(model):
        # Distinct values in every variable (variances positive), then the optimizer's variables.
        model.set_weights([np.abs(rng.normal(size=w.shape)).astype(w.dtype) + 0.5
                           if "variance" in v.path or "moving_var" in v.name else rng.normal(size=w.shape).astype(w.dtype)
                           for v, w in zip(model.weights, model.get_weights())])
        model.optimizer.build(model.trainable_variables)
        for v in model.optimizer.variables:
            if "iteration" in v.name:
                v.assign(np.asarray(7, dtype=v.dtype))
            elif "learning_rate" not in v.name:
                v.assign(rng.normal(size=v.shape).astype(v.dtype))

    models = {}
    m = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"), L.Dropout(0.2),
                          L.Dense(3, activation="softmax")], name="mlp")
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="categorical_crossentropy",
              metrics=["accuracy"])
    models["mlp"] = m

    if version in ("3.0.5", "3.6.0"):
        tokens = keras.Input((6,), dtype="int32", name="tokens")
        side = keras.Input((3,), name="side")
        shared = L.Dense(3, activation="tanh", name="shared")
        seq = L.LSTM(3, name="lstm")(L.Embedding(10, 3, mask_zero=True, name="embed")(tokens))
        a = shared(seq)
        b = shared(L.Dense(3, name="side_dense")(side))
        h = L.Concatenate(name="cat")([a, b])
        out_score = L.Dense(1, name="score")(h)
        out_label = L.Dense(2, activation="softmax", name="label")(h)
        m = keras.Model([tokens, side], [out_score, out_label], name="func")
        m.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.002), loss=["mse", "categorical_crossentropy"],
                  loss_weights=[1.0, 0.5])
        models["func"] = m

    if version in ("3.3.3", "3.10.0"):
        m = keras.Sequential([keras.Input((6, 6, 1)), L.Conv2D(3, 3, padding="same", name="conv"),
                              L.BatchNormalization(name="bn"), L.Activation("relu"), L.MaxPooling2D(name="pool"),
                              L.Flatten(), L.Dense(2, activation="softmax", name="out")], name="cnn")
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="categorical_crossentropy",
                  metrics=["accuracy"])
        models["cnn"] = m

    os.makedirs(FIX, exist_ok=True)
    for name, m in models.items():
        scramble(m)
        m.save(os.path.join(FIX, f"{name}-{version}.keras"))
    print("keras", version, keras.backend.backend(), "wrote", sorted(models))


def read():
    import io, zipfile
    import numpy as np, h5py, keras
    from keras.src.saving import serialization_lib

    def datasets(f):
        out = {}
        f.visititems(lambda path, obj: out.__setitem__(path, np.asarray(obj)) if isinstance(obj, h5py.Dataset) else None)
        return out

    def record(path, a):
        return {"path": path, "shape": list(a.shape), "values": [float(v) for v in a.reshape(-1)]}

    for f in sorted(os.listdir(FIX)):
        if not f.endswith(".keras"):
            continue
        p = os.path.join(FIX, f)
        for old in (p + ".k315.json", p + ".k315.error.txt", p + ".weights.json"):
            if os.path.exists(old):
                os.remove(old)
        with zipfile.ZipFile(p) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as h:
            stored = datasets(h)
        try:
            model = keras.saving.load_model(p)
        except Exception as e:
            with open(p + ".k315.error.txt", "w") as out:
                out.write(f"{type(e).__name__}: {str(e).splitlines()[-1] if str(e) else ''}\n")
            continue
        with serialization_lib.ObjectSharingScope():
            d = serialization_lib.serialize_keras_object(model)
        with open(p + ".k315.json", "w") as out:
            out.write(json.dumps(d))
        # Each of get_weights() is the one dataset under layers/ with its exact values: the file's
        # own arrays, in Keras 3.15.1's order.
        free = {k: v for k, v in stored.items() if not k.startswith("optimizer/")}
        weights = []
        for w in model.get_weights():
            hits = [k for k, v in free.items() if v.shape == w.shape and v.dtype == w.dtype and np.array_equal(v, w)]
            assert len(hits) == 1, (f, w.shape, hits)
            weights.append(record(hits[0], free.pop(hits[0])))
        assert not free, (f, sorted(free))
        opt = sorted((k for k in stored if k.startswith("optimizer/vars/")), key=lambda k: int(k.rsplit("/", 1)[1]))
        with open(p + ".weights.json", "w") as out:
            json.dump({"keras_version": json.loads(zipfile.ZipFile(p).read("metadata.json"))["keras_version"],
                       "datasets": len(stored), "weights": weights,
                       "optimizer": [record(k, stored[k]) for k in opt]}, out)
    print("keras", keras.__version__, "read", sorted(os.listdir(FIX)))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]]()
