# Keras' special encodings: values that are not Keras objects but have a config form of their
# own (`{"class_name": "__bytes__", "config": {...}}` and friends), mapped to natural R values.

#' Slices, ellipses and symbolic tensors
#'
#' R stand-ins for the Python values Keras configs encode as `__slice__`,
#' `__ellipsis__` and `__keras_tensor__` (as found in the arguments of
#' Functional model nodes). [serialize_keras_object()] writes them in Keras'
#' form, and [deserialize_keras_object()] gives them back.
#'
#' @param start,stop,step Slice bounds, each `NULL` or a value.
#' @param shape A list of dimensions (`NULL` for unknown ones).
#' @param dtype The Keras dtype name.
#' @param keras_history `NULL`, or `list(layer_name, node_index, tensor_index)`.
#' @return An object of class `keras_slice`, `keras_ellipsis` or `keras_tensor`.
#' @name keras_special_values
#' @examples
#' str(serialize_keras_object(list(keras_slice(1L, NULL, 2L), keras_ellipsis())))
#' keras_symbolic_tensor(list(NULL, 3L), "float32", list("input_layer", 0L, 0L))
NULL

#' @rdname keras_special_values
#' @export
keras_slice <- function(start = NULL, stop = NULL, step = NULL) {
  structure(list(start = start, stop = stop, step = step), class = "keras_slice")
}

#' @rdname keras_special_values
#' @export
keras_ellipsis <- function() structure(list(), class = "keras_ellipsis")

#' @rdname keras_special_values
#' @export
keras_symbolic_tensor <- function(shape, dtype = "float32", keras_history = NULL) {
  structure(list(shape = shape, dtype = dtype, keras_history = keras_history), class = "keras_tensor")
}

#' @export
print.keras_slice <- function(x, ...) {
  part <- function(v) if (is.null(v)) "" else format(v)
  cat(sprintf("<keras_slice %s:%s:%s>\n", part(x$start), part(x$stop), part(x$step)))
  invisible(x)
}

#' @export
print.keras_ellipsis <- function(x, ...) {
  cat("<keras_ellipsis ...>\n")
  invisible(x)
}

#' @export
print.keras_tensor <- function(x, ...) {
  dims <- vapply(x$shape, function(d) if (is.null(d)) "NULL" else format(d), "")
  cat(sprintf("<keras_tensor shape=(%s) dtype=%s>", paste(dims, collapse = ", "), x$dtype))
  if (!is.null(x$keras_history)) {
    h <- x$keras_history
    cat(sprintf(" from %s[node %s, tensor %s]", h[[1]], h[[2]], h[[3]]))
  }
  cat("\n")
  invisible(x)
}

# ---- arrays (`__tensor__`, `__numpy__`) -----------------------------------------------------

kc_int_dtypes <- c("int8", "int16", "int32", "uint8", "uint16", "uint32")

# NumPy's limit (NPY_MAXDIMS of NumPy 2): no array Keras writes has more dimensions.
kc_max_rank <- 64L

# A row-major nested list (as Keras writes `tolist()`) as an R array with the same indexing:
# x[i, j] is value[[i]][[j]]. The dtype and encoding ride along so it writes back the same.
# `depth`: the lists enclosing `value`.
kc_array_from_config <- function(config, encoding, x, path, depth = 0L) {
  value <- config[["value", exact = TRUE]]
  dtype <- config[["dtype", exact = TRUE]]
  if (!kc_is_text(dtype)) kc_config_error(sprintf("%s needs a string `dtype`.", encoding), x, path)
  shape <- integer()
  probe <- value
  while (is.list(probe) && is.null(names(probe))) {
    if (length(shape) == kc_max_rank) {
      kc_config_error(sprintf("The value of this %s has more than %d dimensions.", encoding, kc_max_rank),
                      x, kc_path_key(path, "config"))
    }
    shape <- c(shape, length(probe))
    if (!length(probe)) break
    probe <- probe[[1L]]
  }
  kc_check_depth(depth + length(shape), kc_path_key(kc_path_key(path, "config"), "value"))
  # Rectangular first: unlist() recurses in C as deep as the lists go.
  ok <- !length(shape) || kc_is_rectangular(value, shape)
  flat <- if (!ok) NULL else if (length(shape)) unlist(value, recursive = TRUE, use.names = FALSE) else value
  if (ok && is.null(flat)) flat <- logical()
  if (!ok || !(is.numeric(flat) || is.logical(flat)) || length(flat) != prod(shape)) {
    kc_config_error(sprintf("The value of this %s is not a rectangular array of numbers or logicals.", encoding),
                    x, kc_path_key(path, "config"))
  }
  flat <- if (dtype == "bool") as.logical(flat) else if (dtype %in% kc_int_dtypes) as.integer(flat) else if (is.logical(flat)) as.double(flat) else flat
  out <- if (length(shape) > 1L) {
    aperm(array(flat, dim = rev(shape)), rev(seq_along(shape)))
  } else if (length(shape) == 1L) {
    array(flat, dim = shape)
  } else {
    flat
  }
  structure(out, class = "keras_array", keras_dtype = dtype, keras_encoding = encoding)
}

