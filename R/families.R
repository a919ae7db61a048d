#' @include utils.R conditions.R class.R
NULL

# The keras3-named class families. Each inherits a root class that records what Keras' base
# class records in its config; the roots carry Keras' own module names.

kc_dtype_policy_config <- function(dtype) {
  if (is.list(dtype)) return(dtype)
  # The global policy a layer took when made: written as its config, as Keras' get_config does.
  if (kc_is_instance(dtype)) {
    if (!inherits(dtype, "DTypePolicy")) return(serialize_keras_object(dtype))
    dtype <- dtype$get_config()$name
  }
  list(module = "keras", class_name = "DTypePolicy", config = list(name = dtype %||% "float32"),
       registered_name = NULL)
}

kc_reject_unknown_args <- function(classname, dots) {
  if (length(dots)) {
    shown <- paste(sprintf("'%s'", names(dots) %||% rep("", length(dots))), collapse = ", ")
    kc_abort(sprintf("Unrecognized keyword arguments passed to %s: %s", classname, shown),
             "kerasconfig_error_unknown_argument")
  }
}

kc_root_layer <- kc_new_class("Layer", list(
  initialize = function(name = NULL, trainable = TRUE, dtype = NULL, autocast = TRUE,
                        activity_regularizer = NULL, ...) {
    classname <- kc_class_info(kc_class_of(self))$classname
    kc_reject_unknown_args(classname, list(...))
    # Straight into the instance's environment (every custom layer runs this).
    env <- kc_env(self)
    env$name <- name %||% kc_unique_name(kc_snake_case(classname))
    env$trainable <- trainable
    env$dtype <- dtype
    # Keras: a layer made without a dtype takes the global policy of the moment.
    env$.__dtype_policy__ <- if (is.null(dtype)) config_dtype_policy()
    env$activity_regularizer <- activity_regularizer
  },
  get_config = function() {
    config <- kc_auto_config(self, list(name = self$name))
    config["trainable"] <- list(self$trainable)
    config["dtype"] <- list(kc_dtype_policy_config(self$dtype %||% self$.__dtype_policy__))
    if (!is.null(self$activity_regularizer)) config["activity_regularizer"] <- list(self$activity_regularizer)
    config
  },
  add_weight = function(shape = NULL, initializer = NULL, dtype = NULL, trainable = TRUE, autocast = TRUE,
                        regularizer = NULL, constraint = NULL, aggregation = "none",
                        overwrite_with_gradient = FALSE, name = NULL) {
    kc_add_weight(self, shape, initializer, dtype, trainable, autocast, regularizer, constraint, aggregation,
                  overwrite_with_gradient, name)
  }
), inherit = NULL, parent_env = environment(), module = "keras", root = TRUE)

kc_root_loss <- kc_new_class("Loss", list(
  initialize = function(name = NULL, reduction = "sum_over_batch_size", dtype = NULL, ...) {
    kc_reject_unknown_args(kc_class_info(kc_class_of(self))$classname, list(...))
    self$name <- name %||% kc_snake_case(kc_class_info(kc_class_of(self))$classname)
    self$reduction <- reduction
    self$dtype <- dtype
  },
  get_config = function() {
    config <- list(name = self$name, reduction = self$reduction)
    if (!is.null(self$dtype)) config$dtype <- self$dtype
    kc_auto_config(self, config)
  }
), inherit = NULL, parent_env = environment(), module = "keras", root = TRUE)

kc_root_metric <- kc_new_class("Metric", list(
  initialize = function(dtype = NULL, name = NULL, ...) {
    kc_reject_unknown_args(kc_class_info(kc_class_of(self))$classname, list(...))
    self$name <- name %||% kc_snake_case(kc_class_info(kc_class_of(self))$classname)
    self$dtype <- dtype %||% config_floatx()
  },
  get_config = function() kc_auto_config(self, list(name = self$name, dtype = self$dtype))
), inherit = NULL, parent_env = environment(), module = "keras", root = TRUE)

