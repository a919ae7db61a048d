"""Python Keras 3.15.1's own speed on the inputs bench/models.R and bench/weights.R use, for their
comparison columns.

Run by hand (Python is never needed by the package or its tests):
    KERAS_BACKEND=numpy /path/to/venv/bin/python bench/python-keras.py ../shared/keras-reference [LABEL=FILE.keras ...]
with `pip install keras==3.15.1 jax scipy h5py` in that venv. Writes bench/python-keras.json, which
bench/models.R and bench/weights.R read. Medians over repeated runs.

Configs (bench/models.R): MB/s is JSON text bytes per second; the keras.applications corpus of
tests/testthat/fixtures/apps (set KERASCONFIG_BENCH_APPS=0 to skip it: it takes minutes). Whole files (bench/weights.R):
`keras.saving.load_model()` and `model.save()` of the reference `.keras` files, of the legacy tf.keras
2.15 `mlp.h5`, and of every LABEL=FILE given (bench/weights.R writes its larger models with
save_model() to temporary files and passes them, so both sides read the very same bytes); MB/s is
file bytes per second (the file read, or the file written). `get_weights()`/`set_weights()` of those
larger models: MB/s is float32 weight bytes per second.
"""
import gzip
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time

import keras
from keras.src.saving.serialization_lib import ObjectSharingScope

# load_model() of a file without a training config warns on every call.
logging.getLogger("absl").setLevel(logging.ERROR)

ref = sys.argv[1] if len(sys.argv) > 1 else "../shared/keras-reference"
extra = [a.split("=", 1) for a in sys.argv[2:]]
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


today = time.strftime("%Y-%m-%d %H:%M")
results = {"keras_version": keras.__version__, "tasks": []}


def record(label, task, mb, t):
    results["tasks"].append({"input": label, "task": task, "mb": round(mb, 4), "seconds": t,
                             "mb_per_s": round(mb / t, 3), "measured": today})
    print(f"{label:34s} {task:16s} {mb:6.2f} MB {t:8.4f} s {mb / t:8.2f} MB/s")


for label, batch in [("reference models (7, no custom)", list(texts.values())),
                     ("MobileNetV2 x1", [texts["app_MobileNetV2.json"]])]:
    mb = sum(len(t.encode()) for t in batch) / 1e6
    objects = to_objects(batch)
    for task, fn in [("JSON -> objects", lambda: to_objects(batch)), ("objects -> JSON", lambda: to_json(objects))]:
        record(label, task, mb, median_time(fn))


# The keras.applications corpus (tools/gen-app-corpus.py), one model at a time: all 40 built at
# once would hold gigabytes of weights. The task's time is the sum of the per-model medians.
apps_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "testthat", "fixtures", "apps")
apps = sorted(f for f in os.listdir(apps_dir) if f.endswith(".json.gz"))
if apps and os.environ.get("KERASCONFIG_BENCH_APPS", "1") != "0":
    label = f"keras.applications corpus ({len(apps)})"
    totals = {"JSON -> objects": 0.0, "objects -> JSON": 0.0, "objects -> JSON (saving scope)": 0.0}
    mb = 0.0
    for f in apps:
        with gzip.open(os.path.join(apps_dir, f), "rt") as gz:
            text = gz.read()
        mb += len(text.encode()) / 1e6
        keras.backend.clear_session()
        model = to_objects([text])[0]
        totals["JSON -> objects"] += median_time(lambda: to_objects([text]), min_time=0.0, min_runs=3)
        totals["objects -> JSON"] += median_time(lambda: to_json([model]), min_time=0.0, min_runs=5)

        def scoped():
            with ObjectSharingScope():
                return json.dumps(keras.saving.serialize_keras_object(model))

        totals["objects -> JSON (saving scope)"] += median_time(scoped, min_time=0.0, min_runs=5)
        del model
    for task, t in totals.items():
        record(label, task, mb, t)


# Whole files, weights included.
def file_mb(path):
    return os.path.getsize(path) / 1e6


keras_dir = os.path.join(ref, "keras_files")
files = [(f, os.path.join(keras_dir, f)) for f in sorted(os.listdir(keras_dir)) if f.endswith(".keras")]
files.append(("tf.keras 2.15 mlp.h5", os.path.join(ref, "legacy", "tf2.15.1", "mlp.h5")))
files += [(label, path) for label, path in extra]
scratch = tempfile.mkdtemp()
try:
    for label, path in files:
        model = keras.saving.load_model(path)
        record(label, "load_model", file_mb(path), median_time(lambda: keras.saving.load_model(path)))
        out_path = os.path.join(scratch, "out.keras")
        t = median_time(lambda: model.save(out_path))
        record(label, "save_model", file_mb(out_path), t)
        if [label, path] in extra:
            weights = model.get_weights()
            mb = sum(w.nbytes for w in weights) / 1e6
            record(label, "get_weights", mb, median_time(lambda: model.get_weights()))
            record(label, "set_weights", mb, median_time(lambda: model.set_weights(weights)))
finally:
    shutil.rmtree(scratch)

# Figures of an earlier run for inputs not given this time (bench/models.R passes no LABEL=FILE) are kept.
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python-keras.json")
if os.path.exists(out):
    done = {(t["input"], t["task"]) for t in results["tasks"]}
    with open(out) as f:
        results["tasks"] += [t for t in json.load(f)["tasks"] if (t["input"], t["task"]) not in done]
with open(out, "w") as f:
    json.dump(results, f, indent=1)
    f.write("\n")
