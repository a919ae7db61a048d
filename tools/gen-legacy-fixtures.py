"""Legacy fixtures: models written by tf.keras 2.15, and what Keras 3.15.1 makes of them.

Run by hand, in two steps (CI never needs Python):
    # 1. with TensorFlow 2.15.1 (pip install tensorflow-cpu==2.15.1 h5py, Python 3.11):
    /tmp/venv-tf215/bin/python tools/gen-legacy-fixtures.py write
    # 2. with Keras 3.15.1 (KERAS_BACKEND=numpy):
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-legacy-fixtures.py read

Step 1 writes, into tests/testthat/fixtures/legacy/, for each model `<m>`: `<m>.to_json.json`
(`model.to_json()`), `<m>.h5` (a legacy HDF5 model file, compiled when the model is) and
`<m>.keras` (tf.keras' own .keras); and `<m>.h5weights.json`: the arrays h5py reads from the .h5
(layer_names order, then each layer's weight_names), flattened in C order with their shape.
Step 2 writes, beside each file `<f>`, what Keras 3.15.1 makes of it, serialized as
`saving_lib` does (`serialize_keras_object` inside `ObjectSharingScope`, `json.dumps`):
`<f>.k315.json` (`keras.saving.load_model()`, for .h5 and .keras), `<f>.k315legacy.json` (the
text through `legacy_h5_format`'s route: `saving_utils.model_from_config` under the legacy and
safe-mode scopes), or `<f>.k315.error.txt` (the exception's last line) when Keras refuses it; and
`<m>.h5.k315weights.json`, the model's `get_weights()` after `load_model(<m>.h5)`.
Where Keras 3.15.1 refuses a file or a text, `<f>.k315fixed.json` is what it makes of it once
the tf.keras keys it fails on are given their obvious Keras 3 meaning by `fix()` below (the rules
kerasconfig applies, written independently here): the rest (build and compile configs, weights) is
still Keras' own doing. For tf.keras' .keras files that is the config read as saving_lib reads one
(`fixed_keras()`), weights not loaded.
"""
import json, os, sys

FIX = "tests/testthat/fixtures/legacy"