kc_is_rectangular <- function(value, shape) {
  if (length(shape) == 1L) return(length(value) == shape && all(lengths(value) == 1L) && !any(vapply(value, is.list, TRUE)))
  length(value) == shape[[1L]] && all(vapply(value, function(v) is.list(v) && kc_is_rectangular(v, shape[-1L]), TRUE))
}

kc_array_to_config <- function(x) {
  dtype <- attr(x, "keras_dtype", exact = TRUE) %||% kc_default_dtype(x)
  encoding <- attr(x, "keras_encoding", exact = TRUE) %||% "__numpy__"
  values <- unclass(x)
  attributes(values) <- list(dim = dim(x))
  list(class_name = encoding, config = list(value = kc_nest(values), dtype = dtype))
}

kc_default_dtype <- function(x) {
  if (is.logical(x)) "bool" else if (is.integer(x)) "int32" else "float32"
}

# Column-major R array to the row-major nested list Keras writes.
kc_nest <- function(a) {
  d <- dim(a)
  if (is.null(d)) return(if (length(a) == 1L) a[[1L]] else as.list(a))
  kc_nest_flat(as.vector(aperm(a, rev(seq_along(d)))), d)
}

kc_nest_flat <- function(flat, d) {
  if (length(d) == 1L) return(as.list(flat))
  n <- prod(d[-1L])
  lapply(seq_len(d[[1L]]), function(i) kc_nest_flat(flat[(i - 1L) * n + seq_len(n)], d[-1L]))
}

#' Keras arrays
#'
#' `keras_array()` marks an R array (or a scalar, for a 0-d tensor) with the
#' Keras dtype and encoding it serializes with: `"__numpy__"` (a NumPy array)
#' or `"__tensor__"` (a backend tensor). Configs holding either encoding
#' deserialize to such arrays, indexed as in Python: `x[i, j]` is
#' `value[i][j]` of the row-major JSON.
#'
#' @param x An atomic vector or array.
#' @param dtype A Keras dtype name such as `"float32"`, `"int32"`, `"bool"`.
#' @param encoding `"__numpy__"` or `"__tensor__"`.
#' @return `x` with class `keras_array`.
#' @export
#' @examples
#' a <- keras_array(matrix(1:4, 2, byrow = TRUE), "int32")
#' str(serialize_keras_object(a))
keras_array <- function(x, dtype = NULL, encoding = c("__numpy__", "__tensor__")) {
  encoding <- match.arg(encoding)
  if (is.null(x) || !is.atomic(x) || is.raw(x) || is.character(x)) {
    kc_abort("`x` must be a numeric or logical vector or array.", "kerasconfig_error_type")
  }
  if (is.null(dim(x)) && length(x) != 1L) dim(x) <- length(x)
  structure(x, class = "keras_array", keras_dtype = dtype %||% kc_default_dtype(x), keras_encoding = encoding)
}

#' @export
print.keras_array <- function(x, ...) {
  shape <- if (is.null(dim(x))) "()" else sprintf("(%s)", paste(dim(x), collapse = ", "))
  cat(sprintf("<keras_array %s dtype=%s shape=%s>\n", attr(x, "keras_encoding"), attr(x, "keras_dtype"), shape))
  v <- unclass(x)
  attributes(v) <- list(dim = dim(x))
  print(v)
  invisible(x)
}

# ---- lambdas ----------------------------------------------------------------------------------

kc_lambda_to_config <- function(f, path) {
  # quoteExpressions: a call held in an attribute is written quoted, so loading the source does
  # not run it.
  source <- paste(deparse(f, control = c("keepInteger", "keepNA", "niceNames", "showAttributes", "quoteExpressions")),
                  collapse = "\n")
  kc_warn(paste0(
    "The object being serialized includes an anonymous function (at ", path, "). This is unsafe: to ",
    "reload it you will have to pass `safe_mode = FALSE` to the loading function, and its enclosing ",
    "environment is not saved. Register the function with register_keras_serializable() instead. ",
    "This is the function being serialized: ", source
  ), "kerasconfig_warning_lambda")
  list(class_name = "__lambda__", config = list(value = source, language = "R"))
}

