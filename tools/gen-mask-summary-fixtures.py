"""Summary fixtures of masked Functional models (tests/testthat/fixtures/mask-summaries.json):
what Keras 3.15.1's model.summary() prints and count_params() gives for graphs holding the op
nodes Keras records for masks (not_equal, any, logical_or, expand_dims, zeros_like,
concatenate), with each model's config text. Not run by the tests. Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-mask-summary-fixtures.py
"""
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
def embedding_lstm():
    x = keras.Input((None,), dtype="int32", name="tok")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(x)
    return keras.Model(x, L.Dense(1, name="out")(L.LSTM(3, name="lstm")(h)), name="mask_lstm")


@case
def masking_gru():
    x = keras.Input((5, 3), name="seq")
    h = L.Masking(mask_value=0.0, name="masking")(x)
    return keras.Model(x, L.GRU(2, name="gru")(h), name="mask_masking")


@case
def merges():
    a = keras.Input((None,), dtype="int32", name="a")
    b = keras.Input((None,), dtype="int32", name="b")
    emb = L.Embedding(20, 4, mask_zero=True, name="emb")
    ea = emb(a)
    eb = emb(b)
    s = L.Add(name="add")([ea, eb])
    c = L.Concatenate(name="cat")([ea, L.Dense(4, name="dense")(eb)])
    return keras.Model([a, b], [L.LSTM(2, name="l1")(s), L.LSTM(2, name="l2")(c)], name="mask_merges")


@case
def concat_fixed():
    a = keras.Input((6,), dtype="int32", name="a")
    b = keras.Input((6, 3), name="b")
    ea = L.Embedding(10, 3, mask_zero=True, name="emb")(a)
    c = L.Concatenate(axis=1, name="cat")([ea, b])
    m = L.Multiply(name="mul")([ea, L.Dense(3, name="d")(ea)])
    return keras.Model([a, b], [L.GRU(2, name="g1")(c), L.SimpleRNN(2, name="g2")(m)], name="mask_concat_fixed")


def cap(model):
    buf = []
    model.summary(print_fn=lambda x, **k: buf.append(x))
    return "".join(buf)


def main():
    out = {}
    for name, build in CASES.items():
        keras.backend.clear_session()
        model = build()
        out[name] = {"summary": cap(model), "params": model.count_params(),
                     "config": json.dumps(keras.saving.serialize_keras_object(model))}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "mask-summaries.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": out}, f, indent=0, sort_keys=True)
    print(f"{len(out)} models")


main()
