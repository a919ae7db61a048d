# Shape inference for models: the engine is Rust's (src/rust/core/src/shape/); this file runs it on a
# model's config, lets custom R layers answer for themselves (`compute_output_shape()`, `build()`
# with `self$add_weight()`), and records the results on the model and its layers.

# The engine's report for a model (rs_shape_model's columns, one row per layer), with custom
# layers' own answers: a layer the engine has no rule for, whose class has
# compute_output_shape(), is built in R and the model run again with its result. `text` is the
# model's config JSON when the caller has it already; `layers` its layer objects by name. Those
# answers (the engine's overrides) stay with the report, as its attribute `overrides`, for
# whatever runs the engine on the model again (model_to_dot()).
kc_shape_report <- function(model, text = NULL, build = FALSE, layers = NULL) {
  text <- text %||% config_to_json(model)
  overrides <- list()
  repeat {
    report <- kc_check(rs_shape_model(text, if (length(overrides)) config_to_json(overrides) else "", build))
    attr(report, "overrides") <- overrides
    waiting <- which(report$error_class %in% "kerasconfig_error_shape_unknown" & !is.na(report$failed_inputs))
    if (length(waiting)) layers <- layers %||% kc_model_layer_objects(model)
    added <- FALSE
    for (i in waiting) {
      key <- sprintf("%s#%d", report$name[[i]], report$nodes[[i]])
      obj <- layers[[report$name[[i]]]]
      if (!is.null(overrides[[key]]) || is.null(obj) || !is.function(obj$compute_output_shape)) next
      overrides[[key]] <- kc_custom_build(obj, config_from_json(report$failed_inputs[[i]]))
      added <- TRUE
    }
    if (!added) return(report)
  }
}

# The live layer objects of a model, by name.
kc_model_layer_objects <- function(model) {
  config <- model$get_config()
  functional <- inherits(model, "Functional")
  layers <- lapply(config$layers, function(e) if (functional) e$layer else e)
  names(layers) <- vapply(seq_along(layers), function(i) {
    if (functional) config$layers[[i]]$name else kc_layer_name(layers[[i]])
  }, "")
  layers
}

# A shape from the engine (a list with NULL for unknown dimensions) as an R shape for custom
# methods: the same list (keras3 passes shapes as lists with NULL).
kc_shape_from_r <- function(shape, what) {
  if (is.numeric(shape) && is.null(dim(shape))) shape <- lapply(shape, function(d) if (is.na(d)) NULL else d)
  if (!is.list(shape)) kc_abort(sprintf("%s must return a shape (a list or a numeric vector).", what), "kerasconfig_error_type")
  if (length(shape) && all(vapply(shape, function(d) is.null(d) || is.numeric(d), TRUE))) {
    return(lapply(shape, function(d) if (is.null(d) || is.na(d)) NULL else as.integer(d)))
  }
  lapply(shape, kc_shape_from_r, what = what)
}

# What a custom layer says about itself: its `compute_output_shape()` and the variables it has:
# those its `initialize()` made and those its `build()` makes, with `self$add_weight()`. A model
# is built again whenever a layer is added to it, so build-time variables start afresh each time.
# Both methods get the shapes as Keras' Layer passes them (update_shapes_dict_for_target_fn):
# a method of one argument the first call argument's shape, one of several `<arg>_shape` by name;
# the build_config is Keras' too: `input_shape` (the first shape), or `shapes_dict` when build()
# takes several.
kc_custom_build <- function(layer, inputs) {
  name <- kc_layer_name(layer)
  shapes <- kc_call_shapes_dict(layer, inputs)
  first <- if (length(shapes)) shapes[[1L]]
  out <- do.call(layer$compute_output_shape, kc_target_shapes(layer$compute_output_shape, shapes, first))
  out <- kc_shape_from_r(out, sprintf("compute_output_shape() of layer '%s'", name))
  built <- list()
  build_config <- list(input_shape = first)
  if (is.function(layer$build)) {
    assign(".__build_weights__", list(), envir = kc_env(layer))
    assign(".__building__", TRUE, envir = kc_env(layer))
    on.exit(assign(".__building__", FALSE, envir = kc_env(layer)))
    build_args <- kc_target_shapes(layer$build, shapes, first)
    do.call(layer$build, build_args)
    if (length(build_args) > 1L) build_config <- list(shapes_dict = build_args)
    built <- get(".__build_weights__", envir = kc_env(layer))
  }
  weights <- c(get0(".__weights__", envir = kc_env(layer), inherits = FALSE), built)
  frozen <- isFALSE(layer$trainable)
  variables <- lapply(weights, function(w) {
    list(path = paste0(name, "/", w$name), shape = as.list(w$shape), dtype = w$dtype, trainable = w$trainable && !frozen)
  })
  c(list(outputs = out, variables = variables), build_config)
}

