# The Functional API: symbolic tensors from keras_input(), layers called on them (each call a
# node, as Keras' Layer.__call__ records it), and keras_model(), which walks the graph from the
# outputs back to the inputs as Keras' map_graph does and writes the config Keras writes.
# Shapes come from the Rust shape engine; the call() signatures Keras' nodes depend on from
# src/rust/core/src/callsig.rs.

#' Create a symbolic input tensor
#'
#' `keras_input()` (and its alias `layer_input()`) makes an `InputLayer` and
#' returns its output: a symbolic tensor to call layers on and to pass to
#' [keras_model()].
#'
#' @param shape The shape of one sample, without the batch dimension (`NA`
#'   for an unknown dimension).
#' @param batch_size Optional fixed batch size.
#' @param dtype The tensor's dtype (`"float32"` by default).
#' @param sparse,ragged Whether the tensor is sparse or ragged.
#' @param batch_shape The full shape, batch dimension included, instead of
#'   `shape`.
#' @param name The input layer's name (`input_layer`, `input_layer_1`, ...
#'   when `NULL`).
#' @param tensor Not supported: kerasconfig has no eager tensors.
#' @param optional Whether the input may be `NULL` when the model is called.
#' @return A symbolic tensor (class `keras_tensor`).
#' @export
#' @examples
#' x <- keras_input(shape = c(NA, 8), name = "tokens")
#' x
keras_input <- function(shape = NULL, batch_size = NULL, dtype = NULL, sparse = NULL, ragged = NULL,
                        batch_shape = NULL, name = NULL, tensor = NULL, optional = FALSE) {
  if (!is.null(tensor)) {
    kc_abort("`tensor` is not supported: kerasconfig builds graphs of symbolic tensors only.",
             "kerasconfig_error_unsupported")
  }
  if (is.null(shape) && is.null(batch_shape)) {
    kc_abort("You must pass a `shape` argument.", "kerasconfig_error_value")
  }
  args <- list(dtype = dtype, sparse = sparse, ragged = ragged, name = name, optional = optional)
  if (!is.null(batch_shape)) {
    args$batch_shape <- kc_input_shape(batch_shape)
  } else {
    args$shape <- kc_input_shape(shape)
    if (!is.null(batch_size)) args$batch_size <- as.integer(batch_size)
  }
  if (isFALSE(optional)) args$optional <- NULL
  layer <- do.call(kc_builtin_objects[["keras.layers.InputLayer"]], Filter(Negate(is.null), args))
  config <- layer$get_config()
  tensor <- kc_tensor(layer, 0L, 0L, config$batch_shape, config$dtype %||% "float32")
  kc_add_node(layer, list(args = list(), kwargs = named_list(), inputs = list(), outputs = list(tensor),
                          is_input = TRUE))
  tensor
}

#' @rdname keras_input
#' @export
layer_input <- keras_input

# ---- symbolic tensors -------------------------------------------------------------------------

# A symbolic tensor knows the layer that made it and the node (0-based, in that layer's calls).
kc_tensor <- function(layer, node, index, shape, dtype) {
  t <- keras_symbolic_tensor(shape, dtype, list(kc_layer_name(layer), node, index))
  attr(t, "kc_layer") <- layer
  attr(t, "kc_node") <- node
  t
}

kc_is_graph_tensor <- function(x) inherits(x, "keras_tensor") && kc_is_instance(attr(x, "kc_layer"))

# Every tensor in a nested structure, in the order of Keras' tree.flatten: lists in order, named
# lists (dicts) by sorted name.
kc_flat_tensors <- function(x) {
  if (inherits(x, "keras_tensor")) return(list(x))
  if (is.list(x) && !is.object(x)) return(unlist(lapply(kc_dict_order(x), kc_flat_tensors), recursive = FALSE) %||% list())
  list()
}

kc_dict_order <- function(x) {
  if (is.null(names(x)) || !length(x)) return(x)
  x[order(names(x), method = "radix")]
}

