#!/usr/bin/env python3
"""Generates R/builtins-generated.R: an R object for every Keras built-in in the catalog.

Usage, from the repository root, after tools/gen-catalog.py:
    python3 tools/gen-constructors.py

Reads src/rust/core/src/catalog/catalog.json. Each class gets a class generator with keras3-style name
and Keras' constructor arguments as formals (`layer_dense(object, units, activation = NULL, ...)`),
each function a placeholder carrying its Keras name (`activation_relu`); the `keras` object reaches
all of them by Python path (`keras$layers$Dense`). One Rd page per family documents them.
"""

import json
import keyword
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(REPO, "src", "rust", "core", "src", "catalog", "catalog.json")
OUTPUT = os.path.join(REPO, "R", "builtins-generated.R")

# family -> (R prefix, Rd topic, title, kind exported)
FAMILIES = {
    "layers": ("layer_", "keras_layers", "Keras layers", "class"),
    "optimizers": ("optimizer_", "keras_optimizers", "Keras optimizers", "class"),
    "schedules": ("learning_rate_schedule_", "keras_schedules", "Keras learning rate schedules", "class"),
    "losses": ("loss_", "keras_losses", "Keras losses", "class"),
    "metrics": ("metric_", "keras_metrics", "Keras metrics", "class"),
    "activations": ("activation_", "keras_activations", "Keras activations", "function"),
    "initializers": ("initializer_", "keras_initializers", "Keras initializers", "class"),
    "regularizers": ("regularizer_", "keras_regularizers", "Keras regularizers", "class"),
    "constraints": ("constraint_", "keras_constraints", "Keras constraints", "class"),
    "dtype_policies": ("dtype_policy_", "keras_dtype_policies", "Keras dtype policies", "class"),
}

# Base classes: the R families Layer(), Loss(), ... stand for them.
BASES = {"Layer", "Loss", "Metric", "Optimizer", "LearningRateSchedule", "Initializer", "Regularizer",
         "Constraint", "InputSpec"}

# keras3's names where the mechanical rule gives another.
NAME_OVERRIDES = {
    "ReLU": "layer_activation_relu",
    "LeakyReLU": "layer_activation_leaky_relu",
    "PReLU": "layer_activation_parametric_relu",
    "ELU": "layer_activation_elu",
    "Softmax": "layer_activation_softmax",
    "RMSprop": "optimizer_rmsprop",
    "IoU": "metric_iou",
    "MeanIoU": "metric_mean_iou",
    "BinaryIoU": "metric_binary_iou",
    "OneHotIoU": "metric_one_hot_iou",
    "OneHotMeanIoU": "metric_one_hot_mean_iou",
    "DTypePolicy": "dtype_policy",
}

# keras3's argument transformers for its own names (rstudio/keras3 tools/arg-transformers.yml and
# R/r-utils.R), by parameter: "axis" is as_axis (1-based), "shape" normalize_shape, "integer"
# as_integer, "scale" normalize_padding/normalize_cropping, "target_shape" layer_reshape's. The
# Python-path generators (`keras$layers$...`) apply none of them. Integer parameters Keras declares
# are integers on both paths already (rules.json).
KERAS3_ANY = {"axis": "axis", "axes": "axis", "shape": "shape", "seed": "integer",
              # Beyond keras3, which passes it through: an NA in a noise shape is Python's None.
              "noise_shape": "shape"}
