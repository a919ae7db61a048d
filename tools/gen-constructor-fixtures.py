#!/usr/bin/env python3
"""Differential fixtures for the built-in constructors: what Keras 3.15.1 itself writes.

Run by hand (the tests never need Python):

    python3 -m venv /work/venv-keras && /work/venv-keras/bin/pip install keras==3.15.1 jax scipy
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-constructor-fixtures.py

For every public built-in class of keras_api.json (layers, initializers, regularizers, constraints,
losses, metrics, optimizers, schedules, dtype policies) it builds many argument sets: the arguments
Keras requires, then each parameter in turn with non-default values (ints, floats, lists, None,
strings; base-layer arguments for layers), the cases issue 9 names, and invalid arguments. For each
it records `serialize_keras_object(obj)` or Keras' error. Argument values are JSON, so Python's
`3` and `3.0` stay distinct: the R test reads `3` as an R integer and `3.0` as a double.

Each argument set is also run in its "double" form: every int becomes a float, except in parameters
Keras declares integer (docstring "int"/"integer", or Keras refuses the float). That is what an R
user typing every number as a double means; the declared-integer parameters are written to
`int_params` so the R and Rust code can tell them apart without Python.

Output: tests/testthat/fixtures/constructors.json, one JSON line per class:
{"path", "required": <the arguments every case adds>, "base": <config of the required-only instance>, "int_params": [...], "cases": [...]},
each case {"args" (besides the required ones), and "config" (keys whose value differs from base) + "keys" (only when the key
list differs from base's), or "error": {"type", "message"}; "double": the same for the double form
when it differs from the case}. The script is deterministic: names and seeds are passed explicitly.
"""

import json
import math
import os
import re
import struct
import sys
import warnings

# Keras' messages show Python sets ({'valid', 'same'}), whose order follows the hash seed: a fixed
# seed makes the output the same on every run.
if os.environ.get("PYTHONHASHSEED") != "1":
    os.environ["PYTHONHASHSEED"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)
os.environ.setdefault("KERAS_BACKEND", "numpy")
warnings.filterwarnings("ignore")
import keras  # noqa: E402
from keras.saving import deserialize_keras_object, serialize_keras_object  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = os.path.join(REPO, "..", "shared", "keras-reference", "keras_api.json")
OUTPUT = os.path.join(REPO, "tests", "testthat", "fixtures", "constructors.json")
RULES = os.path.join(REPO, "src", "rust", "core", "src", "catalog", "rules.json")

NAMESPACES = [
    "keras.layers", "keras.initializers", "keras.regularizers", "keras.constraints", "keras.losses",
    "keras.metrics", "keras.optimizers", "keras.optimizers.schedules", "keras.dtype_policies",
]

# Classes Keras cannot build here (need another backend or a file); their failure is recorded once.
SKIP_PARAMS = {"kwargs", "args"}

# Non-default string values by parameter name (strings have no generic "other value").
STRINGS = {
    "padding": ["same"], "data_format": ["channels_first"], "activation": ["relu", "softmax"],
    "recurrent_activation": ["hard_sigmoid"], "interpolation": ["nearest"], "reduction": ["sum", None],
    "merge_mode": ["sum", None], "output_mode": ["count"], "fill_mode": ["constant"],
    "score_mode": ["concat"], "mode": ["vertical"], "split": ["character"], "standardize": [None],
    "mean": [None], "dtype": ["float16", "mixed_float16"], "oov_token": ["[OOV]"],
    "mask_token": ["[MASK]"], "distribution": ["normal", "untruncated_normal"], "curve": ["PR"],
    "summation_method": ["minoring"], "encoding": ["utf-8"], "vocabulary_dtype": ["int64"],
    "bias_axes": ["c"], "equation": ["ab,bc->ac"], "sequence_length": [None],
}
OBJECT_STRINGS = {"initializer": ["ones", "he_normal"], "regularizer": ["l2"], "constraint": ["non_neg"]}
# Parameters whose None default is worth replacing, by name.
NONE_VALUES = {
    "seed": [7], "strides": [1], "noise_shape": [[None, 1, 3]], "axis": [1], "top_k": [2], "class_id": [1],
    "num_labels": [3], "ignore_class": [0], "thresholds": [[0.25, 0.5, 0.75], 0.4], "clipnorm": [1.0],
    "clipvalue": [0.5], "global_clipnorm": [2.0], "weight_decay": [0.004], "ema_overwrite_frequency": [3],
    "gradient_accumulation_steps": [2], "loss_scale_factor": [128.0], "lora_rank": [4], "max_tokens": [20],
    "output_sequence_length": [5], "batch_size": [8], "sparse": [True], "output_shape": [[3]],
    "value_dim": [3], "attention_axes": [[1]], "alpha": [0.5], "name": ["t_name"], "target_class_ids": [[0, 1]],
    "num_classes": [4], "label_smoothing": [0.1], "max_value": [6.0], "threshold": [0.5],
}