kc_root_optimizer <- kc_new_class("Optimizer", list(
  initialize = function(learning_rate = 0.01, weight_decay = NULL, clipnorm = NULL, clipvalue = NULL,
                        global_clipnorm = NULL, use_ema = FALSE, ema_momentum = 0.99,
                        ema_overwrite_frequency = NULL, loss_scale_factor = NULL,
                        gradient_accumulation_steps = NULL, name = NULL, ...) {
    kc_reject_unknown_args(kc_class_info(kc_class_of(self))$classname, list(...))
    self$name <- name %||% kc_snake_case(kc_class_info(kc_class_of(self))$classname)
    self$learning_rate <- learning_rate
    self$weight_decay <- weight_decay
    self$clipnorm <- clipnorm
    self$global_clipnorm <- global_clipnorm
    self$clipvalue <- clipvalue
    self$use_ema <- use_ema
    self$ema_momentum <- ema_momentum
    self$ema_overwrite_frequency <- ema_overwrite_frequency
    self$loss_scale_factor <- loss_scale_factor
    self$gradient_accumulation_steps <- gradient_accumulation_steps
  },
  get_config = function() {
    lr <- self$learning_rate
    kc_auto_config(self, list(
      name = self$name,
      learning_rate = if (is.numeric(lr)) kc_float32(lr) else lr,
      weight_decay = self$weight_decay, clipnorm = self$clipnorm,
      global_clipnorm = self$global_clipnorm, clipvalue = self$clipvalue, use_ema = self$use_ema,
      ema_momentum = self$ema_momentum, ema_overwrite_frequency = self$ema_overwrite_frequency,
      loss_scale_factor = self$loss_scale_factor,
      gradient_accumulation_steps = self$gradient_accumulation_steps
    ))
  }
), inherit = NULL, parent_env = environment(), module = "keras", root = TRUE)

kc_root_empty <- function(classname, module) {
  kc_new_class(classname, list(get_config = function() kc_auto_config(self, named_list())),
               inherit = NULL, parent_env = environment(), module = module, root = TRUE)
}
kc_root_regularizer <- kc_root_empty("Regularizer", "keras")
kc_root_constraint <- kc_root_empty("Constraint", "keras.constraints")
kc_root_initializer <- kc_root_empty("Initializer", "keras")
kc_root_schedule <- kc_root_empty("LearningRateSchedule", "keras.optimizers.schedules")

# One family constructor: keras3's named arguments become members; `inherit` defaults to the root.
kc_family <- function(root, classname, members, inherit, parent_env) {
  members <- Filter(Negate(is.null), members)
  kc_new_class(classname, members, inherit %||% root, parent_env)
}

#' Keras class families
#'
#' Define subclasses of Keras' base classes, as keras3 does. Each returns a
#' class generator (see [new_keras_class()]); its instances record what the
#' Keras base class records in its config (a layer's `name`, `trainable`
#' and `dtype`; a loss's `name` and `reduction`; ...), plus, when the class
#' defines no `get_config`, the arguments it was constructed with.
#'
#' Layers have keras3's `self$add_weight(shape = NULL, initializer = NULL,
#' dtype = NULL, trainable = TRUE, autocast = TRUE, regularizer = NULL,
#' constraint = NULL, aggregation = "none", overwrite_with_gradient = FALSE,
#' name = NULL)`. Called in `build(input_shape)` (or `initialize()`), it
#' declares a variable of the layer: with `compute_output_shape(input_shape)`,
#' that is how a custom layer in a model reports its parameters to
#' [count_params()] and `summary()`. It returns the variable's description
#' (a `keras_variable` list: `name`, `path`, `shape`, `dtype`, `trainable`,
#' `initializer`, ...); kerasconfig holds no values.
#'
#' The generator `Layer()` returns takes keras3's `object` first, as the
#' built-in `layer_*()` constructors do: given a symbolic tensor or a list of
#' tensors it makes the layer and calls it (`x |> my_layer(units = 2)`), given
#' a Sequential model it adds the layer to it and returns the model, given
#' nothing (or `NULL`) it returns the layer. Other arguments go to
#' `initialize()`; name them (a first positional one is `object`).
#' Layers without a `get_config()` get Keras' auto-config: the arguments of
#' the most derived `initialize()`, defaults included.
#'
#' @inheritParams new_keras_class
#' @param initialize,call,build,get_config,update_state,result
#'   Methods, as in keras3 (optional).
#' @param ... Further named methods and fields.
#' @param public,private Lists of further members (keras3's form).
#' @param inherit The class to inherit from; defaults to the family's base.
#' @return A class generator.
#' @name keras_families
#' @examples
#' layer_scale <- Layer("Scale",
#'   initialize = function(factor = 2, ...) {
#'     super$initialize(...)
#'     self$factor <- factor
#'   },
#'   get_config = function() {
#'     config <- super$get_config()
#'     config$factor <- self$factor
#'     config
#'   }
#' )
#' layer_scale(factor = 3, name = "triple")$get_config()
#'
#' # Called on a tensor, the generator builds the layer and calls it.
#' layer_shift <- Layer("Shift",
#'   compute_output_shape = function(input_shape) input_shape
#' )
#' x <- keras_input(shape = 4)
#' keras_model(x, x |> layer_dense(2) |> layer_shift())
#'
#' loss_halved <- Loss("Halved")
#' loss_halved()$get_config()
NULL

