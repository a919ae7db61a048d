#' @include utils.R conditions.R class.R families.R
NULL

# Subclassed models: keras3's Model() family. Keras 3.15.1's Model records what Layer records
# (name, trainable, dtype) and, for a class without get_config(), an auto-config, always a
# compile_config and, once built, a build_config. Keras' Model.__new__ does not pass the
# constructor's arguments on, so a model's auto-config holds the *defaults* of its __init__
# (keras/src/models/model.py, keras/src/ops/operation.py); we write the same, and warn when
# that differs from the arguments given.

kc_root_model <- kc_new_class("Model", list(
  initialize = function(name = NULL, trainable = TRUE, dtype = NULL, autocast = TRUE, ...) {
    kc_reject_unknown_args(kc_class_info(kc_class_of(self))$classname, list(...))
    self$name <- name %||% kc_unique_name(kc_snake_case(kc_class_info(kc_class_of(self))$classname))
    self$trainable <- trainable
    self$dtype <- dtype
    self$.__dtype_policy__ <- if (is.null(dtype)) config_dtype_policy()
    self$.__compile_config__ <- named_list()
  },
  get_config = function() {
    config <- kc_model_auto_config(self, list(name = self$name))
    config["trainable"] <- list(self$trainable)
    config["dtype"] <- list(kc_dtype_policy_config(self$dtype %||% self$.__dtype_policy__))
    config
  },
  compile_from_config = function(config) {
    self$.__compile_config__ <- deserialize_keras_object(config)
  }
), inherit = NULL, parent_env = environment(), module = "keras", root = TRUE)
# Instances are models: compile(), summary() and the model verbs take them.
local({
  info <- kc_class_info(kc_root_model)
  info$s3 <- c("Model", "keras_models", "keras_object")
})

# Keras' auto-config for a subclassed model: the named parameters of the most derived
# `initialize` with their defaults; a parameter without one makes the model unserializable
# without get_config(), as in Keras.
kc_model_auto_config <- function(self, base) {
  info <- kc_class_info(kc_class_of(self))
  if (info$own_get_config) return(base)
  init <- NULL
  while (!is.null(info) && !isTRUE(info$root)) {
    if (is.function(info$methods$initialize)) {
      init <- info$methods$initialize
      break
    }
    info <- info$parent
  }
  if (is.null(init)) return(base)
  classname <- kc_class_info(kc_class_of(self))$classname
  f <- formals(init)
  f <- f[setdiff(names(f), c("...", names(base)))]
  missing_default <- names(f)[vapply(f, function(d) identical(d, quote(expr = )), TRUE)]
  if (length(missing_default)) {
    kc_abort(sprintf(paste("Model '%s' of class %s cannot be serialized: its initialize() argument(s) %s have no",
                           "default, and Keras' auto-config for a subclassed model records the defaults. Give the",
                           "class a get_config() method."), self$name, classname,
                     paste(sprintf("'%s'", missing_default), collapse = ", ")), "kerasconfig_error_serialize")
  }
  defaults <- lapply(f, eval, envir = environment(init))
  given <- get(".__args__", envir = kc_env(self), inherits = FALSE)
  differs <- Filter(function(n) n %in% names(given) && !identical(given[[n]], defaults[[n]]), names(defaults))
  if (length(differs)) {
    kc_warn(sprintf(paste("Model '%s' (%s) has no get_config(): as Keras does for subclassed models, its config",
                          "records the defaults of initialize(), not the values given for %s. Give the class a",
                          "get_config() method to keep them."), self$name, classname,
                    paste(sprintf("'%s'", differs), collapse = ", ")), "kerasconfig_warning_auto_config")
  }
  for (n in names(defaults)) base[n] <- list(defaults[[n]])
  base
}

#' Define a subclassed Keras model
#'
#' keras3's `Model()` (alias `new_model_class()`): a class generator whose
#' instances are models. Like [Layer()], methods see `self` and `super`; an
#' instance records `name`, `trainable` and `dtype`, a `compile_config`
#' (see [compile()]) and, once built (called on a tensor with
#' `model(x)` or [call_layer()], through its `compute_output_shape()` method), a
#' `build_config`. A class without `get_config()` gets Keras' auto-config for
#' subclassed models: the defaults of its `initialize()` arguments (Keras does
#' not record the values given; a warning says so when they differ).
#'
#' @inheritParams keras_families
#' @param initialize,call,train_step,predict_step,test_step,compute_loss,compute_metrics
#'   Methods, as in keras3 (optional). kerasconfig records configs; the
#'   training methods are kept but never run.
#' @return A class generator.
#' @export
#' @examples
#' MyModel <- Model("MyModel",
#'   initialize = function(units = 4, ...) {
#'     super$initialize(...)
#'     self$units <- units
#'   },
#'   get_config = function() {
#'     config <- super$get_config()
#'     config$units <- self$units
#'     config
#'   }
#' )
#' m <- MyModel(units = 8, name = "mine")
#' str(serialize_keras_object(m)$config)
Model <- function(classname, initialize = NULL, call = NULL, train_step = NULL, predict_step = NULL,
                  test_step = NULL, compute_loss = NULL, compute_metrics = NULL, ..., public = list(),
                  private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(initialize = initialize, call = call, train_step = train_step, predict_step = predict_step,
                    test_step = test_step, compute_loss = compute_loss, compute_metrics = compute_metrics),
               list(...), public, private)
  kc_family(kc_root_model, classname, members, inherit, parent_env)
}

#' @rdname Model
#' @export
new_model_class <- Model
