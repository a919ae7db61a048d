#' Turn a Keras config into an R object
#'
#' Follows Keras 3.15's rules: `NULL` gives `NULL`; a string that is a known
#' custom-object key gives that object, other strings stay strings; an unnamed
#' list is deserialized element by element, and so is a named list without
#' both `class_name` and `config`; any other config names a class (or, with
#' `class_name = "function"`, a function) that is resolved and rebuilt.
#'
#' A class is resolved by its `registered_name` (or `class_name` when the key
#' is missing) in, in order: the custom-object scope, the global registry,
#' `custom_objects` and `module_objects`. A function is resolved by its
#' `config` string the same way (a bare name also matches a registered
#' `"pkg>name"`, for files written by Keras <= 3.6). A config's `module` is
#' only a label: nothing is ever looked up in an R environment or namespace
#' it names.
#'
#' A resolved class is rebuilt by its `from_config` class method, or else by
#' calling the class with the config's elements as arguments. That runs inside
#' a scope holding the custom objects, so objects nested in the config resolve
#' too.
#'
#' Configs carrying the same `shared_object_id` within one call become one R
#' object. Keras' special encodings map to R values: `__bytes__` to a raw
#' vector, `__numpy__` and `__tensor__` to a [keras_array()], `__slice__`,
#' `__ellipsis__` and `__keras_tensor__` to the values of
#' [keras_slice()], [keras_ellipsis()] and [keras_symbolic_tensor()], Keras 2's
#' `__tuple__` to a list. A `__lambda__` holding R source is only evaluated
#' with safe mode off; one holding Python bytecode cannot run in R and is
#' always an error.
#'
#' @param config A config, as [serialize_keras_object()] or
#'   [config_from_json()] gives.
#' @param custom_objects A named list of classes and functions, keyed by the
#'   name configs use (the class name, or `"pkg>Name"` for registered
#'   classes). Classes may be given without names.
#' @param safe_mode Refuse to load code stored in the config (lambdas)?
#'   An active [with_safe_mode()] or [config_enable_unsafe_deserialization()]
#'   setting takes precedence, as in Keras.
#' @param ... `module_objects`: a named list searched last (`keras$layers` reads
#'   Keras 2 layer configs that name no module, as `keras.layers.deserialize()` does).
#' @return The object.
#' @seealso [serialize_keras_object()], [register_keras_serializable()],
#'   [with_custom_object_scope()]
#' @export
#' @examples
#' layer_plain <- Layer("Plain")
#' config <- serialize_keras_object(layer_plain(name = "p"))
#' obj <- deserialize_keras_object(config, custom_objects = list(layer_plain))
#' obj$name
#'
#' try(deserialize_keras_object(list(module = NULL, class_name = "Unknown",
#'                                   config = list(), registered_name = NULL)))
deserialize_keras_object <- function(config, custom_objects = NULL, safe_mode = TRUE, ...) {
  # Plain calls (no custom objects, no `...`) take a short path: strings and NULL are looked up
  # directly, lists go to Rust whole. What Rust cannot build (`kc_fallback`) takes the general
  # path below, without asking Rust again at the top level.
  plain <- is.null(custom_objects) && ...length() == 0L && is.logical(safe_mode) && length(safe_mode) == 1L &&
    !is.na(safe_mode)
  # Whether the depth limit was checked already (the walk is over the whole config).
  within_depth <- FALSE
  # The class Rust found `config` to be a valid object config of, when it could not build it.
  cls <- NULL
  # The from_config() this call runs in, if any (see kc_entry_path()), and the lists enclosing
  # `config` (0 at top level).
  ctx <- kc_state$context
  depth <- ctx$depth %||% 0L
  shared <- NULL
  if (plain) {
    if (is.list(config) && !is.object(config) && kc_session_is_default()) {
      # Too deep a config goes the general way, which says where (the same limit on every route).
      within_depth <- is.null(rs_nested_beyond(config, kc_max_depth - depth))
      if (within_depth) {
        # Shared objects are shared within one top-level call (a new record), or within the
        # call a from_config() runs in.
        shared <- kc_state$shared %||% new.env(parent = emptyenv())
        fast <- rs_fast_deserialize(config, NULL, NULL, shared, kc_builtin_objects, kc_bound_bodies)
        if (!inherits(fast, "kc_fallback")) return(fast)
        if (length(fast)) cls <- fast[[1L]]
      }
    } else if (is.character(config) && length(config) == 1L && !is.na(config)) {
      return(kc_check(rs_lookup(config, NULL, NULL), path = "config") %||% config)
    } else if (is.null(config)) {
      return(NULL)
    }
  }
  opts <- if (plain) {
    # As kc_safe_mode() gives it (`safe_mode` is TRUE or FALSE here).
    list(custom = NULL, module = NULL, safe = rs_safe_mode_get() %||% safe_mode)
  } else {
    kc_call_opts(custom_objects, safe_mode, ...)
  }
  if (is.null(ctx)) {
    # Shared objects are shared within one top-level call: a new record (the one made for Rust
    # above is still empty: a fallback leaves no trace).
    fresh <- !is.null(shared) && !identical(shared, kc_state$shared)
    kc_state$shared <- if (fresh) shared else new.env(parent = emptyenv())
    on.exit(kc_state$shared <- NULL, add = TRUE)
  }
  # Where `config` is, worked out only when something needs it (an error, or a nested call's own
  # path): most objects never do.
  delayedAssign("path", kc_entry_path(config, ctx))
  if (!within_depth) kc_check_nesting(config, path, depth)
  if (!is.null(cls)) return(kc_deserialize_object(config, path, opts, depth, cls))
  kc_deserialize(config, path, opts, depth, fast = !plain)
}