kc_lambda_from_config <- function(config, x, path, opts, depth = 0L) {
  if (!identical(config[["language", exact = TRUE]], "R")) {
    kc_config_error(paste(
      "This config holds a Python lambda (marshalled Python bytecode). It cannot run in R, whatever the",
      "safe mode: replace it with a registered R function, or pass the function in `custom_objects`."
    ), x, path, class = "kerasconfig_error_lambda")
  }
  if (opts$safe) {
    kc_config_error(paste(
      "Requested the deserialization of a lambda. This carries a potential risk of arbitrary code",
      "execution and thus it is disallowed by default. If you trust the source of the artifact, you can",
      "override this error by passing `safe_mode = FALSE` to the loading function, or calling",
      "`config_enable_unsafe_deserialization()`."
    ), x, path, class = "kerasconfig_error_unsafe")
  }
  source <- config[["value", exact = TRUE]]
  if (!kc_is_string(source)) kc_config_error("A lambda's `value` must be R source text.", x, path)
  f <- tryCatch(eval(parse(text = source, keep.source = FALSE), new.env(parent = globalenv())),
                error = function(e) kc_config_error(paste("The lambda's source does not evaluate:", conditionMessage(e)),
                                                    x, path, class = "kerasconfig_error_lambda"))
  if (!is.function(f)) kc_config_error("The lambda's source is not a function.", x, path, class = "kerasconfig_error_lambda")
  f
}

# ---- the table --------------------------------------------------------------------------------

# Decoders by class_name, each `function(config, x, path, opts, depth)`; `config` is already
# `{}` when the config key held NULL; `depth` counts the lists enclosing its values.
kc_special_decoders <- list(
  `__bytes__` = function(config, x, path, opts, depth) {
    value <- config[["value", exact = TRUE]]
    if (!kc_is_text(value)) kc_config_error("`__bytes__` needs a string `value`.", x, path)
    charToRaw(enc2utf8(value))
  },
  `__tensor__` = function(config, x, path, opts, depth) kc_array_from_config(config, "__tensor__", x, path, depth),
  `__numpy__` = function(config, x, path, opts, depth) kc_array_from_config(config, "__numpy__", x, path, depth),
  `__slice__` = function(config, x, path, opts, depth) {
    p <- kc_path_key(path, "config")
    # Bounds first, then the slice: nesting calls in its arguments would cost C stack per level.
    start <- kc_deserialize(config[["start", exact = TRUE]], kc_path_key(p, "start"), opts, depth)
    stop <- kc_deserialize(config[["stop", exact = TRUE]], kc_path_key(p, "stop"), opts, depth)
    step <- kc_deserialize(config[["step", exact = TRUE]], kc_path_key(p, "step"), opts, depth)
    keras_slice(start, stop, step)
  },
  `__ellipsis__` = function(config, x, path, opts, depth) keras_ellipsis(),
  `__keras_tensor__` = function(config, x, path, opts, depth) {
    shape <- config[["shape", exact = TRUE]]
    if (!is.list(shape) && !is.null(shape)) shape <- as.list(shape)
    keras_symbolic_tensor(shape, config[["dtype", exact = TRUE]] %||% "float32", config[["keras_history", exact = TRUE]])
  },
  `__lambda__` = kc_lambda_from_config
)

# Encoders for the R values that have a special form; NULL when `x` has none.
kc_special_encode <- function(x, path) {
  if (is.raw(x)) {
    value <- tryCatch(rawToChar(x), error = function(e) NULL)
    if (is.null(value) || !validUTF8(value)) {
      kc_abort(sprintf("Cannot serialize the raw vector at %s: Keras stores bytes as UTF-8 text, and these bytes are not.", path),
               "kerasconfig_error_serialize", path = path)
    }
    Encoding(value) <- "UTF-8"
    return(list(class_name = "__bytes__", config = list(value = value)))
  }
  if (inherits(x, "keras_array")) return(kc_array_to_config(x))
  if (inherits(x, "keras_slice")) {
    return(list(class_name = "__slice__", config = list(
      start = kc_serialize(x$start, paste0(path, "$start")),
      stop = kc_serialize(x$stop, paste0(path, "$stop")),
      step = kc_serialize(x$step, paste0(path, "$step")))))
  }
  if (inherits(x, "keras_ellipsis")) return(list(class_name = "__ellipsis__", config = named_list()))
  if (inherits(x, "keras_functional_layer")) {
    return(c(kc_serialize(x$layer, path), list(name = x$name,
                                               inbound_nodes = kc_serialize(x$inbound_nodes, paste0(path, "$inbound_nodes")))))
  }
  if (inherits(x, "keras_tensor")) {
    return(list(class_name = "__keras_tensor__", config = list(shape = x$shape, dtype = x$dtype,
                                                               keras_history = x$keras_history)))
  }
  if (is.array(x) && is.atomic(x) && !is.character(x) && !is.complex(x)) return(kc_array_to_config(x))
  NULL
}
