# Masks in Functional graphs, as Keras 3.15.1's Layer.__call__ sets them (keras/src/layers/
# layer.py, steps 6 and 7): a layer that supports masking computes its outputs' masks from the
# mask of its first argument (or the `mask` it was given); computing them calls Keras ops
# (`not_equal`, `logical_or`, ...), which become nodes of the graph. The next layer whose call()
# takes a `mask` then records that mask tensor in its node's kwargs (kc_node_kwargs()).
# How each built-in class treats masks ("none", "pass", "custom") is in callsig.json.

kc_mask_of <- function(t) if (inherits(t, "keras_tensor")) attr(t, "kc_mask", exact = TRUE)

kc_has_mask <- function(x) length(Filter(Negate(is.null), lapply(kc_flat_tensors(x), kc_mask_of))) > 0L

# Sets the masks of `outputs` (the tensors a call of `layer` made) and returns them.
kc_set_output_masks <- function(layer, args, kwargs, outputs) {
  first <- if (length(args)) args[[1L]]
  previous <- if (!is.null(kwargs[["mask"]])) kwargs[["mask"]] else kc_map_tensors(first, kc_mask_of)
  classname <- kc_class_info(kc_class_of(layer))$classname
  rule <- kc_masking_rule(layer, classname)
  masks <- switch(rule,
    custom = kc_compute_mask(layer, classname, first, previous, outputs),
    pass = previous,
    {
      if (length(kc_flat_masks(previous))) {
        kc_warn(sprintf(paste("Layer '%s' (of type %s) was passed an input with a mask attached to it. However, this",
                              "layer does not support masking and will therefore destroy the mask information.",
                              "Downstream layers will not see the mask."), kc_layer_name(layer), classname),
                "kerasconfig_warning_mask")
      }
      NULL
    }
  )
  flat <- kc_flat_masks(masks, keep_null = TRUE)
  for (i in seq_along(outputs)) {
    if (i <= length(flat) && !is.null(flat[[i]])) attr(outputs[[i]], "kc_mask") <- flat[[i]]
  }
  outputs
}

# Masks in a structure, flattened as Keras' tree.flatten does (NULLs kept when asked).
kc_flat_masks <- function(x, keep_null = FALSE) {
  if (is.null(x)) return(if (keep_null) list(NULL) else list())
  if (inherits(x, "keras_tensor")) return(list(x))
  if (is.list(x) && !is.object(x)) return(unlist(lapply(kc_dict_order(x), kc_flat_masks, keep_null = keep_null), recursive = FALSE) %||% list())
  list()
}

kc_masking_rule <- function(layer, classname) {
  info <- kc_class_info(kc_class_of(layer))
  if (identical(classname, "Embedding")) return("custom")
  if (!isTRUE(info$builtin)) {
    # A class defined in R passes masks on when it says it supports them.
    return(if (isTRUE(layer$supports_masking)) "pass" else "none")
  }
  kc_call_signature(layer)$masking %||% "none"
}