kc_state <- new.env(parent = emptyenv())

# The options of a call of deserialize_keras_object() (`...`: `module_objects` only).
kc_call_opts <- function(custom_objects, safe_mode, ...) {
  dots <- list(...)
  unknown <- if (length(dots)) setdiff(names(dots) %||% rep("", length(dots)), "module_objects")
  if (length(unknown)) {
    kc_abort(sprintf("Unknown argument(s) in `...`: %s. Only `module_objects` is accepted.",
                     paste(sprintf("'%s'", unknown), collapse = ", ")), "kerasconfig_error_type")
  }
  list(
    custom = kc_as_objects(custom_objects, "custom_objects"),
    module = kc_as_objects(dots$module_objects, "module_objects"),
    safe = kc_safe_mode(safe_mode)
  )
}

# Where a deserialization starts: `config` at top level; inside a `from_config()` that
# deserializes part of its config, the path of that part (found by identity, which is cheap:
# R passes the same object unless it was modified).
kc_entry_path <- function(config, ctx) {
  if (is.null(ctx)) return("config")
  base <- ctx$base %||% paste0(ctx$path, "$config")
  inner <- ctx$config
  for (name in names(inner)) {
    if (identical(inner[[name]], config)) return(kc_path_key(base, name))
  }
  base
}

# How deep lists may nest in a config, counted as JSON counts arrays and objects (an object
# config is two levels: its dict and its `config` dict), on every route: R lists, JSON text,
# special encodings, nested from_config() calls. Real Keras configs nest up to 13 levels; R's C
# stack holds this many on the costliest route (special encodings) with room to spare.
kc_max_depth <- 100L

# What a config's R code may still use of R's C stack before it is stopped: custom classes run
# their own code at each level, about 190 kB of C stack per nested custom object.
kc_stack_margin <- 1e6

# Part of a config, deserialized from inside a from_config() with the options in force there
# (deserialize_keras_object() when there is none).
kc_deserialize_within <- function(value) {
  # A list of live objects (a model's layers, deserialized by its from_config) is deserialized
  # already: each element would come back as it is.
  if (is.list(value) && !is.object(value) && is.null(names(value)) && length(value) &&
      all(vapply(value, is.object, NA))) {
    return(value)
  }
  ctx <- kc_state$context
  if (is.null(ctx)) return(deserialize_keras_object(value))
  # `ctx` passed: the path may be worked out later, in a context nested in this one.
  kc_deserialize(value, kc_entry_path(value, ctx), kc_context_opts(ctx), ctx$depth)
}

# The options of the call a from_config() runs in; its custom objects are in the scope there.
kc_context_opts <- function(ctx) {
  opts <- ctx$opts
  opts$custom <- NULL
  opts
}

