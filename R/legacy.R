# Models written by tf.keras 2.x: `model.to_json()` text, the `model_config` and `training_config`
# of legacy `.h5` files, and tf.keras' own `.keras` files. Keras 3.15.1 reads them through
# keras/src/legacy/saving/saving_utils.py (`model_from_config`) and legacy_h5_format.py; these
# functions apply the same rules to the config before it is deserialized, read the tf.keras keys
# Keras 3.15.1 fails on where they have an obvious Keras 3 meaning (and refuse the others with a
# `kerasconfig_error_legacy`), and then leave the model as Keras 3.15.1 leaves one it has built:
# build configs of the layers it builds, `build_input_shape`, `"compile_config": {}`.

# Does a parsed top-level config come from tf.keras 2.x? Its models name no module (to_json text,
# .h5 model_config), carry `keras_version` "2.x", or lack the compile_config every Keras 3 model
# config has.
kc_is_legacy_config <- function(config, keras_version = NULL) {
  if (!is.list(config) || is.null(names(config))) return(FALSE)
  if (!isTRUE(config[["class_name", exact = TRUE]] %in% c("Sequential", "Functional", "Model"))) return(FALSE)
  version <- keras_version %||% config[["keras_version", exact = TRUE]]
  is.null(config[["module", exact = TRUE]]) || (kc_is_string(version) && startsWith(version, "2.")) ||
    !"compile_config" %in% names(config)
}

# Keras 2 arguments Keras 3.15.1's constructors still take (their __init__ pops them):
# Embedding's `input_length` (dropped, with Keras' warning when not NULL), the `implementation`
# of LSTM and GRU layers and cells (dropped silently), LeakyReLU's `alpha` (its `negative_slope`,
# with Keras' warning; it wins over a `negative_slope` also given), and an optimizer's `decay`
# (dropped, with Keras' warning when not NULL). `args` are constructor arguments or a config.
kc_keras2_rename <- function(cls, args, warn = TRUE, family = NULL) {
  note <- function(message) if (warn) kc_warn(message, "kerasconfig_warning_legacy")
  has <- function(key) key %in% names(args)
  if (cls == "Embedding" && has("input_length")) {
    if (!is.null(args$input_length)) note("Argument `input_length` is deprecated. Just remove it.")
    args$input_length <- NULL
  }
  if (cls %in% c("LSTM", "GRU", "LSTMCell", "GRUCell") && has("implementation")) args$implementation <- NULL
  if (cls == "LeakyReLU" && has("alpha")) {
    args["negative_slope"] <- list(args$alpha)
    args$alpha <- NULL
    note("Argument `alpha` is deprecated. Use `negative_slope` instead.")
  }
  if (identical(family, "optimizers") && has("decay")) {
    if (!is.null(args$decay)) note("Argument `decay` is no longer supported and will be ignored.")
    args$decay <- NULL
  }
  args
}

# For arguments typed in R: the constructor of built-in class `info`.
kc_keras2_arguments <- function(info, args) kc_keras2_rename(info$classname, args, family = info$family)

kc_legacy_abort <- function(message, path) {
  kc_abort(sprintf("%s\nLocation: %s", message, path), "kerasconfig_error_legacy", path = path)
}

# The model config as Keras 3 configs are: module keys on built-in layers and models, the
# Keras 2 keys renamed or dropped (see kc_legacy_layer()).
kc_legacy_model_config <- function(config, path = "config") {
  config[c("keras_version", "backend")] <- NULL
  kc_legacy_layer(config, path, first_in = NULL)
}

