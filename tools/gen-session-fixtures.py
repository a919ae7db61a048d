#!/usr/bin/env python3
"""Differential fixtures for the session settings Keras writes into new configs: the default float
type (`keras.config.set_floatx`), the global dtype policy (`keras.config.set_dtype_policy`) and the
image data format (`keras.config.set_image_data_format`).

Run by hand (the tests never need Python):

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-session-fixtures.py

For every class of tests/testthat/fixtures/constructors.json that Keras builds from its required
arguments, and for each setting below, it builds the class again with those arguments after
clear_session() and the setting, and records the config keys whose value differs from the class's
`base` config (written with Keras' defaults). Output: tests/testthat/fixtures/session-defaults.json,
{"settings": {name: {"floatx", "dtype_policy", "image_data_format"}},
 "changed": {name: {path: {key: value}}}, "paths": [every class checked]}.
"""

import json
import os
import sys
import warnings

os.environ.setdefault("KERAS_BACKEND", "numpy")
warnings.filterwarnings("ignore")
import keras  # noqa: E402
from keras.saving import deserialize_keras_object, serialize_keras_object  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "testthat", "fixtures")

# Each setting is applied after clear_session(), in this order: floatx, then the policy (None: the
# policy Keras derives from floatx), then the data format.
SETTINGS = {
    "floatx_float16": {"floatx": "float16", "dtype_policy": None, "image_data_format": "channels_last"},
    "floatx_float64": {"floatx": "float64", "dtype_policy": None, "image_data_format": "channels_last"},
    "policy_mixed_bfloat16": {"floatx": "float32", "dtype_policy": "mixed_bfloat16",
                              "image_data_format": "channels_last"},
    "channels_first": {"floatx": "float32", "dtype_policy": None, "image_data_format": "channels_first"},
}


def build_value(v):
    if isinstance(v, dict) and "class_name" in v and "config" in v:
        return deserialize_keras_object(v)
    if isinstance(v, list) and v and all(isinstance(x, dict) and "class_name" in x for x in v):
        return [deserialize_keras_object(x) for x in v]
    return v


def config_of(path, args):
    module, name = path.rsplit(".", 1)
    obj = getattr(eval(module, {"keras": keras}), name)
    try:
        built = obj(**{k: build_value(v) for k, v in args.items()})
        # Through JSON, as the fixture's `base` was written: tuples become lists.
        return json.loads(json.dumps(serialize_keras_object(built)["config"]))
    except Exception:  # noqa: BLE001 - a class Keras refuses under a setting is left out
        return None


def apply(setting):
    keras.config.set_floatx("float32")
    keras.config.set_image_data_format("channels_last")
    keras.utils.clear_session()
    keras.config.set_floatx(setting["floatx"])
    if setting["dtype_policy"] is not None:
        keras.config.set_dtype_policy(setting["dtype_policy"])
    keras.config.set_image_data_format(setting["image_data_format"])


def main():
    with open(os.path.join(FIXTURES, "constructors.json"), encoding="utf-8") as f:
        classes = [c for c in json.load(f) if c.get("base") is not None]
    changed = {name: {} for name in SETTINGS}
    paths = []
    for cls in classes:
        configs = {}
        for name, setting in SETTINGS.items():
            apply(setting)
            configs[name] = config_of(cls["path"], cls["required"])
        if any(c is None for c in configs.values()):
            continue
        paths.append(cls["path"])
        for name, config in configs.items():
            diff = {k: v for k, v in config.items() if cls["base"].get(k) != v}
            if list(config) != list(cls["base"]):
                sys.exit(f"{cls['path']}: keys change under {name}")
            if diff:
                changed[name][cls["path"]] = diff
    apply(SETTINGS["channels_first"] | {"image_data_format": "channels_last"})
    out = {"settings": SETTINGS, "changed": changed, "paths": paths}
    with open(os.path.join(FIXTURES, "session-defaults.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"{len(paths)} classes; changed: " + ", ".join(f"{k} {len(v)}" for k, v in changed.items()))


if __name__ == "__main__":
    main()