# `depth`: the lists enclosing `x`. `fast = FALSE`: Rust already said it cannot build `x` itself
# (its parts are still tried).
kc_deserialize <- function(x, path, opts, depth = 0L, fast = TRUE) {
  if (is.null(x)) return(NULL)
  # `path` stays a promise until an error needs it; forcing it now and then keeps the chain of
  # promises short, so forcing it deep down does not exhaust the C stack.
  if (depth %% 32L == 0L) force(path)
  if (is.list(x) && !is.object(x)) kc_check_depth(depth + 1L, path)
  if (fast && is.list(x) && !is.object(x) && kc_session_is_default()) {
    # Rust builds whole subtrees of built-ins and plain values at once; it hands back
    # `kc_fallback` for anything that needs R (custom classes, special encodings, errors), and
    # this function then handles that level itself.
    fast <- rs_fast_deserialize(x, opts$custom, opts$module, kc_state$shared, kc_builtin_objects, kc_bound_bodies)
    if (!inherits(fast, "kc_fallback")) return(fast)
    # An object config Rust checked and resolved the class of, but could not build (a custom
    # class, or a built-in one holding something R builds).
    if (length(fast)) return(kc_deserialize_object(x, path, opts, depth, fast[[1L]]))
  }
  if (is.character(x) && length(x) == 1L && !is.na(x)) {
    return(kc_check(rs_lookup(x, opts$custom, NULL), path = path) %||% x)
  }
  # Classed R values (instances, arrays, slices, ...) are deserialized already.
  if (is.object(x) || is.function(x)) return(x)
  if (!is.list(x)) {
    if (is.atomic(x)) return(x)
    kc_abort(sprintf("Could not parse config at %s: %s", path, kc_describe(x)), "kerasconfig_error_config",
             path = path)
  }
  nm <- names(x)
  if (!is.null(nm) && !kc_all_text(nm)) {
    kc_abort(sprintf("The keys of the config at %s must be valid text (UTF-8 or Latin-1).", path), "kerasconfig_error_config",
             path = path)
  }
  if (is.null(nm)) {
    for (i in seq_along(x)) x[i] <- list(kc_deserialize(x[[i]], kc_path_index(path, i), opts, depth + 1L))
    return(x)
  }
  if (!("class_name" %in% nm && "config" %in% nm)) {
    if (identical(x[["class_name", exact = TRUE]], "__tuple__") && "items" %in% nm) {
      # Keras 2's encoder wrote tuples this way; they read as lists.
      items <- x[["items", exact = TRUE]]
      if (!is.list(items) && !is.atomic(items)) {
        kc_config_error("The `items` of a `__tuple__` must be a list.", x, kc_path_key(path, "items"))
      }
      return(kc_deserialize(unname(as.list(items)), kc_path_key(path, "items"), opts, depth + 1L))
    }
    for (i in seq_along(x)) x[i] <- list(kc_deserialize(x[[i]], kc_path_key(path, nm[[i]]), opts, depth + 1L))
    return(x)
  }
  kc_deserialize_object(x, path, opts, depth)
}

# The whole config is checked before R walks it (and spends C stack on it), in one pass in Rust;
# the error names the first list too deep. `depth`: the lists enclosing `x`.
kc_check_nesting <- function(x, path, depth) {
  if (!is.list(x)) return(invisible())
  at <- rs_nested_beyond(x, kc_max_depth - depth)
  if (is.null(at)) return(invisible())
  for (i in at) {
    nm <- names(x)
    path <- if (!is.null(nm) && !is.na(nm[[i]]) && nzchar(nm[[i]])) kc_path_key(path, nm[[i]]) else kc_path_index(path, i)
    x <- x[[i]]
  }
  kc_check_depth(kc_max_depth + 1L, path)
}

# A list `level` lists deep (1 at top level) is refused past the limit.
kc_check_depth <- function(level, path) {
  if (level > kc_max_depth) {
    kc_abort(sprintf("The config nests deeper than %d levels at %s.", kc_max_depth, path), "kerasconfig_error_config",
             path = path)
  }
}

# Custom classes run their own R code at each level of a config: stop before R's C stack runs
# out (R's own error would not say where, nor be a kerasconfig_error).
kc_check_stack_room <- function(path) {
  info <- Cstack_info()
  room <- info[["size"]] - info[["current"]]
  if (!is.na(room) && room < kc_stack_margin) {
    kc_abort(sprintf("The config's objects nest too deeply for R's C stack at %s.", path), "kerasconfig_error_stack",
             path = path)
  }
}

