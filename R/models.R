# Whole models: Sequential and Functional configs, read with Keras 3.15's rules and validated
# before anything is returned; built from R with keras_model_sequential() and layer_*().

# ---- reading ----------------------------------------------------------------------------------

kc_sequential_from_config <- function(config) {
  if (!all(c("name", "layers") %in% names(config))) {
    kc_abort(paste0("A Sequential model configuration must be a dictionary containing the 'name' and 'layers' keys. ",
                    "Received: config=", kc_format_config(config)), "kerasconfig_error_config")
  }
  layers <- config$layers
  if (!is.list(layers) || !is.null(names(layers))) {
    kc_abort("The 'layers' of a Sequential model configuration must be a list.", "kerasconfig_error_config")
  }
  source <- list(class_name = "Sequential", config = config)
  built <- kc_deserialize_nested(layers, "layers")
  kc_check_layers(built, operations = FALSE)
  layer_names <- vapply(built, kc_layer_name, "")
  kc_check_unique_names(layer_names)
  native <- kc_fast_model(cls, config, built, layer_names)
  if (!is.null(native)) return(native)
  config["layers"] <- list(built)
  kc_with_shapes(kc_model_instance(cls, config), source, structure(built, names = layer_names))
}

kc_functional_from_config <- function(config) {
  # Keras reads these three keys before anything else (a KeyError when one is missing).
  if (!all(c("layers", "input_layers", "output_layers") %in% names(config))) {
    kc_abort(paste0("A Functional model configuration must be a dictionary containing the 'layers', 'input_layers' ",
                    "and 'output_layers' keys. Received: config=", kc_format_config(config)), "kerasconfig_error_config")
  }
  layers <- config$layers
  if (!is.list(layers) || !is.null(names(layers))) {
    kc_abort("The 'layers' of a Functional model configuration must be a list.", "kerasconfig_error_config")
  }
  # Each entry's name, and its layer without the name and inbound nodes the entry carries besides
  # it: split in Rust, or here when an entry is not as Rust expects (the error is R's).
  split <- rs_functional_entries(layers)
  if (is.null(split)) {
    split <- list(vapply(seq_along(layers), function(i) {
      name <- layers[[i]][["name", exact = TRUE]]
      if (!kc_is_string(name)) {
        kc_abort(sprintf("Layer %d of the Functional model configuration has no 'name'.", i), "kerasconfig_error_graph")
      }
      name
    }, ""), lapply(layers, function(entry) {
      entry$name <- NULL
      entry$inbound_nodes <- NULL
      entry
    }))
  }
  names <- split[[1L]]
  kc_check_unique_names(names)
  built <- kc_deserialize_nested(split[[2L]], "layers")
  kc_check_layers(built)
  native <- kc_fast_model(cls, config, built, names)
  if (!is.null(native)) return(native)
  nodes <- kc_deserialize_nested(lapply(layers, function(entry) list(inbound_nodes = entry[["inbound_nodes", exact = TRUE]])),
                                 "layers")
  nodes <- lapply(nodes, `[[`, "inbound_nodes")
  kc_validate_graph(names, built, nodes, config)
  entries <- lapply(seq_along(layers), function(i) {
    entry <- list(layer = built[[i]], name = names[[i]], inbound_nodes = nodes[[i]])
    oldClass(entry) <- "keras_functional_layer"
    entry
  })
  source <- list(class_name = "Functional", config = config)
  config["layers"] <- list(entries)
  kc_with_shapes(kc_model_instance(cls, config), source, structure(built, names = names))
}

# Deserializes the elements of `config[[key]]` (each with its own path), in one pass through the
# fast path when it can.
kc_deserialize_nested <- function(items, key) {
  ctx <- kc_state$context
  # A model read in a call without custom or module objects reaches R only when Rust could not
  # build it, which is almost always for one of its layers: then the layers are tried one by
  # one in Rust, not all together first (the objects are the same either way).
  whole <- !is.null(ctx$opts$custom) || !is.null(ctx$opts$module)
  kc_deserialize(items, kc_path_key(paste0(ctx$path, "$config"), key), kc_context_opts(ctx), ctx$depth, fast = whole)
}

