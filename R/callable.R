# Layer and model instances are callable, as keras3's are: `layer(x)` is `call_layer(layer, x)`.
# An instance keeps its state in an environment (fields, bound methods, `.__class__`,
# `.__config__`, ...); a layer's or a model's user-visible object is a closure enclosed by that
# environment, carrying the instance's class vector after the marker class `kc_callable`, whose
# S3 methods make `$`, `[[`, their assignments, `names()`, `as.list()` and `as.environment()`
# work on the environment. Other objects (losses, initializers, ...) stay environments.
# Internal code reaches the environment with kc_env(), and compares instances by it.

# The closure's body calls kc_invoke_layer() itself (inlined, as kc_bound_bodies does): nothing
# is looked up through the instance's environment, whose parent is the empty environment.
kc_invoke_layer <- function(...) {
  layer <- sys.function(sys.parent())
  kc_call_dots(layer, list(...))
}

kc_callable_template <- local({
  f <- function(...) NULL
  body(f) <- as.call(list(kc_invoke_layer, quote(...)))
  f
})

# The callable object of the instance environment `env`, classed `class`.
kc_callable <- function(env, class) {
  f <- kc_callable_template
  environment(f) <- env
  class(f) <- c("kc_callable", class)
  f
}

# An instance's environment (the instance itself when it is one); anything else unchanged.
kc_env <- function(x) if (is.function(x) && inherits(x, "kc_callable")) environment(x) else x

# Whether instances of the class `info` describes are layers (models included, and so callable):
# built-ins whose Keras bases hold Layer (not InputSpec, listed with the layers; the layers of
# keras.applications, listed apart), and classes made with Layer() or Model().
kc_is_callable_info <- function(info) {
  cached <- info$callable
  if (!is.null(cached)) return(cached)
  i <- info
  out <- FALSE
  while (!is.null(i)) {
    if (isTRUE(i$builtin)) {
      out <- "Layer" %in% c(i$entry$name, unlist(i$entry$bases))
      break
    }
    if (isTRUE(i$root)) {
      out <- i$classname %in% c("Layer", "Model") && identical(i$module, "keras")
      break
    }
    i <- i$parent
  }
  info$callable <- out
  out
}

# `layer$name`, `layer$units`, `model$layers` read as in keras3: a binding of the instance first,
# then the model's layers (as `model.layers`), then a built-in's config value of that name.
#' @export
`$.kc_callable` <- function(x, name) {
  env <- environment(x)
  value <- env[[name]]
  if (!is.null(value) || exists(name, envir = env, inherits = FALSE)) return(value)
  if (identical(name, "layers") && inherits(x, "keras_models")) return(unname(kc_visible_layers(x)))
  config <- get0(".__config__", envir = env, inherits = FALSE)
  if (is.list(config)) config[[name, exact = TRUE]]
}

#' @export
`$<-.kc_callable` <- function(x, name, value) {
  # `[[<-` on the environment: a primitive, cheaper than assign() (methods set many fields).
  env <- environment(x)
  env[[name]] <- value
  x
}

#' @export
`[[.kc_callable` <- function(x, i, ...) environment(x)[[i]]

#' @export
`[[<-.kc_callable` <- function(x, i, ..., value) {
  env <- environment(x)
  env[[i]] <- value
  x
}

#' @export
names.kc_callable <- function(x) names(environment(x))

#' @export
as.list.kc_callable <- function(x, ...) as.list(environment(x), ...)

#' @export
as.environment.kc_callable <- function(x) environment(x)