kc_config_error <- function(message, x, path, class = "kerasconfig_error_config") {
  kc_abort(c(message, sprintf("Location: %s", path), sprintf("Full object config: %s", kc_format_config(x))),
           class, path = path)
}

kc_optional_string <- function(x, key, path) {
  value <- x[[key, exact = TRUE]]
  if (!is.null(value) && !kc_is_text(value)) {
    kc_text_error(sprintf("`%s` must be a string or NULL.", key), value, x, kc_path_key(path, key))
  }
  value
}

# A config error for a value that is not the string it must be; a string that is not valid text
# (marked "bytes", or invalid in its encoding) is also a `kerasconfig_error_encoding`.
kc_text_error <- function(message, value, x, path) {
  if (kc_is_string(value)) {
    kc_config_error(paste(message, "This one is not valid text (marked \"bytes\", or invalid in its encoding)."), x,
                    path, class = c("kerasconfig_error_encoding", "kerasconfig_error_config"))
  }
  kc_config_error(message, x, path)
}

# A string R can compare and Keras could have written: not marked "bytes", valid in its encoding.
kc_is_text <- function(x) kc_is_string(x) && kc_all_text(x)

kc_all_text <- function(x) {
  enc <- Encoding(x)
  !anyNA(x) && !any(enc == "bytes") && all(enc == "latin1" | validUTF8(x))
}

# `cls`: the class, when Rust resolved it and found the dict valid (it checks what this function
# checks before resolving; an object config with a shared_object_id is never given one).
kc_deserialize_object <- function(x, path, opts, depth = 0L, cls = NULL) {
  kc_check_stack_room(path)
  if (!is.null(cls)) {
    inner <- x[["config", exact = TRUE]]
    if (is.null(inner)) {
      inner <- named_list()
    } else {
      kc_check_depth(depth + 2L, kc_path_key(path, "config"))
    }
    return(kc_build_object(cls, x, inner, x[["class_name", exact = TRUE]], x[["module", exact = TRUE]], path, opts,
                           depth))
  }
  class_name <- x[["class_name", exact = TRUE]]
  # R will not compare or look a decoder up by a "bytes" or invalid string.
  if (!kc_is_text(class_name)) kc_text_error("`class_name` must be a string.", class_name, x, kc_path_key(path, "class_name"))
  inner <- x[["config", exact = TRUE]]
  module <- kc_optional_string(x, "module", path)
  registered_name <- if ("registered_name" %in% names(x)) kc_optional_string(x, "registered_name", path) else class_name

  if (class_name == "function") {
    if (!kc_is_text(inner)) {
      kc_text_error("Expected 'config' to be a non-null str for a function classname.", inner, x,
                    kc_path_key(path, "config"))
    }
    shared_id <- x[["shared_object_id", exact = TRUE]]
    if (is.null(shared_id)) return(kc_resolve(x, "function", inner, module, NULL, path, opts))
    # Keras marks shared functions too. The id rides on a copy of the function, which keeps
    # the name it was found under, so it serializes back the same.
    key <- kc_shared_key(shared_id, x, path)
    found <- kc_state$shared[[key]]
    if (!is.null(found)) return(found)
    f <- structure(kc_resolve(x, "function", inner, module, NULL, path, opts),
                   keras_name = inner, keras_shared_object_id = shared_id)
    if (!is.null(kc_state$shared)) assign(key, f, envir = kc_state$shared)
    return(f)
  }
  # The `config` dict is one level below the object's, and its values one more.
  if (is.list(inner)) {
    kc_check_depth(depth + 2L, kc_path_key(path, "config"))
    if (!is.null(names(inner)) && !kc_all_text(names(inner))) {
      kc_abort(sprintf("The keys of the config at %s must be valid text (UTF-8 or Latin-1).", kc_path_key(path, "config")),
               "kerasconfig_error_config", path = kc_path_key(path, "config"))
    }
  }
  if (is.null(inner)) inner <- named_list()
  decoder <- kc_special_decoders[[class_name]]
  if (!is.null(decoder)) {
    if (!is.list(inner) || is.object(inner)) kc_config_error(sprintf("Expected 'config' to be a dict for %s.", class_name), x, path)
    return(decoder(inner, x, path, opts, depth + 2L))
  }
  if (!is.list(inner) || is.object(inner) || (length(inner) && is.null(names(inner)))) {
    kc_config_error(sprintf("Expected 'config' to be a dict for %s.", class_name), x, kc_path_key(path, "config"))
  }
  shared_id <- x[["shared_object_id", exact = TRUE]]
  shared_key <- if (is.null(shared_id)) NULL else kc_shared_key(shared_id, x, path)
  if (!is.null(shared_key) && !is.null(kc_state$shared[[shared_key]])) return(kc_state$shared[[shared_key]])
  cls <- kc_resolve(x, "class", class_name, module, registered_name, path, opts)
  kc_build_object(cls, x, inner, class_name, module, path, opts, depth, shared_id, shared_key)
}

