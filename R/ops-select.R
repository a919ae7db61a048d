# keras3's ops that select, reorder, split and contract tensors, and tensor subsetting, recorded
# as op nodes as Keras 3.15.1 records them (shapes from src/rust/core/src/shape/ops_select.rs).
# keras3 converts 1-based R indices to 0-based ones: for a symbolic tensor of indices that is
# `op_where(i > 0L, i - 1L, i)`, three ops in the graph, which kerasconfig records too.

# keras3's as_py_index: positive indices count from 1 (R), negative ones from the end.
kc_op_py_index <- function(x, what) {
  if (inherits(x, "keras_tensor")) return(op_where(x > 0L, x - 1L, x))
  if (is.numeric(x) && length(x) == 1L && !is.na(x) && x == round(x) && is.null(dim(x))) {
    x <- as.integer(x)
    return(if (x > 0L) x - 1L else x)
  }
  kc_abort(sprintf("op_%s() takes a symbolic tensor or a single integer as indices; an R vector would be a constant array, which kerasconfig does not write.",
                   what), "kerasconfig_error_unsupported")
}

# zero_indexed = TRUE: keras3's as_integer_array, which passes tensors and integers as they are and
# makes a double (even one number) a constant array.
kc_op_zero_indexed <- function(x, zero_indexed, what) {
  if (!isTRUE(zero_indexed)) return(kc_op_py_index(x, what))
  if (inherits(x, "keras_tensor") || (is.integer(x) && length(x) == 1L && is.null(dim(x)) && !is.na(x))) return(x)
  kc_abort(sprintf(paste("op_%s(zero_indexed = TRUE) takes a symbolic tensor or a single integer (`2L`) as indices;",
                         "keras3 makes %s a constant array, which kerasconfig does not write."), what, kc_describe(x)),
           "kerasconfig_error_unsupported")
}

#' Keras ops that select, sort, split and contract tensors
#'
#' keras3's `op_*()` functions of this kind, for building Functional models
#' from symbolic tensors (see [keras_ops]). Axes are 1-based; indices are
#' 1-based unless `zero_indexed = TRUE` (keras3 turns a tensor of 1-based
#' indices into 0-based ones with `op_where(i > 0, i - 1, i)`, three op nodes
#' in the graph; `op_argsort()` and `op_top_k()` add 1 to the indices they
#' give, an `Add` node).
#'
#' `op_subset(x, ...)` subsets with R's rules as keras3's `op_subset()` and
#' `x@r[...]` do: 1-based positive indices, negative ones from the end,
#' inclusive ranges `a:b`, `NULL` for a new axis, `..` for the remaining
#' axes, a missing index for a whole axis. `x[...]` is keras3's `[` on a
#' tensor, which passes the key to Python as it is (reticulate's rules):
#' `x[, 2]` is Python's `x[:, 2]`, 0-based, and `a:b` is the slice `a:b`, end
#' excluded. Indexing by vectors, logical masks or tensors writes constant
#' arrays and is not supported.
#'
#' @param x,x1,x2,condition Symbolic tensors (`x1`/`x2` of `op_where()` may
#'   be single numbers).
#' @param subscripts The einsum subscripts, such as `"bij,bjk->bik"`.
#' @param ... The operands of `op_einsum()`; the indices of `op_subset()` and
#'   `[`.
#' @param indices A symbolic tensor of indices (or a single integer).
#' @param axis An axis, 1-based (negative ones count from the end), or `NULL`.
#' @param zero_indexed Whether indices given or returned are 0-based.
#' @param indices_or_sections A number of equal parts, or the 1-based
#'   positions where parts start.
#' @param num_classes The number of classes.
#' @param dtype A dtype name.
#' @param sparse Whether the result is sparse.
#' @param k How many of the largest values.
#' @param sorted Whether they are sorted.
#' @return A symbolic tensor; a list of them for `op_split()` and
#'   `op_top_k()` (values, indices).
#' @name keras_ops_select
#' @examples
#' x <- keras_input(shape = c(3, 4), name = "x")
#' i <- keras_input(shape = 2, dtype = "int32", name = "i")
#' parts <- op_split(x, 2, axis = 3)
#' top <- op_top_k(x, 2)
#' out <- list(op_take(x, i, axis = 2), op_subset(x, , 2:3), x[, 1], parts[[1]], top[[2]])
#' model <- keras_model(list(x, i), out)
#' model
NULL

#' @rdname keras_ops_select
#' @export
op_dot <- function(x1, x2) kc_op("Dot", list(x1, x2))

#' @rdname keras_ops_select
#' @export
op_einsum <- function(subscripts, ...) {
  if (!kc_is_string(subscripts)) kc_abort("`subscripts` must be a single string.", "kerasconfig_error_value")
  kc_op("Einsum", list(...), list(subscripts = subscripts))
}

