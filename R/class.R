#' Define a Keras class in R
#'
#' `new_keras_class()` makes a class whose instances are Keras objects:
#' environments with reference semantics, a `$get_config()` method, and a
#' print method. The result is a *class generator*: call it to make an
#' instance (`my_class(...)`). The keras3-named families [Layer()], [Loss()],
#' [Metric()], [Regularizer()], [Constraint()], [Initializer()],
#' [Optimizer()] and [LearningRateSchedule()] are built on it. Instances of
#' layer and model classes ([Layer()], [Model()]) are functions as well:
#' `layer(x)` calls the layer on a tensor (see [call_layer()]), while `$`
#' reaches their fields and methods as for other instances.
#'
#' Methods passed in `...` see `self` (the instance) and `super` (the parent
#' class's methods, bound to the same instance). `initialize` runs when an
#' instance is made. Non-function members become fields of each instance.
#' A `from_config` member is a class method: it is called with the config
#' and sees the class as `cls`; without one, deserialization calls the class
#' with the config's elements as arguments.
#'
#' A class that defines no `get_config` gets Keras 3's auto-config: the
#' arguments its constructor was called with, merged into what its base
#' class records.
#'
#' `module` is `"<r-globalenv>"` for classes defined at top level and
#' `"<r-namespace:pkg>"` for classes defined in a package, as keras3 writes it.
#'
#' @param classname The class name, as written in configs (`class_name`).
#' @param ... Named methods and fields.
#' @param inherit A class generator to inherit from, or `NULL`.
#' @param parent_env The environment methods are evaluated in (their
#'   enclosure); also decides `module`.
#' @return A class generator (a function of class `keras_class`).
#' @export
#' @examples
#' Counter <- new_keras_class("Counter",
#'   initialize = function(start = 0) self$value <- start,
#'   add = function(n = 1) { self$value <- self$value + n; invisible(self) },
#'   get_config = function() list(start = self$value)
#' )
#' x <- Counter(start = 2)
#' x$add()$add(3)
#' x$value
#' x$get_config()
new_keras_class <- function(classname, ..., inherit = NULL, parent_env = parent.frame()) {
  kc_new_class(classname, list(...), inherit, parent_env)
}

kc_new_class <- function(classname, members, inherit, parent_env, module = NULL, root = FALSE) {
  if (!is.character(classname) || length(classname) != 1L || is.na(classname) || !nzchar(classname)) {
    kc_abort("`classname` must be a single non-empty string.", "kerasconfig_error_type")
  }
  if (length(members) && (is.null(names(members)) || any(!nzchar(names(members))))) {
    kc_abort("Every member passed in `...` must be named.", "kerasconfig_error_type")
  }
  if (!is.null(inherit) && !inherits(inherit, "keras_class")) {
    kc_abort("`inherit` must be a class made by new_keras_class() (or a family such as Layer()).",
             "kerasconfig_error_type")
  }
  # (A layer instance is a function too, but a field.)
  # A layer given as a member is a field, though callable (classes are also made while the
  # package loads, before its native code is: only a callable is asked).
  is_method <- vapply(members, function(m) is.function(m) && !(inherits(m, "kc_callable") && kc_is_instance(m)),
                      logical(1))
  methods <- members[is_method]
  parent <- if (is.null(inherit)) NULL else kc_class_info(inherit)

  info <- new.env(parent = emptyenv())
  info$classname <- classname
  info$methods <- methods[setdiff(names(methods), "from_config")]
  info$from_config <- methods[["from_config"]] %||% parent$from_config
  info$fields <- members[!is_method]
  info$parent <- parent
  info$env <- parent_env
  info$module <- module %||% kc_module_of(parent_env)
  info$root <- root
  info$s3 <- unique(c(classname, parent$s3 %||% "keras_object"))
  # Auto-config applies while no class below a family root defines get_config.
  info$own_get_config <- (!root && "get_config" %in% names(methods)) || isTRUE(parent$own_get_config)
  info$has_get_config <- "get_config" %in% names(methods) || isTRUE(parent$has_get_config)

  # Layer classes take keras3's `object` first, as the built-in `layer_*()` constructors do.
  generator <- if (kc_is_layer_info(info)) kc_layer_generator else function(...) kc_instantiate(info, list(...))
  environment(generator) <- list2env(list(info = info), parent = environment(kc_new_class))
  # The registry knows objects by identity: instances must point at this very generator.
  generator <- structure(generator, class = "keras_class")
  info$generator <- generator
  generator
}