# Every layer config: the model's own, those of its layers, wrapped layers and RNN cells.
kc_legacy_layer <- function(x, path, first_in = NULL) {
  if (!is.list(x) || !kc_is_string(x[["class_name", exact = TRUE]]) || !is.list(x[["config", exact = TRUE]])) return(x)
  cls <- x$class_name
  c <- x$config
  cpath <- kc_path_key(path, "config")
  module_less <- !"module" %in% names(x)
  if (module_less) {
    # saving_utils.model_from_config looks these names up in keras.layers and the model classes.
    if (cls %in% c("Functional", "Model")) {
      x$module <- "keras.src.models.functional"
      x$class_name <- cls <- "Functional"
    } else if (cls == "Sequential") {
      x$module <- "keras"
    } else if (!is.null(kc_builtin_objects[[paste0("keras.layers.", cls)]])) {
      x$module <- "keras.layers"
    }
    # A built-in gets Keras' module and registered_name; any other class is looked up by its
    # class_name among the custom objects (registered_name absent defaults to it).
    if (!is.null(x$module)) {
      x <- x[c("module", setdiff(names(x), "module"))]
      if (!"registered_name" %in% names(x)) x["registered_name"] <- list(NULL)
    }
  }
  bis <- c[["batch_input_shape", exact = TRUE]]
  if (!is.null(bis)) {
    c$batch_input_shape <- NULL
    if (cls == "InputLayer") {
      c$batch_shape <- bis
    } else if (identical(first_in, "Sequential")) {
      # The first layer of a Sequential model without an InputLayer: the model's input shape.
      attr(x, "build_input_shape") <- bis
    }
  }
  # saving_utils.model_from_config: a one-element axis list is its element (module-less configs);
  # tf.keras' BatchNormalization wrote its axis that way in .keras files too.
  axis <- c[["axis", exact = TRUE]]
  if (is.list(axis) && length(axis) == 1L && (module_less || cls == "BatchNormalization")) c$axis <- axis[[1L]]
  if (is.numeric(axis) && length(axis) == 1L && module_less) c$axis <- as.integer(axis)
  if ("time_major" %in% names(c)) {
    if (!isFALSE(c$time_major)) {
      kc_legacy_abort(sprintf("%s '%s' has `time_major = TRUE` (inputs laid out time first), which Keras 3 layers do not support.",
                              cls, c$name %||% ""), kc_path_key(cpath, "time_major"))
    }
    c$time_major <- NULL
  }
  if ("groups" %in% names(c) && cls %in% c("DepthwiseConv1D", "DepthwiseConv2D")) {
    if (!identical(as.numeric(c$groups), 1)) {
      kc_legacy_abort(sprintf("%s '%s' has `groups = %s`, which Keras 3's depthwise convolutions do not take.",
                              cls, c$name %||% "", format(c$groups)), kc_path_key(cpath, "groups"))
    }
    c$groups <- NULL
  }
  # Keras 2 arguments Keras 3.15.1 accepts and does not keep, or keeps under another name (a
  # file's values are read silently: the user did not type them).
  c <- kc_keras2_rename(cls, c, warn = FALSE)
  if (cls == "Lambda") c[intersect(names(c), c("module", "function_type", "output_shape_type", "output_shape_module"))] <- NULL
  # Nested layers.
  for (key in intersect(names(c), c("layer", "forward_layer", "backward_layer", "cell"))) {
    c[[key]] <- kc_legacy_layer(c[[key]], kc_path_key(cpath, key))
  }
  if (is.list(c$cells) && is.null(names(c$cells))) {
    for (i in seq_along(c$cells)) c$cells[[i]] <- kc_legacy_layer(c$cells[[i]], kc_path_index(kc_path_key(cpath, "cells"), i))
  }
  if (cls == "Bidirectional" && is.null(c$backward_layer)) c <- kc_legacy_bidirectional(c)
  if (cls %in% c("Sequential", "Functional") && is.list(c$layers)) c <- kc_legacy_model_layers(c, cls, cpath)
  x$config <- c
  if (!is.null(x$build_config) && cls != "Sequential" && cls != "Functional") x$build_config <- NULL
  x
}

# tf.keras wrote a Bidirectional layer's `layer` alone; Keras 3's constructor makes its two
# halves from it (kc_bidirectional_halves()). tf.keras' backward half ran the other way from the
# layer: a layer with go_backwards = TRUE, on which Keras 3.15.1 fails, keeps that meaning.
kc_legacy_bidirectional <- function(c) {
  if (!is.list(c$layer) || !is.list(c$layer$config) || !kc_is_string(c$layer$config$name)) return(c)
  halves <- kc_bidirectional_halves(c$layer, flip = TRUE)
  c$layer <- halves$layer
  c$backward_layer <- halves$backward_layer
  c
}