# Parameters Keras' docstrings call integers under any wording (keras3's `as_integer` and `as_axis`
# arguments, and those issue 9 lists); with the docstrings' "int"/"integer" and Keras' refusals of
# floats, they make `int_params`.
INTEGER_NAMES = {
    "units", "filters", "groups", "kernel_size", "strides", "dilation_rate", "pool_size", "seed", "axis", "axes",
    "shape", "batch_shape", "batch_size", "input_shape", "batch_input_shape", "input_dim", "output_dim",
    "decay_steps", "first_decay_steps", "warmup_steps", "ema_overwrite_frequency", "gradient_accumulation_steps",
    "k", "num_thresholds", "num_heads", "key_dim", "value_dim", "attention_axes", "head_dim", "num_query_heads",
    "num_key_value_heads", "target_shape", "dims", "top_k", "class_id", "num_labels", "ignore_class",
    "num_classes", "target_class_ids", "boundaries", "num_regressors", "lora_rank", "lora_alpha", "padding",
    "cropping", "size", "output_size", "n", "num_tokens", "num_bins", "max_tokens", "output_sequence_length",
    "sequence_length", "sequence_stride", "fft_length", "frame_length", "frame_step", "num_mel_bins",
    "sampling_rate", "height", "width", "max_number", "depth_multiplier", "chain_depth", "num_chains", "num_ops",
    "output_padding", "num_oov_indices", "ngrams", "shared_axes", "output_shape", "projection_dim", "input_axes",
    "output_axes",
}

RELU = {"module": "builtins", "class_name": "function", "config": "relu", "registered_name": "function"}
# Required arguments that replace keras_api.json's (which name functions this script cannot load).
REQUIRED = {
    "keras.layers.InputLayer": {"shape": [4]},
    "keras.layers.Lambda": {"function": RELU},
}

ISSUE_CASES = [
    ("keras.layers.MaxPooling1D", {"pool_size": 3}),
    ("keras.layers.MaxPooling2D", {"pool_size": [3, 2]}),
    ("keras.layers.AveragePooling3D", {"pool_size": 2, "strides": None}),
    ("keras.layers.MelSpectrogram", {"fft_length": 2049}),
    ("keras.metrics.AUC", {"thresholds": [0.25, 0.5, 0.75]}),
    ("keras.layers.RandomInvert", {"factor": 0.5}),
    ("keras.layers.RandomShear", {"x_factor": 0.25, "y_factor": 0.5}),
    ("keras.regularizers.L1", {"l1": 0.001}),
    ("keras.regularizers.L1L2", {"l1": 0.001, "l2": 0.002}),
    ("keras.losses.MeanSquaredError", {"dtype": "float16"}),
    ("keras.losses.CategoricalCrossentropy", {"dtype": "float16", "from_logits": True}),
    ("keras.layers.CategoryEncoding", {"num_tokens": 4, "sparse": True}),
    ("keras.layers.Lambda", {"function": RELU, "output_shape": [3]}),
    ("keras.constraints.MaxNorm", {"max_value": 2.0}),
    ("keras.constraints.MaxNorm", {"max_value": 2.5, "axis": 1}),
    ("keras.layers.InputLayer", {"shape": [7]}),
    ("keras.layers.InputLayer", {"shape": [None, 7], "batch_size": 2}),
    ("keras.layers.InputLayer", {"batch_shape": [None, 7]}),
    ("keras.layers.InputLayer", {"shape": [3], "dtype": "int32", "sparse": False}),
    ("keras.layers.InputLayer", {}),
    ("keras.initializers.GlorotUniform", {"seed": 1}),
    ("keras.layers.ZeroPadding2D", {"padding": 2}),
    ("keras.layers.ZeroPadding2D", {"padding": [1, 2]}),
    ("keras.layers.ZeroPadding2D", {"padding": [[1, 2], [3, 4]]}),
    ("keras.layers.Cropping2D", {"cropping": [[1, 2], [3, 4]]}),
    ("keras.layers.Cropping2D", {"cropping": 2}),
    ("keras.layers.Cropping2D", {"cropping": [1, 2]}),
    ("keras.layers.Cropping3D", {"cropping": 1}),
    ("keras.layers.Cropping3D", {"cropping": [1, 2, 3]}),
    ("keras.layers.ZeroPadding3D", {"padding": 2}),
    ("keras.layers.ZeroPadding3D", {"padding": [1, 2, 3]}),
    ("keras.layers.Conv1DTranspose", {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}),
    ("keras.layers.Conv2DTranspose", {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}),
    ("keras.layers.Conv3DTranspose", {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1}),
    ("keras.layers.Dense", {"units": 3, "activity_regularizer": "l2"}),
    ("keras.layers.Dense", {"units": -3}),
    ("keras.layers.Dense", {"units": 3, "activation": "relux"}),
    ("keras.layers.Conv2D", {"filters": 4, "kernel_size": 3, "padding": "bogus"}),
    ("keras.layers.Dropout", {"rate": 1.5}),
    ("keras.optimizers.Adam", {"learning_rate": 0.001, "gradient_accumulation_steps": 2}),
    ("keras.optimizers.schedules.PiecewiseConstantDecay", {"boundaries": [10, 20], "values": [1.0, 0.5, 0.25]}),
    ("keras.metrics.Precision", {"top_k": 2, "class_id": 1}),
    ("keras.metrics.AUC", {"num_labels": 3, "multi_label": True}),
    ("keras.losses.SparseCategoricalCrossentropy", {"ignore_class": 0}),
]


