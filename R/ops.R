# Keras ops on symbolic tensors: keras3's op_*() functions and the arithmetic, comparison and
# logical operators of tensors record, as Keras 3.15.1's `Operation.symbolic_call` does, an op
# node in the Functional graph (`{"module": "keras.src.ops.numpy", "class_name": "Add", ...}`).
# kerasconfig never computes: given no symbolic tensor, an op is an error. The op's output shape
# and dtype come from the shape engine (src/rust/core/src/shape/ops.rs).

# Records `classname` (of `keras.src.ops.<module>`) called on `args` (tensors, lists of tensors
# and Python scalars, in Keras' order) with `config` (its constructor's arguments).
kc_op <- function(classname, args, config = list(), module = "numpy", what = kc_snake_case(classname)) {
  tensors <- kc_flat_tensors(args)
  if (!length(tensors)) {
    kc_abort(sprintf(paste("op_%s() was called without a symbolic tensor: kerasconfig builds model configs and",
                           "does not compute; call it on tensors from keras_input()."), what),
             "kerasconfig_error_not_computable")
  }
  for (t in tensors) {
    if (!kc_is_graph_tensor(t)) {
      kc_abort(sprintf("op_%s() was called on a tensor that no layer produced (a keras_symbolic_tensor() value); use keras_input().",
                       what), "kerasconfig_error_type")
    }
  }
  args <- lapply(args, kc_op_constant, what = what)
  generator <- kc_builtin_objects[[paste0("keras.src.ops.", module, ".", classname)]]
  op <- do.call(generator, c(list(name = kc_unique_name(kc_snake_case(classname))), config))
  built <- kc_call_shapes(op, args, named_list())
  # Ops with several outputs (Split, TopK) give a list of tensors, as Keras gives a list or tuple.
  single <- kc_is_flat_shape(built$outputs)
  flat <- if (single) list(built$outputs) else kc_flat_shapes(built$outputs)
  outs <- lapply(seq_along(flat), function(i) {
    kc_tensor(op, 0L, i - 1L, flat[[i]], built$dtypes[[min(i, length(built$dtypes))]] %||% "float32")
  })
  kc_add_node(op, list(args = args, kwargs = named_list(), inputs = tensors, outputs = outs, is_input = FALSE))
  if (single) outs[[1L]] else outs
}

# What R values become in Python (reticulate): a number, an integer, a logical of length one is a
# Python float, int, bool; tensors, lists of tensors and slices stay. Longer vectors would be constant
# arrays, which kerasconfig does not write.
kc_op_constant <- function(x, what) {
  if (inherits(x, c("keras_tensor", "keras_slice", "keras_ellipsis")) || (is.list(x) && !is.object(x))) return(x)
  if ((is.numeric(x) || is.logical(x)) && length(x) == 1L && !is.na(x) && is.null(dim(x))) return(x)
  kc_abort(sprintf("op_%s() takes tensors and single numbers; got %s.", what, kc_describe(x)),
           "kerasconfig_error_unsupported")
}

# keras3's as_axis: 1-based axes (negative ones count from the end) made 0-based.
kc_op_axis <- function(axis) {
  if (is.null(axis)) return(NULL)
  if (is.list(axis) || length(axis) > 1L) return(lapply(axis, kc_op_axis))
  if (!is.numeric(axis) || length(axis) != 1L || is.na(axis) || axis != round(axis)) {
    kc_abort("`axis` must be an integer or a vector of integers.", "kerasconfig_error_value")
  }
  axis <- as.integer(axis)
  if (axis == 0L) kc_abort("`axis` argument is 1 based, received 0", "kerasconfig_error_value")
  if (axis > 0L) axis - 1L else axis
}

kc_op_int <- function(x, arg) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x != round(x)) {
    kc_abort(sprintf("`%s` must be a single integer.", arg), "kerasconfig_error_value")
  }
  as.integer(x)
}

# A shape as keras3's normalize_shape gives it: integers, NA or NULL for an unknown dimension.
kc_op_shape <- function(shape, unknown) {
  lapply(as.list(shape), function(d) if (is.null(d) || is.na(d)) unknown else kc_op_int(d, "shape"))
}

kc_op_reduce <- function(classname, x, axis, keepdims, extra = list()) {
  kc_op(classname, list(x), c(list(axis = kc_op_axis(axis), keepdims = keepdims), extra))
}

# ---- elementwise ------------------------------------------------------------------------------