# Bidirectional.__init__ without a backward_layer (keras/src/layers/rnn/bidirectional.py): from
# the layer's config, `forward_<name>` and `backward_<name>` (a prefix already there is not
# doubled) with go_backwards = TRUE, both with `zero_output_for_mask` forced to
# `return_sequences` where the layer has it. Each half is a new object made from the config: they
# share none of its objects (no shared_object_id carried over). Keras refuses a layer that runs
# backwards already (both halves would); `flip` gives the backward half the other direction instead.
kc_bidirectional_halves <- function(inner, flip = FALSE) {
  unshare <- function(x) {
    if (!is.list(x)) return(x)
    if (!is.null(names(x))) x$shared_object_id <- NULL
    for (i in seq_along(x)) if (is.list(x[[i]])) x[[i]] <- unshare(x[[i]])
    x
  }
  inner <- unshare(inner)
  backwards <- isTRUE(inner$config$go_backwards)
  if (backwards && !flip) {
    kc_abort(paste("Forward layer and backward layer should have different `go_backwards` value. Received:",
                   "forward_layer.go_backwards True, backward_layer.go_backwards=True"), "kerasconfig_error_value")
  }
  base <- inner$config$name
  half <- function(prefix, go_backwards) {
    x <- inner
    x$config$name <- paste0(prefix, if (startsWith(base, prefix)) substring(base, nchar(prefix) + 1L) else base)
    if (!is.null(go_backwards)) x$config$go_backwards <- go_backwards
    cls <- kc_builtin_objects[[paste0("keras.layers.", x$class_name)]]
    if (!is.null(cls) && "zero_output_for_mask" %in% names(kc_class_info(cls)$defaults)) {
      x$config$zero_output_for_mask <- isTRUE(x$config$return_sequences)
    }
    x
  }
  list(layer = half("forward_", NULL), backward_layer = half("backward_", !(flip && backwards)))
}

kc_legacy_model_layers <- function(c, cls, cpath) {
  lpath <- kc_path_key(cpath, "layers")
  seq_names <- character()
  for (i in seq_along(c$layers)) {
    first <- if (cls == "Sequential" && i == 1L) "Sequential"
    l <- kc_legacy_layer(c$layers[[i]], kc_path_index(lpath, i), first_in = first)
    if (!is.null(attr(l, "build_input_shape"))) {
      if (is.null(c$build_input_shape)) c$build_input_shape <- attr(l, "build_input_shape")
      attr(l, "build_input_shape") <- NULL
    }
    if (identical(l$class_name, "Sequential")) seq_names <- c(seq_names, l$config$name %||% l$name)
    c$layers[[i]] <- l
  }
  # tf.keras counted a Sequential model's own construction as its node 0; Keras 3 does not, so
  # the calls of a nested Sequential model are one node earlier.
  if (cls == "Functional" && length(seq_names)) {
    shift <- function(node) {
      if (kc_is_ref(node)) {
        if (node[[1L]] %in% seq_names && node[[2L]] >= 1) node[[2L]] <- as.integer(node[[2L]] - 1)
        return(node)
      }
      if (is.list(node)) for (i in seq_along(node)) if (!is.null(node[[i]])) node[[i]] <- shift(node[[i]])
      node
    }
    for (i in seq_along(c$layers)) {
      if (!is.null(c$layers[[i]]$inbound_nodes)) c$layers[[i]]$inbound_nodes <- shift(c$layers[[i]]$inbound_nodes)
    }
    for (key in c("input_layers", "output_layers")) if (!is.null(c[[key]])) c[[key]] <- shift(c[[key]])
  }
  c
}