# The rest of a model built natively from its layers built here (src/rust/src/fast/read.rs:
# the node, name and graph checks, the instance, its layers bound to it), or NULL when Rust
# leaves it to R: then R's own checks raise the error. Session settings other than the
# defaults are R's to apply.
kc_fast_model <- function(cls, config, layers, names) {
  if (!kc_session_is_default()) return(NULL)
  ctx <- kc_state$context
  out <- rs_fast_model(cls, config, layers, names, ctx$depth, kc_context_opts(ctx)$module, kc_state$shared,
                       kc_builtin_objects, kc_bound_bodies)
  if (inherits(out, "kc_fallback")) NULL else out
}

kc_model_instance <- function(cls, config) {
  obj <- kc_instantiate(kc_class_info(cls), config)
  if (inherits(obj, "Sequential")) kc_bind_build(obj)
  obj
}

# A Sequential model's `build(input_shape)` method (the fast path binds the same one).
kc_bind_build <- function(model) {
  build <- kc_bound_bodies$build
  environment(build) <- kc_env(model)
  assign("build", build, envir = kc_env(model))
}

# Keras: "Unexpected object from deserialization, expected a layer or operation" (a Sequential
# model takes layers only).
kc_check_layers <- function(layers, operations = TRUE) {
  # A model holds many layers of few classes: each class is judged once, its verdict kept with it
  # (classes never change once made).
  key <- if (operations) "is_layer_or_operation" else "is_layer_class"
  ok <- TRUE
  for (i in seq_along(layers)) {
    cls <- kc_instance_class(layers[[i]])
    ok <- inherits(cls, "keras_class")
    if (ok) {
      info <- kc_class_info(cls)
      ok <- if (is.environment(info)) info[[key]]
      if (is.null(ok)) {
        ok <- kc_is_layer_class(cls, operations)
        if (is.environment(info)) info[[key]] <- ok
      }
    }
    if (!ok) break
  }
  if (ok) return(invisible())
  # Described by what it claims when its class cannot be trusted.
  what <- if (inherits(cls, "keras_class")) kc_describe(layers[[i]]) else
    sprintf("an object of class '%s'", paste(class(layers[[i]]), collapse = "/"))
  kc_abort(sprintf("Unexpected object from deserialization, expected a layer%s, got %s (layer %d).",
                   if (operations) " or operation" else "", what, i), "kerasconfig_error_config")
}

# Whether `cls` (an instance's `.__class__`) is a layer class (or an operation's): decided by its
# chain up to the Layer root or a built-in's Keras bases, never by the S3 class an instance
# carries, and without calling anything of it (an R-list config can carry any object).
kc_is_layer_class <- function(cls, operations = TRUE) {
  if (!inherits(cls, "keras_class")) return(FALSE)
  info <- kc_class_info(cls)
  root <- kc_class_info(kc_root_layer)
  while (!is.null(info)) {
    if (identical(info, root)) return(TRUE)
    if (isTRUE(info$builtin)) return(isTRUE(info$is_layer) || (operations && isTRUE(info$is_operation)))
    info <- info$parent
  }
  FALSE
}

# A plain binding of an environment, or NULL (an active binding would run code).
kc_binding <- function(env, name) {
  env <- kc_env(env)
  if (!exists(name, envir = env, inherits = FALSE) || bindingIsActive(name, env)) return(NULL)
  get(name, envir = env, inherits = FALSE)
}

# A layer's name, read from its fields, never from its methods.
kc_layer_name <- function(layer) {
  if (!kc_is_instance(layer)) return("")
  name <- if (inherits(layer, "keras_builtin")) kc_binding(layer, ".__config__")$name else kc_binding(layer, "name")
  if (kc_is_string(name)) name else ""
}

kc_check_unique_names <- function(names) {
  dup <- unique(names[duplicated(names) & nzchar(names)])
  if (length(dup)) {
    kc_abort(sprintf("All layers of a model must have unique names. Duplicated: %s",
                     paste(sprintf("'%s'", dup), collapse = ", ")), "kerasconfig_error_graph")
  }
}

