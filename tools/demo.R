# The demo `make demo` runs: every documented example of the serialization API, with its output.
library(kerasconfig)

section <- function(title) cat("\n==== ", title, " ====\n", sep = "")
show <- function(expr) {
  code <- deparse(substitute(expr), width.cutoff = 100L)
  cat(paste0("> ", code, collapse = "\n"), "\n", sep = "")
  value <- withVisible(expr)
  if (value$visible) print(value$value)
  invisible(value$value)
}

old <- set_custom_objects(clear = TRUE)

section("Define a layer class and register it")
layer_scaled_dense <- Layer("ScaledDense",
  initialize = function(units, scale = 1, ...) {
    super$initialize(...)
    self$units <- as.integer(units)
    self$scale <- scale
  },
  get_config = function() {
    config <- super$get_config()
    config$units <- self$units
    config$scale <- self$scale
    config
  }
)
show(register_keras_serializable(layer_scaled_dense, package = "MyPkg"))
show(get_custom_objects())
show(get_registered_name(layer_scaled_dense))

section("Serialize an instance, then deserialize it")
layer <- layer_scaled_dense(units = 4, scale = 0.5, name = "scaled")
show(layer)
config <- show(serialize_keras_object(layer))
str(config)
back <- show(deserialize_keras_object(config))
show(identical(serialize_keras_object(back), config))

section("Functions")
scaled_tanh <- function(x) 2 * tanh(x)
register_keras_serializable(scaled_tanh, package = "MyPkg")
show(str(serialize_keras_object(scaled_tanh)))
show(identical(deserialize_keras_object(serialize_keras_object(scaled_tanh)), scaled_tanh))

section("Lookup order: scope, global registry, custom_objects, module_objects")
show(get_registered_object("MyPkg>scaled_tanh"))
show(with_custom_object_scope(list("MyPkg>scaled_tanh" = identity), get_registered_object("MyPkg>scaled_tanh")))
show(get_registered_object("nothing", custom_objects = list(nothing = sqrt)))

section("Unregistered classes: clear errors, or custom_objects")
set_custom_objects(clear = TRUE)
show(tryCatch(deserialize_keras_object(config), kerasconfig_error = function(e) conditionMessage(e)))
show(deserialize_keras_object(config, custom_objects = list("MyPkg>ScaledDense" = layer_scaled_dense))$units)

section("Security: configs cannot reach R functions")
evil <- list(module = "base", class_name = "system", config = list(command = "echo pwned"),
             registered_name = "system")
show(tryCatch(deserialize_keras_object(evil), kerasconfig_error = function(e) class(e)))

section("Save and restore the registry")
show(names(set_custom_objects(old)))