def models(tf):
    k = tf.keras
    L = k.layers
    out = {}
    # Sequential MLP, compiled (training_config: Adam with jit_compile / is_legacy_optimizer).
    m = k.Sequential([k.Input((4,)), L.Dense(3, activation="relu"), L.Dropout(0.1), L.Dense(1)], name="mlp")
    m.compile(optimizer=k.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    out["mlp_compiled"] = m
    # Embedding(input_length), LSTM(implementation, time_major), GRU.
    m = k.Sequential([k.Input((6,), dtype="int32"), L.Embedding(20, 3, input_length=6),
                      L.LSTM(4, return_sequences=True), L.GRU(2), L.Dense(1)], name="rnn")
    out["rnn"] = m
    # CNN: BatchNormalization axis [3], DepthwiseConv2D(groups = 1), LeakyReLU(alpha).
    m = k.Sequential([k.Input((8, 8, 2)), L.Conv2D(3, 3, padding="same"), L.BatchNormalization(),
                      L.LeakyReLU(alpha=0.2), L.DepthwiseConv2D(3), L.MaxPooling2D(), L.Flatten(),
                      L.Dense(2, activation="softmax")], name="cnn")
    m.compile(optimizer=k.optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="categorical_crossentropy",
              metrics=["accuracy"])
    out["cnn_compiled"] = m
    # Functional, two inputs, a shared layer, a nested Sequential (Keras 2 node format).
    a = k.Input((5,), name="a")
    b = k.Input((3,), name="b")
    shared = L.Dense(4, name="shared")
    inner = k.Sequential([k.Input((4,)), L.Dense(2, name="inner_dense")], name="inner")
    h = L.Concatenate(name="cat")([shared(a), L.Dense(4, name="pad_b")(b)])
    h2 = shared(L.Dense(5, name="back")(h))
    out_a = L.Dense(1, name="score")(inner(h2))
    out_b = L.Dense(2, activation="softmax", name="label")(h)
    m = k.Model([a, b], [out_a, out_b], name="func")
    m.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy"], loss_weights=[1.0, 0.5])
    out["func_compiled"] = m
    # Bidirectional, TimeDistributed, LayerNormalization.
    x = k.Input((5, 3), name="seq")
    y = L.Bidirectional(L.LSTM(2, return_sequences=True), name="bi")(x)
    y = L.TimeDistributed(L.Dense(2), name="td")(y)
    y = L.LayerNormalization(name="ln")(y)
    out["wrappers"] = k.Model(x, y, name="wrappers")
    return out


def write():
    import numpy as np, h5py, tensorflow as tf
    tf.keras.utils.set_random_seed(1)
    os.makedirs(FIX, exist_ok=True)
    for name, m in models(tf).items():
        p = os.path.join(FIX, name)
        with open(p + ".to_json.json", "w") as f:
            f.write(m.to_json())
        m.save(p + ".h5")
        m.save(p + ".keras")
        arrays = []
        with h5py.File(p + ".h5", "r") as f:
            g = f["model_weights"]
            for ln in g.attrs["layer_names"]:
                ln = ln.decode() if hasattr(ln, "decode") else ln
                for wn in g[ln].attrs["weight_names"]:
                    wn = wn.decode() if hasattr(wn, "decode") else wn
                    a = np.asarray(g[ln][wn])
                    arrays.append({"layer": ln, "name": wn, "shape": list(a.shape),
                                   "values": [float(v) for v in a.reshape(-1)]})
        with open(p + ".h5weights.json", "w") as f:
            json.dump(arrays, f)
    print("tf", tf.__version__, "wrote", sorted(os.listdir(FIX)))


def read():
    import keras, traceback
    from keras.src.saving import serialization_lib
    from keras.src.legacy.saving import saving_utils, saving_options, json_utils

    def dump(model, target):
        with serialization_lib.ObjectSharingScope():
            d = serialization_lib.serialize_keras_object(model)
        with open(target, "w") as f:
            f.write(json.dumps(d))

    def attempt(target, fn):
        for old in (target + ".json", target + ".error.txt", target.replace(".k315", ".k315fixed") + ".json"):
            if os.path.exists(old):
                os.remove(old)
        try:
            model = fn()
            dump(model, target + ".json")
            return model
        except Exception as e:
            with open(target + ".error.txt", "w") as f:
                f.write(f"{type(e).__name__}: {str(e).splitlines()[-1] if str(e) else ''}\n")
            return None

    def legacy_text(path):
        config = json_utils.decode(open(path).read())
        with saving_options.keras_option_scope(use_legacy_config=True), serialization_lib.SafeModeScope(True):
            return saving_utils.model_from_config(config)

    def fix(x, parent_layers=None):
        # The obvious meanings, applied to every layer config of a model config.
        if isinstance(x, list):
            return [fix(v) for v in x]
        if not isinstance(x, dict):
            return x
        x = {k: fix(v) for k, v in x.items()}
        c = x.get("config")
        if "class_name" in x and isinstance(c, dict):
            cn = x["class_name"]
            if c.get("time_major") is False:
                c.pop("time_major")
            if cn == "DepthwiseConv2D" and c.get("groups") == 1:
                c.pop("groups")
            if cn != "InputLayer":
                c.pop("batch_input_shape", None)
            if isinstance(c.get("axis"), list) and len(c["axis"]) == 1 and cn != "LayerNormalization":
                c["axis"] = c["axis"][0]
            if cn in ("Functional", "Model") and isinstance(c.get("layers"), list):
                seq = {l["config"]["name"] for l in c["layers"] if l.get("class_name") == "Sequential"}
                def shift(node):
                    if isinstance(node, list) and len(node) in (3, 4) and node[0] in seq and isinstance(node[1], int):
                        return [node[0], node[1] - 1] + node[2:]
                    return [shift(v) for v in node] if isinstance(node, list) else node
                for l in c["layers"]:
                    l["inbound_nodes"] = shift(l.get("inbound_nodes", []))
                for key in ("input_layers", "output_layers"):
                    c[key] = shift(c[key])
        return x

    def compile_args(tc):
        opt = dict(tc["optimizer_config"])
        opt["class_name"] = opt["class_name"].split(">")[-1]
        cfg = dict(opt["config"])
        for k in ("jit_compile", "is_legacy_optimizer"):
            cfg.pop(k, None)
        opt["config"] = cfg
        def metric(m):
            if isinstance(m, dict) and m.get("class_name") == "MeanMetricWrapper":
                return m["config"]["name"]
            return m
        metrics = tc.get("metrics")
        if metrics is not None:
            metrics = [[metric(m) for m in ms] if isinstance(ms, list) else metric(ms) for ms in metrics]
            if len(metrics) == 1:
                metrics = metrics[0]
        return dict(optimizer=keras.optimizers.deserialize(opt), loss=tc.get("loss"), metrics=metrics,
                    loss_weights=tc.get("loss_weights"), weighted_metrics=tc.get("weighted_metrics"))

    def fixed_h5(path):
        import h5py
        from keras.src.legacy.saving import legacy_h5_format
        with h5py.File(path, "r") as f:
            config = fix(json.loads(f.attrs["model_config"]))
            with saving_options.keras_option_scope(use_legacy_config=True), serialization_lib.SafeModeScope(True):
                model = saving_utils.model_from_config(config)
                legacy_h5_format.load_weights_from_hdf5_group(f["model_weights"], model)
            if "training_config" in f.attrs:
                model.compile(**compile_args(json.loads(f.attrs["training_config"])))
        return model

    def fixed_text(path):
        config = fix(json_utils.decode(open(path).read()))
        with saving_options.keras_option_scope(use_legacy_config=True), serialization_lib.SafeModeScope(True):
            return saving_utils.model_from_config(config)

    def fixed_keras(path):
        # tf.keras' own .keras: config.json given the same obvious meanings (plus Keras 3's module
        # for Functional and optimizers, and the optimizer keys Keras 3 refuses), then read as
        # saving_lib reads a config (deserialize_keras_object in a sharing scope, which compiles
        # the model from its compile_config). The weights are not loaded: only the config is compared.
        import zipfile
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
        def modules(x):
            if isinstance(x, list):
                return [modules(v) for v in x]
            if not isinstance(x, dict):
                return x
            x = {k: modules(v) for k, v in x.items()}
            if x.get("module") == "keras.src.engine.functional":
                x["module"] = "keras.src.models.functional"
            if x.get("module") in ("keras.optimizers.experimental", "keras.optimizers.legacy"):
                x["module"] = "keras.optimizers"
            return x
        config = modules(fix(config))
        opt = config.get("compile_config", {}).get("optimizer")
        if isinstance(opt, dict):
            for k in ("jit_compile", "is_legacy_optimizer"):
                opt["config"].pop(k, None)
        with serialization_lib.ObjectSharingScope():
            return serialization_lib.deserialize_keras_object(config)

    for f in sorted(os.listdir(FIX)):
        p = os.path.join(FIX, f)
        if f.endswith(".to_json.json"):
            if attempt(p + ".k315legacy", lambda: legacy_text(p)) is None:
                attempt(p + ".k315fixed", lambda: fixed_text(p))
        elif f.endswith(".h5") or f.endswith(".keras"):
            m = attempt(p + ".k315", lambda: keras.saving.load_model(p))
            if m is None and f.endswith(".h5"):
                m = attempt(p + ".k315fixed", lambda: fixed_h5(p))
            elif m is None:
                attempt(p + ".k315fixed", lambda: fixed_keras(p))
            if m is not None and f.endswith(".h5"):
                with open(p + ".k315weights.json", "w") as out:
                    json.dump([{"shape": list(w.shape), "values": [float(v) for v in w.reshape(-1)]}
                               for w in m.get_weights()], out)
    print("keras", keras.__version__, "read", sorted(os.listdir(FIX)))


if __name__ == "__main__":
    {"write": write, "read": read}[sys.argv[1]]()