#' Keras ops on symbolic tensors
#'
#' keras3's `op_*()` functions, for building Functional models: called on
#' symbolic tensors (from [keras_input()] and layers), each records the Keras
#' operation in the graph, as Keras 3 does, and returns its output tensor.
#' Axes are 1-based, as in keras3 (negative ones count from the end).
#' kerasconfig builds configs and never computes: an op called on R values
#' rather than symbolic tensors is an error of class
#' `kerasconfig_error_not_computable`.
#'
#' The arithmetic (`+ - * / ^ %% %/%`), comparison (`== != < > <= >=`) and
#' logical (`& | !`) operators work on symbolic tensors and single numbers and
#' record the op Keras' tensor operators record (`x / y` is `TrueDivide`,
#' `2 - x` is `Subtract(2.0, x)`, `0 < x` is `Greater(x, 0.0)`).
#'
#' @param x,x1,x2,xs Symbolic tensors (`x1`/`x2` may also be single
#'   numbers; `xs` is a list of tensors).
#' @param axis,axes,axis1,axis2,source,destination Axes, 1-based.
#' @param keepdims Whether reduced axes stay, with size one.
#' @param initial Passed on to Keras (`NULL`).
#' @param dtype A dtype name.
#' @param zero_indexed Whether `op_argmax()`/`op_argmin()` give 0-based
#'   indices (keras3 adds 1 otherwise, an `Add` op in the graph).
#' @param newshape,shape The new shape (`NA` or `-1` for one unknown dimension).
#' @param repeats How many times to repeat each dimension.
#' @param x_min,x_max The bounds.
#' @param decimals Number of decimals.
#' @param approximate Whether GELU uses its tanh approximation.
#' @param alpha,negative_slope The activation's parameter.
#' @return A symbolic tensor.
#' @name keras_ops
#' @examples
#' x <- keras_input(shape = c(3, 4), name = "x")
#' y <- keras_input(shape = c(3, 4), name = "y")
#' h <- op_relu(x + y) * 2
#' out <- op_mean(h, axis = 2)
#' model <- keras_model(list(x, y), out)
#' model
#' try(op_add(1, 2))
NULL

kc_op_binary <- function(classname) {
  force(classname)
  function(x1, x2) kc_op(classname, list(x1, x2))
}

kc_op_unary <- function(classname, module = "numpy") {
  force(classname)
  force(module)
  function(x) kc_op(classname, list(x), module = module)
}

#' @rdname keras_ops
#' @export
op_add <- kc_op_binary("Add")
#' @rdname keras_ops
#' @export
op_subtract <- kc_op_binary("Subtract")
#' @rdname keras_ops
#' @export
op_multiply <- kc_op_binary("Multiply")
#' @rdname keras_ops
#' @export
op_divide <- kc_op_binary("Divide")
#' @rdname keras_ops
#' @export
op_power <- kc_op_binary("Power")
#' @rdname keras_ops
#' @export
op_maximum <- kc_op_binary("Maximum")
#' @rdname keras_ops
#' @export
op_minimum <- kc_op_binary("Minimum")
#' @rdname keras_ops
#' @export
op_floor_divide <- kc_op_binary("FloorDivide")
#' @rdname keras_ops
#' @export
op_mod <- kc_op_binary("Mod")
#' @rdname keras_ops
#' @export
op_equal <- kc_op_binary("Equal")
#' @rdname keras_ops
#' @export
op_not_equal <- kc_op_binary("NotEqual")
#' @rdname keras_ops
#' @export
op_greater <- kc_op_binary("Greater")
#' @rdname keras_ops
#' @export
op_greater_equal <- kc_op_binary("GreaterEqual")
#' @rdname keras_ops
#' @export
op_less <- kc_op_binary("Less")
#' @rdname keras_ops
#' @export
op_less_equal <- kc_op_binary("LessEqual")
#' @rdname keras_ops
#' @export
op_logical_and <- kc_op_binary("LogicalAnd")
#' @rdname keras_ops
#' @export
op_logical_or <- kc_op_binary("LogicalOr")
#' @rdname keras_ops
#' @export
op_logical_xor <- kc_op_binary("LogicalXor")
#' @rdname keras_ops
#' @export
op_matmul <- function(x1, x2) {
  # keras3 converts an R operand to a constant tensor, which kerasconfig does not write.
  if (xor(inherits(x1, "keras_tensor"), inherits(x2, "keras_tensor"))) {
    kc_abort("op_matmul() of a tensor and an R value would write a constant array: kerasconfig does not.",
             "kerasconfig_error_unsupported")
  }
  kc_op("Matmul", list(x1, x2))
}

