"""Which built-in layers write shared_object_id inside their own config, and where a given
activity_regularizer goes: the source of kc_cell_config_classes and kc_activity_twice_classes
(R/serialize.R). Run by hand (CI never needs Python):
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/probe-shared-objects.py
Each layer class of the catalog is made with its required arguments (and activity_regularizer="l2"
where it takes one), serialized in a sharing scope as saving does; printed: the config keys that
carry a shared_object_id (dtype aside, shared by all new layers) and the key before
activity_regularizer. Keras 3.15.1 printed, besides classes with nothing shared:
  Conv1D/2D/3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D, SeparableConv1D/2D, EinsumDense,
  Embedding, ReversibleEmbedding, GroupQueryAttention: ['activity_regularizer'], after 'dtype'
  LSTM, GRU, ConvLSTM1D/2D/3D: activity_regularizer and the cell's initializers, after 'dtype'
  SimpleRNN: the cell's initializers; its activity_regularizer after 'bias_regularizer'
  MultiHeadAttention: nothing; its activity_regularizer after 'bias_regularizer'
"""
import json, os, warnings
import keras
warnings.simplefilter("ignore")
from keras.src.saving import serialization_lib as sl
cat = [json.loads(l.rstrip(",\n")) for l in open(os.path.join(os.path.dirname(__file__), "..", "src", "rust", "core", "src", "catalog", "catalog.json")) if l.startswith('{"id"')]
res = {}
for e in cat:
    if e["namespace"] != "keras.layers" or e["kind"] != "class" or e["is_alias"]: continue
    params = {p["name"] for p in e["params"]}
    try:
        args = {k: sl.deserialize_keras_object(v) if isinstance(v, dict) and "class_name" in v else v for k, v in (e.get("required_args_used") or {}).items()}
    except Exception:
        continue
    extra = {}
    if "activity_regularizer" in params or any(p["kind"] == "var_keyword" for p in e["params"]):
        extra["activity_regularizer"] = "l2"
    try:
        obj = getattr(keras.layers, e["name"])(**args, **extra)
    except Exception as ex:
        try:
            obj = getattr(keras.layers, e["name"])(**args)
        except Exception:
            continue
    with sl.ObjectSharingScope():
        d = json.loads(json.dumps(sl.serialize_keras_object(obj)))
    shared = sorted(k for k, v in d["config"].items() if isinstance(v, dict) and "shared_object_id" in v and k != "dtype")
    keys = list(d["config"])
    pos = keys.index("activity_regularizer") if "activity_regularizer" in keys else None
    if shared or (pos is not None):
        res[e["name"]] = (shared, keys[pos-1] if pos else None)
for k, v in sorted(res.items()): print(k, v)