# The object of the dict `x` (its `config` dict `inner`, `depth`: the lists enclosing `x`) made by
# its class `cls`, with what the dict holds besides its config.
kc_build_object <- function(cls, x, inner, class_name, module, path, opts, depth, shared_id = NULL, shared_key = NULL) {
  obj <- kc_from_config(cls, inner, class_name, x, path, opts, depth + 2L)
  obj_cls <- kc_instance_class(obj)
  if (!is.null(obj_cls)) {
    info <- kc_class_info(obj_cls)
    # As from_config() does: within this call's options, shared objects and depth (both values of
    # the object's dict, one level down); errors in a compile config name their path.
    build <- x[["build_config", exact = TRUE]]
    # Keras' from_config builds a layer from its build_config only if its constructor did not
    # (Dropout, pooling): older Keras 3 releases wrote one on those.
    if (!is.null(build) && kc_builtin_built_at_init(info)) build <- NULL
    compile <- x[["compile_config", exact = TRUE]]
    # A build config no method takes is kept as it is, so the object serializes back the same.
    build_from_config <- if (!is.null(build)) obj[["build_from_config"]]
    if (!is.null(build) && !is.function(build_from_config)) {
      assign(".__build_config__", build, envir = kc_env(obj))
      build <- NULL
    }
    if (!is.null(build) || !is.null(compile)) {
      kc_with_context(list(path = path, base = path, config = x, opts = opts, depth = depth + 1L), {
        if (!is.null(build)) build_from_config(build)
        kc_restore_compile(obj, compile)
      })
    }
    # Remembered, so an unchanged object serializes back with the same id.
    if (!is.null(shared_id)) assign(".__shared_object_id__", shared_id, envir = kc_env(obj))
    # A custom class loaded from a config written elsewhere (a Python module) keeps that module.
    kc_remember_module(obj, module, info)
  }
  if (!is.null(shared_key) && !is.null(kc_state$shared)) assign(shared_key, obj, envir = kc_state$shared)
  obj
}

kc_builtin_built_at_init <- function(info) {
  isTRUE(info$builtin) && identical(info$family, "layers") && rs_built_at_init(info$classname)
}

kc_resolve <- function(x, kind, name, module, registered_name, path, opts) {
  res <- rs_resolve(kind, name, module, registered_name, opts$custom, opts$module)
  if (inherits(res, "kc_rust_error")) kc_config_error(res$message, x, path, class = res$class)
  if (identical(res$kind, "builtin")) kc_builtin_object(res$id, res$key) else res$object
}

# Evaluates `expr` with the context `ctx` (path, config, opts, depth: the lists enclosing the
# values of config; base: the path of config, `path$config` by default), inside a scope holding
# the merged custom objects (argument < scope < global), so nested deserializations report their
# own path, share objects with this call and use its options.
kc_with_context <- function(ctx, expr) {
  opts <- ctx$opts
  # Nested deserializations inherit this call's safe mode, as under Keras' SafeModeScope.
  token <- kc_check(rs_context_enter(opts$custom %||% kc_no_objects, opts$safe))
  previous <- kc_state$context
  kc_state$context <- ctx
  on.exit({
    kc_state$context <- previous
    rs_context_leave(token)
  })
  expr
}

kc_no_objects <- structure(list(), names = character())