# After deserialization: what Keras 3.15.1 records when it builds the model it read: the build
# configs of the layers it builds (none on layers built from their constructor, such as Dropout),
# the Sequential model's build_input_shape, and an empty compile_config until it is compiled.
kc_legacy_finish <- function(model) {
  if (!inherits(model, "keras_models")) return(model)
  for (obj in kc_model_layer_objects(model)) {
    if (is.environment(kc_env(obj)) && exists(".__build_config__", envir = kc_env(obj), inherits = FALSE)) {
      rm(".__build_config__", envir = kc_env(obj))
    }
  }
  if (inherits(model, "Sequential")) {
    kc_build_sequential(model)
  } else if (inherits(model, "Functional")) {
    # A layer whose output shape kerasconfig cannot compute (a custom layer without
    # compute_output_shape()) cannot be called again: the model keeps the nodes it was read with.
    model <- tryCatch(kc_legacy_functional(model), kerasconfig_error_shape_unknown = function(e) {
      kc_warn(paste("The model is written back with its Keras 2 node records, not rebuilt as Keras 3.15.1 rebuilds it:",
                    conditionMessage(e)), "kerasconfig_warning_shape")
      report <- tryCatch(kc_shape_report(model), kerasconfig_error = function(e) NULL)
      if (!is.null(report)) kc_apply_report(model, report, build = TRUE)
      model
    })
  }
  kc_legacy_nested_finish(model)
  if (is.null(get0(".__compile_config__", envir = kc_env(model), inherits = FALSE))) {
    assign(".__compile_config__", named_list(), envir = kc_env(model))
  }
  model
}

# Keras reads a Functional config by calling its layers on new inputs (functional_from_config),
# so a model read from Keras 2 node records (`[["dense", 0, 0, {}]]`) has Keras 3 ones when it
# is written back, and its layers are built by those calls. The same layer objects are called
# again on new inputs; the model is made anew from them, its compile config kept.
kc_legacy_functional <- function(model) {
  config <- model$get_config()
  for (i in seq_along(config$layers)) {
    nodes <- config$layers[[i]]$inbound_nodes
    config$layers[[i]]$inbound_nodes <- lapply(nodes, kc_legacy_node)
  }
  rebuilt <- kc_clone_functional(model, identity, NULL, NULL, config = config)
  if (isFALSE(config$trainable)) {
    rebuilt_config <- get(".__config__", envir = kc_env(rebuilt))
    rebuilt_config$trainable <- FALSE
    assign(".__config__", rebuilt_config, envir = kc_env(rebuilt))
  }
  compiled <- get0(".__compile_config__", envir = kc_env(model), inherits = FALSE)
  if (length(compiled)) assign(".__compile_config__", compiled, envir = kc_env(rebuilt))
  rebuilt
}

# functional.deserialize_node(), legacy case: a node `[[layer, node, tensor, kwargs], ...]` is
# called with its tensors as one argument (a single tensor, or their list) and the kwargs of
# its last input.
kc_legacy_node <- function(node) {
  if (is.list(node) && all(c("args", "kwargs") %in% names(node))) return(node)
  if (!length(node)) return(list(args = list(), kwargs = named_list()))
  tensors <- lapply(node, function(ref) keras_symbolic_tensor(list(), "float32", ref[1:3]))
  last <- node[[length(node)]]
  kwargs <- if (length(last) == 4L && length(last[[4L]])) last[[4L]] else named_list()
  list(args = list(if (length(tensors) == 1L) tensors[[1L]] else tensors), kwargs = kwargs)
}

# Nested Sequential models Keras builds when it reads them (one that starts with an InputLayer
# is built by its constructor), and their empty compile config.
kc_legacy_nested_finish <- function(model) {
  for (obj in kc_model_layer_objects(model)) {
    if (!is.environment(kc_env(obj)) || !inherits(obj, "keras_models")) next
    if (inherits(obj, "Sequential") && is.null(get(".__config__", envir = kc_env(obj))$build_input_shape)) kc_build_sequential(obj)
    kc_legacy_nested_finish(obj)
    if (is.null(get0(".__compile_config__", envir = kc_env(obj), inherits = FALSE))) {
      assign(".__compile_config__", named_list(), envir = kc_env(obj))
    }
  }
  invisible(model)
}

# Reads a legacy model config (a parsed to_json text or .h5 model_config).
kc_legacy_model <- function(config, custom_objects) {
  compile_config <- config[["compile_config", exact = TRUE]]
  config$compile_config <- NULL
  config <- kc_legacy_model_config(config)
  if (!is.null(compile_config)) config$compile_config <- kc_legacy_compile_config(compile_config)
  model <- deserialize_keras_object(config, custom_objects = custom_objects)
  kc_legacy_finish(kc_legacy_recompile(model))
}

