#' Evaluate an expression with custom objects in scope
#'
#' While `expr` runs, `objects` are visible to [deserialize_keras_object()] and
#' [get_registered_object()], ahead of the global registry. Entering a scope
#' *replaces* the objects of any enclosing scope (Keras 3's semantics); they
#' come back when `expr` finishes, also when it fails or is interrupted.
#'
#' @param objects A named list of classes and functions. Classes may be given
#'   without a name (their class name is used); an anonymous function needs one.
#' @param expr The expression, evaluated lazily in the calling frame, so
#'   assignments inside `{}` persist.
#' @return The value of `expr`.
#' @export
#' @examples
#' layer_plain <- Layer("Plain")
#' config <- serialize_keras_object(layer_plain(name = "p"))
#' obj <- with_custom_object_scope(list(Plain = layer_plain), {
#'   deserialize_keras_object(config)
#' })
#' obj$name
with_custom_object_scope <- function(objects, expr) {
  objects <- kc_as_objects(objects, "objects") %||% named_list()
  depth <- kc_check(rs_scope_enter(objects, FALSE))
  on.exit(rs_scope_leave(depth), add = TRUE)
  expr
}