# Keras' __init__ argument checks (src/rust/core/src/catalog/checks.rs), as `checks` in rules.json.
# PROBES are found by asking Keras: a class taking the parameter gets the check when Keras refuses
# the bad value, with Keras' message (the value replaced by `{value}`) and, for factor-like
# ranges, the bounds its message states. CHECKS are the class-specific ones, with Keras' messages.
F01 = "should be a number (or a list of two numbers) in the range"
PROBES = [
    ("units", -3, {"kind": "range", "min": 1, "int": True}),
    ("filters", -3, {"kind": "range", "min": 1, "int": True}),
    ("rate", 1.5, {"kind": "range", "min": 0, "max": 1}),
    ("value_range", 1, {"kind": "pair"}),
    ("sliding_window", 0.5, {"kind": "range", "min": 1, "int": True}),
    ("num_tokens", 0.5, {"kind": "range", "min": 1}),
    ("padding", "bogus", {"kind": "one_of", "values": ["valid", "same", "causal"]}),
    ("data_format", "bogus", {"kind": "one_of", "values": ["channels_last", "channels_first"]}),
] + [(k, 3.5, {"kind": "range"}) for k in ("factor", "scale", "sigma", "brightness_factor", "contrast_factor",
                                            "saturation_factor", "hue_factor", "height_factor", "width_factor")]


def C(kind, key, message, **kw):
    return {"kind": kind, "key": key, **kw, "message": message}


def output_padding(n):
    return [C("range", "output_padding", f"The `output_padding` argument must be a tuple of {n} integers. "
              "Received output_padding={value}", min=0, int=True, each=True),
            C("less", "output_padding", "`output_padding` must be strictly less than `strides` for all dimensions. "
              "Received: output_padding={value}, strides={other}", other="strides")]


GROUPS = [C("divisible", "filters", "The number of filters must be evenly divisible by the number of groups. "
            "Received: groups={other}, filters={value}.", other="groups")]
