#' Read and change the config of a Keras object
#'
#' `set_config()` changes arguments of a Keras built-in object (an optimizer,
#' a layer, an initializer, ...) in place, with the same checks and type
#' coercions as its constructor: unknown names are refused and
#' `learning_rate = 0.01` is stored as Keras stores it. Objects of classes
#' defined in R keep their config in their own fields: change those instead.
#' `get_compile_config()` gives a model's compile config (optimizer, loss,
#' metrics, ...), `NULL` when it has none.
#'
#' @param object A Keras built-in object.
#' @param ... Named new values.
#' @param model A model.
#' @return `set_config()`: `object`, invisibly. `get_compile_config()`: a named list or `NULL`.
#' @export
#' @examples
#' opt <- optimizer_adam()
#' set_config(opt, learning_rate = 0.01)
#' opt$get_config()$learning_rate
#' get_compile_config(keras_model_sequential(input_shape = 2))
set_config <- function(object, ...) {
  values <- list(...)
  if (!kc_is_instance(object) || !inherits(object, "keras_builtin")) {
    kc_abort(sprintf("set_config() changes Keras built-in objects, not %s.", kc_describe(object)), "kerasconfig_error_type")
  }
  if (length(values) && (is.null(names(values)) || any(!nzchar(names(values))))) {
    kc_abort("Every value passed to set_config() must be named.", "kerasconfig_error_type")
  }
  info <- kc_builtin_info_of(object)
  config <- get(".__config__", envir = kc_env(object))
  unknown <- setdiff(names(values), union(names(info$defaults), info$params))
  if (length(unknown)) {
    kc_abort(sprintf("Unrecognized keyword arguments passed to %s: %s", info$classname,
                     paste(sprintf("'%s'", unknown), collapse = ", ")), "kerasconfig_error_unknown_argument")
  }
  # The changed config is what Keras' from_config() would rebuild: the values it derives follow.
  if (info$rules$derive) {
    full <- config
    full[names(values)] <- values
    derived <- kc_builtin_derive(info, full, info$defaults)
    touched <- names(derived)[!vapply(names(derived), function(k) identical(derived[[k]], full[[k]]), TRUE)]
    config <- config[intersect(names(config), names(derived))]
    values <- derived[union(intersect(names(values), names(derived)), touched)]
  }
  for (key in names(values)) {
    value <- kc_builtin_coerce(key, values[[key]], info$defaults[[key]], info)
    config <- if (is.null(value) && key %in% names(info$rules$after)) {
      kc_config_unset(config, key, names(info$defaults))
    } else {
      kc_config_set(config, key, value, info$rules)
    }
  }
  kc_builtin_check(info, config, names(values))
  assign(".__config__", config, envir = kc_env(object))
  invisible(object)
}

#' @rdname set_config
#' @export
get_compile_config <- function(model) {
  if (!kc_is_instance(model)) kc_abort(sprintf("Expected a model, not %s.", kc_describe(model)), "kerasconfig_error_type")
  model[[".__compile_config__"]]
}