# A Keras 2 reference: ["layer", node_index, tensor_index] or with a kwargs dict fourth.
kc_is_ref <- function(x) {
  index <- function(v) is.numeric(v) && length(v) == 1L && is.finite(v) && v >= 0 && v == round(v)
  is.list(x) && is.null(names(x)) && length(x) %in% 3:4 && kc_is_string(x[[1L]]) && index(x[[2L]]) && index(x[[3L]])
}

# Keras' rebuild, without tensors (src/rust/core/src/graph.rs, which the fast path shares): nodes are
# processed in layer order, a node once every node it reads exists; what never becomes processable
# is a loop or a disconnected node. Then `input_layers` and `output_layers` must name existing
# nodes. Returns the node count of every layer, named.
kc_validate_graph <- function(names, layers, nodes, config) {
  # InputLayer and nested Functional models have a node of their own before any call.
  initial <- vapply(layers, function(l) as.integer(inherits(l, c("InputLayer", "Functional"))), 1L)
  kc_check(rs_functional_graph(names, initial, nodes, config[["input_layers"]], config[["output_layers"]]))
}

#' @export
print.keras_functional_layer <- function(x, ...) {
  cat(sprintf("<functional layer entry '%s'>\n", x$name))
  print(x$layer)
  invisible(x)
}

# ---- building ---------------------------------------------------------------------------------

#' Build a Sequential model
#'
#' Makes a Keras Sequential model, to which `layer_*()` constructors add
#' layers when given the model as their first argument (keras3's pipe idiom).
#' Its config is what Python Keras writes for the same model, so Python Keras
#' loads it unchanged; layer names are generated as Keras does (`dense`,
#' `dense_1`, ...). The arguments are keras3's: the `input_*` ones make the
#' model's input layer, and a first layer given `input_shape =` (or
#' `input_dim =`) makes it too, as Keras' `Sequential.add()` does.
#'
#' @param input_shape The shape of one input sample (without the batch
#'   dimension; `NA` for an unknown dimension), or `NULL` for a model without
#'   an input layer yet.
#' @param name The model's name (`sequential`, `sequential_1`, ... when `NULL`).
#' @param ... Further arguments of `keras.Sequential` (`dtype`).
#' @param input_dtype,input_batch_size,input_sparse,input_ragged,input_batch_shape,input_name,input_tensor,input_optional
#'   The input layer's `dtype`, `batch_size`, `sparse`, `ragged`,
#'   `batch_shape` (instead of `input_shape`), `name`, `input_tensor` and
#'   `optional`.
#' @param trainable Whether the model's weights are trainable.
#' @param layers A list of layers to add, in order.
#' @return A Sequential model (modified in place by `layer_*()` calls).
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' model
#' cat(save_model_config(model))
#' keras_model_sequential(layers = list(layer_dense(units = 2, input_shape = c(NA, 3))))
keras_model_sequential <- function(input_shape = NULL, name = NULL, ..., input_dtype = NULL, input_batch_size = NULL,
                                   input_sparse = NULL, input_ragged = NULL, input_batch_shape = NULL,
                                   input_name = NULL, input_tensor = NULL, input_optional = FALSE, trainable = TRUE,
                                   layers = list()) {
  if (kc_is_instance(input_shape) || (is.list(input_shape) && any(vapply(input_shape, kc_is_instance, TRUE)))) {
    kc_abort("`layers` must be passed in as a named argument.", "kerasconfig_error_type")
  }
  sequential <- kc_builtin_objects[["keras.Sequential"]]
  model_args <- c(list(name = name %||% kc_unique_name("sequential"), layers = list()), list(...))
  if (!missing(trainable)) model_args$trainable <- trainable
  model <- do.call(sequential, model_args)
  # Keras writes a model's compile_config even before it is compiled.
  assign(".__compile_config__", named_list(), envir = kc_env(model))
  kc_bind_build(model)
  input_args <- list(shape = if (!is.null(input_shape)) kc_input_shape(input_shape),
                     batch_shape = if (!is.null(input_batch_shape)) kc_input_shape(input_batch_shape),
                     batch_size = input_batch_size, dtype = input_dtype, sparse = input_sparse, ragged = input_ragged,
                     name = input_name, input_tensor = input_tensor,
                     optional = if (!missing(input_optional)) input_optional)
  input_args <- Filter(Negate(is.null), input_args)
  if (length(input_args)) {
    if (!is.null(input_args$batch_size)) input_args$batch_size <- kc_keras3_integer(input_args$batch_size, "input_batch_size", "keras_model_sequential")
    kc_compose(model, do.call(kc_builtin_objects[["keras.layers.InputLayer"]], input_args))
  }
  if (kc_is_instance(layers)) layers <- list(layers)
  for (layer in layers) kc_compose(model, layer)
  model
}