SOURCE_NAME = C("string", "source_name", "'name' must be a string, such as 'mixed_float16'. Received: name={value}")
QUANT_MODES = ["int8", "float8", "int4", "gptq", "awq"]
CHECKS = {
    "keras.layers.ActivityRegularization": [C("refused", "activity_regularizer", "ActivityRegularization got multiple "
                                              "values for keyword argument 'activity_regularizer'")],
    "keras.layers.Conv1D": GROUPS, "keras.layers.Conv2D": GROUPS, "keras.layers.Conv3D": GROUPS,
    "keras.layers.Conv1DTranspose": output_padding(1), "keras.layers.Conv2DTranspose": output_padding(2),
    "keras.layers.Conv3DTranspose": output_padding(3),
    "keras.layers.RandomGaussianBlur": [C("odd", "kernel_size", "kernel_size must be an odd number. "
                                          "Received: kernel_size={value}")],
    "keras.layers.Discretization": [C("exclusive", "num_bins", "Both `num_bins` and `bin_boundaries` should not be set. "
                                      "Received: `num_bins={value}` and `bin_boundaries={other}`", other="bin_boundaries")],
    "keras.layers.GroupQueryAttention": [C("divisible", "num_query_heads", "`num_query_heads` must be divisible by "
                                           "`num_key_value_heads`.", other="num_key_value_heads")],
    "keras.layers.Normalization": [C("together", "mean", "When setting values directly, both `mean` and `variance` "
                                     "must be set. Received: mean={value} and variance={other}", other="variance")],
    "keras.layers.Permute": [C("permutation", "dims", "Invalid permutation argument `dims` for Permute Layer. The set "
                               "of indices in `dims` must be consecutive and start from 1. Received dims={value}")],
    "keras.layers.STFTSpectrogram": [
        C("one_of", "mode", "Output mode is invalid, it must be one of log, magnitude, psd, real, imag, angle, stft. "
          "Received: mode={value}", values=["log", "magnitude", "psd", "real", "imag", "angle", "stft"], strict=True),
        C("range", "frame_step", "`frame_step` should be a positive integer not greater than `frame_length`. "
          "Received frame_step={value}, frame_length={other}", min=1, int=True, other="frame_length"),
        C("at_most", "frame_step", "`frame_step` should be a positive integer not greater than `frame_length`. "
          "Received frame_step={value}, frame_length={other}", other="frame_length"),
        C("at_least", "fft_length", "`fft_length` should be not less than `frame_length`. "
          "Received fft_length={value}, frame_length={other}", other="frame_length")],
    "keras.layers.Bidirectional": [C("instance", "backward_layer", "`backward_layer` need to be a `keras.layers.Layer` "
                                     "instance. Received: {value}", **{"class": "keras_layers"})],
    # Keras 3.15.1's Equalization refuses with an AttributeError (its message attribute is missing).
    "keras.layers.Equalization": [C("pair", "value_range", "The `value_range` argument should be a list of two "
                                    "numbers. Received: value_range={value}")],
    "keras.layers.InputLayer": [C("range", "batch_shape", "Cannot convert '{value}' to a shape.", min=0, int=True,
                                  each=True),
                                C("instance", "input_tensor", "Argument `input_tensor` must be a KerasTensor. "
                                  "Received invalid type: input_tensor={value}", **{"class": "keras_tensor"})],
    "keras.layers.InputSpec": [C("range", "shape", "Cannot convert '{value}' to a shape.", min=0, int=True, each=True),
                               C("dict", "axes", "Argument `axes` must be a dict with integer keys. Received: axes={value}")],
    "keras.optimizers.OptimizerMap": [C("dict", "optimizer_map", "optimizer_map must be a dictionary. Received: {value}")],
    "keras.metrics.AUC": [C("needs", "num_labels", "`num_labels` is needed only when `multi_label` is True.",
                            other="multi_label")],
    "keras.metrics.BinaryIoU": [C("range", "target_class_ids", "Target class id {value} is out of range, which is [0, 2).",
                                  min=0, max=2, max_open=True, int=True, each=True)],
    "keras.initializers.VarianceScaling": [C("one_of", "mode", "Invalid `mode` argument: {value}. Please use one of "
                                             "{'fan_avg', 'fan_in', 'fan_out'}", values=["fan_in", "fan_out", "fan_avg"],
                                             strict=True)],
    "keras.regularizers.OrthogonalRegularizer": [C("one_of", "mode", 'Invalid value for argument `mode`. Expected one of '
                                                   '{"rows", "columns"}. Received: mode={value}',
                                                   values=["rows", "columns"], strict=True)],
    "keras.dtype_policies.DTypePolicyMap": [
        C("instance", "default_policy", "Cannot interpret `dtype` argument. Expected a string or an instance of "
          "DTypePolicy. Received: dtype={value}", string_ok=True, **{"class": "keras_dtype_policies"}),
        C("dict", "policy_map", "If specified, `policy_map` must be a dict. Received: policy_map={value}")],
    "keras.dtype_policies.QuantizedDTypePolicy": [
        C("one_of", "mode", f"Invalid quantization mode. Expected one of {tuple(QUANT_MODES)}. Received: mode={{value}}",
          values=QUANT_MODES, strict=True), SOURCE_NAME],
    "keras.dtype_policies.QuantizedFloat8DTypePolicy": [
        C("one_of", "mode", f"Invalid quantization mode. Expected one of {tuple(QUANT_MODES)}. Received: mode={{value}}",
          values=QUANT_MODES, strict=True), SOURCE_NAME],
    "keras.dtype_policies.AWQDTypePolicy": [
        C("format", "mode", "Invalid mode for AWQDTypePolicy. Expected format 'awq/<weight_bits>/<group_size>', but got "
          "'{value}'.", prefix="awq", parts=2), SOURCE_NAME],
    "keras.dtype_policies.GPTQDTypePolicy": [
        C("format", "mode", "Invalid mode for GPTQDTypePolicy. Expected format 'gptq/<weight_bits>/<group_size>', but "
          "got '{value}'.", prefix="gptq", parts=2), SOURCE_NAME],
    "keras.dtype_policies.Int4DTypePolicy": [
        C("format", "mode", "Invalid mode for Int4DTypePolicy. Expected format 'int4/<block_size>', but got '{value}'.",
          prefix="int4", parts=1), SOURCE_NAME],
}
for _cls in ("keras.metrics.F1Score", "keras.metrics.FBetaScore"):
    CHECKS[_cls] = [C("one_of", "average", "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                      "'weighted'}. Received: average={value}", values=[None, "micro", "macro", "weighted"], strict=True)]


# Values Keras' __init__ derives that one argument at a time does not show (src/rust/core/src/catalog/derive.rs):
# InputLayer's, from its source (the old names of `shape` and `batch_shape`, and `batch_shape` from `shape`
# and `batch_size`). The others are learned from Keras' output (`learn_rules()`).
DERIVES = {
    "keras.layers.InputLayer": [
        {"kind": "rename", "key": "shape", "from": "input_shape"},
        {"kind": "rename", "key": "batch_shape", "from": "batch_input_shape"},
        {"kind": "batch", "key": "batch_shape", "shape": "shape", "batch": "batch_size", "unless": "input_tensor"},
    ],
}


def dtype_names():
    """The dtype names Keras' standardize_dtype() accepts (ALLOWED_DTYPES and its aliases)."""
    from keras.src import backend
    from keras.src.backend.common.dtypes import ALLOWED_DTYPES
    out = set()
    for name in sorted(ALLOWED_DTYPES) + ["int", "float", "double", "uint", "half"]:
        try:
            backend.standardize_dtype(name)
            out.add(name)
        except Exception:  # noqa: BLE001 - not a dtype name
            pass
    return sorted(out)


def dtype_checks(path):
    names = dtype_names()
    if path in ("keras.dtype_policies.DTypePolicy", "keras.dtype_policies.FloatDTypePolicy"):
        return [C("one_of", "name", "Cannot convert '{value}' to a mixed precision DTypePolicy. Valid policies include "
                  "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'.",
                  values=[None, "mixed_float16", "mixed_bfloat16"] + names, strict=True)]
    if path in ("keras.layers.InputLayer", "keras.layers.InputSpec"):
        return [C("one_of", "dtype", "Invalid dtype: {value}", values=[None] + names, strict=True)]
    return []


def probe_checks(cls, required, params):
    """The PROBES checks Keras makes for this class, read off its refusals."""
    out = []
    for key, bad, check in PROBES:
        if key not in params:
            continue
        # Choices among strings only where the parameter is a string (ZeroPadding's is numbers).
        if check["kind"] == "one_of" and not (isinstance(params[key].get("default"), str) or key == "data_format"):
            continue
        result = run(cls, {**required, key: bad})
        if "error" not in result:
            continue
        message = result["error"]["message"]
        shown = str(bad)
        if shown not in message:
            continue
        head, _, tail = message.rpartition(shown)
        check = {**check, "key": key, "message": head + "{value}" + tail}
        if check["kind"] == "one_of":
            check["values"] = [v for v in check["values"] if "error" not in run(cls, {**required, key: v})]
        if check["kind"] == "range" and key not in ("rate",) and "min" not in check:
            m = re.search(r"range ([\[(])\s*(-?[\d.]+),\s*(-?[\d.]+)\s*([\])])", message)
            if not m:
                continue
            check.update(min=float(m.group(2)), max=float(m.group(3)), min_open=m.group(1) == "(",
                         max_open=m.group(4) == ")", pair=F01 in message)
        out.append(check)
    return out


def pyjson(value):
    return json.dumps(value)


def f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def jsonable(value):
    """Argument values as JSON: object configs for objects."""
    try:
        json.dumps(value, allow_nan=False)
        return value
    except (TypeError, ValueError):
        return None


def materialize(args):
    """Object configs (dicts with class_name) become Keras objects, as R's constructors do."""
    out = {}
    for k, v in args.items():
        out[k] = build_value(v)
    return out


def build_value(v):
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        return deserialize_keras_object(v)
    if isinstance(v, list) and v and all(isinstance(x, dict) and "class_name" in x for x in v):
        return [deserialize_keras_object(x) for x in v]
    if isinstance(v, list):
        return tuple(v) if False else v
    return v


def run(cls, args):
    """The serialized config text, or the error."""
    try:
        obj = cls(**materialize(args))
        return {"config": serialize_keras_object(obj)["config"]}
    except Exception as e:  # noqa: BLE001 - Keras' own error is the data
        # Object addresses (`<... object at 0x7f...>`) differ from run to run.
        message = re.sub(r" at 0x[0-9a-f]+>", ">", str(e).split("\n")[0])[:300]
        return {"error": {"type": type(e).__name__, "message": message}}


def docstring_types(cls):
    """Parameter name -> the start of its description in the class docstring."""
    doc = cls.__doc__ or ""
    out = {}
    for m in re.finditer(r"^\s{4,8}(\w+): (.*)$", doc, re.M):
        out.setdefault(m.group(1), m.group(2)[:80].lower())
    return out


def says_integer(text):
    if text is None:
        return False
    head = re.split(r"[.;]", text)[0]
    return bool(re.search(r"\bint(eger)?s?\b|positive int|non-negative int", head)) and "float" not in head


def to_double(value, int_params, key=None):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if key in int_params else float(value)
    if isinstance(value, list):
        if value and all(isinstance(x, dict) for x in value):
            return value
        return [to_double(x, int_params, key) for x in value]
    return value


def has_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, list):
        return any(has_int(x) for x in value if not isinstance(x, dict))
    return False