# `from_config()` runs in the context of its config (as kc_with_context() sets it up, written out
# here: every object comes this way). The context holds `path` unevaluated until a nested call
# or an error needs it; forced every few levels, so that forcing it deep down evaluates a short
# chain of promises.
kc_from_config <- function(cls, inner, class_name, x, path, opts, depth = 0L) {
  if (depth %% 16L < 2L) force(path)
  ctx <- new.env(hash = FALSE, parent = emptyenv())
  delayedAssign("path", path, assign.env = ctx)
  ctx$config <- inner
  ctx$opts <- opts
  ctx$depth <- depth
  token <- kc_check(rs_context_enter(opts$custom %||% kc_no_objects, opts$safe))
  previous <- kc_state$context
  kc_state$context <- ctx
  on.exit({
    kc_state$context <- previous
    rs_context_leave(token)
  })
  # tryCatch(), not a calling handler (which costs less): a calling handler runs where the error
  # happened, with no stack left after a stack overflow in the class's own code, and lets
  # restarts in that code be invoked from outside.
  tryCatch(
    if (inherits(cls, "keras_class")) {
      info <- kc_class_info(cls)
      if (is.null(info$from_config)) {
        if (kc_generator_passes_on(cls, info, inner)) {
          kc_instantiate(info, if (length(inner)) inner else list())
        } else {
          # Quoted: values in a config are data, never calls to evaluate.
          do.call(cls, rs_quoted_args(inner))
        }
      } else {
        from_config <- info$from_config
        environment(from_config) <- list2env(list(cls = cls), parent = environment(from_config))
        from_config(inner)
      }
    } else {
      # A registered function is not a class: calling it with a config's values would let
      # configs call functions with arguments of their choosing.
      kc_config_error(sprintf(paste("Unable to reconstruct an instance of '%s' because the class is",
                                    "missing a `from_config()` method."), class_name), x, path)
    },
    # One handler: a handler re-signalling from a second one would be caught by the first.
    error = function(e) {
      if (inherits(e, "kerasconfig_error")) {
        # An error of ours without a location happened in this object's own arguments.
        if (is.null(e$path)) {
          e$path <- path
          e$message <- paste0(e$message, "\nLocation: ", path)
        }
        stop(e)
      }
      kc_config_error(sprintf("%s could not be deserialized properly: %s", class_name, conditionMessage(e)),
                      x, path, class = "kerasconfig_error_from_config")
    }
  )
}

# Whether calling the class generator `cls` with the arguments `args` would hand them on to
# kc_instantiate() as they are (then the call through it is skipped): `cls` is its class's own
# generator, every argument named, none a layer generator's `object` (or its abbreviation), and
# the list carries nothing but names (an empty one is passed on as list()).
kc_generator_passes_on <- function(cls, info, args) {
  if (!identical(cls, info$generator)) return(FALSE)
  if (!length(args)) return(TRUE)
  nm <- names(args)
  !is.null(nm) && !anyNA(nm) && all(nzchar(nm)) && !any(startsWith("object", nm)) &&
    identical(names(attributes(args)), "names")
}

# A compile config goes to the object's method when it has one, else is kept so the object
# serializes back to the same config.
kc_restore_compile <- function(obj, config) {
  if (is.null(config)) return(invisible())
  f <- obj[["compile_from_config"]]
  if (is.function(f)) return(f(config))
  # A built-in's compile config (a model's) holds optimizer, loss and metrics: live objects,
  # strings kept (as Keras' compile_from_config() does), within the loading call's options and
  # shared objects.
  if (inherits(obj, "keras_builtin")) config <- kc_deserialize_within(config)
  assign(".__compile_config__", config, envir = kc_env(obj))
}

kc_remember_module <- function(obj, module, info = kc_class_info(kc_class_of(obj))) {
  if (!is.null(module) && !isTRUE(info$builtin) && !identical(module, info$module)) {
    assign(".__module__", module, envir = kc_env(obj))
  }
}

# A shared_object_id as the key objects are shared under: a whole number, as Keras writes them,
# compared as Python compares integers: `-0` is 0, and beyond 2^53, where doubles cannot hold
# every integer, the exact digits JSON gave (config_from_json() keeps them) tell ids apart.
kc_shared_key <- function(id, x, path) {
  if (!is.numeric(id) || length(id) != 1L || !is.finite(id) || id != round(id)) {
    kc_config_error("`shared_object_id` must be a whole number.", x, kc_path_key(path, "shared_object_id"))
  }
  kc_shared_id_text(id)
}

kc_shared_id_text <- function(id) {
  digits <- attr(id, "digits", exact = TRUE)
  if (kc_is_string(digits) && identical(format.keras_integer(structure(id, digits = digits)), digits)) return(digits)
  sprintf("%.0f", as.numeric(id) + 0) # + 0: -0 becomes 0
}
