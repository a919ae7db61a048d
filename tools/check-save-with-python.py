"""Loads the .keras files tools/check-save-with-python.R wrote with Python's keras.saving.load_model()
and compares each model's get_weights() with R's (exact float32 equality), and the config Keras
writes back with the file's. Run by hand (see the R script for the commands).

A compiled model that was never trained has only its optimizer's `iterations` and `learning_rate`
saved; Keras builds the optimizer on load and warns "Skipping variable loading for optimizer ...
it has N variables whereas the saved optimizer has 2 variables", as it does for a file it wrote
itself from the same untrained model."""
import glob, json, os, sys, warnings, zipfile
import numpy as np

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402
from keras.src.saving import serialization_lib  # noqa: E402

ok = True
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.keras"))):
    name = os.path.basename(path)[:-len(".keras")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(path)
    expected = json.load(open(os.path.join(sys.argv[1], name + ".weights.json")))
    got = model.get_weights()
    same = len(got) == len(expected) and all(
        list(w.shape) == e["shape"] and np.array_equal(w.reshape(-1), np.asarray(e["values"], dtype=w.dtype))
        for w, e in zip(got, expected))
    with zipfile.ZipFile(path) as z:
        written = json.loads(z.read("config.json"))
    with serialization_lib.ObjectSharingScope():
        again = json.loads(json.dumps(serialization_lib.serialize_keras_object(model)))
    def strip(x):
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "shared_object_id"}
        return [strip(v) for v in x] if isinstance(x, list) else x
    same_config = strip(again) == strip(written)
    opt = getattr(model, "optimizer", None)
    print(f"{name}: {len(got)} weights, equal: {same}; config written back equal (ids aside): {same_config}"
          + (f"; optimizer {type(opt).__name__} with {len(opt.variables)} variables, iterations={int(opt.iterations.numpy())}"
             if opt is not None else "")
          + "".join(f"\n  warning: {w.message}" for w in caught if "optimizer" in str(w.message).lower()))
    ok = ok and same and same_config
print("all equal" if ok else "DIFFERENCES")
sys.exit(0 if ok else 1)
