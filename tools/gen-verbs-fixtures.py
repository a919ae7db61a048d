"""Differential fixtures for the config-level model verbs: Python Keras 3.15.1 builds each model
below, applies the verb (Sequential.pop(), `trainable` as keras3's freeze_weights() /
unfreeze_weights() set it, keras.models.clone_model(), masks recorded by Embedding(mask_zero=True))
and writes the model's config text; tests/testthat/test-model-verbs.R does the same in R with
keras3's API and compares (shared_object_id values removed). Not run by the tests. Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-verbs-fixtures.py

Writes tests/testthat/fixtures/model-verbs.json.
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


def mlp():
    return keras.Sequential([keras.Input((4,)), L.Dense(8, name="d1"), L.Dropout(0.1, name="drop"),
                             L.Dense(2, name="d2")], name="mlp")


def two_branch():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    h = L.Concatenate(name="cat")([L.Dense(3, name="da")(a), L.Dense(3, name="db")(b)])
    return keras.Model([a, b], L.Dense(1, name="out")(h), name="two_branch")


# keras3's freeze_weights()/unfreeze_weights(), written out: the model's trainable, then each of
# `model.layers` (inclusive from/to; the others get the opposite value).
def keras3_range(model, from_, to, trainable):
    model.trainable = True
    names = [layer.name for layer in model.layers]
    start = names.index(from_) if from_ is not None else 0
    end = names.index(to) if to is not None else len(names) - 1
    for i, layer in enumerate(model.layers):
        layer.trainable = trainable if start <= i <= end else not trainable
    return model


@case
def pop_rebuild():
    model = mlp()
    model.pop()
    return model


@case
def pop_no_rebuild():
    model = mlp()
    model.pop(rebuild=False)
    return model


@case
def pop_twice():
    model = mlp()
    model.pop()
    model.pop()
    return model


@case
def pop_no_input():
    model = keras.Sequential([L.Dense(8, name="d1"), L.Dense(2, name="d2")], name="noinput")
    model.pop()
    return model


@case
def freeze_all():
    model = mlp()
    model.trainable = False
    return model


@case
def freeze_from():
    return keras3_range(mlp(), "drop", None, False)


@case
def freeze_to_functional():
    return keras3_range(two_branch(), None, "db", False)


@case
def unfreeze_range():
    model = mlp()
    model.trainable = False
    return keras3_range(model, "drop", "drop", True)


@case
def freeze_nested():
    inner = mlp()
    x = keras.Input((4,), name="x")
    model = keras.Model(x, L.Dense(1, name="head")(inner(x)), name="outer")
    inner.trainable = False
    return model


@case
def freeze_bidirectional():
    model = keras.Sequential([keras.Input((5, 3)), L.Bidirectional(L.LSTM(2, name="lstm"), name="bi"),
                              L.Dense(1, name="out")], name="bi_model")
    model.layers[0].trainable = False
    return model


@case
def freeze_which():
    model = mlp()
    model.trainable = True
    for layer in model.layers:
        layer.trainable = not isinstance(layer, L.Dense)
    return model


@case
def clone_sequential():
    return keras.models.clone_model(mlp())


@case
def clone_sequential_no_input():
    model = keras.Sequential([L.Dense(8, name="d1"), L.Dense(2, name="d2")], name="noinput")
    return keras.models.clone_model(model)


@case
def clone_functional():
    return keras.models.clone_model(two_branch())


@case
def clone_compiled():
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    return keras.models.clone_model(model)


@case
def clone_nested():
    inner = mlp()
    x = keras.Input((4,), name="x")
    return keras.models.clone_model(keras.Model(x, L.Dense(1, name="head")(inner(x)), name="outer"))


@case
def clone_function_rename():
    def rename(layer):
        config = layer.get_config()
        config["name"] = "new_" + config["name"]
        return layer.__class__.from_config(config)
    return keras.models.clone_model(two_branch(), clone_function=rename)


@case
def clone_function_sequential():
    def units(layer):
        config = layer.get_config()
        if isinstance(layer, L.Dense):
            config["units"] = config["units"] * 2
        return layer.__class__.from_config(config)
    return keras.models.clone_model(mlp(), clone_function=units)


@case
def clone_input_tensors():
    x = keras.Input((4,), name="new_in")
    return keras.models.clone_model(mlp(), input_tensors=x)


@case
def mask_embedding_lstm():
    x = keras.Input((None,), dtype="int32", name="tok")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(x)
    return keras.Model(x, L.Dense(1, name="out")(L.LSTM(3, name="lstm")(h)), name="mask_lstm")


@case
def mask_embedding_pooling():
    x = keras.Input((None,), dtype="int32", name="tok")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(x)
    p = L.GlobalAveragePooling1D(name="gap")(h)
    return keras.Model(x, L.Dense(2, name="out")(p), name="mask_pool")


@case
def mask_masking_layer():
    x = keras.Input((5, 3), name="seq")
    h = L.Masking(mask_value=0.0, name="masking")(x)
    return keras.Model(x, L.GRU(2, name="gru")(h), name="mask_masking")


@case
def mask_propagates():
    x = keras.Input((None,), dtype="int32", name="tok")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(x)
    h = L.Dense(4, name="proj")(h)
    h = L.Dropout(0.1, name="drop")(h)
    return keras.Model(x, L.LSTM(2, name="lstm")(h), name="mask_propagates")


@case
def mask_two_inputs():
    a = keras.Input((None,), dtype="int32", name="a")
    b = keras.Input((None,), dtype="int32", name="b")
    emb = L.Embedding(20, 4, mask_zero=True, name="emb")
    ea = emb(a)
    eb = emb(b)
    s = L.Add(name="add")([ea, eb])
    c = L.Concatenate(name="cat")([ea, L.Dense(4, name="dense")(eb)])
    return keras.Model([a, b], [L.LSTM(2, name="l1")(s), L.LSTM(2, name="l2")(c)], name="mask_two_inputs")


@case
def mask_attention():
    q = keras.Input((None,), dtype="int32", name="q")
    emb = L.Embedding(20, 4, mask_zero=True, name="emb")(q)
    att = L.MultiHeadAttention(num_heads=1, key_dim=2, name="mha")(emb, emb)
    return keras.Model(q, att, name="mask_attention")


@case
def mask_bidirectional():
    x = keras.Input((None,), dtype="int32", name="tok")
    h = L.Embedding(20, 4, mask_zero=True, name="emb")(x)
    return keras.Model(x, L.Bidirectional(L.LSTM(2), name="bi")(h), name="mask_bidirectional")


@case
def clone_mask():
    return keras.models.clone_model(mask_embedding_lstm())


def main():
    fixtures = {}
    for name, build in CASES.items():
        keras.backend.clear_session()
        model = build()
        fixtures[name] = json.dumps(keras.saving.serialize_keras_object(model))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "model-verbs.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": fixtures}, f, indent=0, sort_keys=True)
    print(f"{len(fixtures)} cases")


main()
