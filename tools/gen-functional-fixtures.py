"""Differential fixtures for the Functional API and compile(): Python Keras 3.15.1 builds each
graph below and writes its config.json text; tests/testthat/test-functional.R builds the same
graphs in R with keras3's API and compares the text (shared_object_id values removed).
Also writes the call() signatures of Keras' layer and model classes, which decide the keyword
arguments Keras records in a node (`mask`, `<arg>_mask`, `training`).
Not run by the tests (they must not need Python). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-functional-fixtures.py

Writes tests/testthat/fixtures/functional-graphs.json and src/rust/core/src/callsig.json.
"""
import inspect
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras import layers as L  # noqa: E402

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def mlp_single():
    x = keras.Input((4,), name="x")
    h = L.Dense(8, activation="relu")(x)
    return keras.Model(x, L.Dense(1)(h), name="mlp")


@case
def default_names():
    x = keras.Input((3,))
    y = L.Dense(2)(L.Dense(4)(x))
    return keras.Model(x, y)


@case
def multi_list():
    a = keras.Input((8,), name="a")
    b = keras.Input((4,), name="b")
    h = L.Concatenate()([L.Dense(6)(a), b])
    return keras.Model([a, b], [L.Dense(1, name="out1")(h), L.Dense(3, activation="softmax", name="out2")(h)],
                       name="multi_list")


@case
def single_lists():
    x = keras.Input((5,), name="x")
    return keras.Model([x], [L.Dense(2)(x)], name="single_lists")


@case
def dict_io():
    a = keras.Input((8,), name="a")
    b = keras.Input((8,), name="b")
    s = L.Add()([a, b])
    return keras.Model({"a": a, "b": b}, {"score": L.Dense(1, name="score")(s), "cls": L.Dense(2, name="cls")(s)},
                       name="dict_io")


@case
def inputs_order():
    t = keras.Input((None,), dtype="int32", name="tok")
    n = keras.Input((3,), name="num")
    e = L.GlobalAveragePooling1D()(L.Embedding(50, 4)(t))
    out = L.Dense(1)(L.Concatenate(axis=-1)([L.Dense(4)(n), e]))
    return keras.Model([n, t], out, name="inputs_order")


@case
def shared_layer():
    a = keras.Input((6,), name="left")
    b = keras.Input((6,), name="right")
    d = L.Dense(5, name="shared")
    x = d(a)
    y = d(b)
    z = d(L.Dense(6, name="back")(x))
    return keras.Model([a, b], [L.Add()([x, y]), z], name="shared_layer")


@case
def nested_sequential():
    x = keras.Input((8,), name="x")
    y = keras.Input((8,), name="y")
    inner = keras.Sequential([keras.Input((8,)), L.Dense(4, activation="relu"), L.Dense(2)], name="inner")
    return keras.Model([x, y], L.Average()([inner(x), inner(y)]), name="nested_sequential")


@case
def nested_functional():
    i = keras.Input((4,))
    inner = keras.Model(i, L.Dense(3, name="inner_dense")(i), name="inner_func")
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    a = inner(x)
    b = inner(y)
    return keras.Model([x, y], [L.Maximum()([a, b]), a], name="nested_functional")


@case
def nested_multi_input():
    p = keras.Input((4,), name="p")
    q = keras.Input((4,), name="q")
    inner = keras.Model([p, q], L.Multiply()([p, q]), name="inner_mul")
    x = keras.Input((4,), name="x")
    return keras.Model(x, L.Dense(1)(inner([x, x])), name="nested_multi_input")


@case
def merges():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    outs = [L.Add()([a, b]), L.Subtract()([a, b]), L.Multiply()([a, b]), L.Average()([a, b]),
            L.Maximum()([a, b]), L.Minimum()([a, b]), L.Concatenate(axis=1)([a, b]), L.Dot(axes=1)([a, b])]
    return keras.Model([a, b], outs, name="merges")


@case
def attention_kwargs():
    q = keras.Input((5, 8), name="q")
    v = keras.Input((7, 8), name="v")
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    o, s = mha(q, v, key=v, return_attention_scores=True)
    att = L.Attention(name="att")([q, v])
    return keras.Model([q, v], [o, s, att], name="attention_kwargs")


@case
def self_attention():
    x = keras.Input((6, 16), name="x")
    h = L.MultiHeadAttention(num_heads=4, key_dim=4)(x, x)
    h = L.LayerNormalization()(L.Add()([x, h]))
    return keras.Model(x, L.GlobalAveragePooling1D()(h), name="self_attention")


@case
def training_kwargs():
    x = keras.Input((10,), name="x")
    h = L.Dropout(0.5)(L.Dense(10)(x))
    h = L.BatchNormalization()(h)
    return keras.Model(x, L.Dense(1)(h), name="training_kwargs")