def candidates(p, default, family):
    name = p["name"]
    out = []
    if name in STRINGS and (isinstance(default, str) or default is None or name == "dtype"):
        out += [v for v in STRINGS[name] if v != default]
    for suffix, values in OBJECT_STRINGS.items():
        if name.endswith(suffix):
            out += values
    if out:
        return out
    if isinstance(default, bool):
        return [not default]
    if isinstance(default, int):
        return [default + 1 if default >= 0 else 1, default + 2 if default >= 0 else 0]
    if isinstance(default, float):
        if default == 0.0:
            return [0.25, 1.0]
        if 0 < default < 1:
            return [round(default / 2, 6), 0.5 if default != 0.5 else 0.75]
        return [default * 2, default + 0.5]
    if isinstance(default, list) and default:
        if all(isinstance(x, int) and not isinstance(x, bool) for x in default):
            return [[x + 1 for x in default], default[0] + 1]
        if all(isinstance(x, float) for x in default):
            return [[x / 2 for x in default]]
        return []
    if default is None:
        return NONE_VALUES.get(name, [3, 0.5])
    return []


def layer_extras(family):
    if family == "layers":
        return [{"trainable": False}, {"dtype": "float16"}, {"activity_regularizer": "l2"},
                {"autocast": False}, {"input_shape": [3]}]
    if family in ("losses", "metrics"):
        return [{"dtype": "float16"}, {"name": "t_name"}]
    return []