# Keras' get_shapes_dict(): the shapes of the call's tensor arguments, as `<arg>_shape`. The
# engine gives a call's inputs as one shape or a list: a list is one argument per tensor when
# call() takes several tensors (call(x, gate)), else the one (nested) argument (call(inputs)).
kc_call_shapes_dict <- function(layer, inputs) {
  params <- Filter(function(p) !identical(p$kind, "var") && !p$name %in% c("mask", "training"),
                   kc_call_signature(layer)$params)
  pnames <- vapply(params, `[[`, "", "name")
  required <- sum(!vapply(params, function(p) "default" %in% names(p), TRUE))
  if (!length(pnames)) pnames <- "inputs"
  if (required >= 2L && !kc_is_flat_shape(inputs) && length(inputs) <= length(pnames)) {
    return(stats::setNames(inputs, paste0(pnames[seq_along(inputs)], "_shape")))
  }
  stats::setNames(list(inputs), paste0(pnames[[1L]], "_shape"))
}

# The arguments a custom compute_output_shape() or build() gets (Keras' alignment).
kc_target_shapes <- function(f, shapes, first) {
  params <- setdiff(names(formals(f)), "...")
  if (length(params) <= 1L) return(list(first))
  bad <- params[!params %in% names(shapes)]
  if (length(bad)) {
    kc_abort(sprintf(paste("For a method with more than one argument, all arguments should have a `_shape` suffix and",
                           "match an argument from `call()`: %s does not (call() has %s)."),
                     paste(sprintf("'%s'", bad), collapse = ", "), paste(sprintf("'%s'", sub("_shape$", "", names(shapes))), collapse = ", ")),
             "kerasconfig_error_value")
  }
  shapes[params]
}

# Keras' Layer.add_weight(): a variable of the layer (the description the shape engine counts
# and summary() shows; kerasconfig holds no values). In build() it is one of the variables the
# build makes; elsewhere (initialize()) the layer has it from then on.
kc_add_weight <- function(self, shape, initializer, dtype, trainable, autocast, regularizer, constraint, aggregation,
                          overwrite_with_gradient, name) {
  layer <- kc_layer_name(self)
  if (is.character(shape)) {
    kc_abort(sprintf("`name` must be passed as a keyword argument. Received: add_weight('%s', ...). Use: add_weight(shape=..., name='%s').",
                     shape[[1L]], shape[[1L]]), "kerasconfig_error_value")
  }
  if (!is.null(name) && (!kc_is_string(name) || grepl("/", name, fixed = TRUE))) {
    kc_abort(sprintf("Argument `name` must be a string and cannot contain character `/`. Received: name=%s (layer '%s')",
                     kc_describe(name), layer), "kerasconfig_error_value")
  }
  if (is.list(shape)) shape <- vapply(shape, function(d) if (is.null(d)) NA_real_ else as.numeric(d)[1L], 0)
  if (is.logical(shape) && all(is.na(shape))) shape <- as.numeric(shape)
  if (!is.null(shape) && (!is.numeric(shape) || any(shape < 0 | shape != round(shape), na.rm = TRUE))) {
    kc_abort(sprintf("Cannot convert '%s' to a shape (layer '%s').", paste(format(shape), collapse = ", "), layer),
             "kerasconfig_error_value")
  }
  building <- isTRUE(get0(".__building__", envir = kc_env(self), inherits = FALSE))
  store <- if (building) ".__build_weights__" else ".__weights__"
  weights <- get0(store, envir = kc_env(self), inherits = FALSE) %||% list()
  name <- name %||% kc_unique_weight_name(self)
  if (anyNA(shape)) {
    kc_abort(sprintf("Shapes used to initialize variables must be fully-defined (no `None` dimensions). Received: shape=%s for variable path='%s/%s'",
                     kc_shape_text(lapply(shape, function(d) if (is.na(d)) NULL else d)), layer, name), "kerasconfig_error_value")
  }
  dtype <- if (is.null(dtype)) kc_variable_dtype(self$dtype) else kc_dtype_name(dtype)
  variable <- structure(list(name = name, path = paste0(layer, "/", name), shape = as.integer(shape %||% integer()),
                             dtype = dtype, trainable = isTRUE(trainable),
                             initializer = initializer %||% if (grepl("float", dtype)) "glorot_uniform" else "zeros",
                             autocast = autocast, regularizer = regularizer, constraint = constraint,
                             aggregation = aggregation, overwrite_with_gradient = overwrite_with_gradient),
                        class = "keras_variable")
  weights[[length(weights) + 1L]] <- variable
  assign(store, weights, envir = kc_env(self))
  invisible(variable)
}

