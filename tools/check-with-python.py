"""Checks by hand that Python Keras loads a config written by kerasconfig and writes it back
unchanged. Not run by the tests (they must not need Python). Set-up and use:

    python3 -m venv /tmp/kenv && /tmp/kenv/bin/pip install keras==3.15.1 jax scipy
    R_LIBS=.rlib Rscript -e 'library(kerasconfig); m <- keras_model_sequential(input_shape = 4) |>
      layer_dense(8, activation = "relu") |> layer_dense(1); cat(save_model_config(m), file = "/tmp/m.json")'
    KERAS_BACKEND=numpy /tmp/kenv/bin/python tools/check-with-python.py /tmp/m.json
"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "numpy")
import keras  # noqa: E402

text = open(sys.argv[1]).read()
obj = keras.saving.deserialize_keras_object(json.loads(text))
out = json.dumps(keras.saving.serialize_keras_object(obj))
print("identical:", out == text)
if out != text:
    i = next((i for i, (a, b) in enumerate(zip(out, text)) if a != b), min(len(out), len(text)))
    print("Python:", out[max(0, i - 200):i + 200])
    print("R     :", text[max(0, i - 200):i + 200])
    sys.exit(1)