# keras3's generator of a layer class: `object` missing or NULL gives the layer; a tensor or a list
# of tensors calls it, a Sequential model gets it added. `object` is evaluated before the layer is
# made, so layers of a pipe are named in pipe order.
kc_layer_generator <- function(object, ...) {
  if (missing(object)) return(kc_instantiate(info, list(...)))
  if (!is.null(object) && !kc_is_call_input(object) && !inherits(object, "Sequential")) {
    kc_abort(sprintf(paste("The first argument of the layer generator of '%s' is `object` (keras3's convention): a",
                           "tensor, a list of tensors, a Sequential model or NULL; got %s. Pass the constructor's",
                           "arguments by name."), info$classname, kc_describe(object)), "kerasconfig_error_type")
  }
  layer <- kc_instantiate(info, list(...))
  if (is.null(object)) layer else kc_compose(object, layer)
}

# Whether a class descends from Keras' Layer (the family root or a built-in layer), not Model.
kc_is_layer_info <- function(info) {
  while (!is.null(info)) {
    if (isTRUE(info$builtin)) return(identical(info$family, "layers"))
    if (isTRUE(info$root)) return(identical(info$classname, "Layer") && identical(info$module, "keras"))
    info <- info$parent
  }
  FALSE
}

kc_class_info <- function(cls) {
  env <- environment(unclass(cls))
  env$info %||% kc_builtin_info(env)
}

kc_module_of <- function(env) {
  top <- topenv(env)
  if (isNamespace(top)) paste0("<r-namespace:", getNamespaceName(top), ">") else "<r-globalenv>"
}

# Methods of `info`'s chain bound to `self`: each class's methods see `self`, and `super`
# (its parent's bound methods).
kc_bind_methods <- function(info, self) {
  inherited <- if (is.null(info$parent)) list() else kc_bind_methods(info$parent, self)
  if (!length(info$methods)) return(inherited)
  menv <- new.env(hash = FALSE, parent = info$env)
  menv$self <- self
  menv$super <- inherited
  bound <- inherited
  for (name in names(info$methods)) {
    f <- info$methods[[name]]
    environment(f) <- menv
    bound[[name]] <- f
  }
  bound
}

# The fields of `info`'s chain, merged: worked out once per class (classes never change once
# made).
kc_fields <- function(info) {
  info$all_fields %||% (info$all_fields <- if (is.null(info$parent)) info$fields else
    utils::modifyList(kc_fields(info$parent), info$fields))
}

kc_instantiate <- function(info, args) {
  # Unhashed, as the fast path makes them: an instance holds a few bindings, which a short frame
  # finds faster than a hash table, allocated for each instance, would.
  env <- new.env(hash = FALSE, parent = emptyenv())
  # Methods see the user-visible object as `self`: a layer's or a model's is callable.
  self <- if (kc_is_callable_info(info)) kc_callable(env, info$s3) else env
  fields <- kc_fields(info)
  if (length(fields)) list2env(fields, env)
  list2env(kc_bind_methods(info, self), env)
  init <- env$initialize
  env$.__class__ <- info$generator
  env$.__args__ <- if (is.null(init)) args else kc_name_args(init, args)
  class(env) <- info$s3
  if (!is.null(init)) do.call(init, rs_quoted_args(args))
  self
}

# Arguments named as `f`'s formals would name them, so positional ones get their names.
kc_name_args <- function(f, args) {
  if (!length(args) || (!is.null(names(args)) && all(nzchar(names(args))))) return(args)
  call <- as.call(c(list(quote(f)), lapply(args, function(a) if (is.language(a)) call("quote", a) else a)))
  matched <- as.list(match.call(f, call))[-1L]
  lapply(matched, function(a) if (is.call(a) && identical(a[[1L]], quote(quote))) a[[2L]] else a)
}

