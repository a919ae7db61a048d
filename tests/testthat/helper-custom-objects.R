# R versions of the custom objects the reference models were saved with in Python (see the
# reference README), registered under the same names.
register_reference_custom_objects <- function(envir = parent.frame()) {
  local_empty_registry(envir)
  fns <- list(
    "MyPkg>scaled_tanh" = function(x) 2 * tanh(x),
    "MyPkg>abs_error_metric" = function(y_true, y_pred) abs(y_true - y_pred),
    "MyPkg>halved_mse" = function(y_true, y_pred) mean((y_true - y_pred)^2) / 2,
    "Custom>double_it" = function(x) 2 * x
  )
  set_custom_objects(fns, clear = FALSE)
  register_keras_serializable(Regularizer("CustomL1",
    initialize = function(strength = 0.01) self$strength <- strength,
    get_config = function() list(strength = self$strength)), name = "custom_l1", package = "MyPkg")
  register_keras_serializable(Constraint("ClipTo",
    initialize = function(limit = 1) self$limit <- limit,
    get_config = function() list(limit = self$limit)), package = "MyPkg")
  register_keras_serializable(Initializer("ScaledOnes",
    initialize = function(scale = 1) self$scale <- scale,
    get_config = function() list(scale = self$scale)), package = "MyPkg")
  register_keras_serializable(Layer("ScaledDense",
    initialize = function(units, scale = 1, activation = NULL, kernel_regularizer = NULL, kernel_constraint = NULL,
                          kernel_initializer = NULL, ...) {
      super$initialize(...)
      self$units <- units
      self$scale <- scale
      self$activation <- deserialize_keras_object(activation)
      self$kernel_regularizer <- deserialize_keras_object(kernel_regularizer)
      self$kernel_constraint <- deserialize_keras_object(kernel_constraint)
      self$kernel_initializer <- deserialize_keras_object(kernel_initializer)
    },
    get_config = function() {
      c(super$get_config(), list(units = self$units, scale = self$scale, activation = self$activation,
                                 kernel_regularizer = self$kernel_regularizer,
                                 kernel_constraint = self$kernel_constraint,
                                 kernel_initializer = self$kernel_initializer))
    }), package = "MyPkg")
  register_keras_serializable(Layer("ResidualBlock",
    initialize = function(units, inner = NULL, ...) {
      super$initialize(...)
      self$units <- units
      self$inner <- deserialize_keras_object(inner)
    },
    get_config = function() c(super$get_config(), list(units = self$units, inner = self$inner))), package = "MyPkg")
  invisible()
}
