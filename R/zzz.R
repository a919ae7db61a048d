# Loading the package from its lazy-load database gives every binding its own copy of a closure:
# `layer_dense`, the generator its instances point at, `kc_builtin_objects[[key]]` and
# `keras$layers$Dense` would be four objects, and the registry knows objects by identity. So
# the exported constructors become the one object every other reference uses.
.onLoad <- function(libname, pkgname) {
  ns <- environment(.onLoad)
  for (name in names(kc_builtin_exports)) {
    assign(kc_builtin_exports[[name]], get(name, envir = ns), envir = kc_builtin_objects)
  }
  for (key in ls(kc_builtin_objects, all.names = TRUE)) {
    obj <- kc_builtin_objects[[key]]
    if (inherits(obj, "keras_class")) assign("generator", obj, envir = environment(unclass(obj)))
  }
  assign("keras", kc_builtin_tree(kc_builtin_paths), envir = ns)
}