# An environment that claims to be a Keras object without the class binding instances have is
# not one (it would fail wherever its class is looked up). An instance is an environment of class
# `keras_object` (or the callable enclosed by one) with a `.__class__` binding that is not active:
# rs_instance_class() (src/rust/src/fast/mod.rs) checks that in one call.
kc_is_instance <- function(x) !is.null(rs_instance_class(x))

kc_class_of <- function(obj) get(".__class__", envir = kc_env(obj), inherits = FALSE)

# The class of `x` when it is an instance (kc_is_instance()), else NULL: both in one step. A
# promise (a delayed binding) is R's to force, and a NULL or missing class R's to read.
kc_instance_class <- function(x) {
  cls <- rs_instance_class(x)
  if (inherits(cls, "kc_fallback")) kc_class_of(x) else cls
}

# Auto-config: what the base class records, plus the constructor's other named arguments.
kc_auto_config <- function(self, base) {
  info <- kc_class_info(kc_class_of(self))
  if (info$own_get_config) return(base)
  args <- get(".__args__", envir = kc_env(self), inherits = FALSE)
  if (length(args)) {
    nm <- names(args)
    if (is.null(nm) || any(!nzchar(nm))) {
      kc_abort(sprintf(paste("Cannot build the auto-config of '%s': it needs every constructor argument",
                             "named. Name them, or give the class a get_config() method."), info$classname),
               "kerasconfig_error_config")
    }
  }
  if (kc_is_layer_info(info)) args <- kc_layer_auto_args(info, args)
  # What the base records wins: it holds processed values (float32 rates, dtype policies).
  for (n in setdiff(names(args), names(base))) base[n] <- list(args[[n]])
  base
}

# Keras' Operation.__new__ binds a layer's constructor arguments to the signature of its most
# derived __init__ with the defaults applied (the keyword arguments passed on in **kwargs after
# them), minus `name`: an argument left to its default is recorded too. A class without its own
# initialize() has Layer.__init__'s, in Keras' order.
kc_layer_auto_args <- function(info, args) {
  while (!is.null(info) && !is.function(info$methods$initialize)) info <- info$parent
  if (is.null(info) || isTRUE(info$builtin)) return(args)
  init <- info$methods$initialize
  params <- if (isTRUE(info$root)) c("activity_regularizer", "trainable", "dtype", "autocast") else names(formals(init))
  params <- setdiff(params, c("...", "name"))
  out <- list()
  for (p in params) {
    if (p %in% names(args)) {
      out[p] <- list(args[[p]])
      next
    }
    d <- formals(init)[[p]]
    if (identical(d, quote(expr = ))) next
    value <- tryCatch(list(eval(d, envir = environment(init))), error = function(e) NULL)
    if (!is.null(value)) out[p] <- value
  }
  extra <- setdiff(names(args), names(out))
  for (n in extra) out[n] <- list(args[[n]])
  out
}

#' @export
print.keras_class <- function(x, ...) {
  info <- kc_class_info(x)
  chain <- character()
  p <- info$parent
  while (!is.null(p)) {
    chain <- c(chain, p$classname)
    p <- p$parent
  }
  cat(sprintf("<keras class '%s'>\n", info$classname))
  cat(sprintf("  module: %s\n", info$module))
  if (length(chain)) cat(sprintf("  inherits: %s\n", paste(chain, collapse = " < ")))
  methods <- names(info$methods)
  if (length(methods)) cat(sprintf("  methods: %s\n", paste(methods, collapse = ", ")))
  invisible(x)
}

#' @export
print.keras_object <- function(x, ...) {
  info <- kc_class_info(kc_class_of(x))
  cat(sprintf("<%s> (module %s)\n", info$classname, info$module))
  config <- tryCatch(x$get_config(), error = function(e) NULL)
  if (length(config)) {
    cat("config:\n")
    utils::str(config, no.list = TRUE, give.attr = FALSE, comp.str = "  $ ")
  }
  invisible(x)
}
