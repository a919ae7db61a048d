"""Differential fixtures for reading configs under session settings: Keras 3.15.1 fills what a
config omits (a layer's dtype policy, data_format, an InputLayer's or metric's dtype) from the
session, and stores learning rates in floatx variables. For each setting below, Python reads the
configs of CONFIGS with keras.saving.deserialize_keras_object() and writes them back
(tests/testthat/test-session-read.R does the same in R). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-session-read-fixtures.py

Writes tests/testthat/fixtures/session-read.json.
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402


def layer(cls, **config):
    return {"module": "keras.layers", "class_name": cls, "config": config, "registered_name": None}


CONFIGS = {
    "dense": layer("Dense", units=2),
    "conv2d": layer("Conv2D", filters=2, kernel_size=[3, 3]),
    "input": layer("InputLayer", batch_shape=[None, 3]),
    "adam": {"module": "keras.optimizers", "class_name": "Adam", "config": {"learning_rate": 0.1},
             "registered_name": None},
    "mean_metric": {"module": "keras.metrics", "class_name": "Mean", "config": {"name": "m"}, "registered_name": None},
}

SETTINGS = {
    "default": {},
    "float16": {"floatx": "float16"},
    "channels_first": {"image_data_format": "channels_first"},
    "mixed_float16": {"dtype_policy": "mixed_float16"},
}


def main():
    out = {}
    for setting, s in SETTINGS.items():
        keras.backend.clear_session()
        keras.config.set_floatx(s.get("floatx", "float32"))
        keras.config.set_image_data_format(s.get("image_data_format", "channels_last"))
        if "dtype_policy" in s:
            keras.config.set_dtype_policy(s["dtype_policy"])
        out[setting] = {name: json.dumps(keras.saving.serialize_keras_object(keras.saving.deserialize_keras_object(c)))
                        for name, c in CONFIGS.items()}
    keras.config.set_floatx("float32")
    keras.config.set_image_data_format("channels_last")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "tests", "testthat", "fixtures", "session-read.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "settings": SETTINGS, "configs": CONFIGS, "read": out}, f,
                  indent=0, sort_keys=True)
    print(f"{len(out)} settings x {len(CONFIGS)} configs")


main()