# Keras names unnamed variables `variable`, `variable_1`, ... (here: in each layer).
kc_unique_weight_name <- function(self) {
  taken <- vapply(c(get0(".__weights__", envir = kc_env(self), inherits = FALSE),
                    get0(".__build_weights__", envir = kc_env(self), inherits = FALSE)), `[[`, "", "name")
  n <- sum(taken == "variable" | grepl("^variable_[0-9]+$", taken))
  if (n == 0L) "variable" else paste0("variable_", n)
}

# A layer's variable dtype from its `dtype` (a policy name, a DTypePolicy, or NULL): mixed
# policies keep float32 variables; quantized ones (`int8_from_float32`) their source dtype.
kc_variable_dtype <- function(dtype) {
  name <- if (is.environment(kc_env(dtype))) dtype$get_config()$name else if (is.list(dtype)) dtype$config$name else dtype
  if (!kc_is_string(name)) return("float32")
  if (startsWith(name, "mixed_")) return("float32")
  if (grepl("_from_", name, fixed = TRUE)) return(sub(".*_from_", "", name))
  name
}

kc_dtype_name <- function(dtype) {
  if (!kc_is_string(dtype)) kc_abort("`dtype` must be a string such as \"float32\".", "kerasconfig_error_type")
  dtype
}

# ---- where models and layers keep their shapes ----------------------------------------------------

# A deserialized model knows its layers' shapes: Keras builds it on load. The engine runs on the
# config as it was loaded (`source`, kept as is), on first use of a shape or a count; a config it
# cannot follow (shapes Keras itself would refuse) leaves the model without them, not failing.
# `layers`: the model's layer objects (named by their names in the model, or unnamed).
kc_with_shapes <- function(model, source, layers) {
  assign(".__shape_source__", source, envir = kc_env(model))
  if (is.null(names(layers))) names(layers) <- vapply(layers, kc_layer_name, "")
  kc_bind_layers(model, layers)
  model
}

# The model's report: computed now if the model has a config waiting for it; NULL when unknown.
kc_model_report <- function(model) {
  report <- get0(".__shape_report__", envir = kc_env(model), inherits = FALSE)
  if (!is.null(report)) return(report)
  source <- get0(".__shape_source__", envir = kc_env(model), inherits = FALSE)
  if (is.null(source)) return(NULL)
  rm(".__shape_source__", envir = kc_env(model))
  text <- tryCatch(config_to_json(source), error = function(e) NULL)
  if (is.null(text)) return(NULL)
  report <- tryCatch(kc_shape_report(model, text), kerasconfig_error = function(e) NULL)
  if (!is.null(report)) assign(".__shape_report__", report, envir = kc_env(model))
  report
}

# Each layer points at its model and its name there (the model's report has its row), and gets
# `layer$output` and `layer$input`: active bindings (unless the layer has fields of those names)
# whose functions have the layer object as environment. The loop is Rust's (rs_bind_layers): it
# runs for every deserialized model, and an R loop over MobileNetV2's layers took a third of
# deserializing it.
kc_bind_layers <- function(model, layers) {
  kc_check(rs_bind_layers(model, layers, kc_bound_bodies))
  invisible(model)
}

# The bodies of those functions, a Sequential model's `build(input_shape)` method (a template
# whose environment becomes the model), and the callable a layer or a model is (kc_callable()):
# R binds them into the objects it builds, and the fast path (src/rust/src/fast/read.rs) into the
# objects it builds, in this order. Objects have the empty environment as parent, so a body holds
# the functions it calls rather than their names: it passes its environment's parent (the object)
# on.
kc_bound_bodies <- local({
  object <- as.call(list(parent.env, as.call(list(environment))))
  call_for <- function(side) as.call(list(function(obj, side) kc_layer_tensor(obj, side), object, side))
  build <- function(input_shape) NULL
  # Keras' build() returns None (and the object here is the environment, not the model).
  sequential_build <- function(model, input_shape) {
    kc_sequential_build(model, input_shape)
    invisible()
  }
  body(build) <- as.call(list(sequential_build, object, quote(input_shape)))
  list(output = call_for("output"), input = call_for("input"), build = build, call = kc_callable_template)
})

# The model's report for what cannot do without one (weights, saving): the lazy one, else
# computed now, the engine's errors included.
kc_required_report <- function(model) {
  kc_model_report(model) %||% kc_shape_report(model)
}