#' @rdname keras_families
#' @export
Layer <- function(classname, initialize = NULL, call = NULL, build = NULL, get_config = NULL, ...,
                  public = list(), private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(initialize = initialize, call = call, build = build, get_config = get_config),
               list(...), public, private)
  kc_family(kc_root_layer, classname, members, inherit, parent_env)
}

#' @rdname keras_families
#' @export
Loss <- function(classname, call = NULL, ..., public = list(), private = list(), inherit = NULL,
                 parent_env = parent.frame()) {
  kc_family(kc_root_loss, classname, c(list(call = call), list(...), public, private), inherit, parent_env)
}

#' @rdname keras_families
#' @export
Metric <- function(classname, initialize = NULL, update_state = NULL, result = NULL, ...,
                   public = list(), private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(initialize = initialize, update_state = update_state, result = result),
               list(...), public, private)
  kc_family(kc_root_metric, classname, members, inherit, parent_env)
}

#' @rdname keras_families
#' @export
Regularizer <- function(classname, call = NULL, get_config = NULL, ..., public = list(),
                        private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(call = call, get_config = get_config), list(...), public, private)
  kc_family(kc_root_regularizer, classname, members, inherit, parent_env)
}

#' @rdname keras_families
#' @export
Constraint <- function(classname, call = NULL, get_config = NULL, ..., public = list(),
                       private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(call = call, get_config = get_config), list(...), public, private)
  kc_family(kc_root_constraint, classname, members, inherit, parent_env)
}

#' @rdname keras_families
#' @export
Initializer <- function(classname, call = NULL, get_config = NULL, ..., public = list(),
                        private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(call = call, get_config = get_config), list(...), public, private)
  kc_family(kc_root_initializer, classname, members, inherit, parent_env)
}

#' @rdname keras_families
#' @export
Optimizer <- function(classname, ..., public = list(), private = list(), inherit = NULL,
                      parent_env = parent.frame()) {
  kc_family(kc_root_optimizer, classname, c(list(...), public, private), inherit, parent_env)
}

#' @rdname keras_families
#' @export
LearningRateSchedule <- function(classname, call = NULL, get_config = NULL, ..., public = list(),
                                 private = list(), inherit = NULL, parent_env = parent.frame()) {
  members <- c(list(call = call, get_config = get_config), list(...), public, private)
  kc_family(kc_root_schedule, classname, members, inherit, parent_env)
}

# keras3's alias names of the families.

#' @rdname keras_families
#' @export
new_layer_class <- Layer

#' @rdname keras_families
#' @export
new_loss_class <- Loss

#' @rdname keras_families
#' @export
new_metric_class <- Metric

#' @rdname keras_families
#' @export
new_learning_rate_schedule_class <- LearningRateSchedule