#' @rdname keras_ops_select
#' @export
op_take <- function(x, indices, axis = NULL, zero_indexed = FALSE) {
  force(x) # keras3 evaluates its arguments in order: ops in `x` come first.
  indices <- kc_op_zero_indexed(indices, zero_indexed, "take")
  kc_op("Take", list(x, indices), list(axis = kc_op_axis(axis)))
}

#' @rdname keras_ops_select
#' @export
op_take_along_axis <- function(x, indices, axis = NULL, zero_indexed = FALSE) {
  force(x)
  indices <- kc_op_zero_indexed(indices, zero_indexed, "take_along_axis")
  kc_op("TakeAlongAxis", list(x, indices), list(axis = kc_op_axis(axis)))
}

#' @rdname keras_ops_select
#' @export
op_split <- function(x, indices_or_sections, axis = 1L) {
  force(x)
  n <- indices_or_sections
  if (!is.numeric(n) || !length(n) || anyNA(n) || any(n != round(n))) {
    kc_abort("`indices_or_sections` must be an integer or a vector of integers.", "kerasconfig_error_value")
  }
  # keras3: one number is a count of parts; a vector holds 1-based positions (as_py_index).
  n <- if (length(n) == 1L && is.null(dim(n))) as.integer(n) else lapply(as.integer(n), function(i) if (i > 0L) i - 1L else i)
  kc_op("Split", list(x), list(indices_or_sections = n, axis = kc_op_axis(axis)))
}

#' @rdname keras_ops_select
#' @export
op_where <- function(condition, x1 = NULL, x2 = NULL) {
  force(condition) # before x1 and x2, as Python evaluates them
  if (is.null(x1) || is.null(x2)) {
    kc_abort("op_where() without `x1` and `x2` (the indices of true values) has a data-dependent shape; kerasconfig writes op_where(condition, x1, x2).",
             "kerasconfig_error_unsupported")
  }
  kc_op("Where", list(condition, x1, x2))
}

#' @rdname keras_ops_select
#' @export
op_one_hot <- function(x, num_classes, axis = -1L, dtype = NULL, sparse = FALSE, zero_indexed = FALSE) {
  x <- if (isTRUE(zero_indexed)) x else kc_op_py_index(x, "one_hot")
  kc_op("OneHot", list(x), list(num_classes = kc_op_int(num_classes, "num_classes"), axis = kc_op_axis(axis),
                                dtype = dtype %||% config_floatx(), sparse = sparse), module = "nn")
}

#' @rdname keras_ops_select
#' @export
op_cumsum <- function(x, axis = NULL, dtype = NULL) {
  kc_op("Cumsum", list(x), list(axis = kc_op_axis(axis), dtype = dtype))
}

#' @rdname keras_ops_select
#' @export
op_cumprod <- function(x, axis = NULL, dtype = NULL) {
  kc_op("Cumprod", list(x), list(axis = kc_op_axis(axis), dtype = dtype))
}

#' @rdname keras_ops_select
#' @export
op_sort <- function(x, axis = -1L) kc_op("Sort", list(x), list(axis = kc_op_axis(axis)))

#' @rdname keras_ops_select
#' @export
op_argsort <- function(x, axis = -1L, zero_indexed = FALSE) {
  out <- kc_op("Argsort", list(x), list(axis = kc_op_axis(axis)))
  if (isTRUE(zero_indexed)) out else out + 1L
}

#' @rdname keras_ops_select
#' @export
op_top_k <- function(x, k, sorted = TRUE, zero_indexed = FALSE) {
  out <- kc_op("TopK", list(x), list(k = kc_op_int(k, "k"), sorted = sorted), module = "math")
  if (!isTRUE(zero_indexed)) out[[2L]] <- out[[2L]] + 1L
  out
}

# ---- subsetting ----------------------------------------------------------------------------------

#' @rdname keras_ops_select
#' @export
op_subset <- function(x, ...) {
  items <- kc_subset_items(substitute(alist(...)), parent.frame())
  if (!inherits(x, "keras_tensor")) kc_op("GetItem", list(x)) # (the error of an op given no tensor)
  key <- lapply(seq_along(items), function(i) kc_subset_r_index(items[[i]], i, x$shape))
  kc_op("GetItem", list(x, key))
}

