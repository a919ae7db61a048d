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

os.environ.setdefault("KERAS_BACKEND", "numpy")
warnings.filterwarnings("ignore")
import keras  # noqa: E402
from keras.saving import deserialize_keras_object, serialize_keras_object  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
API = os.path.join(REPO, "..", "shared", "keras-reference", "keras_api.json")
OUTPUT = os.path.join(REPO, "tests", "testthat", "fixtures", "constructors.json")
RULES = os.path.join(REPO, "src", "rust", "src", "catalog", "rules.json")

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
        return {"error": {"type": type(e).__name__, "message": str(e).split("\n")[0][:300]}}


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


def learn_rules(base_cfg, int_params, observed):
    """What Keras' __init__ does to single arguments, read off its output: the rules table the R and
    Rust code apply (src/rust/src/catalog/rules.rs)."""
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
        if k not in base_cfg and k in cfg:
            keys = list(cfg)
            i = keys.index(k)
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
    return {k: v for k, v in rules.items() if v}


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
        learned = learn_rules(base_cfg, int_params, observed)
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