def diff(base_cfg, cfg):
    if cfg is None:
        return {}
    d = {k: v for k, v in cfg.items() if k not in base_cfg or pyjson(base_cfg[k]) != pyjson(v)}
    out = {"config": d}
    if list(cfg) != list(base_cfg):
        out["keys"] = list(cfg)
    return out


def outcome(base_cfg, result):
    if "error" in result:
        return {"error": result["error"]}
    return diff(base_cfg, result["config"])


def learn_rules(base_cfg, int_params, observed, auto=False):
    """What Keras' __init__ does to single arguments, read off its output: the rules table the R and
    Rust code apply (src/rust/core/src/catalog/rules.rs). `auto`: the class writes Keras' automatic config,
    whose key order follows the arguments' (no `after` rules then)."""
    rules = {"int": sorted(int_params), "float32": [], "dropped": [], "after": {}, "copies": {}, "fill": {},
             "pairs": {}}
    # Tuples as JSON has them.
    observed = [(extra, json.loads(json.dumps(cfg))) for extra, cfg in observed if cfg is not None]
    # A key some output keeps is not dropped (Dense keeps lora_alpha when lora_rank is given).
    kept = {k for _, cfg in observed for k in cfg}
    for extra, cfg in observed:
        # Tuples from one number, whatever else is given (output_padding needs strides).
        for k, v in extra.items():
            out = cfg.get(k)
            if not isinstance(v, int) or isinstance(v, bool) or not isinstance(out, list) or not out:
                continue
            if all(x == v for x in out):
                rules["fill"].setdefault(k, len(out))
            elif all(x == [v, v] for x in out):
                # Cropping2D(cropping = 2) -> [[2, 2], [2, 2]]: one number for n (before, after) pairs.
                rules["pairs"].setdefault(k, len(out))
        if len(extra) != 1:
            continue
        (k, v), = extra.items()
        if k not in base_cfg and k not in cfg and k not in kept and k not in rules["dropped"]:
            rules["dropped"].append(k)
        if k not in base_cfg and k in cfg and not auto:
            keys = list(cfg)
            i = keys.index(k)
            rules["after"].setdefault(k, keys[i - 1] if i else None)
        # A key of the default config Keras moves when it is set (Conv1D's activity_regularizer,
        # which the base Layer's get_config() puts after dtype).
        # (Keys written whatever is given, such as ELU's dtype, keep the order of the config Keras wrote.)
        if k in base_cfg and base_cfg[k] is None and k in cfg and cfg[k] is not None and not auto:
            keys, base_keys = list(cfg), list(base_cfg)
            i, j = keys.index(k), base_keys.index(k)
            if (keys[i - 1] if i else None) != (base_keys[j - 1] if j else None):
                rules["after"].setdefault(k, keys[i - 1] if i else None)
        out = cfg.get(k)
        if isinstance(v, float) and isinstance(out, float) and out != v and out == f32(v) and k not in rules["float32"]:
            rules["float32"].append(k)
        if isinstance(v, float) and isinstance(out, list) and out and all(x == v for x in out):
            rules["fill"].setdefault(k, len(out))
        if isinstance(out, (int, float, list)) and not isinstance(out, bool) and out:
            for q, w in cfg.items():
                if q != k and pyjson(w) != pyjson(base_cfg.get(q)) and pyjson(w) == pyjson(out):
                    rules["copies"].setdefault(q, k)
    rules["derive"] = learn_derive(base_cfg, observed)
    if auto:
        rules["auto"] = True
    return {k: v for k, v in rules.items() if v}


