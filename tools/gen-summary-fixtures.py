"""Summary fixtures (tests/testthat/fixtures/summaries.json), run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-summary-fixtures.py > tests/testthat/fixtures/summaries.json

What Keras 3.15.1's model.summary() prints for a few models, and the configs of the Functional
ones (R builds them from these, as it has no Functional builder).
"""
import keras, json, sys
out = {}
def cap(model, **kw):
    buf = []
    model.summary(print_fn=lambda x, **k: buf.append(x), **kw)
    return "".join(buf)
keras.backend.clear_session()
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)], name="sequential")
out["sequential"] = cap(m)
keras.backend.clear_session()
m2 = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_state=True, name="lstm")], name="seq_state")
out["sequential_multi_output"] = cap(m2)
keras.backend.clear_session()
a = keras.Input((8,), name="a"); b = keras.Input((8,), name="b")
d = keras.layers.Dense(16, name="shared")
x = keras.layers.Concatenate(name="cat")([d(a), d(b)])
y = keras.layers.BatchNormalization(name="bn")(x)
z = keras.layers.Dense(1, name="out")(y)
f = keras.Model([a, b], z, name="functional")
out["functional"] = cap(f)
out["functional_config"] = f.to_json()
f.get_layer("shared").trainable = False
out["functional_frozen"] = cap(f, show_trainable=True)
out["functional_frozen_config"] = f.to_json()
keras.backend.clear_session()
m3 = keras.Sequential([keras.Input((32,)), keras.layers.Dense(1000), keras.layers.Dense(100000)], name="big")
out["sequential_big"] = cap(m3)
keras.backend.clear_session()


class Scaled(keras.layers.Layer):
    """A custom layer whose variables come from add_weight() in __init__ and build()."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.step = self.add_weight(shape=(), dtype="int64", trainable=False, name="step")

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.scale = self.add_weight(shape=(self.units,), trainable=False)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (self.units,)

    def call(self, x):
        return x @ self.kernel + self.bias


m4 = keras.Sequential([keras.Input((3,)), Scaled(4, name="sc"), keras.layers.Dense(2, name="d")], name="custom")
out["custom_weights"] = cap(m4)
out["custom_weights_frozen"] = cap(m4, show_trainable=True)
json.dump(out, sys.stdout)