# Trainer.compile_from_config() is `compile(**config)`: the optimizer becomes an object (a name
# such as "rmsprop" too), the other arguments are recorded as given (tf.keras' nulls stay null),
# in the order compile() records them.
kc_legacy_recompile <- function(model) {
  cc <- if (is.environment(kc_env(model))) get0(".__compile_config__", envir = kc_env(model), inherits = FALSE)
  if (!length(cc)) return(model)
  keys <- c("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly", "steps_per_execution",
            "jit_compile")
  unknown <- setdiff(names(cc), keys)
  if (length(unknown)) {
    kc_legacy_abort(sprintf("The compile config has `%s`, which Keras 3's compile() does not take.", unknown[[1L]]),
                    kc_path_key("config$compile_config", unknown[[1L]]))
  }
  out <- stats::setNames(vector("list", length(keys)), keys)
  for (k in keys) out[k] <- list(cc[[k]])
  out["optimizer"] <- list(kc_compile_optimizer(cc$optimizer))
  assign(".__compile_config__", out, envir = kc_env(model))
  model
}

# A compile_config of tf.keras' .keras files: its optimizer's tf.keras keys.
kc_legacy_compile_config <- function(cc, path = "config$compile_config") {
  if (is.list(cc$optimizer) && !is.null(names(cc$optimizer))) {
    cc$optimizer <- kc_legacy_optimizer(cc$optimizer, kc_path_key(path, "optimizer"))
  }
  cc
}

# An optimizer config of tf.keras 2.11-2.15: `jit_compile` (XLA for the update step, chosen by
# the backend in Keras 3) and `is_legacy_optimizer` are dropped; `decay` is accepted and
# dropped as Keras 3.15.1 does, with a warning when it was not 0. "Custom>Adam" names Adam.
kc_legacy_optimizer <- function(opt, path) {
  cn <- opt[["class_name", exact = TRUE]]
  if (kc_is_string(cn) && startsWith(cn, "Custom>")) {
    base <- sub("^Custom>", "", cn)
    if (!is.null(kc_builtin_objects[[paste0("keras.optimizers.", base)]])) opt$class_name <- base
  }
  module <- opt[["module", exact = TRUE]]
  if (kc_is_string(module) && module %in% c("keras.optimizers.experimental", "keras.optimizers.legacy")) {
    opt$module <- "keras.optimizers"
  }
  if (is.null(opt$module) && "module" %in% names(opt) == FALSE && kc_is_string(opt$class_name) &&
      !is.null(kc_builtin_objects[[paste0("keras.optimizers.", opt$class_name)]])) {
    opt <- c(list(module = "keras.optimizers"), opt["class_name"], opt["config"], list(registered_name = NULL))
  }
  c <- opt$config
  if (is.list(c)) {
    c$jit_compile <- NULL
    c$is_legacy_optimizer <- NULL
    if ("decay" %in% names(c)) {
      if (is.numeric(c$decay) && c$decay != 0) {
        kc_warn(sprintf("The optimizer at %s has decay = %s: Keras 3 no longer supports `decay`; it is ignored.",
                        path, format(c$decay)), "kerasconfig_warning_legacy")
      }
      c$decay <- NULL
    }
    opt$config <- c
  }
  opt
}

# A legacy .h5 file's training_config as compile() arguments, given their Keras 3 meaning:
# metrics tf.keras wrapped as MeanMetricWrapper are the names they were given, one output's list
# of metrics is that list.
kc_legacy_compile <- function(model, tc) {
  path <- "training_config"
  opt <- tc$optimizer_config
  if (!is.list(opt)) kc_legacy_abort("The training_config has no optimizer_config.", kc_path_key(path, "optimizer_config"))
  optimizer <- deserialize_keras_object(kc_legacy_optimizer(opt, kc_path_key(path, "optimizer_config")))
  metric <- function(m) {
    if (is.list(m) && identical(m$class_name, "MeanMetricWrapper") && kc_is_string(m$config$name)) return(m$config$name)
    m
  }
  metrics_of <- function(ms) {
    if (is.null(ms)) return(NULL)
    ms <- lapply(ms, function(per) if (is.list(per) && is.null(names(per))) lapply(per, metric) else metric(per))
    if (length(ms) == 1L && is.list(ms[[1L]]) && is.null(names(ms[[1L]]))) ms <- ms[[1L]]
    ms
  }
  compile(model, optimizer = optimizer, loss = tc$loss, metrics = metrics_of(tc$metrics),
          loss_weights = tc$loss_weights, weighted_metrics = metrics_of(tc$weighted_metrics))
}