# The `input_dim`/`input_shape` a layer was given (Keras' `_input_shape_arg`), or NULL.
kc_layer_input_shape_arg <- function(layer) {
  if (!is.environment(kc_env(layer))) return(NULL)
  dim <- get0(".__input_dim__", envir = kc_env(layer), inherits = FALSE)
  if (!is.null(dim)) return(list(dim))
  get0(".__input_shape__", envir = kc_env(layer), inherits = FALSE)
}

# A shape argument: numbers, with NA (or NULL in a list) for unknown dimensions.
kc_input_shape <- function(x) {
  if (is.list(x)) {
    ok <- all(vapply(x, function(d) is.null(d) || (is.numeric(d) && length(d) == 1L), TRUE))
    if (!ok) kc_abort("`input_shape` must hold numbers or NULL.", "kerasconfig_error_type")
    x <- vapply(x, function(d) if (is.null(d)) NA_real_ else as.numeric(d), 0)
  }
  if (!is.numeric(x) && !(is.logical(x) && all(is.na(x)))) {
    kc_abort("`input_shape` must be a vector of non-negative numbers (NA for an unknown dimension).", "kerasconfig_error_type")
  }
  if (any(x[!is.na(x)] < 0 | x[!is.na(x)] != round(x[!is.na(x)]))) {
    kc_abort("`input_shape` must be a vector of non-negative whole numbers (NA for an unknown dimension).", "kerasconfig_error_type")
  }
  lapply(x, function(d) if (is.na(d)) NULL else as.integer(d))
}

# A layer constructor given a model first adds the layer to it (and records the input shape the
# way Keras' Sequential does once it has an input layer).
kc_compose <- function(object, layer) {
  if (kc_is_call_input(object)) return(kc_call_constructed(layer, object))
  if (!inherits(object, "Sequential")) {
    kc_abort(sprintf("Cannot add a layer to %s: only Sequential models take layers this way.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  config <- get(".__config__", envir = kc_env(object))
  # Keras' Sequential.add(): a first layer given `input_shape`/`input_dim` brings its input layer.
  shape <- if (!length(config$layers)) kc_layer_input_shape_arg(layer)
  if (!is.null(shape)) {
    kc_compose(object, kc_builtin_objects[["keras.layers.InputLayer"]](shape = kc_input_shape(shape)))
    config <- get(".__config__", envir = kc_env(object))
  }
  name <- kc_layer_name(layer)
  if (name %in% vapply(config$layers, kc_layer_name, "")) {
    kc_abort(sprintf("All layers added to a Sequential model should have unique names. Name '%s' is already the name of a layer in this model.", name),
             "kerasconfig_error_graph")
  }
  config$layers[[length(config$layers) + 1L]] <- layer
  assign(".__config__", config, envir = kc_env(object))
  # Keras refuses a layer whose input does not fit it: the model stays as it was.
  tryCatch(kc_build_sequential(object), kerasconfig_error_shape = function(e) {
    config$layers[[length(config$layers)]] <- NULL
    assign(".__config__", config, envir = kc_env(object))
    stop(e)
  })
  object
}
