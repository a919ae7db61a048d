#!/usr/bin/env python3
"""Generates src/rust/core/src/catalog/catalog.json, the catalog of Keras built-ins, from keras_api.json.

Usage (from anywhere): python3 tools/gen-catalog.py [path/to/keras_api.json]
The default input is ../shared/keras-reference/keras_api.json relative to the repository root.

The output depends only on the input: entries keep keras_api.json's order (an entry's id is its
index there), object keys keep Keras' order (default configs list keys as Keras writes them), and
one symbol per line keeps diffs readable. Facts the Rust side relies on are checked here, so a new
Keras release with different data fails loudly instead of producing a subtly wrong catalog.
"""

import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = os.path.join(REPO, "..", "shared", "keras-reference", "keras_api.json")
OUTPUT = os.path.join(REPO, "src", "rust", "core", "src", "catalog", "catalog.json")
# Default configs of the classes that need TensorFlow to be built, which keras_api.json lacks
# (made by tools/gen-tf-defaults.py with Keras 3.15.1 and TensorFlow).
TF_DEFAULTS = os.path.join(REPO, "tools", "tf-default-configs.json")
# Ops that built-in layers' compute_mask() records in Functional graphs and keras_api.json lacks
# (made by tools/gen-extra-ops.py with Keras 3.15.1): appended after its entries, so ids stay.
EXTRA_OPS = os.path.join(REPO, "tools", "extra-ops.json")

# Families the R side knows. A namespace or defining package outside this list is a new kind of
# object that needs a decision, not a silently invented family.
FAMILIES = {
    "layers", "optimizers", "schedules", "losses", "metrics", "activations", "initializers",
    "regularizers", "constraints", "dtype_policies", "quantizers", "models", "ops",
    "applications", "backend",
}

# Public namespaces whose family is not their last component.
NAMESPACE_FAMILIES = {"keras.optimizers.schedules": "schedules"}


def fail(message):
    sys.exit(f"gen-catalog: {message}")


def family(sym):
    """The public namespace's family; for the top-level `keras` namespace and non-exported classes
    (`keras.src.*`), which say nothing about the object, the package that defines it."""
    ns = sym["namespace"]
    if ns.startswith("keras.") and not ns.startswith("keras.src."):
        fam = NAMESPACE_FAMILIES.get(ns, ns[len("keras."):])
    else:
        fam = sym["python_path"].split(".")[2]
    if fam not in FAMILIES:
        fail(f"{ns}.{sym['name']}: unknown family {fam!r}; add it to FAMILIES if it is right")
    return fam


def canonical_ids(symbols):
    """Per entry, the id of the entry that stands for its Python object: the first non-alias entry
    with the same python_path. Aliases (Convolution2D) and re-exports under another namespace
    (keras.metrics.mean_squared_error, keras.DTypePolicy, keras.Input) then share one id, and the
    first listing is the object's home namespace because keras_api.json lists the public
    namespaces first (losses before metrics), then the top level, then non-exported classes."""
    first = {}
    for i, sym in enumerate(symbols):
        if not sym["is_alias"]:
            first.setdefault(sym["python_path"], i)
    ids = []
    for sym in symbols:
        target = first.get(sym["python_path"])
        if target is None:
            fail(f"{sym['python_path']}: only aliases, no canonical entry")
        home = symbols[target]
        if (home["kind"], home["canonical"]) != (sym["kind"], sym["canonical"]):
            fail(f"{sym['python_path']}: entries disagree on kind or canonical name")
        ids.append(target)
    return ids


def serialized_as(sym):
    """Only module and registered_name: class_name (classes) and config (functions) always equal
    `canonical`, which is checked here."""
    sa = sym["serialized_as"]
    written = sa.get("config") if sym["kind"] == "function" else sa.get("class_name")
    if written != sym["canonical"]:
        fail(f"{sym['namespace']}.{sym['name']}: serialized as {written!r}, not {sym['canonical']!r}")
    return {"module": sa.get("module"), "registered_name": sa.get("registered_name")}


def entry(i, sym, canonical_id):
    if sym["default_config"] is not None and list(sym["default_config"]) != sym["config_keys"]:
        fail(f"{sym['namespace']}.{sym['name']}: config_keys do not match default_config")
    return {
        "id": i,
        "namespace": sym["namespace"],
        "module": sym["module"],
        "name": sym["name"],
        "canonical": sym["canonical"],
        "canonical_id": canonical_id,
        "kind": sym["kind"],
        "family": family(sym),
        "python_path": sym["python_path"],
        "bases": sym["bases"],
        "params": [
            {k: p[k] for k in ("name", "kind", "required", "has_default", "default")}
            for p in sym["params"]
        ],
        "default_config": sym["default_config"],
        "config_keys": sym["config_keys"],
        "serialized_as": serialized_as(sym),
        "required_args_used": sym["required_args_used"],
        "is_alias": sym["is_alias"],
        "aliases": sym["aliases"],
    }


def dump(value):
    # allow_nan=False: serde_json cannot read NaN or Infinity, so such a default must fail here.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def main(argv):
    if len(argv) > 2:
        fail("usage: python3 tools/gen-catalog.py [path/to/keras_api.json]")
    source = argv[1] if len(argv) == 2 else DEFAULT_INPUT
    with open(source, encoding="utf-8") as f:
        api = json.load(f)
    symbols = api["symbols"]
    if os.path.exists(TF_DEFAULTS):
        with open(TF_DEFAULTS, encoding="utf-8") as f:
            tf_defaults = json.load(f)
        for sym in symbols:
            extra = tf_defaults.get(f"{sym['namespace']}.{sym['name']}")
            if extra is not None and sym["default_config"] is None:
                sym["default_config"], sym["config_keys"] = extra["default_config"], extra["config_keys"]
    if os.path.exists(EXTRA_OPS):
        with open(EXTRA_OPS, encoding="utf-8") as f:
            extra = json.load(f)
        if extra["keras_version"] != api["keras_version"]:
            fail(f"extra-ops.json is for Keras {extra['keras_version']}, keras_api.json for {api['keras_version']}")
        known = {sym["python_path"] for sym in symbols}
        symbols = symbols + [sym for sym in extra["symbols"] if sym["python_path"] not in known]
    ids = canonical_ids(symbols)
    header = {
        "generated_from": {
            "file": "keras_api.json",
            "keras_version": api["keras_version"],
            "backend": api["backend"],
            "generated": api["generated"],
        },
        "namespaces": api["namespaces"],
        "top_level": api["top_level"],
        "non_modeling_apis": api["non_modeling_apis"],
        "function_modules": api["function_modules"],
        "builtin_function_name_collisions": api["builtin_function_name_collisions"],
    }
    lines = [dump(entry(i, sym, ids[i])) for i, sym in enumerate(symbols)]
    text = dump(header)[:-1] + ',"symbols":[\n' + ",\n".join(lines) + "\n]}\n"
    with open(OUTPUT, "w", encoding="ascii", newline="\n") as f:
        f.write(text)
    print(f"gen-catalog: {len(symbols)} symbols (Keras {api['keras_version']}) -> "
          f"{os.path.relpath(OUTPUT, REPO)}")


if __name__ == "__main__":
    main(sys.argv)
