#!/usr/bin/env python3
"""Differential fixtures for model_to_dot() (src/rust/core/src/dot/), run by hand:

    python3 -m venv /work/venv-keras
    /work/venv-keras/bin/pip install keras==3.15.1 jax scipy h5py pydot==4.0.1
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-plot-fixtures.py \
        ../shared/keras-reference/models tests/testthat/fixtures/model-dot.json

For a few models (reference configs and models built here) it records the model's config.json
text and what Keras 3.15.1's `keras.utils.model_to_dot(model, **options).to_string()` writes for
several option sets. Keras names graph nodes by `id(layer)`, a memory address; the fixture has
them replaced by the layer's path (`"inner_model/dense"`, quoted as pydot quotes it), the ids
kerasconfig writes. Nothing else is changed.
"""
import json
import os
import re
import sys

import keras
import pydot
from keras import layers
from keras.src.saving import serialization_lib

assert keras.__version__ == "3.15.1", keras.__version__
assert pydot.__version__ == "4.0.1", pydot.__version__

from keras.src.utils.model_visualization import model_to_dot  # noqa: E402

REFERENCE = ["seq_mlp", "seq_cnn", "func_multi_io", "func_shared_layers", "func_nested"]

OPTIONS = {
    "defaults": {},
    "plot_defaults": {"show_layer_names": False},
    "shapes": {"show_shapes": True},
    "everything": {"show_shapes": True, "show_dtype": True, "show_layer_activations": True,
                   "show_trainable": True, "expand_nested": True, "rankdir": "LR", "dpi": 96},
    "nested_names": {"expand_nested": True, "show_trainable": True, "splines": "polyline"},
    "subgraph": {"subgraph": True, "show_shapes": True},
}


def seq_frozen():
    return keras.Sequential([
        keras.Input((5, 3), name="steps"),
        layers.LSTM(4, name="lstm"),
        layers.Dense(2, trainable=False, name="frozen"),
        layers.Activation("softmax", name="probs"),
    ], name="seq_frozen")


def func_deep_nested():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    c = layers.Concatenate(name="join")([a, b])
    pair = keras.Model([a, b], [layers.Dense(3, name="wide")(c), layers.Dense(1, name="narrow")(c)],
                       name="pair")
    deep = keras.Sequential([keras.Input((4,)), layers.Dense(4, name="deep_dense")], name="deep")
    wrapper = keras.Sequential([keras.Input((4,)), deep, layers.Dense(4, name="after_deep")], name="wrapper")
    p = keras.Input((6,), name="p")
    q = keras.Input((6,), name="q")
    p1 = wrapper(layers.Dense(4, name="p_proj")(p))
    q1 = layers.Dense(4, name="q_proj")(q)
    o1, o2 = pair([p1, q1])
    out = layers.Dense(1, name="out")(layers.Concatenate(name="merge")([o1, o2]))
    return keras.Model([p, q], [out, o2], name="func_deep_nested")


def node_ids(model, prefix=""):
    """id(layer) -> path, for every layer of the model and of the models nested in it."""
    ids = {}
    ops = model._operations if isinstance(model, keras.Model) and hasattr(model, "_operations") else []
    for layer in list(getattr(model, "_layers", [])) + list(ops):
        ids[str(id(layer))] = prefix + layer.name
        if isinstance(layer, keras.Model):
            ids.update(node_ids(layer, prefix + layer.name + "/"))
    return ids


def pydot_quote(s):
    return pydot.quote_id_if_necessary(s)


def dot_text(model, options):
    text = model_to_dot(model, **options).to_string()
    ids = node_ids(model)
    return re.sub(r"\b\d{6,}\b", lambda m: pydot_quote(ids[m.group(0)]) if m.group(0) in ids else m.group(0), text)


def case(model, config_text):
    return {"config": config_text,
            "dots": {name: {"options": opts, "dot": dot_text(model, opts)} for name, opts in OPTIONS.items()}}


def main(reference_dir, out):
    cases = {}
    for name in REFERENCE:
        with open(os.path.join(reference_dir, name + ".json")) as f:
            text = f.read()
        model = serialization_lib.deserialize_keras_object(json.loads(text))
        cases[name] = case(model, text)
    for build in (seq_frozen, func_deep_nested):
        model = build()
        text = json.dumps(serialization_lib.serialize_keras_object(model))
        # What kerasconfig reads is what Keras reads back: draw the reloaded model.
        cases[build.__name__] = case(serialization_lib.deserialize_keras_object(json.loads(text)), text)
    with open(out, "w") as f:
        json.dump({"keras": keras.__version__, "pydot": pydot.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
