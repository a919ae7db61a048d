#' Safe mode for deserialization
#'
#' Safe mode refuses to load code stored in a config (a `__lambda__`).
#' `config_enable_unsafe_deserialization()` turns it off for the rest of the
#' session; `with_safe_mode()` sets it for one expression and restores the
#' setting afterwards. An active setting overrides the `safe_mode` argument of
#' [deserialize_keras_object()], as in Keras.
#'
#' @param safe_mode `TRUE` or `FALSE`.
#' @param expr An expression, evaluated in the calling frame.
#' @return `config_enable_unsafe_deserialization()`: `NULL`, invisibly.
#'   `with_safe_mode()`: the value of `expr`.
#' @export
#' @examples
#' with_safe_mode(FALSE, kerasconfig:::kc_safe_mode(TRUE))
config_enable_unsafe_deserialization <- function() {
  rs_safe_mode_set(FALSE)
  invisible(NULL)
}

#' @rdname config_enable_unsafe_deserialization
#' @export
with_safe_mode <- function(safe_mode, expr) {
  if (!is.logical(safe_mode) || length(safe_mode) != 1L || is.na(safe_mode)) {
    kc_abort("`safe_mode` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  previous <- rs_safe_mode_set(safe_mode)
  on.exit(rs_safe_mode_set(previous), add = TRUE)
  expr
}

# The safe mode in force: the active setting if any, else the argument, which must be TRUE or
# FALSE (anything else would fail open).
kc_safe_mode <- function(arg) {
  if (!is.logical(arg) || length(arg) != 1L || is.na(arg)) {
    kc_abort("`safe_mode` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  rs_safe_mode_get() %||% arg
}
