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
  config["layers"] <- list(kc_deserialize_nested(layers, "layers"))
  kc_check_layers(config$layers, operations = FALSE)
  kc_check_unique_names(vapply(config$layers, kc_layer_name, ""))
  kc_model_instance(cls, config)
}

kc_functional_from_config <- function(config) {
  layers <- config$layers
  if (!is.list(layers) || !is.null(names(layers))) {
    kc_abort("The 'layers' of a Functional model configuration must be a list.", "kerasconfig_error_config")
  }
  names <- vapply(seq_along(layers), function(i) {
    name <- layers[[i]][["name", exact = TRUE]]
    if (!kc_is_string(name)) {
      kc_abort(sprintf("Layer %d of the Functional model configuration has no 'name'.", i), "kerasconfig_error_graph")
    }
    name
  }, "")
  kc_check_unique_names(names)
  entries <- kc_deserialize_nested(layers, "layers", split = TRUE)
  kc_check_layers(lapply(entries, `[[`, "layer"))
  counts <- kc_validate_graph(names, lapply(entries, `[[`, "layer"), lapply(entries, `[[`, "inbound_nodes"))
  for (key in c("input_layers", "output_layers")) kc_validate_endpoints(config[[key]], key, counts)
  config["layers"] <- list(entries)
  kc_model_instance(cls, config)
}

# Deserializes the elements of `config[[key]]` (each with its own path), in one pass through the
# fast path when it can. `split` separates what Functional layer entries carry besides the layer
# (name, inbound nodes).
kc_deserialize_nested <- function(items, key, split = FALSE) {
  ctx <- kc_state$context
  base <- kc_path_key(paste0(ctx$path, "$config"), key)
  opts <- kc_context_opts(ctx)
  if (!split) return(kc_deserialize(items, base, opts, ctx$depth))
  layers <- lapply(items, function(entry) {
    entry$name <- NULL
    entry$inbound_nodes <- NULL
    entry
  })
  layers <- kc_deserialize(layers, base, opts, ctx$depth)
  nodes <- kc_deserialize(lapply(items, function(entry) list(inbound_nodes = entry[["inbound_nodes", exact = TRUE]])),
                          base, opts, ctx$depth)
  lapply(seq_along(items), function(i) {
    entry <- list(layer = layers[[i]], name = items[[i]]$name, inbound_nodes = nodes[[i]]$inbound_nodes)
    oldClass(entry) <- "keras_functional_layer"
    entry
  })
}

kc_model_instance <- function(cls, config) {
  obj <- kc_instantiate(kc_class_info(cls), config)
  # compile_config holds optimizer, loss and metrics: live objects, strings kept (as Keras does).
  assign("compile_from_config", function(config) {
    # Within the loading call's options and shared objects when called from one.
    assign(".__compile_config__", kc_deserialize_within(config), envir = obj)
  }, envir = obj)
  obj
}

# Keras: "Unexpected object from deserialization, expected a layer or operation" (a Sequential
# model takes layers only).
kc_check_layers <- function(layers, operations = TRUE) {
  for (i in seq_along(layers)) {
    x <- layers[[i]]
    if (!kc_is_layer(x, operations)) {
      # Described by what it claims when its class cannot be trusted.
      what <- if (kc_is_instance(x) && inherits(kc_binding(x, ".__class__"), "keras_class")) kc_describe(x) else
        sprintf("an object of class '%s'", paste(class(x), collapse = "/"))
      kc_abort(sprintf("Unexpected object from deserialization, expected a layer%s, got %s (layer %d).",
                       if (operations) " or operation" else "", what, i), "kerasconfig_error_config")
    }
  }
}

# An instance of a layer class (or of an operation): decided by its class's chain up to the Layer
# root or a built-in's Keras bases, never by the S3 class it carries, and without calling anything
# of it (an R-list config can carry any object).
kc_is_layer <- function(x, operations = TRUE) {
  cls <- if (kc_is_instance(x)) kc_binding(x, ".__class__")
  if (!inherits(cls, "keras_class")) return(FALSE)
  info <- kc_class_info(cls)
  root <- kc_class_info(kc_root_layer)
  while (!is.null(info)) {
    if (identical(info, root)) return(TRUE)
    if (isTRUE(info$builtin)) {
      bases <- c(info$entry$name, unlist(info$entry$bases))
      return("Layer" %in% bases || (operations && "Operation" %in% bases))
    }
    info <- info$parent
  }
  FALSE
}