#' @rdname keras_ops
#' @export
op_logical_not <- kc_op_unary("LogicalNot")
#' @rdname keras_ops
#' @export
op_negative <- kc_op_unary("Negative")
#' @rdname keras_ops
#' @export
op_abs <- kc_op_unary("Absolute")
#' @rdname keras_ops
#' @export
op_exp <- kc_op_unary("Exp")
#' @rdname keras_ops
#' @export
op_log <- kc_op_unary("Log")
#' @rdname keras_ops
#' @export
op_sqrt <- kc_op_unary("Sqrt")
#' @rdname keras_ops
#' @export
op_square <- kc_op_unary("Square")
#' @rdname keras_ops
#' @export
op_sign <- kc_op_unary("Sign")
#' @rdname keras_ops
#' @export
op_floor <- kc_op_unary("Floor")
#' @rdname keras_ops
#' @export
op_ceil <- kc_op_unary("Ceil")
#' @rdname keras_ops
#' @export
op_round <- function(x, decimals = 0L) kc_op("Round", list(x), list(decimals = kc_op_int(decimals, "decimals")))
#' @rdname keras_ops
#' @export
op_log1p <- kc_op_unary("Log1p")
#' @rdname keras_ops
#' @export
op_expm1 <- kc_op_unary("Expm1")
#' @rdname keras_ops
#' @export
op_sin <- kc_op_unary("Sin")
#' @rdname keras_ops
#' @export
op_cos <- kc_op_unary("Cos")
#' @rdname keras_ops
#' @export
op_tan <- kc_op_unary("Tan")
#' @rdname keras_ops
#' @export
op_tanh <- kc_op_unary("Tanh")
#' @rdname keras_ops
#' @export
op_reciprocal <- kc_op_unary("Reciprocal")
#' @rdname keras_ops
#' @export
op_rsqrt <- kc_op_unary("Rsqrt", "math")
#' @rdname keras_ops
#' @export
op_erf <- kc_op_unary("Erf", "math")
#' @rdname keras_ops
#' @export
op_erfinv <- kc_op_unary("Erfinv", "math")

# ---- activations (keras.src.ops.nn) ------------------------------------------------------------

#' @rdname keras_ops
#' @export
op_relu <- kc_op_unary("Relu", "nn")
#' @rdname keras_ops
#' @export
op_relu6 <- kc_op_unary("Relu6", "nn")
#' @rdname keras_ops
#' @export
op_sigmoid <- kc_op_unary("Sigmoid", "nn")
#' @rdname keras_ops
#' @export
op_softplus <- kc_op_unary("Softplus", "nn")
#' @rdname keras_ops
#' @export
op_softsign <- kc_op_unary("Softsign", "nn")
#' @rdname keras_ops
#' @export
op_silu <- kc_op_unary("Silu", "nn")
#' @rdname keras_ops
#' @export
op_selu <- kc_op_unary("Selu", "nn")
#' @rdname keras_ops
#' @export
op_hard_sigmoid <- kc_op_unary("HardSigmoid", "nn")
#' @rdname keras_ops
#' @export
op_hard_silu <- kc_op_unary("HardSilu", "nn")
#' @rdname keras_ops
#' @export
op_gelu <- function(x, approximate = TRUE) kc_op("Gelu", list(x), list(approximate = approximate), "nn")
#' @rdname keras_ops
#' @export
op_elu <- function(x, alpha = 1) kc_op("Elu", list(x), list(alpha = alpha), "nn")
#' @rdname keras_ops
#' @export
op_leaky_relu <- function(x, negative_slope = 0.2) {
  kc_op("LeakyRelu", list(x), list(negative_slope = negative_slope), "nn")
}
#' @rdname keras_ops
#' @export
op_softmax <- function(x, axis = -1L) kc_op("Softmax", list(x), list(axis = kc_op_axis(axis)), "nn")
#' @rdname keras_ops
#' @export
op_log_softmax <- function(x, axis = -1L) kc_op("LogSoftmax", list(x), list(axis = kc_op_axis(axis)), "nn")

# ---- reductions ---------------------------------------------------------------------------------

