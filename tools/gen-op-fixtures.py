"""Differential fixtures for op_*() and tensor operators in Functional graphs: Python Keras 3.15.1
builds each graph below as keras3's R functions would (R doubles arrive as Python floats, integers
as ints, 1-based axes already made 0-based by keras3's as_axis; `x / y` is `__truediv__`, `2 - x`
is `x.__rsub__(2.0)`, `0 < x` is `x.__gt__(0.0)`), and writes its config text, its outputs'
shapes and dtypes and its parameter count. tests/testthat/test-ops.R builds the same graphs in R
(helper-ops.R) and compares. Not run by the tests (they must not need Python). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-op-fixtures.py

Writes tests/testthat/fixtures/op-graphs.json.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras import layers as L  # noqa: E402
from keras import ops  # noqa: E402

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def arithmetic():
    x = keras.Input((3, 4), name="x")
    y = keras.Input((3, 4), name="y")
    outs = [x + y, x - 2.0, 2.0 * x, x / y, 1.0 / x, x ** 2.0, -x, x // 2.0, x % 3.0, 2.5 - x, x * 3,
            ops.add(x, y), ops.subtract(x, y), ops.multiply(x, 0.5), ops.divide(x, y), ops.power(x, y),
            ops.maximum(x, 0.0), ops.minimum(x, y), ops.floor_divide(x, y), ops.mod(x, y), ops.negative(x)]
    return keras.Model([x, y], outs, name="arithmetic")


@case
def comparisons():
    x = keras.Input((3, 4), name="x")
    y = keras.Input((3, 4), name="y")
    gt = x > y
    lt = x < 1.0
    outs = [gt, x >= y, lt, x <= 0.5, ops.equal(x, y), ops.equal(1.0, x), x != y, x != 1.0, 0.0 < x, 0.5 >= x,
            gt & lt, gt | lt, ~gt, ops.logical_and(gt, lt), ops.logical_or(gt, lt), ops.logical_xor(gt, lt),
            ops.logical_not(lt), ops.greater(x, y), ops.greater_equal(x, 0.0), ops.less(x, y),
            ops.less_equal(x, y), ops.not_equal(x, y)]
    return keras.Model([x, y], outs, name="comparisons")


@case
def unary():
    x = keras.Input((5,), name="x")
    outs = [ops.absolute(x), ops.exp(x), ops.log(x), ops.sqrt(x), ops.square(x), ops.sign(x), ops.floor(x),
            ops.ceil(x), ops.round(x, decimals=0), ops.round(x, decimals=2), ops.log1p(x), ops.expm1(x), ops.sin(x),
            ops.cos(x), ops.tan(x), ops.tanh(x), ops.reciprocal(x), ops.rsqrt(x), ops.erf(x), ops.erfinv(x)]
    return keras.Model(x, outs, name="unary")


@case
def activations():
    x = keras.Input((2, 6), name="x")
    outs = [ops.relu(x), ops.relu6(x), ops.sigmoid(x), ops.softplus(x), ops.softsign(x), ops.silu(x),
            ops.gelu(x, True), ops.gelu(x, False), ops.elu(x, 1.0), ops.elu(x, 0.5), ops.selu(x),
            ops.leaky_relu(x, 0.2), ops.leaky_relu(x, 0.1), ops.hard_sigmoid(x), ops.hard_silu(x),
            ops.softmax(x, axis=-1), ops.softmax(x, axis=1), ops.log_softmax(x, axis=-1)]
    return keras.Model(x, outs, name="activations")


@case
def reductions():
    x = keras.Input((3, 4), name="x")
    b = keras.Input((3, 4), dtype="bool", name="b")
    amax = ops.argmax(x, axis=-1)
    outs = [ops.mean(x, axis=1), ops.mean(x), ops.sum(x, axis=[1, 2], keepdims=True), ops.max(x, axis=-1),
            ops.min(x, axis=0, keepdims=True), ops.prod(x, axis=2), ops.std(x, axis=1), ops.var(x, axis=-1, keepdims=True),
            ops.any(b, axis=1), ops.all(b), amax + 1, ops.argmin(x, axis=1)]
    return keras.Model([x, b], outs, name="reductions")


@case
def reshaping():
    x = keras.Input((3, 4), name="x")
    y = keras.Input((3, 4), name="y")
    e = ops.expand_dims(x, 1)
    outs = [ops.concatenate([x, y], axis=1), ops.concatenate([x, y], axis=0), ops.concatenate([x, y], axis=-1),
            ops.stack([x, y], axis=1), ops.stack([x, y], axis=0), ops.reshape(x, (-1, 12)), ops.reshape(x, (2, 6, -1)),
            ops.transpose(x, [0, 2, 1]), ops.transpose(x), e, ops.expand_dims(x, -1), ops.squeeze(e, axis=1),
            ops.squeeze(e), ops.swapaxes(x, 1, 2), ops.moveaxis(x, 1, -1), ops.tile(x, [1, 2, 1]),
            ops.broadcast_to(x, (2, 3, 4)), ops.cast(x, "int32"), ops.cast(x, "bool"), ops.zeros_like(x),
            ops.ones_like(x, "int32"), ops.clip(x, 0.0, 1.0), ops.matmul(x, ops.transpose(y, [0, 2, 1])),
            ops.matmul(ops.transpose(x, [0, 2, 1]), y)]
    return keras.Model([x, y], outs, name="reshaping")


@case
def int_dtypes():
    i = keras.Input((3,), dtype="int32", name="i")
    outs = [i + 1, i + 1.5, i * i, i / 2, ops.sqrt(i), ops.mean(i, axis=1), ops.sum(i), ops.negative(i), ops.cast(i, "float16"),
            i > 1, ops.relu(i)]
    return keras.Model(i, outs, name="int_dtypes")


@case
def attention_block():
    # A transformer-style block written with ops between layers: RMS normalization, scaled
    # dot-product attention, a residual connection, as Keras' own examples write them.
    tokens = keras.Input((8, 16), name="tokens")
    h = tokens * ops.rsqrt(ops.mean(ops.square(tokens), axis=-1, keepdims=True) + 1e-06)
    q = L.Dense(16, name="query")(h)
    k = L.Dense(16, name="key")(h)
    v = L.Dense(16, name="value")(h)
    scores = ops.matmul(q, ops.transpose(k, [0, 2, 1])) / 4.0
    att = ops.matmul(ops.softmax(scores, axis=-1), v)
    out = L.Dense(16, name="proj")(att) + tokens
    pooled = ops.mean(out, axis=1)
    return keras.Model(tokens, L.Dense(2, activation="softmax", name="head")(pooled), name="attention_block")


@case
def preprocess_head():
    # ops on an image input as keras.applications' preprocessing writes them, then layers.
    img = keras.Input((8, 8, 3), name="img")
    x = ops.cast(img, "float32") / 127.5 - 1.0
    x = L.Conv2D(4, 3, name="conv")(x)
    x = ops.relu(x)
    x = ops.max(x, axis=[1, 2])
    return keras.Model(img, L.Dense(1, name="out")(x), name="preprocess_head")


# keras3 gives a tensor of 1-based indices to Python as `ops.where(i > 0, i - 1, i)` (as_py_index).
def py_index(i):
    return ops.where(i > 0, i - 1, i)


@case
def products():
    x = keras.Input((3, 4), name="x")
    y = keras.Input((4, 5), name="y")
    v = keras.Input((4,), name="v")
    z = keras.Input((None, 4), name="z")
    outs = [ops.dot(x, y), ops.dot(x, v), ops.dot(z, y), ops.einsum("bij,bjk->bik", x, y), ops.einsum("bij,bkj", x, x),
            ops.einsum("...j->...", x), ops.einsum("bij->bji", z), ops.einsum("bi,bi->b", v, v)]
    return keras.Model([x, y, v, z], outs, name="products")


@case
def indexing():
    x = keras.Input((3, 4), name="x")
    i = keras.Input((2,), dtype="int32", name="i")
    j = keras.Input((3, 1), dtype="int32", name="j")
    outs = [ops.take(x, py_index(i), axis=1), ops.take(x, i, axis=-1), ops.take(x, py_index(i)), ops.take(x, 1, axis=2),
            ops.take_along_axis(x, py_index(j), axis=1), ops.take_along_axis(x, j, axis=-1),
            ops.take(x, ops.argmax(x, axis=-1), axis=1)]
    return keras.Model([x, i, j], outs, name="indexing")


@case
def where_one_hot():
    x = keras.Input((3, 4), name="x")
    y = keras.Input((3, 4), name="y")
    k = keras.Input((3, 4), dtype="int32", name="k")
    n = keras.Input((3,), dtype="int32", name="n")
    outs = [ops.where(x > 0.0, x, 0.0), ops.where(x > y, x, y), ops.where(x > 0.0, k, 0), ops.where(x > 0.0, k, 0.5),
            ops.where(x > 0.0, 1.0, y), ops.one_hot(py_index(n), 5), ops.one_hot(n, 4, axis=1),
            ops.one_hot(n, 3, dtype="int32")]
    return keras.Model([x, y, k, n], outs, name="where_one_hot")


@case
def sorting():
    x = keras.Input((3, 4), name="x")
    b = keras.Input((3, 4), dtype="bool", name="b")
    values, indices = ops.top_k(x, 2)
    indices = indices + 1
    outs = [ops.cumsum(x, axis=1), ops.cumsum(x), ops.cumprod(x, axis=-1), ops.cumsum(b, axis=0), ops.cumprod(x, axis=1, dtype="float16"),
            ops.sort(x), ops.sort(x, axis=1), ops.argsort(x) + 1, ops.argsort(x, axis=1), values, indices]
    outs += list(ops.top_k(x, 3, sorted=False))
    return keras.Model([x, b], outs, name="sorting")


@case
def splitting():
    x = keras.Input((6, 4), name="x")
    z = keras.Input((None, 4), name="z")
    halves = ops.split(x, 2, axis=1)
    outs = list(halves) + list(ops.split(x, [1, 4], axis=1)) + list(ops.split(x, 2, axis=-1)) + list(ops.split(z, 3, axis=1))
    outs.append(L.Dense(2, name="dense")(halves[1]))
    return keras.Model([x, z], outs, name="splitting")


@case
def subsetting():
    # x[...] in keras3 is reticulate's: the key goes to Python as written. op_subset() applies
    # keras3's R rules first (1-based, inclusive ends); the keys below are what it sends.
    x = keras.Input((3, 4), name="x")
    outs = [x[:, 1:3], x[:, 2], x[:, -1], x[..., 1], x[:, None], x[2], x[:, :2], x[:, 1:3:2],
            x[(slice(None), 1)], x[(slice(None), -1)], x[(slice(None), slice(None, 2))], x[(slice(None), slice(1, None))],
            x[(slice(None), slice(None), slice(1, None))], x[(Ellipsis, 0)], x[(None,)], x[(slice(None), slice(None, None, 2))],
            x[(slice(None), slice(None, 2))], x[(1,)]]
    return keras.Model(x, outs, name="subsetting")


@case
def gather_head():
    # A classifier head that picks the last time step and the top classes.
    tokens = keras.Input((5, 8), name="tokens")
    h = L.Dense(8, name="encode")(tokens)
    last = h[:, -1]
    first, rest = ops.split(h, [1], axis=1)
    pooled = ops.einsum("btd,bd->bt", rest, last)
    probs = ops.softmax(L.Dense(6, name="classes")(last))
    values, indices = ops.top_k(probs, 3)
    return keras.Model(tokens, [values, indices + 1, pooled, ops.squeeze(first, axis=1)], name="gather_head")


def describe(model):
    outs = model.outputs
    return {
        "config": json.dumps(keras.saving.serialize_keras_object(model)),
        "shapes": [list(t.shape) for t in outs],
        "dtypes": [t.dtype for t in outs],
        "params": model.count_params(),
    }


def main():
    fixtures = {}
    for name, build in CASES.items():
        keras.backend.clear_session()
        fixtures[name] = describe(build())
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "op-graphs.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "cases": fixtures}, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{len(fixtures)} graphs")


main()
