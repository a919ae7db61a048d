#' Turn an R object into a Keras config
#'
#' Gives what Keras 3's `serialize_keras_object()` gives: `NULL`, strings,
#' numbers and logicals unchanged; lists element by element (names kept); a
#' Keras object (an instance of a class made with [new_keras_class()] or a
#' family such as [Layer()]) as
#' `list(module, class_name, config, registered_name)`, followed by
#' `build_config` and `compile_config` when the object has them; a registered
#' or named function as `list(module = "builtins", class_name = "function",
#' config = <name>, registered_name = "function")`; any other function as a
#' `__lambda__` holding its R source, with a warning (it only loads back with
#' safe mode off). Raw vectors become `__bytes__`, arrays `__numpy__` (see
#' [keras_array()]), and [keras_slice()], [keras_ellipsis()] and
#' [keras_symbolic_tensor()] values their Keras encodings.
#'
#' Nested objects inside a config are serialized too. R classes record their
#' `module` as `"<r-globalenv>"` (defined at top level) or
#' `"<r-namespace:pkg>"` (defined in a package); `registered_name` is the
#' registry key when the class is registered, else the class name.
#'
#' @param obj The object.
#' @return A config: a named list, or a plain value.
#' @seealso [deserialize_keras_object()], [register_keras_serializable()]
#' @export
#' @examples
#' layer_plain <- Layer("Plain")
#' str(serialize_keras_object(layer_plain(name = "p")))
#'
#' halve <- function(x) x / 2
#' str(serialize_keras_object(halve))
serialize_keras_object <- function(obj) {
  sym <- substitute(obj)
  if (is.function(obj) && !inherits(obj, "keras_class") && !kc_is_instance(obj) && is.symbol(sym)) {
    return(kc_serialize_function(obj, "obj", as.character(sym)))
  }
  # Inside a sharing scope, the outermost call settles the ids (get_config methods may call
  # this function again for parts of their config).
  if (is.null(kc_state$sharing) || isTRUE(kc_state$sharing_busy)) return(kc_serialize(obj, "obj"))
  # Rust settles the ids of a whole object of built-ins itself (both walks); anything else is R's.
  fast <- rs_fast_serialize(obj, kc_twice_keys)
  if (!inherits(fast, "kc_fallback")) return(fast)
  kc_state$sharing_busy <- TRUE
  on.exit(kc_state$sharing_busy <- FALSE, add = TRUE)
  kc_sharing_finish(kc_serialize(obj, "obj"))
}

kc_serialize <- function(x, path, depth = 0L) {
  if (is.null(x)) return(NULL)
  if (depth %% 32L == 0L) force(path) # see kc_deserialize()
  if (depth > kc_max_depth) {
    kc_abort(sprintf("The object nests deeper than %d levels at %s.", kc_max_depth, path), "kerasconfig_error_serialize",
             path = path)
  }
  if (is.null(kc_state$sharing) && (is.list(x) || inherits(x, "keras_builtin"))) {
    # Rust writes whole subtrees of built-ins and plain values at once (see kc_deserialize()).
    fast <- rs_fast_serialize(x, NULL)
    if (!inherits(fast, "kc_fallback")) return(fast)
  }
  if (kc_is_instance(x)) return(kc_serialize_instance(x, path))
  if (inherits(x, "keras_class")) {
    kc_abort(sprintf("%s is a class; serialize an instance of it instead (at %s).",
                     kc_class_info(x)$classname, path), "kerasconfig_error_serialize", path = path)
  }
  if (is.function(x)) return(kc_serialize_function(x, path))
  if (is.list(x) && !is.object(x)) return(kc_serialize_entries(x, path, depth))
  if (is.atomic(x) && !is.object(x) && is.null(dim(x)) && !is.raw(x) && !is.complex(x)) {
    # Names make it a dict, not an array: keep them.
    if (!is.null(names(x))) return(kc_serialize_entries(as.list(x), path, depth))
    return(x)
  }
  if (inherits(x, "keras_integer")) return(x)
  special <- kc_special_encode(x, path)
  if (!is.null(special)) return(special)
  kc_abort(c(sprintf("Cannot serialize %s (at %s).", kc_describe(x), path),
             "Keras configs hold NULL, strings, numbers, logicals, lists, Keras objects and functions."),
           "kerasconfig_error_serialize", path = path)
}

kc_serialize_entries <- function(x, path, depth = 0L) {
  nm <- names(x)
  for (i in seq_along(x)) {
    el <- x[[i]]
    if (!is.null(el)) {
      sub <- if (is.null(nm)) kc_path_index(path, i) else kc_path_key(path, nm[[i]])
      x[i] <- list(kc_serialize(el, sub, depth + 1L))
    }
  }
  x
}

