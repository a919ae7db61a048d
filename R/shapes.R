# Shape inference for models: the engine is Rust's (src/rust/src/shape/); this file runs it on a
# model's config, lets custom R layers answer for themselves (`compute_output_shape()`, `build()`
# with `self$add_weight()`), and records the results on the model and its layers.

# The engine's report for a model: one entry per layer (nodes with input and output shapes,
# variables, params, build_config, nested build_configs, or an error). `text` is the model's
# config JSON when the caller has it already.
kc_shape_report <- function(model, text = NULL) {
  text <- text %||% config_to_json(serialize_keras_object(model))
  layers <- kc_model_layer_objects(model)
  overrides <- list()
  repeat {
    report <- config_from_json(kc_check(rs_shape_model(text, if (length(overrides)) config_to_json(overrides) else "")))
    added <- FALSE
    for (l in report$layers) {
      inputs <- l$failed_inputs
      if (is.null(inputs) || !identical(l$error$class, "kerasconfig_error_shape_unknown")) next
      key <- sprintf("%s#%d", l$name, length(l$nodes))
      obj <- layers[[l$name]]
      if (!is.null(overrides[[key]]) || is.null(obj) || !is.function(obj$compute_output_shape)) next
      overrides[[key]] <- kc_custom_build(obj, inputs)
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

# What a custom layer says about itself: its `compute_output_shape()` and the variables its
# `build()` creates with `self$add_weight()`.
kc_custom_build <- function(layer, inputs) {
  name <- kc_layer_name(layer)
  out <- kc_shape_from_r(layer$compute_output_shape(inputs), sprintf("compute_output_shape() of layer '%s'", name))
  variables <- list()
  if (is.function(layer$build)) {
    assign(".__weights__", list(), envir = layer)
    layer$build(inputs)
    variables <- lapply(get0(".__weights__", envir = layer, inherits = FALSE) %||% list(), function(w) {
      list(path = paste0(name, "/", w$name), shape = as.list(as.integer(w$shape)), dtype = w$dtype,
           trainable = isTRUE(w$trainable) && !isFALSE(layer$trainable))
    })
  }
  list(outputs = out, variables = variables, input_shape = inputs)
}

# Records the report on the model and its layers: each layer's nodes and variables (for
# `count_params()`, `layer$output`, `summary()`); with `build`, also the build_configs Keras
# records when it builds the layers (the model is being built in R).
kc_apply_report <- function(model, report, build = FALSE) {
  layers <- kc_model_layer_objects(model)
  for (l in report$layers) {
    obj <- layers[[l$name]]
    if (is.null(obj) || !is.environment(obj)) next
    assign(".__shape__", l, envir = obj)
    kc_bind_tensors(obj)
    if (build && !is.null(l$params)) {
      if (!is.null(l$build_config)) assign(".__build_config__", l$build_config, envir = obj)
      for (n in l$nested) kc_set_nested_build_config(obj, n$path, n$build_config)
    }
  }
  assign(".__shape_report__", report, envir = model)
  invisible(model)
}

# The layer object at `path` (config keys and 0-based list indexes) inside `obj`.
kc_set_nested_build_config <- function(obj, path, build_config) {
  for (key in path) {
    index <- suppressWarnings(as.integer(key))
    obj <- if (is.na(index)) {
      cfg <- if (is.environment(obj)) obj$get_config() else obj
      cfg[[key]]
    } else {
      obj[[index + 1L]]
    }
    if (is.null(obj)) return(invisible())
  }
  if (is.environment(obj) && !is.null(build_config)) assign(".__build_config__", build_config, envir = obj)
  invisible()
}

# `layer$output` and `layer$input`: symbolic tensors of the layer's first call.
kc_bind_tensors <- function(obj) {
  for (what in c("output", "input")) {
    if (exists(what, envir = obj, inherits = FALSE) && !bindingIsActive(what, obj)) next
    if (exists(what, envir = obj, inherits = FALSE)) next
    local({
      side <- what
      makeActiveBinding(side, function() kc_layer_tensor(obj, side), obj)
    })
  }
}

kc_layer_tensor <- function(obj, side) {
  info <- get0(".__shape__", envir = obj, inherits = FALSE)
  name <- kc_layer_name(obj)
  if (is.null(info) || !length(info$nodes)) {
    kc_abort(sprintf("The layer '%s' has never been called and thus has no defined %s.", name, side),
             "kerasconfig_error_shape")
  }
  # Keras' `layer.output`: the tensors of the layer's first call.
  node <- info$nodes[[1L]]
  shapes <- if (side == "output") node$outputs else node$inputs
  dtypes <- node$dtypes
  if (kc_is_flat_shape(shapes)) return(keras_symbolic_tensor(shapes, dtypes[[1L]] %||% "float32"))
  i <- 0L
  lapply(shapes, function(s) {
    i <<- i + 1L
    keras_symbolic_tensor(s, dtypes[[min(i, length(dtypes))]] %||% "float32")
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
  config <- get(".__config__", envir = model)
  layers <- config$layers
  has_input <- length(layers) && inherits(layers[[1L]], "InputLayer")
  shape <- if (has_input) layers[[1L]]$get_config()$batch_shape else config$build_input_shape
  if (is.null(shape) || !length(layers)) return(invisible(model))
  config["build_input_shape"] <- list(shape)
  assign(".__config__", config, envir = model)
  assign(".__build_config__", list(input_shape = shape), envir = model)
  report <- kc_shape_report(model)
  for (l in report$layers) {
    if (identical(l$error$class, "kerasconfig_error_shape")) {
      kc_abort(l$error$message, "kerasconfig_error_shape")
    }
  }
  kc_apply_report(model, report, build = TRUE)
  unknown <- Filter(function(l) identical(l$error$class, "kerasconfig_error_shape_unknown") && !is.null(l$failed_inputs),
                    report$layers)
  if (length(unknown)) {
    kc_warn(sprintf(paste("kerasconfig does not know the output shape of layer '%s' (%s): the layers after it are",
                          "left unbuilt (no build_config). Give its class a compute_output_shape() method;",
                          "Python Keras builds them when it loads the model."),
                    unknown[[1L]]$name, unknown[[1L]]$class), "kerasconfig_warning_shape")
  }
  invisible(model)
}

# `model$build(input_shape)` for a Sequential model without an input layer: `input_shape` is
# the batch shape (NA or NULL for unknown dimensions), as keras3's `shape(NA, 4)`.
kc_sequential_build_method <- function(model) {
  function(input_shape) {
    shape <- kc_input_shape(input_shape)
    config <- get(".__config__", envir = model)
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
    assign(".__config__", config, envir = model)
    kc_build_sequential(model)
    invisible(model)
  }
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
