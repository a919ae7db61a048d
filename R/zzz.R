# Loading the package from its lazy-load database gives every binding its own copy of a closure:
# `layer_dense`, the generator its instances point at, `kc_builtin_objects[[key]]` and
# `keras$layers$Dense` would be four objects, and the registry knows objects by identity. So
# the exported constructors become the one object every other reference uses.
# Classes are the objects of `kc_builtin_objects`; their keras3-named constructors (fronts, see
# kc_builtin_front()) are re-attached to the class's environment, and keras3's aliases
# (`constraint_maxnorm`) become the very object they alias.
.onLoad <- function(libname, pkgname) {
  ns <- environment(.onLoad)
  for (key in ls(kc_builtin_objects, all.names = TRUE)) {
    obj <- kc_builtin_objects[[key]]
    if (inherits(obj, "keras_class")) assign("generator", obj, envir = environment(unclass(obj)))
  }
  fronts <- list()
  for (name in names(kc_builtin_exports)) {
    key <- kc_builtin_exports[[name]]
    obj <- get(name, envir = ns)
    if (!inherits(obj, "keras_class")) {
      assign(key, obj, envir = kc_builtin_objects)
      next
    }
    if (is.null(fronts[[key]])) {
      f <- unclass(obj)
      environment(f) <- environment(unclass(kc_builtin_objects[[key]]))
      fronts[[key]] <- structure(f, class = "keras_class")
    }
    assign(name, fronts[[key]], envir = ns)
  }
  assign("keras", kc_builtin_tree(kc_builtin_paths), envir = ns)
}