kc_serialize_instance <- function(x, path) {
  # An object whose config holds itself would recurse without end (Keras' too): refuse it.
  id <- sprintf("%.0f", rs_identity(kc_env(x)))
  if (!is.null(kc_state$serializing[[id]])) {
    kc_abort(sprintf("The object at %s holds itself in its config: it cannot be serialized.", path),
             "kerasconfig_error_serialize", path = path)
  }
  if (is.null(kc_state$serializing)) kc_state$serializing <- new.env(parent = emptyenv())
  assign(id, TRUE, envir = kc_state$serializing)
  on.exit(rm(list = id, envir = kc_state$serializing), add = TRUE)
  cls <- kc_class_of(x)
  info <- kc_class_info(cls)
  if (!info$has_get_config) {
    kc_abort(sprintf(paste("Cannot serialize object %s of type %s. To be serializable, a class must",
                           "implement the `get_config()` method."), path, info$classname),
             "kerasconfig_error_serialize", path = path)
  }
  config <- x$get_config()
  if (!is.list(config) || is.object(config) || (length(config) && is.null(names(config)))) {
    kc_abort(sprintf("The `get_config()` method of %s should return a named list. It returned: %s",
                     info$classname, kc_format_config(config)),
             "kerasconfig_error_serialize", path = path)
  }
  kc_sharing_mark_cell_objects(info, config)
  config <- kc_as_named(kc_serialize_entries(config, paste0(path, "$config")))
  out <- list(module = x[[".__module__"]] %||% info$module, class_name = info$classname, config = config,
              registered_name = rs_registered_name(cls) %||%
                (if (isTRUE(info$builtin)) info$registered_name else info$classname))
  build <- kc_optional_config(x, "get_build_config", ".__build_config__")
  if (!is.null(build)) out$build_config <- kc_serialize(build, paste0(path, "$build_config"))
  compile <- kc_optional_config(x, "get_compile_config", ".__compile_config__")
  if (!is.null(compile)) out$compile_config <- kc_serialize(compile, paste0(path, "$compile_config"))
  out$shared_object_id <- kc_sharing_keep(x[[".__shared_object_id__"]]) %||% kc_sharing_mark(x)
  out
}

# Objects Keras' get_config() serializes twice, so that within a saving scope both copies get a
# shared_object_id (Keras writes it in the config it keeps even when the other copy is dropped):
# - LSTM, GRU, SimpleRNN and ConvLSTM serialize their cell, then `del` it and serialize the same
#   initializers, regularizers and constraints again as the layer's own (RNN(cell) keeps its cell
#   and serializes them once);
# - layers whose get_config() writes `activity_regularizer` and that also gave it to Layer's
#   constructor, whose get_config() writes it first (when it is set).
# The classes were found by serializing every built-in layer in Keras 3.15.1 (SimpleRNN and
# MultiHeadAttention write their activity_regularizer once).
kc_cell_config_classes <- c("LSTM", "GRU", "SimpleRNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
kc_cell_objects <- c("kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                     "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                     "bias_constraint")
kc_activity_twice_classes <- c("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
                               "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "DepthwiseConv1D", "DepthwiseConv2D",
                               "SeparableConv1D", "SeparableConv2D", "EinsumDense", "Embedding", "ReversibleEmbedding",
                               "GroupQueryAttention", "LSTM", "GRU")

# Class name -> those keys: the one table R's walk and Rust's (rs_fast_serialize()) both use.
kc_twice_keys <- local({
  classes <- union(kc_cell_config_classes, kc_activity_twice_classes)
  keys <- lapply(classes, function(cls) {
    c(if (cls %in% kc_cell_config_classes) kc_cell_objects, if (cls %in% kc_activity_twice_classes) "activity_regularizer")
  })
  stats::setNames(keys, classes)
})

kc_sharing_mark_cell_objects <- function(info, config) {
  if (is.null(kc_state$sharing)) return(invisible())
  while (!isTRUE(info$builtin) && !is.null(info$parent)) info <- info$parent
  if (!isTRUE(info$builtin)) return(invisible())
  keys <- kc_twice_keys[[info$classname, exact = TRUE]]
  for (key in intersect(keys, names(config))) {
    if (kc_is_instance(config[[key]])) kc_sharing_mark(config[[key]])
  }
  invisible()
}

# A build or compile config: from the object's method if it has one, else as it was loaded.
kc_optional_config <- function(x, method, stored) {
  f <- x[[method]]
  if (is.function(f)) f() else x[[stored]]
}

kc_serialize_function <- function(f, path, name = NULL) {
  name <- rs_registered_name(f) %||% attr(f, "keras_name", exact = TRUE) %||% name
  if (is.null(name)) return(kc_lambda_to_config(f, path))
  out <- list(module = "builtins", class_name = "function", config = name, registered_name = "function")
  out$shared_object_id <- kc_sharing_keep(attr(f, "keras_shared_object_id", exact = TRUE))
  out
}