# keras.layers.*: given to any layer, also through `...` (keras3's "+" keys).
KERAS3_LAYERS = {"input_shape": "shape", "batch_input_shape": "shape", "batch_size": "integer"}
KERAS3_CLASS = {
    "ZeroPadding2D": {"padding": "scale"}, "ZeroPadding3D": {"padding": "scale"},
    "Cropping2D": {"cropping": "scale"}, "Cropping3D": {"cropping": "scale"},
    "PReLU": {"shared_axes": "axis"},
    "InputLayer": {"batch_shape": "shape"},
    "Lambda": {"output_shape": "shape"},
    "EinsumDense": {"output_shape": "shape"},
    "Reshape": {"target_shape": "target_shape"},
    "Hashing": {"num_bins": "integer", "salt": "integer"},
    "HashedCrossing": {"num_bins": "integer"},
    "TextVectorization": {"max_tokens": "integer", "output_sequence_length": "integer", "ngrams": "integer"},
    # keras3 leaves max_tokens a double here; Keras declares it an int (as TextVectorization's).
    "StringLookup": {"max_tokens": "integer", "num_oov_indices": "integer", "mask_token": "integer",
                     "vocabulary": "integer"},
    "IntegerLookup": {"max_tokens": "integer", "num_oov_indices": "integer", "mask_token": "integer",
                      "oov_token": "integer", "vocabulary": "integer"},
}
# keras3's argument names where they differ from Keras' (layer_lambda(object, f, ...)).
KERAS3_RENAMES = {"Lambda": {"function": "f"}}
# Layers keras3 makes without a model or tensor first: RNN cells are arguments, not model layers.
KERAS3_NO_OBJECT = re.compile(r"Cell$|^StackedRNNCells$")
# keras3's names where ours differ, as aliases: keras3 name -> our name.
KERAS3_ALIASES = {
    "constraint_maxnorm": "constraint_max_norm", "constraint_minmaxnorm": "constraint_min_max_norm",
    "constraint_nonneg": "constraint_non_neg", "constraint_unitnorm": "constraint_unit_norm",
    "layer_upsampling_1d": "layer_up_sampling_1d", "layer_upsampling_2d": "layer_up_sampling_2d",
    "layer_upsampling_3d": "layer_up_sampling_3d",
    "metric_f1_score": "metric_f_1_score", "metric_fbeta_score": "metric_f_beta_score",
    "metric_r2_score": "metric_r_2_score", "regularizer_orthogonal": "regularizer_orthogonal_regularizer",
    "optimizer_loss_scale": "optimizer_loss_scale_optimizer", "layer_tfsm": "layer_tfsm_layer",
    "rnn_cell_lstm": "layer_lstm_cell", "rnn_cell_gru": "layer_gru_cell", "rnn_cell_simple": "layer_simple_rnn_cell",
    "rnn_cells_stack": "layer_stacked_rnn_cells", "bidirectional": "layer_bidirectional",
    "time_distributed": "layer_time_distributed",
}

R_RESERVED = {"if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE",
              "NULL", "Inf", "NaN", "NA", "in"}


def snake(name):
    """Keras' to_snake_case, then digits split off as keras3 does (Conv2D -> conv_2d)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()
    return re.sub("([a-z])([0-9])", r"\1_\2", name)


def r_name(name):
    return f"`{name}`" if name in R_RESERVED or not re.match(r"^[A-Za-z.][A-Za-z0-9._]*$", name) else name


def r_value(v):
    """A JSON default as R code."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return f"{v}L" if abs(v) < 2**31 else repr(float(v))
    if isinstance(v, float):
        if v != v:
            return "NaN"
        if v in (float("inf"), float("-inf")):
            return "Inf" if v > 0 else "-Inf"
        return repr(v)
    if isinstance(v, str):
        if v.startswith("<unserializable"):
            return "NULL"
        return json.dumps(v)
    if isinstance(v, list):
        items = [r_value(x) for x in v]
        scalar = all(not isinstance(x, (list, dict)) and x is not None for x in v)
        same = len({type(x) for x in v}) <= 1
        return f"c({', '.join(items)})" if v and scalar and same else f"list({', '.join(items)})"
    return "NULL"  # a serialized object as default: Keras' default config holds its real form


def key_of(e):
    module = e["serialized_as"].get("module")
    if not module or module == "builtins":
        module = e["module"]
    return f"{module}.{e['canonical']}"


def one_based(v):
    """A 0-based axis default as keras3 shows it (0 -> 1; negative axes unchanged)."""
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, int):
        return v + 1 if v >= 0 else v
    if isinstance(v, list):
        return [one_based(x) for x in v]
    return v