kc_map_tensors <- function(x, f) {
  if (inherits(x, "keras_tensor")) return(f(x))
  if (is.list(x) && !is.object(x)) {
    out <- lapply(x, kc_map_tensors, f = f)
    if (!length(out) && !is.null(names(x))) out <- named_list()
    return(out)
  }
  x
}

kc_layer_id <- function(layer) {
  id <- get0(".__kc_id__", envir = kc_env(layer), inherits = FALSE)
  if (is.null(id)) {
    kc_state$layer_ids <- (kc_state$layer_ids %||% 0) + 1
    id <- sprintf("L%.0f", kc_state$layer_ids)
    assign(".__kc_id__", id, envir = kc_env(layer))
  }
  id
}

kc_layer_nodes <- function(layer) get0(".__nodes__", envir = kc_env(layer), inherits = FALSE) %||% list()

kc_add_node <- function(layer, node) {
  nodes <- kc_layer_nodes(layer)
  node$layer <- layer
  node$key <- paste0(kc_layer_id(layer), "#", length(nodes))
  assign(".__nodes__", c(nodes, list(node)), envir = kc_env(layer))
  invisible(length(nodes))
}

kc_tensor_node <- function(t) kc_layer_nodes(attr(t, "kc_layer"))[[attr(t, "kc_node") + 1L]]
kc_tensor_key <- function(t) paste0(kc_layer_id(attr(t, "kc_layer")), "#", attr(t, "kc_node"), "#", t$keras_history[[3L]])

# ---- calling a layer --------------------------------------------------------------------------

#' Call a layer on symbolic tensors
#'
#' Layers and models are functions: `layer(x, ...)` calls `layer` on the
#' tensors in `...`, exactly as `call_layer(layer, x, ...)` does (positional
#' arguments of Keras' `call()`, and named ones such as `key =`,
#' `training =`, `return_attention_scores =`). The call is recorded as a node
#' of the graph (a layer called several times is shared: one node per call),
#' the layer is built on its first call, and the output tensor(s) returned.
#' `layer_*()` constructors given a tensor or a list of tensors first do the
#' same with the layer they make (`x |> layer_dense(4)`). Models (Sequential
#' or Functional) and instances of [Layer()] and [Model()] classes are called
#' the same way.
#'
#' @param layer A layer or a model.
#' @param ... The call's arguments: tensors, lists of tensors, options.
#' @return A symbolic tensor, or a list of them for layers with several
#'   outputs.
#' @export
#' @examples
#' a <- keras_input(shape = 4, name = "a")
#' b <- keras_input(shape = 4, name = "b")
#' shared <- layer_dense(units = 2, name = "shared")
#' ya <- shared(a)
#' yb <- shared(b)
#' out <- layer_add(list(ya, yb))
#' model <- keras_model(list(a, b), out)
#' model
#'
#' # The same call, spelled as a function of the layer:
#' d <- keras_input(shape = 4, name = "d")
#' call_layer(shared, d)
call_layer <- function(layer, ...) kc_call_dots(layer, list(...))

# A call's arguments as given in `...`: the unnamed ones positional, the named ones keywords.
kc_call_dots <- function(layer, args) {
  named <- if (is.null(names(args))) rep(FALSE, length(args)) else nzchar(names(args))
  kc_call_layer(layer, unname(args[!named]), args[named])
}