#' @rdname keras_ops_select
#' @export
`[.keras_tensor` <- function(x, ...) {
  items <- kc_subset_items(substitute(alist(...)), parent.frame())
  for (item in items) {
    if (!is.null(item) && !inherits(item, c("keras_slice", "keras_ellipsis")) && !is.integer(item)) {
      kc_abort(sprintf("Tensor indices are Python's (single integers, `a:b` slices, NULL, `..`); got %s.",
                       kc_describe(item)), "kerasconfig_error_unsupported")
    }
  }
  kc_op("GetItem", list(x, if (length(items) == 1L) items[[1L]] else items))
}

# reticulate's dots_to__getitem__key: a missing index is the whole axis, `..` an ellipsis,
# `a:b` and `a:b:c` slices (NA for a missing bound; bounds as integers), whole numbers
# integers; everything else as it evaluates.
kc_subset_items <- function(dots, envir) {
  dots <- as.list(dots)[-1L]
  lapply(dots, function(d) {
    if (identical(d, quote(expr = ))) return(keras_slice())
    if (identical(d, quote(..))) return(keras_ellipsis())
    if (is.call(d) && identical(d[[1L]], quote(`:`))) {
      parts <- as.list(d)[-1L]
      if (is.call(parts[[1L]]) && identical(parts[[1L]][[1L]], quote(`:`))) parts <- c(as.list(parts[[1L]])[-1L], parts[-1L])
      bounds <- lapply(parts, function(p) {
        v <- eval(p, envir)
        if (length(v) == 1L && is.na(v)) return(NULL)
        if (is.null(v)) return(NULL)
        if (!is.numeric(v) || length(v) != 1L) {
          kc_abort("Slice bounds must be single integers or NA.", "kerasconfig_error_value")
        }
        as.integer(v)
      })
      return(do.call(keras_slice, unname(bounds)))
    }
    v <- eval(d, envir)
    if (is.numeric(v) && length(v) == 1L && is.null(dim(v)) && !is.na(v) && is.finite(v) && v == round(v)) {
      v <- as.integer(v)
    }
    v
  })
}

# keras3's op_subset() index rules (into_py_index): 1-based positive indices made 0-based,
# slices with an inclusive end (an end equal to the axis' size or past the last is open), a
# vector of evenly spaced indices a slice; other vectors are advanced indices (constant arrays).
kc_subset_r_index <- function(arg, axis, shape) {
  if (is.null(arg) || inherits(arg, "keras_ellipsis")) return(arg)
  if (inherits(arg, "keras_slice")) {
    start <- kc_subset_r_index(arg$start, axis, shape)
    if (identical(start, 0L)) start <- NULL
    end <- arg$stop
    step <- arg$step %||% 1L
    if (!is.null(end)) {
      if (axis <= length(shape) && identical(end, shape[[axis]])) {
        end <- NULL
      } else if (end < 0L) {
        end2 <- end + step
        end <- if (sign(end2) != sign(end)) NULL else end2
      }
    }
    if (identical(step, 1L)) step <- NULL
    return(keras_slice(start, end, step))
  }
  if (is.numeric(arg) && !anyNA(arg) && is.null(dim(arg)) && all(arg == round(arg))) {
    arg <- as.integer(arg)
    if (length(arg) == 1L) {
      if (arg == 0L) kc_abort("indexing is 1 based", "kerasconfig_error_value")
      return(if (arg > 0L) arg - 1L else arg)
    }
    slice <- kc_subset_as_slice(arg)
    if (!is.null(slice)) return(kc_subset_r_index(slice, axis, shape))
  }
  kc_abort(sprintf(paste("op_subset() with %s would index by a constant array (an advanced index), which",
                         "kerasconfig does not write; use integers, ranges, NULL or `..`."), kc_describe(arg)),
           "kerasconfig_error_unsupported")
}

# keras3's try_into_slice: an evenly spaced vector whose ends have one sign is a slice.
kc_subset_as_slice <- function(x) {
  if (length(x) < 2L) return(NULL)
  start <- x[1L]
  end <- x[length(x)]
  step <- x[2L] - x[1L]
  if (sign(start) != sign(end) || step == 0L) return(NULL)
  if (!identical(x, seq.int(start, end, step))) return(NULL)
  keras_slice(if (identical(start, 1L)) NULL else start, if (identical(end, -1L)) NULL else end,
              if (identical(step, 1L)) NULL else step)
}

# ---- %*% ----------------------------------------------------------------------------------------

#' @rdname keras_ops_select
#' @param y The right operand of `%*%`.
#' @details `x %*% y` is Python's `x @ y`, a `Matmul` node (reticulate's
#'   method, which R calls from version 4.3.0, when `%*%` became generic).
#' @usage \method{\%*\%}{keras_tensor}(x, y)
#' @rawNamespace if (getRversion() >= "4.3.0") S3method("%*%", keras_tensor)
`%*%.keras_tensor` <- function(x, y) op_matmul(x, y)
