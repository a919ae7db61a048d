"""Catalog entries of the Keras ops that built-in layers' compute_mask() methods record as nodes of
a Functional graph but that keras_api.json (made from the reference configs) lacks: merge layers
combine masks with logical_or, Concatenate with expand_dims, zeros_like, ones_like (Keras 3.15.1,
keras/src/layers/merging/). Same schema as keras_api.json's symbols; tools/gen-catalog.py appends
them after that file's entries. Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-extra-ops.py

Writes tools/extra-ops.json.
"""
import inspect
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras.src.ops import numpy as knp  # noqa: E402

# Class name -> the required arguments an instance is made with for its default config.
OPS = {"LogicalOr": {}, "ExpandDims": {"axis": -1}, "ZerosLike": {}, "OnesLike": {}}

KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


def symbol(name, required):
    cls = getattr(knp, name)
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
        "source": "compute_mask", "is_alias": False, "aliases": [],
        "python_path": f"{cls.__module__}.{name}", "bases": [c.__name__ for c in cls.__mro__[1:] if c is not object],
        "python_mro": [f"{c.__module__}.{c.__name__}" for c in cls.__mro__[1:] if c is not object],
        "params": params, "default_config": config, "required_args_used": required,
        "config_keys": list(config),
        "serialized_as": {"module": serialized["module"], "class_name": serialized["class_name"],
                          "registered_name": serialized["registered_name"]},
        "resolves_by_name": "ok", "resolves_via_namespace_deserialize": None,
    }


def main():
    out = {"keras_version": keras.__version__, "symbols": [symbol(n, r) for n, r in OPS.items()]}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "extra-ops.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(f"{len(out['symbols'])} ops")


main()
