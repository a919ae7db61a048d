"""A proxy corpus of real, large model configs: every `keras.applications` network that Keras 3.15.1
builds with `weights=None`, written exactly as `model.save()` writes config.json in a .keras file
(`json.dumps(serialize_keras_object(model))` inside an `ObjectSharingScope`, so the dtype policies
every layer shares carry their `shared_object_id`, as in the reference `app_MobileNetV2.json`; plain
`model.to_json()` writes no ids), one model per file, gzip-compressed (16 MB of text, 343 KB
committed). tests/testthat/test-app-corpus.R round-trips each one byte for byte and bench/models.R
times them (the issue's speed targets are stated on ~260 KB application models).

Each model is built after `keras.backend.clear_session()`, so its layer names are the ones a fresh
Python session gives (`input_layer`, not `input_layer_7`), as in the reference `app_MobileNetV2.json`,
which this script checks it reproduces. Not run by the tests (they must not need Python). Run by hand:

    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-app-corpus.py

Writes tests/testthat/fixtures/apps/<Name>.json.gz and tests/testthat/fixtures/apps/INDEX.tsv (each
model's text size, Keras' `count_params()` and trainable parameter count, and the text's sha256).
"""
import gzip
import hashlib
import json
import os
import re
import sys

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras.src.saving.serialization_lib import ObjectSharingScope  # noqa: E402
from keras.src.saving.serialization_lib import serialize_keras_object  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "testthat", "fixtures", "apps")
REF = os.environ.get("KERASCONFIG_REFERENCE", os.path.join(ROOT, "..", "shared", "keras-reference"))


def app_names():
    return sorted(n for n in dir(keras.applications) if n[0].isupper() and callable(getattr(keras.applications, n)))


def config_text(name):
    keras.backend.clear_session()
    model = getattr(keras.applications, name)(weights=None)
    with ObjectSharingScope():
        return json.dumps(serialize_keras_object(model)), model


def main():
    ref_path = os.path.join(REF, "models", "app_MobileNetV2.json")
    if os.path.exists(ref_path):
        with open(ref_path) as f:
            # shared_object_id values are Python's id(): memory addresses, different in every run.
            ids = re.compile(r'"shared_object_id": [0-9]+')
            if ids.sub("", config_text("MobileNetV2")[0]) != ids.sub("", f.read()):
                sys.exit("MobileNetV2 differs from the reference app_MobileNetV2.json: not the same writer")
        print("MobileNetV2 matches the reference app_MobileNetV2.json byte for byte (ids aside)")
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".json.gz"):
            os.remove(os.path.join(OUT, old))
    rows = ["name\tjson_bytes\ttotal_params\ttrainable_params\tsha256"]
    for name in app_names():
        text, model = config_text(name)
        data = text.encode()
        # mtime=0: no time stamp in the file.
        with open(os.path.join(OUT, name + ".json.gz"), "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
                gz.write(data)
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        rows.append(f"{name}\t{len(data)}\t{model.count_params()}\t{trainable}\t{hashlib.sha256(data).hexdigest()}")
        print(f"{name:20s} {len(data):9d} bytes")
    with open(os.path.join(OUT, "INDEX.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