@case
def cnn():
    x = keras.Input((28, 28, 1), name="img")
    h = L.Conv2D(8, 3, activation="relu")(x)
    h = L.MaxPooling2D()(h)
    return keras.Model(x, L.Dense(10)(L.Flatten()(h)), name="cnn")


@case
def rnn_branch():
    x = keras.Input((None, 3), name="seq")
    h, state_h, state_c = L.LSTM(4, return_state=True)(x)
    return keras.Model(x, [h, L.Dense(2)(state_c)], name="rnn_branch")


@case
def reused_output():
    x = keras.Input((4,), name="x")
    h = L.Dense(4, name="h")(x)
    return keras.Model(x, [h, L.Dense(1)(h)], name="reused_output")


def compiled(build, **kw):
    m = build()
    m.compile(**kw)
    return m


@case
def compiled_strings():
    return compiled(mlp_single, optimizer="adam", loss="mse", metrics=["mae"])


@case
def compiled_objects():
    return compiled(mlp_single, optimizer=keras.optimizers.SGD(learning_rate=0.05),
                    loss=keras.losses.Huber(), metrics=[keras.metrics.RootMeanSquaredError(), "mse"])


@case
def compiled_per_output_list():
    return compiled(multi_list, optimizer="rmsprop", loss=["mse", "categorical_crossentropy"],
                    metrics=[["mae"], ["accuracy"]], loss_weights=[1.0, 0.5])


@case
def compiled_per_output_dict():
    return compiled(dict_io, optimizer="adam", loss={"score": "mse", "cls": "binary_crossentropy"},
                    metrics={"cls": ["accuracy"]}, weighted_metrics=["mse"], loss_weights={"score": 2.0, "cls": 1.0})


@case
def compiled_defaults():
    return compiled(mlp_single)


@case
def compiled_options():
    return compiled(mlp_single, loss="mae", run_eagerly=True, steps_per_execution=4, jit_compile=False,
                    auto_scale_loss=False)


def call_signatures():
    out = {}
    classes = {n: getattr(L, n) for n in dir(L) if inspect.isclass(getattr(L, n))}
    classes["Sequential"] = keras.Sequential
    classes["Functional"] = keras.src.models.functional.Functional
    for name, cls in sorted(classes.items()):
        if not issubclass(cls, keras.layers.Layer) or not hasattr(cls, "call"):
            continue
        try:
            sig = inspect.signature(cls.call)
        except (TypeError, ValueError):
            continue
        params = []
        for p in list(sig.parameters.values())[1:]:
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                params.append({"name": p.name, "kind": "var"})
                continue
            entry = {"name": p.name}
            if p.default is not p.empty:
                d = p.default
                entry["default"] = d if isinstance(d, (bool, int, float, str, type(None))) else repr(d)
            params.append(entry)
        canonical = cls.__name__
        out[name] = {"class": canonical, "params": params}
        masking = masking_of(name, cls)
        if masking is not None:
            out[name]["masking"] = masking
    return out


def masking_of(name, cls):
    """How a layer's output mask follows from its input's (Layer.__call__ step 7): "none" when the
    instance does not support masking (the mask is dropped), "pass" when it does with Layer's own
    compute_mask (the first input's mask goes on), "custom" when the class computes it. Judged on
    an instance made from constructors.json's required arguments; None when there is none."""
    # Aliases (Convolution2D) share their class's entry.
    required = REQUIRED.get(f"keras.layers.{name}") or REQUIRED.get(f"keras.layers.{cls.__name__}")
    if required is None:
        return None
    try:
        layer = cls(**{k: build_value(v) for k, v in required.items()})
    except Exception:  # noqa: BLE001 - a class Keras cannot build here has no entry
        return None
    if not layer.supports_masking:
        return "none"
    own = getattr(type(layer).compute_mask, "_is_default", False)
    return "pass" if own else "custom"


def build_value(v):
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        return keras.saving.deserialize_keras_object(v)
    if isinstance(v, list) and v and all(isinstance(x, dict) and "class_name" in x for x in v):
        return [keras.saving.deserialize_keras_object(x) for x in v]
    return v


with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "testthat", "fixtures",
                       "constructors.json"), encoding="utf-8") as _f:
    REQUIRED = {c["path"]: c["required"] for c in json.load(_f) if "required" in c}


def main():
    fixtures = {}
    for name, build in CASES.items():
        keras.backend.clear_session()
        model = build()
        fixtures[name] = json.dumps(keras.saving.serialize_keras_object(model))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "functional-graphs.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": fixtures}, f, indent=0, sort_keys=True)
    with open(os.path.join(root, "src", "rust", "core", "src", "callsig.json"), "w") as f:
        sigs = call_signatures()
        # One class a line, so a new Keras release shows as a readable diff.
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in sorted(sigs.items())) + "\n}\n")
    print(f"{len(fixtures)} graphs")


main()