# ---- legacy .h5 weights -----------------------------------------------------------------------

# An attribute list that h5py may have split as `<name>0`, `<name>1`, ...
# (legacy_h5_format.load_attributes_from_hdf5_group).
kc_h5_attr_list <- function(group, name) {
  a <- group$attrs[[name, exact = TRUE]]
  if (!is.null(a)) return(as.character(unlist(a$value)))
  out <- character()
  i <- 0L
  while (!is.null(a <- group$attrs[[paste0(name, i), exact = TRUE]])) {
    out <- c(out, as.character(unlist(a$value)))
    i <- i + 1L
  }
  out
}

# legacy_h5_format.load_weights_from_hdf5_group: the file's layers that hold weights, in
# `layer_names` order, are the model's layers that hold weights, in order; each layer's
# weights are `weight_names` in order (trainable, then non-trainable).
kc_assign_legacy_weights <- function(model, weights, filepath) {
  slots <- kc_weight_slots(model)
  top <- vapply(slots, function(s) sub("^(layers/[^/]+)/.*$", "\\1", s$path), "")
  groups <- split(seq_along(slots), factor(top, levels = unique(top)))
  names_in_file <- Filter(function(n) {
    g <- weights$members[[n, exact = TRUE]]
    !is.null(g) && length(kc_h5_attr_list(g, "weight_names")) > 0L
  }, kc_h5_attr_list(weights, "layer_names"))
  if (length(names_in_file) != length(groups)) {
    kc_abort(sprintf("Layer count mismatch when loading weights from '%s'. Model expected %d layers, found %d saved layers.",
                     filepath, length(groups), length(names_in_file)), "kerasconfig_error_weights", file = filepath)
  }
  for (k in seq_along(groups)) {
    group <- weights$members[[names_in_file[[k]], exact = TRUE]]
    wnames <- kc_h5_attr_list(group, "weight_names")
    layer_slots <- slots[groups[[k]]]
    vars <- unlist(lapply(seq_along(layer_slots), function(j) {
      lapply(seq_along(layer_slots[[j]]$vars), function(i) list(slot = j, i = i, v = layer_slots[[j]]$vars[[i]]))
    }), recursive = FALSE)
    # Keras' _legacy_weights: the layer's trainable weights, then its non-trainable ones.
    trainable <- vapply(vars, function(x) isTRUE(x$v$trainable), TRUE)
    vars <- c(vars[trainable], vars[!trainable])
    layer <- layer_slots[[1L]]$layer
    if (length(wnames) != length(vars)) {
      kc_abort(sprintf(paste("Weight count mismatch for layer #%d (named %s in the current model, %s in the save file).",
                             "Layer expects %d weight(s). Received %d saved weight(s) (in '%s')."),
                       k - 1L, layer, names_in_file[[k]], length(vars), length(wnames), filepath),
               "kerasconfig_error_weights", file = filepath)
    }
    values <- lapply(layer_slots, function(s) vector("list", length(s$vars)))
    for (i in seq_along(vars)) {
      node <- kc_h5_at(group, wnames[[i]])
      a <- if (identical(node$kind, "dataset")) node$data$value
      v <- vars[[i]]$v
      if (is.null(a) || !identical(kc_array_dims(a), kc_var_dims(v))) {
        kc_abort(sprintf("Shape mismatch in layer #%d (named %s) for weight %s. Weight expects shape %s. Received saved weight %s (in '%s').",
                         k - 1L, layer, v$path, kc_shape_label(kc_var_dims(v)),
                         if (is.null(a)) sprintf("'%s': missing", wnames[[i]]) else sprintf("with shape %s", kc_shape_label(kc_array_dims(a))),
                         filepath), "kerasconfig_error_weights", file = filepath)
      }
      values[[vars[[i]]$slot]][[vars[[i]]$i]] <- a
    }
    for (j in seq_along(layer_slots)) kc_store_values(layer_slots[[j]], values[[j]])
  }
  invisible(model)
}