# Row `i` of a report in full, its JSON columns read: `name`, `class`, `built`, `nodes` (each
# call's `inputs`, `outputs`, `dtypes`), `variables` (each `path`, `shape`, `dtype`,
# `trainable`), `error` (`class`, `message`) or NULL, and `build` (`build_config`, `nested`,
# `updates`; a report made with `build` only) or NULL. The one reader of those columns.
kc_report_layer <- function(report, i) {
  json <- function(column) {
    text <- report[[column]][[i]]
    if (is.null(text) || is.na(text)) NULL else config_from_json(text)
  }
  list(name = report$name[[i]], class = report$class[[i]], built = report$built[[i]],
       nodes = if (report$nodes[[i]] > 0L) json("tensors") else list(),
       variables = json("weights") %||% list(),
       error = if (!is.na(report$error_class[[i]])) list(class = report$error_class[[i]], message = report$error_message[[i]]),
       build = json("build"))
}

# The report and row of a layer of a model: `list(report, i)`, or NULL.
kc_layer_row <- function(obj) {
  at <- get0(".__shape_of__", envir = kc_env(obj), inherits = FALSE)
  if (is.null(at)) return(NULL)
  report <- kc_model_report(at[[1L]])
  i <- match(at[[2L]], report$name)
  if (is.na(i)) NULL else list(report = report, i = i)
}

# Records a report computed now on the model and its layers; with `build`, also what Keras
# records when it builds the layers (the model is being built in R): build_configs, and the
# config changes building makes (`updates`, src/rust/core/src/shape/updates.rs), applied after the
# build_configs as their paths index the layer lists as they were.
kc_apply_report <- function(model, report, build = FALSE) {
  if (exists(".__shape_source__", envir = kc_env(model), inherits = FALSE)) rm(".__shape_source__", envir = kc_env(model))
  assign(".__shape_report__", report, envir = kc_env(model))
  layers <- kc_model_layer_objects(model)
  kc_bind_layers(model, layers)
  if (build) {
    for (i in which(!is.na(report$build))) {
      obj <- layers[[report$name[[i]]]]
      if (is.environment(kc_env(obj))) kc_apply_build(obj, kc_report_layer(report, i)$build)
    }
  }
  invisible(model)
}

# What building a layer records on it and the layers nested in it (a report row's `build`):
# build_configs, then the config changes (their paths index the layer lists as they were).
kc_apply_build <- function(obj, build) {
  if (!is.null(build$build_config)) assign(".__build_config__", build$build_config, envir = kc_env(obj))
  for (n in build$nested) {
    target <- kc_nested_object(obj, n$path)
    if (is.environment(kc_env(target)) && !is.null(n$build_config)) assign(".__build_config__", n$build_config, envir = kc_env(target))
  }
  for (u in build$updates) kc_apply_update(kc_nested_object(obj, u$path), u)
  invisible(obj)
}

# The layer object at `path` (config keys and 0-based list indexes) inside `obj`, or NULL.
kc_nested_object <- function(obj, path) {
  for (key in path) {
    index <- suppressWarnings(as.integer(key))
    obj <- if (is.na(index)) {
      cfg <- if (is.environment(kc_env(obj))) obj$get_config() else obj
      cfg[[key]]
    } else if (index < length(obj)) {
      obj[[index + 1L]]
    }
    if (is.null(obj)) return(NULL)
  }
  obj
}

# One config change of a built layer: a config entry set, or (a Sequential model built without
# an InputLayer) an InputLayer put first, as Keras' Sequential.build() does.
kc_apply_update <- function(obj, update) {
  if (!is.environment(kc_env(obj)) || !exists(".__config__", envir = kc_env(obj), inherits = FALSE)) return(invisible())
  config <- get(".__config__", envir = kc_env(obj))
  if (!is.null(update$input_layer)) {
    input_layer <- kc_builtin_objects[["keras.layers.InputLayer"]]
    spec <- update$input_layer
    config$layers <- c(list(input_layer(batch_shape = spec$batch_shape, dtype = spec$dtype)), config$layers)
    config["build_input_shape"] <- list(spec$batch_shape)
  } else {
    config[update$key] <- list(update$value)
  }
  assign(".__config__", config, envir = kc_env(obj))
  invisible()
}

