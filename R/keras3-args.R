# keras3's argument conventions, for the keras3-named constructors of built-ins (`layer_dense()`,
# `constraint_maxnorm()`, ...; see kc_builtin_front()). They follow keras3's own transformers
# (rstudio/keras3 R/r-utils.R, applied as its tools/arg-transformers.yml says; the per-class table is
# in tools/gen-constructors.py): 1-based axes, shapes with NA for unknown dimensions, integer sizes
# and seeds, padding/cropping per dimension. The Python-path generators (`keras$layers$Dense`) take
# Python's arguments and do none of this. Only supplied arguments are transformed; an explicit NULL
# stays Python's None.

kc_keras3_args <- function(args, transforms, label) {
  for (name in intersect(names(args), names(transforms))) {
    kind <- transforms[[name]]
    if (kind == "data") kc_keras3_refuse_data(name, label)
    value <- args[[name]]
    if (is.null(value)) next
    args[name] <- list(switch(kind,
      axis = kc_as_axis(value, name, label),
      shape = kc_normalize_shape(value, name, label),
      integer = kc_keras3_integer(value, name, label),
      scale = kc_normalize_scale(value, name, label),
      target_shape = kc_keras3_target_shape(value, name, label),
      value
    ))
  }
  args
}

# keras3's loss_*()/metric_*() given `y_true` and `y_pred` compute on them: nothing here computes.
kc_keras3_refuse_data <- function(name, label) {
  kc_abort(sprintf(paste("%s() was given `%s`: keras3 then computes the loss or metric on data, which kerasconfig",
                         "does not do (it builds objects and configs). Call %s() without `y_true` and `y_pred`."),
                   label, name, label), "kerasconfig_error_not_computable")
}

# keras3's as_axis(): 1 is Python's 0, negative axes unchanged, 0 refused. A vector gives a list, as
# does a list (kept a list even of length 1, where keras3 would make it a number).
kc_as_axis <- function(x, name, label) {
  if (is.list(x) && !is.object(x)) return(lapply(x, kc_as_axis, name, label))
  if (is.numeric(x) && length(x) > 1L) return(lapply(as.list(x), kc_as_axis, name, label))
  if (!kc_is_whole(x)) {
    kc_abort(sprintf("`%s` of %s() must be whole numbers (axes are 1-based), not %s.", name, label, kc_describe(x)),
             "kerasconfig_error_type")
  }
  if (x == 0) {
    kc_abort(sprintf(paste("`%s` of %s() is 1-based, as in keras3: received 0. The first axis is 1, the last -1",
                           "(or use keras$... for Python's 0-based axes)."), name, label),
             c("kerasconfig_error_axis", "kerasconfig_error_value"))
  }
  x <- as.integer(x)
  if (x > 0L) x - 1L else x
}

# keras3's normalize_shape(): a tuple (unnamed list) of integers, NA (or NULL in a list) an unknown
# dimension; one number is a 1-D shape. Values that are not shapes (Lambda's output_shape may be a
# function) pass through.
kc_normalize_shape <- function(x, name, label) {
  if (is.object(x) || !(is.numeric(x) || is.list(x) || (is.logical(x) && all(is.na(x))))) return(x)
  lapply(as.list(x), function(d) {
    if (is.null(d) || (is.atomic(d) && length(d) == 1L && is.na(d))) return(NULL)
    if (is.list(d) || length(d) > 1L) return(kc_normalize_shape(d, name, label))
    if (!kc_is_whole(d)) {
      kc_abort(sprintf("`%s` of %s() must hold whole numbers, or NA for an unknown dimension; not %s.",
                       name, label, kc_describe(d)), "kerasconfig_error_type")
    }
    as.integer(d)
  })
}

# keras3's as_integer(), except that a fraction is an error where keras3 truncates it.
kc_keras3_integer <- function(x, name, label) {
  if (is.list(x) && !is.object(x)) return(lapply(x, kc_keras3_integer, name, label))
  if (!is.double(x) || is.object(x)) return(x)
  if (!all(vapply(x, kc_is_whole, TRUE))) {
    kc_abort(sprintf("`%s` of %s() must be a whole number, not %s (keras3 would truncate it).",
                     name, label, paste(format(x), collapse = ", ")), "kerasconfig_error_type")
  }
  as.integer(x)
}

# keras3's normalize_padding()/normalize_cropping(): a number per dimension, or a pair per dimension.
kc_normalize_scale <- function(x, name, label) {
  if (all(vapply(x, function(v) is.numeric(v) && length(v) == 1L, TRUE))) {
    return(kc_keras3_integer(as.numeric(unlist(x)), name, label))
  }
  if (is.list(x) && all(vapply(x, function(v) is.numeric(v) && length(v) == 2L, TRUE))) {
    return(lapply(x, function(v) kc_keras3_integer(as.numeric(v), name, label)))
  }
  kc_abort(sprintf("`%s` of %s() must be one integer per dimension, or a list of one pair of integers per dimension.",
                   name, label), "kerasconfig_error_type")
}

# layer_reshape()'s target_shape: a shape whose unknown dimensions are Keras' -1.
kc_keras3_target_shape <- function(x, name, label) {
  shape <- kc_normalize_shape(x, name, label)
  if (!is.list(shape)) return(shape)
  lapply(shape, function(d) if (is.null(d)) -1L else d)
}

kc_is_whole <- function(x) {
  is.numeric(x) && length(x) == 1L && !is.na(x) && is.finite(x) && x == round(x) && abs(x) <= .Machine$integer.max
}

kc_rename <- function(names, renames) {
  hit <- names %in% names(renames)
  names[hit] <- unname(renames[names[hit]])
  names
}

# How a constructor was called, for messages: its name, or the class's.
kc_call_label <- function(call, info) {
  f <- call[[1L]]
  if (is.symbol(f)) return(as.character(f))
  if (is.call(f) && identical(f[[1L]], as.name("::"))) return(as.character(f[[3L]]))
  info$classname
}
