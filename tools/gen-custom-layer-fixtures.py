"""Differential fixtures for custom layers in Functional and Sequential models: Python Keras 3.15.1
registers custom layers equivalent to the R classes of tests/testthat/test-custom-layer-graphs.R,
builds each graph below and writes its config text; the R test builds the same graphs with
keras3's API (custom generators taking `object` first) and compares the text (shared_object_id
values removed). Each class's __module__ is set to what kerasconfig writes for a class defined
at top level in R ("<r-globalenv>"), so the texts agree byte for byte.
Not run by the tests (they must not need Python). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-custom-layer-fixtures.py

Writes tests/testthat/fixtures/custom-layer-graphs.json.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
from keras import ops  # noqa: E402

R_MODULE = "<r-globalenv>"


@keras.saving.register_keras_serializable(package="kc")
class Scale(L.Layer):
    """Own get_config(); a float argument."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


@keras.saving.register_keras_serializable(package="kc")
class Offset(L.Layer):
    """No get_config(): Keras' auto-config records the constructor's arguments."""

    def __init__(self, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def call(self, x):
        return x + self.offset


@keras.saving.register_keras_serializable(package="kc")
class Projection(L.Layer):
    """Weights made in build(): the config gets a build_config."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")

    def call(self, x):
        return ops.matmul(x, self.kernel)

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


@keras.saving.register_keras_serializable(package="kc")
class PairSum(L.Layer):
    """Called on a list of tensors (one argument), as merge layers are."""

    def call(self, inputs):
        return inputs[0] + inputs[1]


@keras.saving.register_keras_serializable(package="kc")
class Gate(L.Layer):
    """call() takes two tensors as two arguments."""

    def call(self, x, gate):
        return x * gate


@keras.saving.register_keras_serializable(package="kc")
class GatedProjection(L.Layer):
    """build() of two arguments: the build_config is a shapes_dict."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, x_shape, gate_shape):
        self.kernel = self.add_weight(shape=(x_shape[-1], self.units), name="kernel")
        self.gate_kernel = self.add_weight(shape=(gate_shape[-1], self.units), name="gate_kernel")

    def call(self, x, gate):
        return ops.matmul(x, self.kernel) * ops.matmul(gate, self.gate_kernel)


for cls in (Scale, Offset, Projection, PairSum, Gate, GatedProjection):
    cls.__module__ = R_MODULE

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def custom_in_functional():
    x = keras.Input((4,), name="x")
    h = L.Dense(3, name="hidden")(x)
    h = Scale(factor=3.0, name="scale")(h)
    return keras.Model(x, L.Dense(1, name="out")(h), name="custom_functional")


@case
def custom_auto_config():
    x = keras.Input((4,), name="x")
    h = Offset(offset=1.5)(x)
    return keras.Model(x, Offset(offset=-1.0, name="back")(h), name="custom_auto")


@case
def custom_built():
    x = keras.Input((5,), name="x")
    return keras.Model(x, Projection(units=3, name="proj")(x), name="custom_built")


@case
def custom_list_input():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    s = PairSum(name="pair")([a, b])
    return keras.Model([a, b], L.Dense(2, name="out")(s), name="custom_list")


@case
def custom_two_arguments():
    a = keras.Input((4,), name="a")
    g = keras.Input((4,), name="g")
    return keras.Model([a, g], Gate(name="gate")(a, g), name="custom_two_args")


@case
def custom_build_shapes_dict():
    a = keras.Input((4,), name="a")
    g = keras.Input((3,), name="g")
    return keras.Model([a, g], GatedProjection(units=5, name="gp")(a, g), name="custom_shapes_dict")


@case
def custom_shared():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    s = Scale(factor=0.5, name="half")
    return keras.Model([a, b], L.Add(name="add")([s(a), s(b)]), name="custom_shared")


@case
def custom_in_sequential():
    return keras.Sequential([keras.Input((4,)), Scale(factor=2.0, name="scale"), L.Dense(1, name="out")],
                            name="custom_sequential")


def main():
    fixtures = {}
    for name, build in CASES.items():
        keras.backend.clear_session()
        model = build()
        fixtures[name] = json.dumps(keras.saving.serialize_keras_object(model))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "custom-layer-graphs.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": fixtures}, f, indent=0, sort_keys=True)
    print(f"{len(fixtures)} graphs")


main()