kc_call_layer <- function(layer, args, kwargs) {
  if (!kc_is_layer(layer)) {
    kc_abort(sprintf("Only layers and models can be called on tensors; got %s.", kc_describe(layer)),
             "kerasconfig_error_type")
  }
  name <- kc_layer_name(layer)
  tensors <- kc_flat_tensors(list(args, kwargs))
  if (!length(tensors)) {
    kc_abort(sprintf("Layer '%s' was called without any symbolic tensor: pass tensors from keras_input().", name),
             "kerasconfig_error_type")
  }
  for (t in tensors) {
    if (!kc_is_graph_tensor(t)) {
      kc_abort(sprintf("Layer '%s' was called on a tensor that no layer produced (a keras_symbolic_tensor() value); use keras_input().",
                       name), "kerasconfig_error_type")
    }
  }
  node_kwargs <- kc_node_kwargs(layer, args, kwargs)
  built <- kc_call_shapes(layer, args, node_kwargs)
  index <- length(kc_layer_nodes(layer))
  shapes <- built$outputs
  single <- kc_is_flat_shape(shapes)
  flat <- if (single) list(shapes) else kc_flat_shapes(shapes)
  dtypes <- built$dtypes
  outputs <- lapply(seq_along(flat), function(i) {
    kc_tensor(layer, index, i - 1L, flat[[i]], dtypes[[min(i, length(dtypes))]] %||% "float32")
  })
  # The node's inputs include what Keras added to the kwargs (a mask tensor).
  kc_add_node(layer, list(args = args, kwargs = node_kwargs, inputs = kc_flat_tensors(list(args, node_kwargs)),
                          outputs = outputs, is_input = FALSE))
  outputs <- kc_set_output_masks(layer, args, kwargs, outputs)
  if (single) outputs[[1L]] else outputs
}

kc_flat_shapes <- function(shapes) {
  if (kc_is_flat_shape(shapes)) return(list(shapes))
  unlist(lapply(shapes, kc_flat_shapes), recursive = FALSE)
}

# The class's call() parameters: Keras' own table for built-ins, the `call` method's formals for
# classes defined in R.
kc_call_signature <- function(layer) {
  info <- kc_class_info(kc_class_of(layer))
  while (!isTRUE(info$builtin) && !is.null(info$parent)) {
    if (is.function(info$methods$call)) break
    info <- info$parent
  }
  if (!isTRUE(info$builtin) && is.function(info$methods$call)) {
    f <- formals(info$methods$call)
    params <- lapply(names(f), function(n) {
      if (n == "...") return(list(name = n, kind = "var"))
      # (An argument without default is the empty symbol: compared before it is bound to a name.)
      if (identical(f[[n]], quote(expr = ))) list(name = n) else list(name = n, default = eval(f[[n]]))
    })
    return(list(params = params, keeps_arguments = FALSE))
  }
  text <- if (isTRUE(info$builtin)) rs_call_signature(info$classname) else NULL
  if (is.null(text)) return(list(params = list(list(name = "inputs")), keeps_arguments = FALSE))
  config_from_json(text)
}

# The keyword arguments Keras records in the node: Layer.__call__ adds `training` (the
# signature's default, when not None) and `mask` / `<arg>_mask` to the kwargs it was given, but
# the node keeps them only when the arguments were not converted first (one positional tensor
# of the layer's input dtype and no keyword arguments, or a class that never converts).
kc_node_kwargs <- function(layer, args, kwargs) {
  if (!length(kwargs)) kwargs <- named_list()
  spec <- kc_call_signature(layer)
  one_tensor <- length(args) == 1L && inherits(args[[1L]], "keras_tensor")
  converts <- length(kwargs) || !one_tensor || !identical(args[[1L]]$dtype, kc_layer_compute_dtype(layer))
  if (converts && !isTRUE(spec$keeps_arguments)) return(kwargs)
  params <- Filter(function(p) !identical(p$kind, "var"), spec$params)
  pnames <- vapply(params, `[[`, "", "name")
  has_default <- function(p) "default" %in% names(p)
  # Arguments bound to the signature: positional ones in order, then the named ones.
  bound <- c(stats::setNames(args, pnames[seq_along(args)]), kwargs)
  training <- params[pnames == "training"]
  if (length(training) && !"training" %in% names(kwargs)) {
    default <- if (has_default(training[[1L]])) training[[1L]]$default
    if (!is.null(default)) kwargs["training"] <- list(default)
  }
  tensor_args <- names(bound)[vapply(bound, function(v) length(kc_flat_tensors(v)) > 0L, TRUE)]
  no_mask <- function(v) kc_map_tensors(v, kc_mask_of)
  if (length(tensor_args) == 1L) {
    if ("mask" %in% pnames && is.null(bound[["mask"]])) kwargs["mask"] <- list(no_mask(bound[[tensor_args]]))
  } else if (length(tensor_args) > 1L) {
    for (k in tensor_args) {
      m <- paste0(k, "_mask")
      if (m %in% pnames && is.null(bound[[m]])) kwargs[m] <- list(no_mask(bound[[k]]))
    }
  }
  kwargs
}

