"""Saving fixtures: files Keras 3.15.1's model.save() writes, for tests that compare with them.

Run by hand (CI never needs Python):
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-saving-fixtures.py

Writes into tests/testthat/fixtures/saving/:
- rnn_sharing.keras: a Sequential model of LSTM, GRU, SimpleRNN, RNN(LSTMCell), Bidirectional(LSTM)
  and Dense, saved by model.save(): its config.json has the shared_object_id Keras writes on the
  initializers, regularizers and constraints an RNN layer's get_config() serializes twice;
  rnn_sharing.json, the model's get_weights() (shape and C-order values); convlstm_sharing.keras,
  the same for ConvLSTM1D.
- npz_mlp.keras: a small model saved by saving_lib.save_model(weights_format="npz"): its
  model.weights.npz holds one .npy per saveable (`layers/dense.npy`, `__root__.npy`...), each a
  0-d object array whose pickled element is the dict of the layer's variables; npz_mlp.json holds
  the model's get_weights() (shape and C-order values), and npz_mlp.load-error.txt what
  keras.saving.load_model() says of the file (it loads npz with allow_pickle=False).
- bidirectional.json: Bidirectional layers made without a backward_layer (config, or the error),
  and what from_config makes of each config once its backward_layer is removed.
- keras2-arguments.json: Keras 2 arguments Keras 3.15.1's constructors still take: per case the
  class, the arguments, the config serialize_keras_object() writes and the warnings raised.
"""
import json, os
import numpy as np
import keras
from keras.src.saving import saving_lib

FIX = "tests/testthat/fixtures/saving"
os.makedirs(FIX, exist_ok=True)
keras.utils.set_random_seed(7)
L = keras.layers

m = keras.Sequential([
    keras.Input((5, 3), name="x"),
    L.LSTM(2, return_sequences=True, kernel_regularizer="l2", recurrent_constraint="non_neg", name="lstm"),
    L.GRU(2, return_sequences=True, name="gru"),
    L.SimpleRNN(2, return_sequences=True, name="srnn"),
    L.RNN(L.LSTMCell(2, name="cell"), return_sequences=True, name="rnn"),
    L.Bidirectional(L.LSTM(2, name="inner"), name="bi"),
    L.Dense(1, name="out"),
], name="rnn_sharing")
m.save(os.path.join(FIX, "rnn_sharing.keras"))


def dump_weights(m, name):
    with open(os.path.join(FIX, name), "w") as f:
        json.dump([{"shape": list(w.shape), "values": [float(v) for v in w.reshape(-1)]} for w in m.get_weights()], f)


dump_weights(m, "rnn_sharing.json")

# ConvLSTM layers share their cell's objects the same way; a regularizer on the layer itself
# (activity_regularizer) is serialized once.
m = keras.Sequential([keras.Input((3, 6, 1), name="frames"),
                      L.ConvLSTM1D(2, 3, return_sequences=True, bias_regularizer="l1", activity_regularizer="l2",
                                   name="conv_lstm"),
                      L.Flatten(name="flat")], name="convlstm_sharing")
m.save(os.path.join(FIX, "convlstm_sharing.keras"))

m = keras.Sequential([keras.Input((3,), name="x"), L.Dense(4, activation="relu", name="hidden"),
                      L.BatchNormalization(name="bn"), L.Dense(2, name="out")], name="npz_mlp")
m.compile(optimizer="adam", loss="mse")
path = os.path.join(FIX, "npz_mlp.keras")
saving_lib.save_model(m, path, weights_format="npz")
dump_weights(m, "npz_mlp.json")
try:
    keras.saving.load_model(path)
    err = "loaded\n"
except Exception as e:
    err = f"{type(e).__name__}: {e}\n"
with open(os.path.join(FIX, "npz_mlp.load-error.txt"), "w") as f:
    f.write(err)
import warnings
cases = [
    ("Embedding", dict(input_dim=10, output_dim=3, input_length=5, name="emb")),
    ("Embedding", dict(input_dim=10, output_dim=3, input_length=None, name="emb")),
    ("LSTM", dict(units=2, implementation=1, name="lstm")),
    ("GRU", dict(units=2, implementation=1, name="gru")),
    ("LSTMCell", dict(units=2, implementation=1, name="cell")),
    ("GRUCell", dict(units=2, implementation=2, name="cell")),
    ("LeakyReLU", dict(alpha=0.2, name="lr")),
    ("LeakyReLU", dict(alpha=0.2, negative_slope=0.5, name="lr")),
    ("Adam", dict(learning_rate=0.01, decay=0.1, name="opt")),
    ("SGD", dict(decay=0.0, name="opt")),
]
out = []
for cls, args in cases:
    ctor = getattr(keras.optimizers, cls, None) if cls in ("Adam", "SGD") else getattr(L, cls)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = ctor(**args)
    out.append({"class": cls, "args": args, "config": json.dumps(keras.saving.serialize_keras_object(obj)),
                "warnings": [str(w.message) for w in caught if "deprecated" in str(w.message) or "decay" in str(w.message)]})
with open(os.path.join(FIX, "keras2-arguments.json"), "w") as f:
    json.dump(out, f, indent=1)

bidi = []
for inner in [dict(units=2, name="forward_x"), dict(units=2, name="backward_x", return_sequences=True),
              dict(units=2, name="x", go_backwards=True)]:
    try:
        b = L.Bidirectional(L.LSTM(**inner), name="bi")
        config = keras.saving.serialize_keras_object(b)
        # What from_config makes of the same config without its backward_layer.
        bare = json.loads(json.dumps(config))
        del bare["config"]["backward_layer"]
        again = keras.saving.deserialize_keras_object(bare)
        bidi.append({"inner": inner, "config": json.dumps(config),
                     "without_backward": json.dumps(keras.saving.serialize_keras_object(again))})
    except Exception as e:
        bidi.append({"inner": inner, "error": f"{type(e).__name__}: {e}"})
with open(os.path.join(FIX, "bidirectional.json"), "w") as f:
    json.dump(bidi, f, indent=1)

print("keras", keras.__version__, "wrote", sorted(os.listdir(FIX)))
