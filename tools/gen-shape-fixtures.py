#!/usr/bin/env python3
"""Differential fixtures for the shape engine (src/rust/core/src/shape/), run by hand:

    python3 -m venv /work/venv-keras
    /work/venv-keras/bin/pip install keras==3.15.1 jax scipy h5py
    KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/gen-shape-fixtures.py \
        ../shared/keras-reference/keras_api.json tests/testthat/fixtures/layer-shapes.json

For every built-in layer class of the catalog it builds `Input(shape) -> layer` models (a
Sequential model; a Functional one for layers with several inputs) with one or more argument sets
and records what Keras 3.15.1 makes of them: the model's config.json text, the layer's output
shape(s) and dtype, its variables, count_params() and its build_config. A class Keras cannot build
with simple arguments is recorded with the reason. Args use JSON values; `{"__layer__": {"class":
..., "args": {...}}}` is a nested layer, built the same way in R.
"""
import json
import sys
import traceback

import keras
from keras.src.saving.serialization_lib import serialize_keras_object

assert keras.__version__ == "3.15.1", keras.__version__

F = "float32"


def L(cls, **args):
    return {"__layer__": {"class": cls, "args": args}}


def seq(shape, args=None, dtype=F, note=None):
    """One Sequential case: Input(shape, dtype) -> layer(**args)."""
    return {"model": "sequential", "inputs": [{"shape": shape, "dtype": dtype}], "args": args or {}, "note": note}


def fun(shapes, args=None, dtypes=None, call=None, note=None):
    """One Functional case: several inputs, passed as a list (or as `call` names keyword arguments)."""
    dtypes = dtypes or [F] * len(shapes)
    return {"model": "functional", "inputs": [{"shape": s, "dtype": d} for s, d in zip(shapes, dtypes)],
            "args": args or {}, "call": call, "note": note}


