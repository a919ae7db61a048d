#' Register a custom object so configs can name it
#'
#' Adds `object` (a class made with [new_keras_class()] or a family such as
#' [Layer()], or a function) to the global registry under the key
#' `"package>name"`, which is then written as the object's `registered_name`
#' and found again when a config is deserialized.
#'
#' Registering a key that already holds a different object replaces it with
#' a warning; the old object no longer answers to that key in
#' [get_registered_name()] (Keras leaves it stale).
#'
#' @param object A class generator or a function.
#' @param name The name; defaults to the class name for classes and to the
#'   symbol passed as `object` for functions.
#' @param package The package part of the key; defaults to the name of the
#'   package whose code calls this function, `"Custom"` at top level.
#' @return `object`, invisibly.
#' @seealso [get_custom_objects()], [get_registered_name()]
#' @export
#' @examples
#' old <- set_custom_objects(clear = TRUE)
#' scaled_tanh <- function(x) 2 * tanh(x)
#' register_keras_serializable(scaled_tanh, package = "MyPkg")
#' get_registered_name(scaled_tanh)
#'
#' layer_scale <- Layer("Scale")
#' register_keras_serializable(layer_scale)
#' names(get_custom_objects())
#' set_custom_objects(old)
register_keras_serializable <- function(object, name = NULL, package = NULL) {
  if (is.null(package)) package <- kc_calling_package(parent.frame())
  if (!kc_is_string(package)) kc_abort("`package` must be a single string.", "kerasconfig_error_type")
  if (inherits(object, "keras_class")) {
    info <- kc_class_info(object)
    if (!info$has_get_config) {
      kc_abort("Cannot register a class that does not have a get_config() method.",
               "kerasconfig_error_no_get_config")
    }
    name <- name %||% info$classname
  } else if (is.function(object) && !kc_is_instance(object)) {
    if (is.null(name)) {
      sym <- substitute(object)
      if (!is.symbol(sym)) {
        kc_abort("Cannot infer a name for this function: pass `name`.", "kerasconfig_error_type")
      }
      name <- as.character(sym)
    }
  } else {
    kc_abort(sprintf("Only classes and functions can be registered, not %s.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  if (!kc_is_string(name)) kc_abort("`name` must be a single string.", "kerasconfig_error_type")
  key <- paste0(package, ">", name)
  if (identical(kc_check(rs_register(key, kc_class_generator(object))), "replaced")) {
    kc_warn(sprintf("'%s' was already registered to another object; it now refers to this one.", key),
            "kerasconfig_warning_replaced")
  }
  invisible(object)
}

# The object the registry knows a class by: a built-in's keras3-named constructor
# (`layer_dropout`) stands for its class (`keras$layers$Dropout`), whose instances it makes.
kc_class_generator <- function(x) {
  if (inherits(x, "keras_class")) kc_class_info(x)$generator %||% x else x
}

# The package whose code is calling, "Custom" at the console or in a script (as keras3 does).
kc_calling_package <- function(env) {
  top <- topenv(env)
  name <- if (isNamespace(top)) getNamespaceName(top) else ""
  if (name %in% c("", "base", "R_GlobalEnv", "kerasconfig")) "Custom" else unname(name)
}

#' The name an object is serialized under
#'
#' The registry key (`"package>name"`) if the object is registered, else the
#' class name for classes and instances, or the function's name.
#'
#' @param obj A class generator, an instance, or a function.
#' @return A string.
#' @export
#' @examples
#' my_fn <- function(x) x
#' get_registered_name(my_fn)
#' get_registered_name(Layer("Plain"))
get_registered_name <- function(obj) {
  sym <- substitute(obj)
  obj <- kc_class_generator(kc_instance_class(obj) %||% obj)
  key <- rs_registered_name(obj)
  if (!is.null(key)) return(key)
  if (inherits(obj, "keras_class")) return(kc_class_info(obj)$classname)
  name <- attr(obj, "keras_name", exact = TRUE)
  if (!is.null(name)) return(name)
  if (is.function(obj) && is.symbol(sym)) return(as.character(sym))
  kc_abort(sprintf("Cannot tell the registered name of %s.", kc_describe(obj)), "kerasconfig_error_type")
}

#' Look up a registered object by name
#'
#' Searches, in this order, the custom-object scope ([with_custom_object_scope()]),
#' the global registry, `custom_objects` and `module_objects`.
#'
#' @param name The name or registry key.
#' @param custom_objects,module_objects Named lists of further objects.
#' @return The object, or `NULL` when no source has it.
#' @export
#' @examples
#' get_registered_object("Custom>nothing_here")
#' get_registered_object("f", custom_objects = list(f = identity))
get_registered_object <- function(name, custom_objects = NULL, module_objects = NULL) {
  if (!kc_is_string(name)) kc_abort("`name` must be a single string.", "kerasconfig_error_type")
  kc_check(rs_lookup(name, kc_as_objects(custom_objects, "custom_objects"),
                     kc_as_objects(module_objects, "module_objects")))
}

#' Get or set the global registry of custom objects
#'
#' `get_custom_objects()` returns a snapshot of the registry: a named list in
#' registration order (objects in a [with_custom_object_scope()] scope are not
#' in it). `set_custom_objects()` replaces the registry with `objects` (or,
#' with `clear = FALSE`, adds them) and returns what it held before, so
#' `old <- set_custom_objects(clear = TRUE); on.exit(set_custom_objects(old))`
#' restores it exactly.
#'
#' @param objects A named list of classes and functions, keyed as in the
#'   registry (`"package>name"`), such as `get_custom_objects()` returns.
#' @param clear Empty the registry first?
#' @return `get_custom_objects()`: a named list. `set_custom_objects()`: the
#'   previous contents, invisibly.
#' @export
#' @examples
#' old <- set_custom_objects(list("Custom>double_it" = function(x) 2 * x))
#' names(get_custom_objects())
#' set_custom_objects(old)
get_custom_objects <- function() {
  kc_as_named(rs_registry_entries())
}

#' @rdname get_custom_objects
#' @export
set_custom_objects <- function(objects = named_list(), clear = TRUE) {
  objects <- kc_as_objects(objects, "objects")
  old <- get_custom_objects()
  if (isTRUE(clear)) rs_registry_clear()
  # By position: `objects[[key]]` would search the names each time, quadratic in their number.
  keys <- names(objects)
  for (i in seq_along(objects)) kc_check(rs_register(keys[[i]], objects[[i]]))
  invisible(old)
}

kc_as_named <- function(x) {
  if (is.null(names(x))) names(x) <- character(length(x))
  x
}

# A custom-objects argument as a named list: unnamed classes take their class name and
# registered functions their key; a lone class or function may be given bare.
kc_as_objects <- function(objects, what) {
  if (is.null(objects)) return(NULL)
  if (is.function(objects) && !kc_is_instance(objects)) objects <- list(objects)
  if (!is.list(objects) || is.object(objects)) {
    kc_abort(sprintf("`%s` must be a named list, not %s.", what, kc_describe(objects)), "kerasconfig_error_type")
  }
  nm <- names(objects) %||% character(length(objects))
  for (i in which(is.na(nm) | !nzchar(nm))) {
    obj <- objects[[i]]
    nm[i] <- if (inherits(obj, "keras_class")) {
      kc_class_info(obj)$classname
    } else if (is.function(obj) && !is.null(key <- rs_registered_name(obj))) {
      key
    } else {
      kc_abort(sprintf("Element %d of `%s` needs a name: only classes can be given without one.", i, what),
               "kerasconfig_error_type")
    }
  }
  names(objects) <- nm
  objects
}

kc_describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (kc_is_instance(x)) return(sprintf("an instance of '%s'", kc_class_info(kc_class_of(x))$classname))
  cls <- class(x)
  sprintf("an object of class '%s'", paste(cls, collapse = "/"))
}
