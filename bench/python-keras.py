"""Python Keras 3.15.1's own speed on the inputs bench/models.R uses, for the comparison column.

Run by hand (Python is never needed by the package or its tests):
    KERAS_BACKEND=numpy /path/to/venv/bin/python bench/python-keras.py ../shared/keras-reference
with `pip install keras==3.15.1 jax scipy` in that venv. Writes bench/python-keras.json, which
bench/models.R reads. Medians over repeated runs; MB/s is JSON text bytes per second.
"""
import json
import os
import statistics
import sys
import time

import keras

ref = sys.argv[1] if len(sys.argv) > 1 else "../shared/keras-reference"
models_dir = os.path.join(ref, "models")
# custom_layers_model.json needs the Python custom classes: left out on both sides.
names = sorted(f for f in os.listdir(models_dir) if f.endswith(".json") and f != "custom_layers_model.json")
texts = {n: open(os.path.join(models_dir, n)).read() for n in names}


def median_time(fn, min_time=2.0, min_runs=5):
    times = []
    start = time.perf_counter()
    while len(times) < min_runs or time.perf_counter() - start < min_time:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def to_objects(batch):
    return [keras.saving.deserialize_keras_object(json.loads(t)) for t in batch]


def to_json(objects):
    return [json.dumps(keras.saving.serialize_keras_object(o)) for o in objects]


results = {"keras_version": keras.__version__, "tasks": []}
for label, batch in [("reference models (7, no custom)", list(texts.values())),
                     ("MobileNetV2 x1", [texts["app_MobileNetV2.json"]])]:
    mb = sum(len(t.encode()) for t in batch) / 1e6
    objects = to_objects(batch)
    for task, fn in [("JSON -> objects", lambda: to_objects(batch)), ("objects -> JSON", lambda: to_json(objects))]:
        t = median_time(fn)
        results["tasks"].append({"input": label, "task": task, "mb": round(mb, 4), "seconds": t,
                                 "mb_per_s": round(mb / t, 3)})
        print(f"{label:34s} {task:16s} {mb:6.2f} MB {t:8.4f} s {mb / t:8.2f} MB/s")

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python-keras.json")
with open(out, "w") as f:
    json.dump(results, f, indent=1)
    f.write("\n")