IMG = [16, 16, 3]
CASES = {
    "Activation": [seq([8], {"activation": "relu"})],
    "ActivityRegularization": [seq([8])],
    "AdaptiveAveragePooling1D": [seq([12, 3], {"output_size": 4}), seq([3, 12], {"output_size": 4, "data_format": "channels_first"})],
    "AdaptiveAveragePooling2D": [seq(IMG, {"output_size": [4, 2]})],
    "AdaptiveAveragePooling3D": [seq([8, 8, 8, 2], {"output_size": 2})],
    "AdaptiveMaxPooling1D": [seq([12, 3], {"output_size": 4})],
    "AdaptiveMaxPooling2D": [seq(IMG, {"output_size": 4}), seq([3, 16, 16], {"output_size": 4, "data_format": "channels_first"})],
    "AdaptiveMaxPooling3D": [seq([8, 8, 8, 2], {"output_size": [2, 4, 2]})],
    "Add": [fun([[8], [8]]), fun([[None, 4], [None, 4], [None, 4]])],
    "AdditiveAttention": [fun([[5, 8], [7, 8]]), fun([[5, 8], [7, 8], [7, 8]], {"use_scale": False})],
    "AlphaDropout": [seq([8], {"rate": 0.1})],
    "Attention": [fun([[5, 8], [7, 8]]), fun([[5, 8], [7, 8]], {"score_mode": "concat", "use_scale": True})],
    "AugMix": [seq(IMG)],
    "AutoContrast": [seq(IMG)],
    "Average": [fun([[8], [8]])],
    "AveragePooling1D": [seq([10, 3], {"pool_size": 2}), seq([None, 3], {"pool_size": 3, "strides": 1, "padding": "same"})],
    "AveragePooling2D": [seq(IMG, {"pool_size": 2}), seq([3, 15, 15], {"pool_size": 3, "strides": 2, "data_format": "channels_first"})],
    "AveragePooling3D": [seq([8, 8, 8, 2], {"pool_size": 2})],
    "BatchNormalization": [seq([8]), seq([4, 4, 3], {"axis": 1, "center": False}), seq([None, 6], {"scale": False})],
    "Bidirectional": [seq([5, 3], {"layer": L("LSTM", units=4)}),
                      seq([None, 3], {"layer": L("GRU", units=4, return_sequences=True), "merge_mode": "sum"}),
                      seq([5, 3], {"layer": L("SimpleRNN", units=2, return_state=True), "merge_mode": None}),
                      seq([5, 3], {"layer": L("LSTM", units=4), "merge_mode": "ave"})],
    "CategoryEncoding": [seq([3], {"num_tokens": 10}, dtype="int32"),
                         seq([1], {"num_tokens": 6, "output_mode": "one_hot"}, dtype="int32"),
                         seq([], {"num_tokens": 6, "output_mode": "one_hot"}, dtype="int32"),
                         seq([4], {"num_tokens": 5, "output_mode": "count"}, dtype="int32")],
    "CenterCrop": [seq(IMG, {"height": 8, "width": 6}), seq([3, 16, 16], {"height": 8, "width": 8, "data_format": "channels_first"})],
    "Concatenate": [fun([[4], [6]]), fun([[3, 4], [5, 4]], {"axis": 1}), fun([[None, 4], [None, 2]])],
    "ContrastLimitedAdaptiveHistogramEqualization": [seq(IMG, {"value_range": [0, 255]})],
    "Conv1D": [seq([10, 3], {"filters": 4, "kernel_size": 3}),
               seq([None, 3], {"filters": 4, "kernel_size": 3, "padding": "same", "use_bias": False}),
               seq([10, 3], {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}),
               seq([10, 4], {"filters": 4, "kernel_size": 3, "strides": 2, "groups": 2}),
               seq([3, 10], {"filters": 4, "kernel_size": 3, "data_format": "channels_first"})],
    "Conv1DTranspose": [seq([10, 3], {"filters": 4, "kernel_size": 3}),
                        seq([10, 3], {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}),
                        seq([None, 3], {"filters": 2, "kernel_size": 4, "strides": 3, "output_padding": 1})],
    "Conv2D": [seq(IMG, {"filters": 4, "kernel_size": 3}),
               seq(IMG, {"filters": 4, "kernel_size": [3, 5], "strides": 2, "padding": "same"}),
               seq([None, None, 3], {"filters": 8, "kernel_size": 1}),
               seq([3, 16, 16], {"filters": 4, "kernel_size": 3, "data_format": "channels_first", "dilation_rate": 2})],
    "Conv2DTranspose": [seq(IMG, {"filters": 4, "kernel_size": 3}),
                        seq(IMG, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}),
                        seq([3, 8, 8], {"filters": 2, "kernel_size": 3, "strides": 2, "data_format": "channels_first"})],
    "Conv3D": [seq([8, 8, 8, 2], {"filters": 4, "kernel_size": 3}), seq([8, 8, 8, 2], {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"})],
    "Conv3DTranspose": [seq([4, 4, 4, 2], {"filters": 4, "kernel_size": 3}), seq([4, 4, 4, 2], {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"})],
    "ConvLSTM1D": [seq([5, 10, 3], {"filters": 4, "kernel_size": 3}), seq([5, 10, 3], {"filters": 4, "kernel_size": 3, "return_sequences": True, "padding": "same"})],
    "ConvLSTM2D": [seq([5, 8, 8, 3], {"filters": 4, "kernel_size": 3}),
                   seq([5, 8, 8, 3], {"filters": 4, "kernel_size": 3, "return_state": True})],
    "ConvLSTM3D": [seq([3, 6, 6, 6, 2], {"filters": 2, "kernel_size": 3})],
    "Cropping1D": [seq([10, 3]), seq([10, 3], {"cropping": [2, 3]})],
    "Cropping2D": [seq(IMG, {"cropping": [[1, 2], [3, 4]]}), seq([3, 16, 16], {"cropping": 2, "data_format": "channels_first"})],
    "Cropping3D": [seq([8, 8, 8, 2], {"cropping": 1})],
    "CutMix": [seq(IMG)],
    "Dense": [seq([8], {"units": 4}), seq([None, 5, 8], {"units": 3, "use_bias": False}), seq([], {"units": 2}, note="scalar input")
              , seq([8], {"units": 4, "dtype": "mixed_float16"}), seq([8], {"units": 4, "trainable": False})],
    "DepthwiseConv1D": [seq([10, 3], {"kernel_size": 3, "depth_multiplier": 2})],
    "DepthwiseConv2D": [seq(IMG, {"kernel_size": 3}), seq(IMG, {"kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2, "use_bias": False})],
    "Discretization": [seq([4], {"bin_boundaries": [0.0, 1.0, 2.0]}), seq([4], {"bin_boundaries": [0.0, 1.0], "output_mode": "one_hot"})],
    "Dot": [fun([[8], [8]], {"axes": 1}), fun([[5, 8], [7, 8]], {"axes": [2, 2]}), fun([[5, 8], [5, 3]], {"axes": 1})],
    "Dropout": [seq([8], {"rate": 0.5})],
    "ELU": [seq([8])],
    "EinsumDense": [seq([8], {"equation": "ab,bc->ac", "output_shape": 4}),
                    seq([5, 8], {"equation": "abc,cd->abd", "output_shape": [None, 4], "bias_axes": "d"}),
                    seq([5, 8], {"equation": "abc,cde->abde", "output_shape": [5, 2, 3], "bias_axes": "de"})],
    "Embedding": [seq([5], {"input_dim": 10, "output_dim": 4}, dtype="int32"), seq([None], {"input_dim": 10, "output_dim": 4, "mask_zero": True}, dtype="int32")],
    "Equalization": [seq(IMG)],
    "Flatten": [seq([4, 5]), seq([None, 5]), seq([3, 4], {"data_format": "channels_first"})],
    "FlaxLayer": [],
    "GRU": [seq([5, 3], {"units": 4}), seq([None, 3], {"units": 4, "return_sequences": True, "reset_after": False}),
            seq([5, 3], {"units": 4, "return_state": True}), seq([5, 3], {"units": 4, "return_sequences": True, "return_state": True, "use_bias": False})],
    "GRUCell": [],
    "GaussianDropout": [seq([8], {"rate": 0.1})],
    "GaussianNoise": [seq([8], {"stddev": 0.1})],
    "GlobalAveragePooling1D": [seq([10, 3]), seq([10, 3], {"keepdims": True}), seq([3, 10], {"data_format": "channels_first"})],
    "GlobalAveragePooling2D": [seq(IMG), seq(IMG, {"keepdims": True})],
    "GlobalAveragePooling3D": [seq([4, 4, 4, 2])],
    "GlobalMaxPooling1D": [seq([10, 3])],
    "GlobalMaxPooling2D": [seq(IMG), seq([3, 16, 16], {"data_format": "channels_first", "keepdims": True})],
    "GlobalMaxPooling3D": [seq([4, 4, 4, 2])],
    "GroupNormalization": [seq([8, 8, 4], {"groups": 2}), seq([6], {"groups": 3, "center": False})],
    "GroupQueryAttention": [fun([[5, 8], [7, 8]], {"head_dim": 8, "num_query_heads": 4, "num_key_value_heads": 2}),
                            fun([[5, 8], [7, 6], [7, 6]], {"head_dim": 4, "num_query_heads": 2, "num_key_value_heads": 1, "use_bias": False})],
    "HashedCrossing": [fun([[1], [1]], {"num_bins": 8}, dtypes=["int32", "int32"])],
    "Hashing": [seq([3], {"num_bins": 8}, dtype="int32"), seq([3], {"num_bins": 4, "output_mode": "multi_hot"}, dtype="int32")],
    "Identity": [seq([8])],
    "IntegerLookup": [seq([3], {"vocabulary": [1, 2, 3]}, dtype="int32"), seq([3], {"vocabulary": [1, 2, 3], "output_mode": "multi_hot"}, dtype="int32")],
    "JaxLayer": [],
    "LSTM": [seq([5, 3], {"units": 4}), seq([None, 3], {"units": 4, "return_sequences": True}),
             seq([5, 3], {"units": 4, "return_state": True}), seq([5, 3], {"units": 4, "use_bias": False, "go_backwards": True})],
    "LSTMCell": [],
    "Lambda": [],
    "LayerNormalization": [seq([8]), seq([4, 6], {"axis": [1, 2]}), seq([4, 6], {"center": False, "rms_scaling": True})],
    "LeakyReLU": [seq([8])],
    "Masking": [seq([5, 3])],
    "MaxNumBoundingBoxes": [seq(IMG, {"max_number": 10})],
    "MaxPooling1D": [seq([10, 3]), seq([11, 3], {"pool_size": 3, "strides": 2, "padding": "same"})],
    "MaxPooling2D": [seq(IMG), seq([15, 15, 3], {"pool_size": 3, "strides": 2}), seq([None, None, 3])],
    "MaxPooling3D": [seq([8, 8, 8, 2])],
    "Maximum": [fun([[8], [8]])],
    "MelSpectrogram": [seq([8000]), seq([4000], {"fft_length": 256, "sequence_stride": 64, "num_mel_bins": 32})],
    "Minimum": [fun([[8], [8]])],
    "MixUp": [seq(IMG)],
    "MultiHeadAttention": [fun([[5, 8], [7, 8]], {"num_heads": 2, "key_dim": 4}),
                           fun([[5, 8], [7, 6], [7, 3]], {"num_heads": 2, "key_dim": 4, "value_dim": 3, "output_shape": 5}, call=["query", "value", "key"]),
                           fun([[5, 8], [7, 8]], {"num_heads": 2, "key_dim": 4, "use_bias": False}),
                           fun([[4, 4, 8], [4, 4, 8]], {"num_heads": 2, "key_dim": 2, "attention_axes": [1, 2]})],
    "Multiply": [fun([[8], [8]])],
    "Normalization": [seq([4]), seq([4], {"mean": [0.0, 1.0, 2.0, 3.0], "variance": [1.0, 1.0, 1.0, 1.0]}), seq([5, 4], {"axis": [1, 2]})],
    "PReLU": [seq([8]), seq([5, 4], {"shared_axes": [1]})],
    "Permute": [seq([3, 4], {"dims": [2, 1]}), seq([2, 3, 4], {"dims": [3, 1, 2]})],
    "Pipeline": [seq(IMG, {"layers": [L("RandomFlip"), L("Rescaling", scale=0.5)]})],
    "RMSNormalization": [seq([8]), seq([4, 6], {"axis": [1, 2]})],
    "RNN": [seq([5, 3], {"cell": L("LSTMCell", units=4)}),
            seq([5, 3], {"cell": L("SimpleRNNCell", units=4), "return_sequences": True}),
            seq([5, 3], {"cell": L("StackedRNNCells", cells=[L("LSTMCell", units=4), L("GRUCell", units=2)]), "return_state": True}),
            seq([5, 3], {"cell": [L("SimpleRNNCell", units=4), L("GRUCell", units=3)]})],
    "RandAugment": [seq(IMG)],
    "RandomBrightness": [seq(IMG, {"factor": 0.2})],
    "RandomColorDegeneration": [seq(IMG, {"factor": 0.2})],
    "RandomColorJitter": [seq(IMG)],
    "RandomContrast": [seq(IMG, {"factor": 0.2})],
    "RandomCrop": [seq(IMG, {"height": 8, "width": 6})],
    "RandomElasticTransform": [seq(IMG)],
    "RandomErasing": [seq(IMG)],
    "RandomFlip": [seq(IMG)],
    "RandomGaussianBlur": [seq(IMG)],
    "RandomGrayscale": [seq(IMG)],
    "RandomHue": [seq(IMG, {"factor": 0.2})],
    "RandomInvert": [seq(IMG)],
    "RandomPerspective": [seq(IMG)],
    "RandomPosterization": [seq(IMG, {"factor": 4})],
    "RandomRotation": [seq(IMG, {"factor": 0.2})],
    "RandomSaturation": [seq(IMG, {"factor": 0.2})],
    "RandomSharpness": [seq(IMG, {"factor": 0.2})],
    "RandomShear": [seq(IMG)],
    "RandomTranslation": [seq(IMG, {"height_factor": 0.1, "width_factor": 0.2})],
    "RandomZoom": [seq(IMG, {"height_factor": 0.1})],
    "ReLU": [seq([8])],
    "RepeatVector": [seq([8], {"n": 3})],
    "Rescaling": [seq(IMG, {"scale": 0.5})],
    "Reshape": [seq([4, 3], {"target_shape": [2, 6]}), seq([12], {"target_shape": [-1, 3]}), seq([None, 4], {"target_shape": [-1, 2]})],
    "Resizing": [seq(IMG, {"height": 8, "width": 10}), seq([None, None, 3], {"height": 8, "width": 8, "crop_to_aspect_ratio": True})],
    "ReversibleEmbedding": [seq([5], {"input_dim": 10, "output_dim": 4}, dtype="int32"),
                            seq([5], {"input_dim": 10, "output_dim": 4, "tie_weights": False}, dtype="int32")],
    "STFTSpectrogram": [seq([1000, 1]), seq([1000, 1], {"frame_length": 64, "frame_step": 16, "mode": "stft"}),
                        seq([1000, 1], {"frame_length": 64, "frame_step": 32, "mode": "magnitude", "expand_dims": True})],
    "SeparableConv1D": [seq([10, 3], {"filters": 4, "kernel_size": 3}), seq([10, 3], {"filters": 4, "kernel_size": 3, "depth_multiplier": 2, "padding": "same"})],
    "SeparableConv2D": [seq(IMG, {"filters": 4, "kernel_size": 3}), seq(IMG, {"filters": 4, "kernel_size": 3, "strides": 2, "use_bias": False})],
    "SimpleRNN": [seq([5, 3], {"units": 4}), seq([5, 3], {"units": 4, "return_sequences": True, "return_state": True})],
    "SimpleRNNCell": [],
    "Softmax": [seq([8])],
    "Solarization": [seq(IMG)],
    "SpatialDropout1D": [seq([5, 3], {"rate": 0.5})],
    "SpatialDropout2D": [seq(IMG, {"rate": 0.5})],
    "SpatialDropout3D": [seq([4, 4, 4, 2], {"rate": 0.5})],
    "SpectralNormalization": [seq([8], {"layer": L("Dense", units=4)}), seq(IMG, {"layer": L("Conv2D", filters=2, kernel_size=3)})],
    "StackedRNNCells": [],
    "StringLookup": [seq([3], {"vocabulary": ["a", "b", "c"]}, dtype="string")],
    "Subtract": [fun([[8], [8]])],
    "TFSMLayer": [],
    "TextVectorization": [seq([], {"max_tokens": 10}, dtype="string")],
    "TimeDistributed": [seq([5, 8], {"layer": L("Dense", units=4)}), seq([5, 8, 8, 3], {"layer": L("Conv2D", filters=2, kernel_size=3)})],
    "TorchModuleWrapper": [],
    "UnitNormalization": [seq([8])],
    "UpSampling1D": [seq([10, 3]), seq([10, 3], {"size": 3})],
    "UpSampling2D": [seq(IMG), seq([3, 8, 8], {"size": [2, 3], "data_format": "channels_first"})],
    "UpSampling3D": [seq([4, 4, 4, 2])],
    "Wrapper": [],
    "ZeroPadding1D": [seq([10, 3]), seq([10, 3], {"padding": [2, 3]})],
    "ZeroPadding2D": [seq(IMG), seq(IMG, {"padding": [[1, 2], [3, 4]]})],
    "ZeroPadding3D": [seq([4, 4, 4, 2])],
    "InputLayer": [],
    "Sequential": [seq([8], {"layers": [L("Dense", units=4), L("Dense", units=2)]})],
    "Functional": [],
    "Model": [],
    "LayerScale": [seq([5, 8], {"init_values": 1e-06, "projection_dim": 8})],
    "CustomScaleLayer": [],
}

# Why a class has no case: what Keras does when asked simply.
REASONS = {
    "FlaxLayer": "needs a Flax module object (flax is a JAX-only extra); not constructible from a config",
    "JaxLayer": "needs a JAX call function; the numpy backend refuses it",
    "TorchModuleWrapper": "needs a torch.nn.Module; torch backend only",
    "TFSMLayer": "needs a TensorFlow SavedModel on disk; TensorFlow backend only",
    "GRUCell": "a cell takes (inputs, states): used through RNN/StackedRNNCells, see RNN cases",
    "LSTMCell": "a cell takes (inputs, states): used through RNN/StackedRNNCells, see RNN cases",
    "SimpleRNNCell": "a cell takes (inputs, states): used through RNN/StackedRNNCells, see RNN cases",
    "StackedRNNCells": "a cell takes (inputs, states): used through RNN, see RNN cases",
    "Lambda": "its output shape is the result of calling an arbitrary Python function",
    "Wrapper": "abstract base class: Wrapper.call raises NotImplementedError",
    "InputLayer": "is the input of every case (recorded there)",
    "Functional": "built from tensors, not arguments; covered by the reference models",
    "Model": "built from tensors, not arguments; covered by the reference models",
    "CustomScaleLayer": "takes a list of two tensors that must broadcast; covered as a functional case",
}


def build_layer(spec):
    if isinstance(spec, dict) and "__layer__" in spec:
        inner = spec["__layer__"]
        cls = inner["class"]
        fn = getattr(keras.layers, cls, None) or getattr(keras, cls)
        return fn(**{k: build_layer(v) for k, v in inner["args"].items()})
    if isinstance(spec, list):
        return [build_layer(v) for v in spec]
    return spec


def layer_class(name):
    if name == "LayerScale":
        from keras.src.applications.convnext import LayerScale
        return LayerScale
    if name == "CustomScaleLayer":
        from keras.src.applications.inception_resnet_v2 import CustomScaleLayer
        return CustomScaleLayer
    return getattr(keras.layers, name, None) or getattr(keras, name)


def shape_of(t):
    if isinstance(t, (list, tuple)):
        return [shape_of(x) for x in t]
    if isinstance(t, dict):
        return {k: shape_of(v) for k, v in t.items()}
    return list(t.shape)


def dtype_of(t):
    if isinstance(t, (list, tuple)):
        return [dtype_of(x) for x in t]
    return t.dtype


def jsonable(x):
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    return x


def run_case(cls, case):
    keras.backend.clear_session()
    ctor = layer_class(cls)
    layer = ctor(**{k: build_layer(v) for k, v in case["args"].items()}, name="layer")
    if case["model"] == "sequential":
        inp = case["inputs"][0]
        model = keras.Sequential([keras.Input(shape=tuple(inp["shape"]), dtype=inp["dtype"], name="input"), layer],
                                 name="model")
    else:
        ins = [keras.Input(shape=tuple(i["shape"]), dtype=i["dtype"], name=f"input_{k}") for k, i in enumerate(case["inputs"])]
        if case.get("call"):
            out = layer(**dict(zip(case["call"], ins)))
        elif cls in ("Attention", "AdditiveAttention"):
            out = layer(ins)
        elif cls in ("MultiHeadAttention", "GroupQueryAttention"):
            out = layer(*ins)
        else:
            out = layer(ins)
        model = keras.Model(ins, out, name="model")
    out = layer.output
    rec = {
        "output_shape": shape_of(out),
        "output_dtype": dtype_of(out),
        "variables": [{"path": v.path, "shape": list(v.shape), "dtype": v.dtype, "trainable": v.trainable}
                      for v in layer.weights],
        "params": layer.count_params(),
        "build_config": jsonable(layer.get_build_config()),
    }
    if case["model"] == "sequential":
        rec["config"] = json.dumps(serialize_keras_object(model))
    return rec


def main(api_path, out_path):
    api = json.load(open(api_path))
    classes = sorted({s["canonical"] for s in api["symbols"] if s["kind"] == "class" and not s["is_alias"]
                      and any("layers" in m for m in s.get("python_mro", []))})
    missing = [c for c in classes if c not in CASES]
    assert not missing, f"classes without an entry in CASES: {missing}"
    out = {"keras_version": keras.__version__, "backend": keras.backend.backend(), "classes": {}}
    for cls in classes:
        entry = {"cases": []}
        if not CASES[cls]:
            entry["reason"] = REASONS[cls]
        for case in CASES[cls]:
            rec = {k: v for k, v in case.items() if v is not None}
            try:
                rec.update(run_case(cls, case))
            except Exception as e:  # recorded: what Keras says
                rec["error"] = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]
                print(f"{cls}: {rec['error']}", file=sys.stderr)
            entry["cases"].append(rec)
        out["classes"][cls] = entry
    text = json.dumps(out, separators=(",", ":"))
    with open(out_path, "w") as f:
        f.write(text)
    n = sum(len(e["cases"]) for e in out["classes"].values())
    print(f"{len(classes)} classes, {n} cases, {len(text)} bytes -> {out_path}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