#' @rdname keras_ops
#' @export
op_mean <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("Mean", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_sum <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("Sum", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_max <- function(x, axis = NULL, keepdims = FALSE, initial = NULL) {
  kc_op_reduce("Max", x, axis, keepdims, list(initial = initial))
}
#' @rdname keras_ops
#' @export
op_min <- function(x, axis = NULL, keepdims = FALSE, initial = NULL) {
  kc_op_reduce("Min", x, axis, keepdims, list(initial = initial))
}
#' @rdname keras_ops
#' @export
op_prod <- function(x, axis = NULL, keepdims = FALSE, dtype = NULL) {
  kc_op_reduce("Prod", x, axis, keepdims, list(dtype = dtype))
}
#' @rdname keras_ops
#' @export
op_std <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("Std", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_var <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("Var", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_any <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("Any", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_all <- function(x, axis = NULL, keepdims = FALSE) kc_op_reduce("All", x, axis, keepdims)
#' @rdname keras_ops
#' @export
op_argmax <- function(x, axis = NULL, keepdims = FALSE, zero_indexed = FALSE) {
  out <- kc_op_reduce("Argmax", x, axis, keepdims)
  if (isTRUE(zero_indexed)) out else out + 1L
}
#' @rdname keras_ops
#' @export
op_argmin <- function(x, axis = NULL, keepdims = FALSE, zero_indexed = FALSE) {
  out <- kc_op_reduce("Argmin", x, axis, keepdims)
  if (isTRUE(zero_indexed)) out else out + 1L
}

# ---- shapes and dtypes --------------------------------------------------------------------------

#' @rdname keras_ops
#' @export
op_concatenate <- function(xs, axis = 1L) kc_op("Concatenate", list(xs), list(axis = kc_op_axis(axis)))
#' @rdname keras_ops
#' @export
op_stack <- function(x, axis = 1L) kc_op("Stack", list(x), list(axis = kc_op_axis(axis)))
#' @rdname keras_ops
#' @export
op_reshape <- function(x, newshape) {
  newshape <- lapply(kc_op_shape(newshape, -1L), function(d) if (d < 0L) -1L else d)
  kc_op("Reshape", list(x), list(newshape = newshape))
}
#' @rdname keras_ops
#' @export
op_transpose <- function(x, axes = NULL) kc_op("Transpose", list(x), list(axes = kc_op_axis(axes)))
#' @rdname keras_ops
#' @export
op_expand_dims <- function(x, axis) kc_op("ExpandDims", list(x), list(axis = kc_op_axis(axis)))
#' @rdname keras_ops
#' @export
op_squeeze <- function(x, axis = NULL) kc_op("Squeeze", list(x), list(axis = kc_op_axis(axis)))
#' @rdname keras_ops
#' @export
op_swapaxes <- function(x, axis1, axis2) {
  kc_op("Swapaxes", list(x), list(axis1 = kc_op_axis(axis1), axis2 = kc_op_axis(axis2)))
}
#' @rdname keras_ops
#' @export
op_moveaxis <- function(x, source, destination) {
  kc_op("Moveaxis", list(x), list(source = kc_op_axis(source), destination = kc_op_axis(destination)))
}
#' @rdname keras_ops
#' @export
op_tile <- function(x, repeats) {
  kc_op("Tile", list(x), list(repeats = if (length(repeats) == 1L) repeats else as.list(repeats)))
}
#' @rdname keras_ops
#' @export
op_broadcast_to <- function(x, shape) kc_op("BroadcastTo", list(x), list(shape = kc_op_shape(shape, NULL)))
#' @rdname keras_ops
#' @export
op_cast <- function(x, dtype) kc_op("Cast", list(x), list(dtype = dtype), "core")
#' @rdname keras_ops
#' @export
op_zeros_like <- function(x, dtype = NULL) kc_op("ZerosLike", list(x), list(dtype = dtype))
#' @rdname keras_ops
#' @export
op_ones_like <- function(x, dtype = NULL) kc_op("OnesLike", list(x), list(dtype = dtype))
#' @rdname keras_ops
#' @export
op_clip <- function(x, x_min, x_max) kc_op("Clip", list(x), list(x_min = x_min, x_max = x_max))

# ---- operators ----------------------------------------------------------------------------------

# keras3's tensors take R's operators from reticulate, which calls Python's: `x / y` is
# `__truediv__`, a number on the left calls the tensor's reflected method (`2 - x` is
# `x.__rsub__(2.0)`, Subtract(2.0, x); `0 < x` is `x.__gt__(0.0)`, Greater(x, 0.0)); keras3's own
# `==` is op_equal(e1, e2).
kc_op_operators <- c(`+` = "Add", `-` = "Subtract", `*` = "Multiply", `/` = "TrueDivide", `^` = "Power",
                     `%%` = "Mod", `%/%` = "FloorDivide", `&` = "LogicalAnd", `|` = "LogicalOr", `==` = "Equal",
                     `!=` = "NotEqual", `<` = "Less", `>` = "Greater", `<=` = "LessEqual", `>=` = "GreaterEqual")
kc_op_reflected <- c(`!=` = "NotEqual", `<` = "Greater", `>` = "Less", `<=` = "GreaterEqual", `>=` = "LessEqual")

#' @rdname keras_ops
#' @param e1,e2 Operands of an operator.
#' @export
Ops.keras_tensor <- function(e1, e2) {
  if (missing(e2)) {
    return(switch(.Generic,
      `+` = e1,
      `-` = kc_op("Negative", list(e1)),
      `!` = kc_op("LogicalNot", list(e1)),
      kc_abort(sprintf("Unary `%s` is not defined for tensors.", .Generic), "kerasconfig_error_unsupported")
    ))
  }
  classname <- kc_op_operators[[.Generic]]
  if (!inherits(e1, "keras_tensor") && .Generic %in% names(kc_op_reflected)) {
    return(kc_op(kc_op_reflected[[.Generic]], list(e2, e1)))
  }
  kc_op(classname, list(e1, e2))
}