def writes_auto_config(cls, required):
    """Whether the class writes Keras' automatic config (Operation.get_config(): the arguments as
    given, after its signature's), having no get_config() of its own."""
    from keras.src.utils import python_utils
    try:
        obj = cls(**materialize(required))
    except Exception:  # noqa: BLE001 - a class Keras cannot build has no config to order
        return False
    return python_utils.is_default(obj.get_config) and getattr(obj, "_auto_config", None) is not None


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def learn_derive(base_cfg, observed):
    """Values Keras derives from single arguments (src/rust/core/src/catalog/derive.rs), read off its output."""
    out = []

    def add(rule):
        if rule not in out:
            out.append(rule)
    kept_with = {}
    for extra, cfg in observed:
        for k in cfg:
            if k not in base_cfg and k not in extra and len(extra) == 1:
                kept_with.setdefault(k, next(iter(extra)))
    for extra, cfg in observed:
        if len(extra) != 1:
            continue
        (k, v), = extra.items()
        got = cfg.get(k)
        # One number for a range: [lower, f] (lower "neg": -f).
        if is_num(v) and isinstance(got, list) and len(got) == 2 and got[1] == v and got[0] != v:
            add({"kind": "range", "key": k, "lower": "neg" if v != 0 and got[0] == -v else got[0]})
        # A policy name stored as the dtype it means.
        if k == "dtype" and v == "mixed_float16" and isinstance(base_cfg.get("dtype"), str) and got != v:
            add({"kind": "dtype", "key": "dtype", "as": "compute" if got == "float16" else "variable"})
        # A value renamed.
        elif isinstance(v, str) and isinstance(got, str) and got != v and k != "name":
            add({"kind": "map", "key": k, "from": v, "to": got})
        # A number Keras converts to a tensor, written as its `__tensor__` config.
        if is_num(v) and isinstance(got, dict) and got.get("class_name") == "__tensor__":
            add({"kind": "tensor", "key": k, "dtype": got["config"]["dtype"]})
        # An object Keras accepts and writes as None all the same (SimpleRNN's activity_regularizer).
        if v is not None and k in base_cfg and base_cfg[k] is None and k in cfg and cfg[k] is None:
            add({"kind": "ignored", "key": k})
        # A key kept only when another is set.
        if k not in base_cfg and k not in cfg and k in kept_with:
            add({"kind": "only_with", "key": k, "with": kept_with[k]})
        for q, w in cfg.items():
            if q == k or q not in base_cfg or pyjson(w) == pyjson(base_cfg[q]):
                continue
            # A count from a list's length.
            if isinstance(v, (list, float)) and isinstance(w, int) and not isinstance(w, bool):
                n = len(v) if isinstance(v, list) else 1
                add({"kind": "count", "key": q, "of": k, "plus": w - n})
            # Half of a number.
            elif isinstance(v, int) and not isinstance(v, bool) and w == int(v / 2):
                add({"kind": "half", "key": q, "of": k})
            # A value set when a flag is.
            elif v is True and base_cfg[q] is None:
                add({"kind": "when", "key": q, "if": k, "value": w})
    return out


def deterministic(cls, args):
    a, b = run(cls, args), run(cls, args)
    return pyjson(a) == pyjson(b)