# The compute_mask() methods of Keras' built-ins.
kc_compute_mask <- function(layer, classname, inputs, mask, outputs) {
  config <- layer$get_config()
  if (classname == "Embedding") {
    if (!isTRUE(config$mask_zero)) return(NULL)
    return(kc_mask_op("NotEqual", list(inputs, 0L), inputs$shape))
  }
  if (classname == "Masking") {
    ne <- kc_mask_op("NotEqual", list(inputs, config$mask_value), inputs$shape)
    return(kc_mask_op("Any", list(ne), utils::head(inputs$shape, -1L), config = list(axis = -1L, keepdims = FALSE)))
  }
  if (classname %in% c("LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")) {
    m <- kc_flat_masks(mask, keep_null = TRUE)[[1L]]
    out <- if (isTRUE(config$return_sequences)) m
    if (isTRUE(config$return_state)) return(c(list(out), rep(list(NULL), length(outputs) - 1L)))
    return(out)
  }
  if (classname == "Bidirectional") {
    m <- if (is.list(mask) && !inherits(mask, "keras_tensor")) mask[[1L]] else mask
    forward <- config$layer
    if (!isTRUE(forward$get_config()$return_sequences)) return(NULL)
    return(if (is.null(config$merge_mode)) list(m, m) else m)
  }
  if (classname %in% c("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")) {
    if (is.null(mask)) return(NULL)
    masks <- kc_flat_masks(mask, keep_null = TRUE)
    if (any(vapply(masks, is.null, TRUE))) return(NULL)
    out <- masks[[1L]]
    for (m in masks[-1L]) out <- kc_mask_op("LogicalOr", list(out, m), kc_broadcast_shape(out$shape, m$shape))
    return(out)
  }
  if (classname == "Concatenate") return(kc_concatenate_mask(config, inputs, mask))
  if (classname %in% c("Attention", "AdditiveAttention")) {
    if (is.null(mask)) return(NULL)
    return(kc_flat_masks(mask, keep_null = TRUE)[[1L]])
  }
  # GlobalAveragePooling1D, Dot: the mask ends here.
  NULL
}

kc_concatenate_mask <- function(config, inputs, mask) {
  masks <- kc_flat_masks(mask, keep_null = TRUE)
  if (is.null(mask) || all(vapply(masks, is.null, TRUE))) return(NULL)
  parts <- lapply(seq_along(inputs), function(i) {
    x <- inputs[[i]]
    m <- masks[[i]]
    if (is.null(m)) return(kc_mask_op("OnesLike", list(x), x$shape, config = list(dtype = "bool")))
    if (length(m$shape) < length(x$shape)) {
      e <- kc_mask_op("ExpandDims", list(m), c(m$shape, list(1L)), config = list(axis = -1L))
      z <- kc_mask_op("ZerosLike", list(x), x$shape, config = list(dtype = "bool"))
      return(kc_mask_op("LogicalOr", list(e, z), kc_broadcast_shape(e$shape, z$shape)))
    }
    m
  })
  axis <- config$axis %||% -1L
  shape <- parts[[1L]]$shape
  k <- if (axis < 0) length(shape) + axis + 1L else axis + 1L
  sizes <- lapply(parts, function(p) p$shape[[k]])
  shape[k] <- list(if (any(vapply(sizes, is.null, TRUE))) NULL else as.integer(sum(unlist(sizes))))
  cat_mask <- kc_mask_op("Concatenate", list(parts), shape, config = list(axis = as.integer(axis)))
  kc_mask_op("Any", list(cat_mask), utils::head(shape, -1L), config = list(axis = -1L, keepdims = FALSE))
}

# NumPy broadcasting of two shapes (NULL: unknown).
kc_broadcast_shape <- function(a, b) {
  n <- max(length(a), length(b))
  pad <- function(s) c(rep(list(1L), n - length(s)), s)
  a <- pad(a)
  b <- pad(b)
  lapply(seq_len(n), function(i) {
    x <- a[[i]]
    y <- b[[i]]
    if (identical(x, 1L)) y else if (identical(y, 1L)) x else if (is.null(x)) y else x
  })
}

# A Keras op called on tensors while computing a mask: an operation node of the graph, named as
# Keras names operations (`not_equal`, `not_equal_1`, ...), with one bool output.
kc_mask_op <- function(classname, args, shape, config = list(), dtype = "bool") {
  generator <- kc_builtin_objects[[paste0("keras.src.ops.numpy.", classname)]]
  op <- do.call(generator, c(list(name = kc_unique_name(kc_snake_case(classname))), config))
  out <- kc_tensor(op, 0L, 0L, shape, dtype)
  kc_add_node(op, list(args = args, kwargs = named_list(), inputs = kc_flat_tensors(args), outputs = list(out),
                       is_input = FALSE))
  out
}