kc_layer_compute_dtype <- function(layer) {
  dtype <- tryCatch(layer$get_config()$dtype, error = function(e) NULL)
  if (kc_is_instance(dtype)) dtype <- dtype$get_config()$name
  if (!kc_is_string(dtype)) return("float32")
  if (startsWith(dtype, "mixed_")) return(sub("^mixed_", "", dtype))
  if (grepl("_from_", dtype)) return(sub("^.*_from_", "", dtype))
  dtype
}

# What the call makes: the engine builds the layer on the call's inputs, given as a one-layer
# Functional model whose input layers stand for the input tensors. The layer is built (its
# build_config recorded) on its first call, as Keras builds it.
kc_call_shapes <- function(layer, args, kwargs) {
  name <- kc_layer_name(layer)
  tensors <- kc_flat_tensors(list(args, kwargs))
  keys <- unique(vapply(tensors, kc_tensor_key, ""))
  inputs <- list()
  stand_in <- function(t) {
    k <- match(kc_tensor_key(t), keys)
    keras_symbolic_tensor(t$shape, t$dtype, list(sprintf("__kc_input_%d__", k), 0L, 0L))
  }
  for (t in tensors) {
    k <- match(kc_tensor_key(t), keys)
    if (length(inputs) >= k) next
    inputs[[k]] <- list(module = "keras.layers", class_name = "InputLayer",
                        config = list(batch_shape = t$shape, dtype = t$dtype, sparse = FALSE, ragged = FALSE,
                                      name = sprintf("__kc_input_%d__", k), optional = FALSE),
                        registered_name = NULL, name = sprintf("__kc_input_%d__", k), inbound_nodes = list())
  }
  entry <- serialize_keras_object(layer)
  entry$name <- name
  entry$inbound_nodes <- list(list(args = serialize_keras_object(kc_map_tensors(args, stand_in)),
                                   kwargs = serialize_keras_object(kc_map_tensors(kwargs, stand_in))))
  model <- list(class_name = "Functional", config = list(
    name = "__kc_call__", trainable = TRUE, layers = c(inputs, list(entry)),
    input_layers = lapply(seq_along(inputs), function(k) list(sprintf("__kc_input_%d__", k), 0L, 0L)),
    output_layers = list(name, 0L, 0L)))
  # A custom layer the engine has no rule for answers for itself (its compute_output_shape()).
  report <- kc_shape_report(NULL, config_to_json(model), build = TRUE, layers = structure(list(layer), names = name))
  l <- kc_report_layer(report, length(report$name))
  if (identical(l$error$class, "kerasconfig_error_shape_unknown")) {
    kc_abort(sprintf(paste("kerasconfig does not know the output shape of layer '%s' (%s): give its class a",
                           "compute_output_shape() method."), name, l$class), "kerasconfig_error_shape_unknown")
  }
  if (!is.null(l$error)) kc_abort(l$error$message, l$error$class)
  node <- l$nodes[[length(l$nodes)]]
  env <- kc_env(layer)
  variables <- kc_variable_shapes(l$variables)
  first_call <- !isTRUE(get0(".__kc_built__", envir = env, inherits = FALSE))
  # A layer called again, or one of a model read from a config, has weights: an input they do not
  # fit is refused, as Keras' input_spec check (or the op itself) refuses it.
  built <- get0(".__kc_variable_shapes__", envir = env, inherits = FALSE)
  if (is.null(built) && first_call) {
    row <- kc_layer_row(layer)
    if (!is.null(row)) built <- kc_variable_shapes(kc_report_layer(row$report, row$i)$variables)
  }
  if (length(built) && !identical(built, variables)) {
    differs <- names(built)[!vapply(names(built), function(v) identical(built[[v]], variables[[v]]), NA)]
    v <- differs[[1L]]
    kc_abort(sprintf(paste("Input of layer '%s' is incompatible with the layer: its weights were built for other",
                           "inputs (variable '%s' has shape %s; this call, on input shape(s) %s, would need %s)."),
                     name, v, kc_shape_text(built[[v]]),
                     paste(vapply(tensors, function(t) kc_shape_text(t$shape), ""), collapse = ", "),
                     kc_shape_text(variables[[v]])), "kerasconfig_error_shape")
  }
  if (first_call) {
    if (is.null(get0(".__build_config__", envir = env, inherits = FALSE))) kc_apply_build(layer, l$build)
    kc_build_changes(layer, lapply(tensors, `[[`, "shape"))
    assign(".__kc_built__", TRUE, envir = env)
    assign(".__kc_variable_shapes__", variables, envir = env)
  }
  list(outputs = node$outputs, dtypes = node$dtypes %||% list("float32"))
}