# ---- files ------------------------------------------------------------------------------------

kc_check_compile <- function(compile) {
  if (!isTRUE(compile) && !isFALSE(compile)) kc_abort("`compile` must be TRUE or FALSE.", "kerasconfig_error_type")
}

# HDF5's signature: legacy .h5 model files are recognized by it, whatever their name.
kc_is_hdf5_file <- function(path) {
  # Only a regular file is opened: a FIFO would make readBin() wait.
  kc_check_regular(path, path)
  identical(readBin(path, "raw", 8L), as.raw(c(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a)))
}

# The model a file's parsed config describes. A compile config that `compile = FALSE` skips is
# never read (Keras' uncompiled model writes `"compile_config": {}`); errors inside one name its
# path.
kc_model_from_config <- function(config, custom_objects, compile, keras_version = NULL) {
  if (is.list(config) && !is.null(names(config)) && "compile_config" %in% names(config)) {
    if (!compile) config["compile_config"] <- list(named_list())
  }
  if (kc_is_legacy_config(config, keras_version)) return(kc_legacy_model(config, custom_objects))
  deserialize_keras_object(config, custom_objects = custom_objects)
}

# An error of a deserialization that started at "config", located under `path` instead.
kc_rebase_error <- function(e, path) {
  old <- e$path
  if (kc_is_string(old) && startsWith(old, "config")) {
    new <- paste0(path, substring(old, 7L))
    e$message <- gsub(paste0("Location: ", old), paste0("Location: ", new), e$message, fixed = TRUE)
    e$path <- new
  }
  e
}

# A legacy .h5 model file: `model_config` (with the rules above), `model_weights` (topological,
# as Keras loads them) and, with `compile`, `training_config` as the compile config.
kc_load_h5_model <- function(filepath, custom_objects, compile, safe_mode, weights = TRUE) {
  path <- path.expand(filepath)
  if (!file.exists(path) || dir.exists(path)) {
    kc_abort(sprintf("File not found: filepath=%s.", filepath), "kerasconfig_error_file", file = filepath)
  }
  tree <- kc_read_hdf5(kc_read_file(path, filepath), sprintf("'%s'", filepath), filepath)
  text <- kc_h5_attr_text(tree, "model_config")
  if (is.null(text)) {
    kc_abort(sprintf("No model config found in the file at '%s'.", filepath), "kerasconfig_error_file", file = filepath)
  }
  label <- sprintf("the model_config attribute of '%s'", filepath)
  config <- kc_parse_file_json(charToRaw(enc2utf8(text)), label, filepath)
  model <- with_safe_mode(safe_mode, kc_model_from_config(config, custom_objects, compile = FALSE))
  if (weights) {
    group <- kc_h5_at(tree, "model_weights")
    if (!is.null(group) && inherits(model, "keras_models")) kc_assign_legacy_weights(model, group, filepath)
  }
  training <- kc_h5_attr_text(tree, "training_config")
  if (compile && !is.null(training) && inherits(model, "keras_models")) {
    tc <- kc_parse_file_json(charToRaw(enc2utf8(training)), sprintf("the training_config attribute of '%s'", filepath), filepath)
    with_safe_mode(safe_mode, tryCatch(kc_legacy_compile(model, tc),
                                       kerasconfig_error = function(e) stop(kc_rebase_error(e, "training_config"))))
  }
  model
}

# The keras_version of an archive's metadata.json, when it has a readable one.
kc_metadata_version <- function(source) {
  if (is.null(source$metadata)) return(NULL)
  meta <- tryCatch(config_from_json(source$metadata), error = function(e) NULL)
  version <- if (is.list(meta) && !is.null(names(meta))) meta[["keras_version", exact = TRUE]]
  if (kc_is_string(version)) version
}