def formals(e, first=(), transforms=None, renames=None):
    """R formals: `first`, then Keras' parameters (keras3's names and 1-based axis defaults when
    `transforms`/`renames` are given), then `...` when Keras takes keyword arguments or `first` does."""
    out = list(first)
    dots = "object" in first
    for p in e["params"]:
        if p["kind"] in ("var_keyword", "var_positional"):
            dots = True
            continue
        name = r_name((renames or {}).get(p["name"], p["name"]))
        if p.get("required") or not p.get("has_default"):
            out.append(name)
        else:
            default = p["default"]
            if (transforms or {}).get(p["name"]) == "axis":
                default = one_based(default)
            out.append(f"{name} = {r_value(default)}")
    if dots:
        out.append("...")
    return out


def keras3_transforms(e):
    """keras3's transformers for a class's keras3-named constructor, by R argument name."""
    params = {p["name"] for p in e["params"]}
    out = {k: v for k, v in KERAS3_ANY.items() if k in params}
    if e["family"] == "layers":
        out.update(KERAS3_LAYERS)
    out.update(KERAS3_CLASS.get(e["canonical"], {}))
    renames = KERAS3_RENAMES.get(e["canonical"], {})
    return {renames.get(k, k): v for k, v in sorted(out.items())}


def r_chr(d):
    """A named character vector literal, or NULL."""
    if not d:
        return "NULL"
    return "c(" + ", ".join(f"{r_name(k)} = {json.dumps(v)}" for k, v in d.items()) + ")"