def main():
    with open(API, encoding="utf-8") as f:
        api = json.load(f)
    issue = {}
    for path, args in ISSUE_CASES:
        issue.setdefault(path, []).append(args)
    lines = []
    all_rules = {}
    total = 0
    for sym in api["symbols"]:
        if sym["kind"] != "class" or sym["is_alias"] or sym["namespace"] not in NAMESPACES:
            continue
        path = f"{sym['namespace']}.{sym['name']}"
        family = sym["namespace"].split(".")[-1]
        if family == "schedules":
            family = "schedules"
        cls = keras
        for part in path.split(".")[1:]:
            cls = getattr(cls, part)
        required = dict(sym["required_args_used"] or {})
        params = {p["name"]: p for p in sym["params"] if p["kind"] not in ("var_keyword", "var_positional")}
        is_layer = family == "layers"
        if is_layer and "name" not in required:
            required["name"] = "t"
        required.update(REQUIRED.get(path, {}))
        # Keras draws seeds and numbers some names (IoU's `io_u_3`): such cases pass them.
        for key, value in (("seed", 11), ("name", "t")):
            if key in params and not deterministic(cls, required):
                required[key] = value
        base = run(cls, required)
        if "error" in base:
            issue.pop(path, None)
            print(f"  {path}: Keras cannot build it here: {base['error']['message'][:100]}")
            lines.append({"path": path, "base": None, "base_error": base["error"], "int_params": [], "cases": []})
            continue
        base_cfg = base["config"]
        docs = docstring_types(cls)
        int_params = {k for k in params if says_integer(docs.get(k))}
        int_params |= INTEGER_NAMES & set(params)
        arg_sets = [{}]
        for name, p in params.items():
            if name in SKIP_PARAMS or (name == "name" and is_layer):
                continue
            default = p["default"] if p["has_default"] else required.get(name)
            for v in candidates(p, default, family):
                arg_sets.append({name: v})
            if p["has_default"] and p["default"] is None and name not in required and name in NONE_VALUES:
                pass
            if name in required and required[name] is not None and not isinstance(required[name], (dict, list)):
                pass
        # One number where Keras stores a range of two (RandomShear's x_factor), probed.
        for name, value in base_cfg.items():
            if name in params and isinstance(value, list) and len(value) == 2 and all(is_num(x) for x in value):
                for v in (0.3, 4):
                    if "error" not in run(cls, {**required, name: v}):
                        arg_sets.append({name: v})
                        break
        for extra in layer_extras(family):
            if not any(k in params for k in extra):
                arg_sets.append(extra)
        arg_sets += issue.pop(path, [])
        # Keras refusing a float where it took an int declares the parameter an integer.
        for extra in arg_sets:
            args = {**required, **extra}
            for k, v in extra.items():
                if has_int(v) and k not in int_params:
                    ok = run(cls, args)
                    dbl = run(cls, {**args, k: to_double(v, set())})
                    if "error" not in ok and "error" in dbl:
                        int_params.add(k)
        for k, v in required.items():
            if has_int(v) and k not in int_params:
                dbl = run(cls, {**required, k: to_double(v, set())})
                if "error" in dbl:
                    int_params.add(k)
        cases = []
        observed = []
        seen = set()
        for extra in arg_sets:
            args = {**required, **extra}
            key = pyjson(args)
            if key in seen or any(jsonable(v) is None and v is not None for v in args.values()):
                continue
            seen.add(key)
            case = {"args": extra}
            result = run(cls, args)
            observed.append((extra, result.get("config")))
            case.update(outcome(base_cfg, result))
            dargs = {k: to_double(v, int_params, k) for k, v in args.items()}
            if pyjson(dargs) != key:
                dcase = outcome(base_cfg, run(cls, dargs))
                if pyjson(dcase) != pyjson({k: v for k, v in case.items() if k not in ("args", "double")}):
                    case["double"] = dcase
            cases.append(case)
        total += len(cases)
        learned = learn_rules(base_cfg, int_params, observed, writes_auto_config(cls, required))
        # A required argument no config keeps (InputSpec's `name`) is dropped too.
        for k in required:
            if k not in base_cfg and not any(k in (cfg or {}) for _, cfg in observed) and k == "name":
                learned.setdefault("dropped", []).append(k)
        if path in DERIVES:
            learned["derive"] = DERIVES[path] + learned.get("derive", [])
        checks = probe_checks(cls, required, params) + CHECKS.get(path, []) + dtype_checks(path)
        if checks:
            learned["checks"] = checks
        if learned:
            all_rules[path] = learned
        lines.append({"path": path, "required": required, "base": base_cfg, "int_params": sorted(int_params), "cases": cases})
    if issue:
        sys.exit(f"issue cases for unknown classes: {sorted(issue)}")
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="ascii", newline="\n") as f:
        f.write("[\n" + ",\n".join(json.dumps(x, separators=(",", ":")) for x in lines) + "\n]\n")
    with open(RULES, "w", encoding="ascii", newline="\n") as f:
        f.write("{\n" + ",\n".join(f"{json.dumps(k)}:{json.dumps(v, separators=(',', ':'))}"
                                     for k, v in all_rules.items()) + "\n}\n")
    print(f"gen-constructor-fixtures: {len(lines)} classes, {total} argument sets -> "
          f"{os.path.relpath(OUTPUT, REPO)} ({os.path.getsize(OUTPUT)} bytes)")


if __name__ == "__main__":
    main()
