#!/usr/bin/env python3
"""Default configs of the Keras built-ins that need TensorFlow to be built.

keras_api.json (the reference data gen-catalog.py reads) was made without TensorFlow, so it has no
default config for TextVectorization, StringLookup, IntegerLookup and Hashing ("Layer ... requires
TensorFlow"). This script builds each such class with Keras 3.15.1 and TensorFlow, with the
required arguments keras_api.json used, and writes their default configs to
tools/tf-default-configs.json, which gen-catalog.py merges in.

Usage (run by hand; CI never needs Python):
    python3 -m venv /tmp/venv-tf && /tmp/venv-tf/bin/pip install keras==3.15.1 tensorflow-cpu
    KERAS_BACKEND=tensorflow /tmp/venv-tf/bin/python tools/gen-tf-defaults.py [keras_api.json]
then python3 tools/gen-catalog.py.
"""

import json
import os
import sys

import keras

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = os.path.join(REPO, "..", "shared", "keras-reference", "keras_api.json")
OUTPUT = os.path.join(REPO, "tools", "tf-default-configs.json")


def main(argv):
    if keras.__version__ != "3.15.1":
        sys.exit(f"gen-tf-defaults: needs Keras 3.15.1, found {keras.__version__}")
    api = json.load(open(argv[1] if len(argv) > 1 else DEFAULT_INPUT, encoding="utf-8"))
    out = {}
    for sym in api["symbols"]:
        if "requires TensorFlow" not in (sym.get("default_config_error") or ""):
            continue
        path = f"{sym['namespace']}.{sym['name']}"
        if sym["is_alias"] or path in out:
            continue
        keras.backend.clear_session()  # default names, as a fresh session gives them
        module = keras
        for part in sym["namespace"].split(".")[1:]:
            module = getattr(module, part)
        obj = getattr(module, sym["name"])(**sym["required_args_used"])
        config = keras.saving.serialize_keras_object(obj)["config"]
        out[path] = {"default_config": config, "config_keys": list(config)}
    with open(OUTPUT, "w", encoding="ascii", newline="\n") as f:
        json.dump(out, f, indent=1, ensure_ascii=True, allow_nan=False)
        f.write("\n")
    print(f"gen-tf-defaults: {len(out)} classes -> {os.path.relpath(OUTPUT, REPO)}")


if __name__ == "__main__":
    main(sys.argv)