# A plain binding of an environment, or NULL (an active binding would run code).
kc_binding <- function(env, name) {
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

# Keras' rebuild, without tensors (src/rust/src/graph.rs): nodes are processed in layer order,
# a node once every node it reads exists; what never becomes processable is a loop or a
# disconnected node. Returns the node count of every layer, named.
kc_validate_graph <- function(names, layers, nodes) {
  # InputLayer and nested Functional models have a node of their own before any call.
  initial <- vapply(layers, function(l) as.integer(inherits(l, c("InputLayer", "Functional"))), 1L)
  kc_check(rs_functional_graph(names, initial, nodes))
}

# input_layers / output_layers: one reference, a list of them, or a named list of them.
kc_validate_endpoints <- function(x, key, counts) {
  if (is.null(x)) return(invisible())
  check <- function(ref) {
    if (!kc_is_ref(ref)) {
      kc_abort(sprintf("'%s' must hold [layer_name, node_index, tensor_index] references.", key), "kerasconfig_error_graph")
    }
    name <- ref[[1L]]
    if (!name %in% names(counts)) kc_abort(sprintf("'%s' refers to unknown layer '%s'.", key, name), "kerasconfig_error_graph")
    if (ref[[2L]] >= counts[[name]]) {
      kc_abort(sprintf("'%s' refers to node %d of layer '%s', which has %d node(s).", key, as.integer(ref[[2L]]), name,
                       counts[[name]]), "kerasconfig_error_graph")
    }
  }
  if (kc_is_ref(x)) check(x) else lapply(x, check)
  invisible()
}

#' @export
print.keras_functional_layer <- function(x, ...) {
  cat(sprintf("<functional layer entry '%s'>\n", x$name))
  print(x$layer)
  invisible(x)
}

# ---- summaries ---------------------------------------------------------------------------------

#' Summaries of models
#'
#' `summary()` (and `print()`) of a Sequential or Functional model shows one
#' row per layer: its name, class, the layers it reads (Functional models)
#' and the arguments that differ from Keras' defaults. Parameter counts and
#' output shapes are not shown: they need shape inference, which kerasconfig
#' does not do.
#'
#' @param object,x A model.
#' @param ... Unused.
#' @return `summary()`: a data frame with one row per layer, printed as a table.
#' @name model_summary
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' summary(model)
NULL

#' @rdname model_summary
#' @export
summary.keras_models <- function(object, ...) {
  config <- object$get_config()
  functional <- inherits(object, "Functional")
  rows <- lapply(config$layers, function(entry) {
    layer <- if (functional) entry$layer else entry
    cfg <- layer$get_config()
    inputs <- if (functional) paste(rs_node_layers(entry$inbound_nodes), collapse = ", ") else NA_character_
    data.frame(layer = cfg$name %||% "", class = kc_class_info(kc_class_of(layer))$classname,
               inputs = inputs, arguments = kc_key_arguments(layer, cfg), stringsAsFactors = FALSE)
  })
  table <- do.call(rbind, rows) %||% data.frame(layer = character(), class = character(), inputs = character(),
                                                 arguments = character())
  if (!functional) table$inputs <- NULL
  structure(table, class = c("keras_model_summary", "data.frame"), model_name = config$name,
            model_class = kc_class_info(kc_class_of(object))$classname)
}

#' @export
print.keras_model_summary <- function(x, ...) {
  cat(sprintf("Model: \"%s\" (%s)\n", attr(x, "model_name"), attr(x, "model_class")))
  print.data.frame(x, row.names = FALSE, right = FALSE)
  cat("Parameter counts and output shapes are not shown: they need shape inference, which kerasconfig does not do.\n")
  invisible(x)
}

#' @rdname model_summary
#' @export
print.keras_models <- function(x, ...) {
  print(summary(x))
  compile <- x[[".__compile_config__"]]
  if (length(compile)) {
    show <- function(v) if (kc_is_instance(v)) kc_class_info(kc_class_of(v))$classname else paste(format(v), collapse = ", ")
    parts <- vapply(intersect(c("optimizer", "loss", "metrics"), names(compile)), function(k) {
      v <- compile[[k]]
      sprintf("%s: %s", k, if (is.list(v) && !is.object(v)) paste(vapply(v, show, ""), collapse = ", ") else show(v))
    }, "")
    cat("Compiled with", paste(parts, collapse = "; "), "\n")
  }
  invisible(x)
}

# The arguments of a layer that differ from its class's defaults, compactly.
kc_key_arguments <- function(layer, cfg) {
  info <- kc_class_info(kc_class_of(layer))
  while (!isTRUE(info$builtin) && !is.null(info$parent)) info <- info$parent
  defaults <- if (isTRUE(info$builtin)) info$defaults else NULL
  keys <- setdiff(names(cfg), c("name", "trainable", "dtype", "layers", "layer", "backward_layer"))
  required <- if (isTRUE(info$builtin)) names(config_from_json(info$entry$required_args_used %||% "{}")) else character()
  shown <- character()
  for (k in keys) {
    v <- cfg[[k]]
    if (is.null(v)) next
    if (!k %in% required && !is.null(defaults) && k %in% names(defaults) &&
        identical(kc_serialize(v, k), kc_serialize(defaults[[k]], k))) next
    shown <- c(shown, sprintf("%s=%s", k, kc_format_argument(v)))
  }
  text <- paste(shown, collapse = ", ")
  if (nchar(text) > 60L) paste0(substr(text, 1L, 57L), "...") else text
}

kc_format_argument <- function(v) {
  if (kc_is_instance(v)) return(kc_class_info(kc_class_of(v))$classname)
  if (is.function(v)) return(attr(v, "keras_name") %||% rs_registered_name(v) %||% "<function>")
  if (is.list(v) && is.null(names(v)) && all(vapply(v, function(e) is.null(e) || (is.atomic(e) && length(e) == 1L), TRUE))) {
    return(sprintf("(%s)", paste(vapply(v, function(e) if (is.null(e)) "NULL" else format(e), ""), collapse = ", ")))
  }
  if (is.atomic(v) && length(v) == 1L) return(if (is.character(v)) v else format(v))
  "..."
}

# ---- building ---------------------------------------------------------------------------------

#' Build a Sequential model
#'
#' Makes a Keras Sequential model, to which `layer_*()` constructors add
#' layers when given the model as their first argument (keras3's pipe idiom).
#' Its config is what Python Keras writes for the same model, so Python Keras
#' loads it unchanged; layer names are generated as Keras does (`dense`,
#' `dense_1`, ...).
#'
#' @param input_shape The shape of one input sample (without the batch
#'   dimension), or `NULL` for a model without an input layer yet.
#' @param name The model's name (`sequential`, `sequential_1`, ... when `NULL`).
#' @param ... Further arguments of `keras.Sequential` (`trainable`, `dtype`),
#'   and `input_batch_size`, `input_dtype`, `input_name` for the input layer.
#' @return A Sequential model (modified in place by `layer_*()` calls).
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' model
#' cat(save_model_config(model))
keras_model_sequential <- function(input_shape = NULL, name = NULL, ...) {
  dots <- list(...)
  input_args <- c("input_batch_size", "input_dtype", "input_name", "input_sparse")
  model_args <- dots[setdiff(names(dots), input_args)]
  sequential <- kc_builtin_objects[["keras.Sequential"]]
  model <- do.call(sequential, c(list(name = name %||% kc_unique_name("sequential"), layers = list()), model_args))
  # Keras writes a model's compile_config even before it is compiled.
  assign(".__compile_config__", named_list(), envir = model)
  if (!is.null(input_shape)) {
    if (!is.numeric(input_shape) || anyNA(input_shape) || any(input_shape < 0)) {
      kc_abort("`input_shape` must be a vector of non-negative numbers.", "kerasconfig_error_type")
    }
    input_layer <- kc_builtin_objects[["keras.layers.InputLayer"]]
    args <- list(shape = as.list(as.integer(input_shape)), batch_size = dots$input_batch_size,
                 dtype = dots$input_dtype, name = dots$input_name)
    kc_compose(model, do.call(input_layer, Filter(Negate(is.null), args)))
  }
  model
}

# A layer constructor given a model first adds the layer to it (and records the input shape the
# way Keras' Sequential does once it has an input layer).
kc_compose <- function(object, layer) {
  if (!inherits(object, "Sequential")) {
    kc_abort(sprintf("Cannot add a layer to %s: only Sequential models take layers this way.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  config <- get(".__config__", envir = object)
  name <- kc_layer_name(layer)
  if (name %in% vapply(config$layers, kc_layer_name, "")) {
    kc_abort(sprintf("All layers added to a Sequential model should have unique names. Name '%s' is already the name of a layer in this model.", name),
             "kerasconfig_error_graph")
  }
  config$layers[[length(config$layers) + 1L]] <- layer
  assign(".__config__", config, envir = object)
  kc_build_sequential(object)
  object
}

# ---- shapes -------------------------------------------------------------------------------------

# Keras builds each layer of a Sequential model that has an input; layers with a build step of
# their own record their input shape as `build_config`. These rules give a layer's output shape
# (NULL for an unknown dimension); for a class without a rule, NULL, and the layers after it stay
# unbuilt. `kc_recording_layers` are those that record it (observed in Keras 3.15.1).
kc_shape_rules <- local({
  same <- function(cfg, shape) shape
  conv <- function(rank) function(cfg, shape) {
    if (!identical(cfg$data_format %||% "channels_last", "channels_last")) return(NULL)
    k <- unlist(cfg$kernel_size %||% cfg$pool_size)
    s <- unlist(cfg$strides %||% k)
    d <- unlist(cfg$dilation_rate %||% rep(1L, rank))
    spatial <- shape[seq_len(rank) + 1L]
    out <- lapply(seq_len(rank), function(i) {
      n <- spatial[[i]]
      if (is.null(n)) return(NULL)
      if (identical(cfg$padding, "same")) as.integer(ceiling(n / s[[i]])) else as.integer((n - d[[i]] * (k[[i]] - 1L) - 1L) %/% s[[i]] + 1L)
    })
    c(shape[1L], out, list(if (is.null(cfg$filters)) shape[[length(shape)]] else as.integer(cfg$filters)))
  }
  global_pool <- function(cfg, shape) {
    if (!identical(cfg$data_format %||% "channels_last", "channels_last")) return(NULL)
    if (isTRUE(cfg$keepdims)) return(c(shape[1L], rep(list(1L), length(shape) - 2L), shape[length(shape)]))
    list(shape[[1L]], shape[[length(shape)]])
  }
  rules <- list(
    Dense = function(cfg, shape) c(shape[-length(shape)], list(as.integer(cfg$units))),
    Embedding = function(cfg, shape) c(shape, list(as.integer(cfg$output_dim))),
    Flatten = function(cfg, shape) {
      rest <- shape[-1L]
      list(shape[[1L]], if (any(vapply(rest, is.null, TRUE))) NULL else as.integer(prod(unlist(rest))))
    },
    Reshape = function(cfg, shape) c(shape[1L], cfg$target_shape),
    Conv1D = conv(1L), Conv2D = conv(2L), Conv3D = conv(3L),
    MaxPooling1D = conv(1L), MaxPooling2D = conv(2L), MaxPooling3D = conv(3L),
    AveragePooling1D = conv(1L), AveragePooling2D = conv(2L), AveragePooling3D = conv(3L),
    GlobalAveragePooling1D = global_pool, GlobalAveragePooling2D = global_pool, GlobalAveragePooling3D = global_pool,
    GlobalMaxPooling1D = global_pool, GlobalMaxPooling2D = global_pool, GlobalMaxPooling3D = global_pool
  )
  for (cls in c("Dropout", "Activation", "BatchNormalization", "LayerNormalization", "GroupNormalization",
                "UnitNormalization", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D",
                "SpatialDropout2D", "SpatialDropout3D", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
                "ActivityRegularization", "Masking", "Rescaling", "Identity")) {
    rules[[cls]] <- same
  }
  rules
})

kc_recording_layers <- c("Dense", "Embedding", "Flatten", "Rescaling", "Conv1D", "Conv2D", "Conv3D",
                         "BatchNormalization", "LayerNormalization", "GroupNormalization", "PReLU")

kc_output_shape <- function(layer, shape) {
  rule <- kc_shape_rules[[kc_class_info(kc_class_of(layer))$classname]]
  if (is.null(rule) || !kc_is_instance(layer) || !inherits(layer, "keras_builtin")) return(NULL)
  rule(layer$get_config(), shape)
}

# Records every layer's input shape from the input layer on, as Keras does when it builds.
kc_build_sequential <- function(model) {
  config <- get(".__config__", envir = model)
  layers <- config$layers
  if (!length(layers) || !inherits(layers[[1L]], "InputLayer")) return(invisible(model))
  shape <- layers[[1L]]$get_config()$batch_shape
  config["build_input_shape"] <- list(shape)
  assign(".__build_config__", list(input_shape = shape), envir = model)
  for (layer in layers[-1L]) {
    if (is.null(shape)) break
    if (inherits(layer, kc_recording_layers)) assign(".__build_config__", list(input_shape = shape), envir = layer)
    shape <- kc_output_shape(layer, shape)
    if (is.null(shape)) {
      kc_warn(sprintf(paste("kerasconfig does not know the output shape of a %s layer: the layers after it are",
                            "left unbuilt (no build_config). Python Keras builds them when it loads the model."),
                      kc_class_info(kc_class_of(layer))$classname), "kerasconfig_warning_shape")
    }
  }
  assign(".__config__", config, envir = model)
  invisible(model)
}