# The shapes of a layer's variables, by path, as the engine reports them.
kc_variable_shapes <- function(variables) {
  stats::setNames(lapply(variables, `[[`, "shape"), vapply(variables, function(v) as.character(v$path %||% ""), ""))
}

# A `layer_*()` constructor given a tensor or a list of tensors first: the layer is called on it.
kc_is_call_input <- function(x) {
  inherits(x, "keras_tensor") || (is.list(x) && !is.object(x) && length(kc_flat_tensors(x)) > 0L)
}

# A list is one argument (merge layers, Attention), except for layers whose call() takes several
# tensors (MultiHeadAttention's query, value): keras3 passes the list's elements as arguments.
kc_call_constructed <- function(layer, object) {
  if (inherits(object, "keras_tensor")) return(kc_call_layer(layer, list(object), named_list()))
  params <- Filter(function(p) !identical(p$kind, "var"), kc_call_signature(layer)$params)
  required <- sum(!vapply(params, function(p) "default" %in% names(p), TRUE))
  if (required < 2L) return(kc_call_layer(layer, list(object), named_list()))
  named <- if (is.null(names(object))) rep(FALSE, length(object)) else nzchar(names(object))
  kc_call_layer(layer, unname(object[!named]), object[named])
}

# What building changes in a layer's config, as Keras' build() methods do, besides the changes
# the engine reports (src/rust/core/src/shape/updates.rs, applied with the build_config):
# MultiHeadAttention resolves `attention_axes` in `_build_attention()` (None: the query's axes
# between batch and features; negative axes counted from the end).
kc_build_changes <- function(layer, shapes) {
  change <- kc_build_config_changes[[kc_class_info(kc_class_of(layer))$classname %||% ""]]
  if (is.null(change) || !exists(".__config__", envir = kc_env(layer), inherits = FALSE)) return(invisible())
  assign(".__config__", change(get(".__config__", envir = kc_env(layer)), shapes), envir = kc_env(layer))
}

kc_build_config_changes <- list(
  MultiHeadAttention = function(config, shapes) {
    rank <- length(shapes[[1L]]) + 1L
    axes <- config$attention_axes
    axes <- if (is.null(axes)) seq_len(rank - 3L) else vapply(unlist(axes), function(a) if (a >= 0) a else (rank - 1) + a, 1)
    config["attention_axes"] <- list(as.list(as.integer(axes)))
    config
  }
)