def main():
    cat = json.load(open(CATALOG))
    entries = cat["symbols"]
    # Losses and metrics keras3 computes when given data have a function of the same name.
    computing = {(x["namespace"], x["name"]) for x in entries if x["kind"] == "function"}
    canon = [e for e in entries if e["canonical_id"] == e["id"]]
    by_id = {e["id"]: e for e in entries}

    lines = ["# Generated by tools/gen-constructors.py from src/rust/core/src/catalog/catalog.json",
             f"# (Keras {cat['generated_from']['keras_version']}): do not edit by hand.", "",
             "#' @include builtins.R", "NULL", ""]
    names_used = {}
    family_blocks = {f: [] for f in FAMILIES}
    family_params = {f: set() for f in FAMILIES}
    family_dots = {f: False for f in FAMILIES}
    internal = []
    r_names = {}

    for e in canon:
        fam = e["family"]
        key = key_of(e)
        layer = fam == "layers" and e["kind"] == "class"
        exported = (fam in FAMILIES and FAMILIES[fam][3] == e["kind"] and e["canonical"] not in BASES
                    and e["canonical"] != "__keras_tensor__")
        if e["kind"] == "function":
            sig = ", ".join(formals(e))
            expr = f'kc_builtin_function("{key}", "{e["canonical"]}", function({sig}) NULL)'
        else:
            # The class, with Python's signature (`keras$layers$Dense`) ...
            expr = f'kc_builtin_class("{key}", function({", ".join(formals(e))}) NULL)'
            if exported:
                # ... and its keras3-named constructor, with keras3's arguments.
                transforms = keras3_transforms(e)
                renames = KERAS3_RENAMES.get(e["canonical"], {})
                first = []
                if layer and not KERAS3_NO_OBJECT.search(e["canonical"]):
                    first = ["object"]
                elif fam in ("losses", "metrics") and (e["namespace"], snake(e["canonical"])) in computing:
                    first = ["y_true", "y_pred"]
                    transforms = {"y_true": "data", "y_pred": "data", **transforms}
                sig = ", ".join(formals(e, first, transforms, renames))
                back = {v: k for k, v in renames.items()}
                expr = (f"kc_builtin_front({expr}, function({sig}) NULL,\n  {r_chr(transforms)}"
                        + (f", {r_chr(back)}" if back else "") + ")")
        if not exported:
            internal.append(expr)
            continue
        prefix = FAMILIES[fam][0]
        short = e["canonical"]
        if fam in ("initializers", "regularizers", "constraints"):
            lower = [a for a in [e["name"]] + e.get("aliases", []) if a.islower()]
            lower += [x["name"] for x in entries if x["canonical_id"] == e["id"] and x["name"].islower()]
            short = lower[0] if lower else snake(short)
        elif fam == "dtype_policies":
            short = snake(short.replace("DTypePolicy", ""))
        elif e["kind"] == "class":
            short = snake(short)
        name = NAME_OVERRIDES.get(e["canonical"], prefix + short.strip("_")).rstrip("_")
        if name in names_used:
            sys.exit(f"gen-constructors: {name} names both {names_used[name]} and {key}")
        names_used[name] = key
        r_names[e["id"]] = name
        family_params[fam].update(KERAS3_RENAMES.get(e["canonical"], {}).get(p["name"], p["name"])
                                  for p in e["params"] if p["kind"] not in ("var_keyword", "var_positional"))
        if "y_true" in expr:
            family_params[fam].update(["y_true", "y_pred"])
        family_dots[fam] |= "..." in sig
        family_blocks[fam].append(f"#' @rdname {FAMILIES[fam][1]}\n#' @export\n{name} <- {expr}\n")

    topic_of = {}
    for fam, (prefix, topic, title, kind) in FAMILIES.items():
        for b in family_blocks[fam]:
            topic_of[b.split("\n")[2].split(" <- ")[0]] = (topic, fam)
    for alias, ours in KERAS3_ALIASES.items():
        if ours not in names_used or alias in names_used:
            sys.exit(f"gen-constructors: keras3 alias {alias} of {ours}")
        topic, fam = topic_of[ours]
        family_blocks[fam].append(f"#' @rdname {topic}\n#' @export\n{alias} <- {ours}\n")
        names_used[alias] = names_used[ours]

    for fam, (prefix, topic, title, kind) in FAMILIES.items():
        block = family_blocks[fam]
        if not block:
            continue
        params = sorted(family_params[fam])
        what = "functions" if kind == "function" else "classes"
        lines += [f"#' {title}", "#'",
                  f"#' Constructors for the Keras {what} of `keras.{'optimizers.schedules' if fam == 'schedules' else fam}`,",
                  "#' generated from the catalog of Keras built-ins. Their formals are Keras' constructor",
                  "#' arguments with Keras' defaults; the arguments you supply go on top of the class's",
                  "#' default config, coerced to the types Keras stores (`units = 4` becomes `4L`; a string",
                  "#' names an initializer, regularizer or constraint). The same classes are reachable by",
                  "#' Python path through [keras], e.g. `keras$layers$Dense`.", "#'"]
        if kind == "class":
            lines += ["#' These constructors take keras3's arguments, as keras3's own wrappers transform them:",
                      "#' axes are 1-based (`axis = 1` is Python's `0`, negative axes count from the end as in",
                      "#' Python, `axis = 0` is an error; also `axes` and `shared_axes`), shapes may hold `NA`",
                      "#' (or `NULL` in a list) for an unknown dimension and a single number is a 1-D shape",
                      "#' (`input_shape = 784` is `(784,)`), seeds and sizes are integers (`seed = 1.5` is an",
                      "#' error), and padding/cropping take a number per dimension or a pair per dimension.",
                      "#' keras3 also passes `max_value` of `constraint_maxnorm()` through `as.integer()`,",
                      "#' truncating `2.5` to `2`; here it stays `2.5`, the value Keras keeps. The Python-path",
                      "#' generators (`keras$layers$BatchNormalization(axis = 1)`) take Python's arguments with",
                      "#' Python's meaning: 0-based axes, no transformation.", "#'"]
        if fam in ("losses", "metrics"):
            lines += ["#' @param y_true,y_pred keras3 computes the loss or metric when given data; kerasconfig",
                      "#'   does not compute, so giving them is a `kerasconfig_error_not_computable` error.", ]
            params = [p for p in params if p not in ("y_true", "y_pred")]
        if kind == "function":
            lines += ["#' Built-in functions are placeholders: they name the Keras function in configs",
                      "#' (`serialize_keras_object(activation_relu)`) but do not compute it.", "#'"]
        if fam == "layers":
            lines += ["#' @param object Optional: a model to add the layer to (keras3's pipe idiom).",
                      "#' @param f For `layer_lambda()`: the function (Keras' `function`)."]
            params = [p for p in params if p != "f"]
        if params:
            lines += [f"#' @param {','.join(r_name(p) for p in params)} Keras' arguments of the same name."]
        if family_dots[fam]:
            lines += ["#' @param ... Further keyword arguments Keras accepts (for layers: `name`, `trainable`, `dtype`)."]
        lines += [f"#' @return {'A Keras function placeholder.' if kind == 'function' else 'A Keras object of that class.'}",
                  f"#' @name {topic}", "#' @examples"]
        # The example: the first constructor that needs no argument (layer_dense() needs units).
        examples = {"layers": "layer_dense(units = 4)",
                    "schedules": "learning_rate_schedule_exponential_decay(0.1, decay_steps = 1000, decay_rate = 0.9)"}
        if kind == "function":
            call = block[0].split("\n")[2].split(" <- ")[0]
        elif fam in examples:
            call = examples[fam]
        else:
            # The keras3 constructor's signature is the block's last.
            def needs_args(b):
                sig = re.sub(r"^(object|y_true, y_pred)(, |\))", "", b.rsplit("function(", 1)[1])
                return re.match(r"[A-Za-z_]+[,)]", sig) is not None
            # The keras3 constructor's signature is the block's last.
            call = next(b.split("\n")[2].split(" <- ")[0] + "()" for b in block
                        if "function(" in b and not needs_args(b))
        lines += [f"#' serialize_keras_object({call})" if kind == "function" else f"#' str(serialize_keras_object({call}))",
                  "NULL", ""]
        lines += block

    lines += ["# Built-ins with no keras3-style name: base classes, model classes, operations and other",
              "# classes real configs name. Reachable through deserialization and `keras`."]
    lines += internal
    lines += [""]

    # The `keras` tree: namespace path -> exported name -> key.
    tree = {}
    for e in entries:
        c = by_id[e["canonical_id"]]
        path = e["namespace"].split(".")[1:] if e["namespace"] != "keras" else []
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault(e["name"], key_of(c))

    def render(node, indent):
        pad = "  " * indent
        items = []
        for k, v in node.items():
            items.append(f"{pad}{r_name(k)} = " + (f'"{v}"' if isinstance(v, str) else "list(\n" + render(v, indent + 1) + f"\n{pad})"))
        return ",\n".join(items)

    lines += ["# Exported name -> key: .onLoad() makes these the objects every other reference uses.",
              "kc_builtin_exports <- c("]
    lines += [",\n".join(f'  {n} = "{k}"' for n, k in names_used.items())]
    lines += [")", ""]
    lines += ["# The `keras` tree of keys (see kc_builtin_tree()).",
              "kc_builtin_paths <- list(", render(tree, 1), ")", ""]
    lines += ["#' Keras built-ins by Python path", "#'",
              "#' `keras$layers$Dense`, `keras$optimizers$Adam`, `keras$activations$relu`, ...: every class",
              "#' and function of the catalog, under the namespace Keras exports it from (aliases",
              "#' included). Classes are class generators, functions placeholders that name them.",
              "#' They take Python's arguments with Python's meaning (0-based axes); the keras3-named",
              "#' constructors (`layer_dense()`) make the same classes' objects with keras3's arguments.", "#'",
              "#' @format A nested named list.", "#' @export", "#' @examples",
              "#' keras$optimizers$Adam(learning_rate = 0.01)$get_config()$learning_rate",
              "#' keras$layers$BatchNormalization(axis = 1)$get_config()$axis   # Python's axis 1",
              "#' layer_batch_normalization(axis = 1)$get_config()$axis         # keras3's: Python's 0",
              "keras <- kc_builtin_tree(kc_builtin_paths)", ""]

    with open(OUTPUT, "w") as f:
        f.write("\n".join(lines))
    print(f"gen-constructors: {len(names_used)} exported constructors, {len(internal)} internal built-ins -> {OUTPUT}")


if __name__ == "__main__":
    main()