# `layer$output` and `layer$input`: symbolic tensors of the layer's first call (Keras'
# `layer.output`).
kc_layer_tensor <- function(obj, side) {
  row <- kc_layer_row(obj)
  nodes <- if (!is.null(row)) kc_report_layer(row$report, row$i)$nodes
  if (!length(nodes)) {
    kc_abort(sprintf("The layer '%s' has never been called and thus has no defined %s.", kc_layer_name(obj), side),
             "kerasconfig_error_shape")
  }
  node <- nodes[[1L]]
  shapes <- if (side == "output") node$outputs else node$inputs
  dtypes <- node$dtypes
  if (kc_is_flat_shape(shapes)) return(keras_symbolic_tensor(shapes, dtypes[[1L]] %||% "float32"))
  lapply(seq_along(shapes), function(i) {
    keras_symbolic_tensor(shapes[[i]], dtypes[[min(i, length(dtypes))]] %||% "float32")
  })
}

kc_is_flat_shape <- function(shape) {
  is.list(shape) && all(vapply(shape, function(d) is.null(d) || is.numeric(d), TRUE))
}

# ---- building a Sequential model ------------------------------------------------------------------

# Builds every layer of a Sequential model that has an input shape, as Keras does: each layer's
# build_config, the model's build_input_shape. Layers after one whose shapes are unknown (a custom
# layer without compute_output_shape()) stay unbuilt, with a warning.
kc_build_sequential <- function(model) {
  config <- get(".__config__", envir = kc_env(model))
  layers <- config$layers
  has_input <- length(layers) && inherits(layers[[1L]], "InputLayer")
  shape <- if (has_input) layers[[1L]]$get_config()$batch_shape else config$build_input_shape
  if (is.null(shape) || !length(layers)) return(invisible(model))
  config["build_input_shape"] <- list(shape)
  assign(".__config__", config, envir = kc_env(model))
  assign(".__build_config__", list(input_shape = shape), envir = kc_env(model))
  report <- kc_shape_report(model, build = TRUE)
  bad <- which(report$error_class %in% "kerasconfig_error_shape")
  if (length(bad)) kc_abort(report$error_message[[bad[[1L]]]], "kerasconfig_error_shape")
  # Keras' Sequential.build() puts an InputLayer first when the model has none: the layers
  # move, so the engine runs again on the model as it now is.
  updates <- if (!is.null(report$model_updates) && !is.na(report$model_updates)) config_from_json(report$model_updates)
  if (length(updates)) {
    for (u in updates) kc_apply_update(model, u)
    report <- kc_shape_report(model, build = TRUE)
  }
  kc_apply_report(model, report, build = TRUE)
  unknown <- which(report$error_class %in% "kerasconfig_error_shape_unknown" & !is.na(report$failed_inputs))
  if (length(unknown)) {
    kc_warn(sprintf(paste("kerasconfig does not know the output shape of layer '%s' (%s): the layers after it are",
                          "left unbuilt (no build_config). Give its class a compute_output_shape() method;",
                          "Python Keras builds them when it loads the model."),
                    report$name[[unknown[[1L]]]], report$class[[unknown[[1L]]]]), "kerasconfig_warning_shape")
  }
  invisible(model)
}

# `model$build(input_shape)` for a Sequential model without an input layer: `input_shape` is
# the batch shape (NA or NULL for unknown dimensions), as keras3's `shape(NA, 4)`.
kc_sequential_build <- function(model, input_shape) {
  shape <- kc_input_shape(input_shape)
  config <- get(".__config__", envir = kc_env(model))
  if (!length(config$layers)) {
    kc_abort(sprintf("Sequential model %s cannot be built because it has no layers.", config$name),
             "kerasconfig_error_shape")
  }
  first <- config$layers[[1L]]
  if (inherits(first, "InputLayer") && !identical(first$get_config()$batch_shape, shape)) {
    kc_abort(sprintf("Sequential model '%s' has already been configured to use input shape %s. You cannot build it with input_shape %s",
                     config$name, kc_shape_text(first$get_config()$batch_shape), kc_shape_text(shape)),
             "kerasconfig_error_shape")
  }
  config["build_input_shape"] <- list(shape)
  assign(".__config__", config, envir = kc_env(model))
  kc_build_sequential(model)
  invisible(model)
}

# Keras' text for a shape: `(None, 4)`; several: `[(None, 4), (None, 4)]`.
kc_shape_text <- function(shape) {
  if (kc_is_flat_shape(shape)) {
    dims <- vapply(shape, function(d) if (is.null(d)) "None" else format(d, scientific = FALSE), "")
    if (length(dims) == 1L) return(sprintf("(%s,)", dims))
    return(sprintf("(%s)", paste(dims, collapse = ", ")))
  }
  sprintf("[%s]", paste(vapply(shape, kc_shape_text, ""), collapse = ", "))
}
