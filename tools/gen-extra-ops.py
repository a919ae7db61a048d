"""Catalog entries of the Keras ops that a Functional graph records as nodes but that keras_api.json
(made from the reference configs) lacks: those built-in layers' compute_mask() methods call (merge
layers combine masks with logical_or, Concatenate with expand_dims, zeros_like, ones_like; Keras
3.15.1, keras/src/layers/merging/), and those R/ops.R's op_*() functions and tensor operators record.
Same schema as keras_api.json's symbols; tools/gen-catalog.py appends them after that file's
entries (new ones at the end, so ids stay). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-extra-ops.py

Writes tools/extra-ops.json.
"""
import inspect
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras.src.ops import core, math, nn  # noqa: E402
from keras.src.ops import numpy as knp  # noqa: E402

# Class name -> the required arguments an instance is made with for its default config. The mask
# ops first (their catalog ids stay), then R/ops.R's, by module.
MASK_OPS = {"LogicalOr": {}, "ExpandDims": {"axis": -1}, "ZerosLike": {}, "OnesLike": {}}
NUMPY_OPS = {
    **{name: {} for name in [
        "Subtract", "Divide", "TrueDivide", "Power", "Maximum", "Minimum", "FloorDivide", "Mod", "Equal",
        "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalXor", "LogicalNot", "Matmul",
        "Negative", "Absolute", "Exp", "Log", "Sqrt", "Sign", "Floor", "Ceil", "Round", "Log1p", "Expm1", "Sin",
        "Cos", "Tan", "Tanh", "Reciprocal", "Sum", "Max", "Min", "Prod", "All", "Std", "Var", "Argmax", "Argmin",
        "Stack", "Transpose", "Squeeze"]},
    "Swapaxes": {"axis1": 0, "axis2": 1}, "Moveaxis": {"source": 0, "destination": 1}, "Tile": {"repeats": 1},
    "BroadcastTo": {"shape": [1]}, "Clip": {"x_min": 0, "x_max": 1},
}
MATH_OPS = {"Rsqrt": {}, "Erf": {}, "Erfinv": {}}
NN_OPS = {name: {} for name in [
    "Relu", "Relu6", "Sigmoid", "Softplus", "Softsign", "Silu", "Gelu", "Elu", "Selu", "LeakyRelu", "HardSigmoid",
    "HardSilu", "Softmax", "LogSoftmax"]}
CORE_OPS = {"Cast": {"dtype": "float32"}}
# Added later (appended, so the ids above stay): products, indexing, splitting, sorting.
MORE_NUMPY_OPS = {"Dot": {}, "Einsum": {"subscripts": "ij->i"}, "Take": {}, "TakeAlongAxis": {}, "Split": {
    "indices_or_sections": 2}, "Where": {}, "Cumsum": {}, "Cumprod": {}, "Sort": {}, "Argsort": {}}
MORE_NN_OPS = {"OneHot": {"num_classes": 2}}
MORE_MATH_OPS = {"TopK": {"k": 1}}
OPS = [(knp, MASK_OPS), (knp, NUMPY_OPS), (math, MATH_OPS), (nn, NN_OPS), (core, CORE_OPS), (knp, MORE_NUMPY_OPS),
       (nn, MORE_NN_OPS), (math, MORE_MATH_OPS)]

KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def symbol(module, name, required, source):
    cls = getattr(module, name)
    params = []
    for p in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        has_default = p.default is not inspect.Parameter.empty
        params.append({"name": p.name, "kind": KINDS[p.kind],
                       "required": not has_default and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD),
                       "default": p.default if has_default else None, "has_default": has_default})
    obj = cls(**required)
    config = obj.get_config()
    serialized = keras.saving.serialize_keras_object(obj)
    return {
        "namespace": cls.__module__, "module": cls.__module__, "name": name, "canonical": name, "kind": "class",
        "source": source, "is_alias": False, "aliases": [],
        "python_path": f"{cls.__module__}.{name}", "bases": [c.__name__ for c in cls.__mro__[1:] if c is not object],
        "python_mro": [f"{c.__module__}.{c.__name__}" for c in cls.__mro__[1:] if c is not object],
        "params": params, "default_config": config, "required_args_used": required,
        "config_keys": list(config),
        "serialized_as": {"module": serialized["module"], "class_name": serialized["class_name"],
                          "registered_name": serialized["registered_name"]},
        "resolves_by_name": "ok", "resolves_via_namespace_deserialize": None,
    }


def main():
    out = {"keras_version": keras.__version__, "symbols": [symbol(m, n, r, "compute_mask" if ops is MASK_OPS else "op_functions")
                                                     for m, ops in OPS for n, r in ops.items()]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra-ops.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(out['symbols'])} ops")


main()
