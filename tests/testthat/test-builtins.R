builtin_config <- function(module, class_name, config = named_list(), registered_name = NULL) {
  list(module = module, class_name = class_name, config = config, registered_name = registered_name)
}
named_list <- function(...) kerasconfig:::named_list(...)

test_that("every catalog symbol resolves: classes by module and name, functions by name", {
  local_empty_registry()
  s <- as.data.frame(kerasconfig:::rs_catalog_symbols())
  helpers <- s$kind == "function" & s$name %in% c("get", "serialize", "deserialize")
  function_modules <- c("keras.activations", "keras.constraints", "keras.initializers", "keras.losses",
                        "keras.metrics", "keras.optimizers", "keras.regularizers")
  checked <- 0L
  for (i in seq_len(nrow(s))) {
    row <- s[i, ]
    res <- if (row$kind == "class") {
      kerasconfig:::rs_resolve("class", row$name, row$namespace, NULL, NULL, NULL)
    } else {
      kerasconfig:::rs_resolve("function", row$name, "builtins", NULL, NULL, NULL)
    }
    if (helpers[i]) {
      expect_s3_class(res, "kc_rust_error")
      next
    }
    if (row$kind == "function" && !row$namespace %in% function_modules) {
      # Layer functions (Input, add, ...) Keras writes but cannot read back.
      expect_s3_class(res, "kc_rust_error")
      next
    }
    expect_identical(res$kind, "builtin", label = paste(row$namespace, row$name))
    expect_false(is.null(kerasconfig:::kc_builtin_object(res$id, res$key)))
    checked <- checked + 1L
  }
  expect_gt(checked, 400L)
})

test_that("the documented Adam example gives an Adam optimizer with those values", {
  config <- list(class_name = "Adam", config = list(amsgrad = FALSE, beta_1 = 0.8999999761581421,
    beta_2 = 0.9990000128746033, epsilon = 1e-07, learning_rate = 0.0010000000474974513, name = "Adam"),
    module = "keras.optimizers", registered_name = NULL)
  adam <- deserialize_keras_object(config)
  expect_s3_class(adam, c("Adam", "keras_optimizers", "keras_builtin"))
  cfg <- adam$get_config()
  expect_identical(cfg$beta_1, 0.8999999761581421)
  expect_identical(cfg$learning_rate, 0.0010000000474974513)
  expect_identical(cfg$name, "Adam")
  expect_identical(names(cfg)[1:2], c("name", "learning_rate")) # Keras' key order, not the input's
  expect_false(is.null(cfg$ema_momentum))                       # missing keys filled from the defaults
})

test_that("the documented subclassing example works end to end", {
  local_empty_registry()
  loss_modified_mse <- Loss("ModifiedMeanSquaredError", inherit = loss_mean_squared_error,
                            parent_env = globalenv())
  register_keras_serializable(loss_modified_mse)
  expect_identical(names(get_custom_objects()), "Custom>ModifiedMeanSquaredError")
  expect_identical(get_registered_name(loss_modified_mse), "Custom>ModifiedMeanSquaredError")
  full_config <- serialize_keras_object(loss_modified_mse())
  expect_identical(full_config, list(module = "<r-globalenv>", class_name = "ModifiedMeanSquaredError",
                                     config = list(name = "mean_squared_error", reduction = "sum_over_batch_size"),
                                     registered_name = "Custom>ModifiedMeanSquaredError"))
  back <- deserialize_keras_object(full_config)
  expect_s3_class(back, c("ModifiedMeanSquaredError", "MeanSquaredError"))
  expect_identical(serialize_keras_object(back), full_config)
})

test_that("a subclass of a built-in may add methods and config keys", {
  local_empty_registry()
  layer_scaled <- Layer("ScaledDense", inherit = layer_dense,
    initialize = function(units, scale = 1, ...) {
      super$initialize(units = units, ...)
      self$scale <- scale
    },
    get_config = function() c(super$get_config(), list(scale = self$scale)))
  register_keras_serializable(layer_scaled, package = "MyPkg")
  cfg <- serialize_keras_object(layer_scaled(units = 3, scale = 2, name = "sd"))
  expect_identical(cfg$config$units, 3L)
  expect_identical(cfg$config$scale, 2)
  expect_identical(cfg$registered_name, "MyPkg>ScaledDense")
  expect_identical(serialize_keras_object(deserialize_keras_object(cfg)), cfg)
})

test_that("aliases resolve to the canonical class, which is what gets written", {
  x <- deserialize_keras_object(builtin_config("keras.layers", "Convolution2D", list(filters = 2L, kernel_size = 3L)))
  cfg <- serialize_keras_object(x)
  expect_identical(cfg$class_name, "Conv2D")
  expect_identical(cfg$config$kernel_size, list(3L, 3L))
  expect_identical(serialize_keras_object(deserialize_keras_object(builtin_config("keras.initializers", "glorot_uniform")))$class_name,
                   "GlorotUniform")
})

test_that("private and legacy module paths resolve to the public class", {
  private <- deserialize_keras_object(builtin_config("keras.src.layers.core.dense", "Dense", list(units = 2L), "Dense"))
  expect_s3_class(private, "Dense")
  expect_identical(serialize_keras_object(private)$module, "keras.layers")
  for (module in c("keras.models.functional", "keras.src.engine.functional")) {
    res <- kerasconfig:::rs_resolve("class", "Functional", module, "Functional", NULL, NULL)
    expect_identical(res$kind, "builtin", label = module)
    expect_identical(res$key, "keras.src.models.functional.Functional")
  }
})

test_that("a registered_name other than NULL, empty or the class name is refused for built-ins", {
  expect_s3_class(deserialize_keras_object(builtin_config("keras.layers", "Dense", list(units = 2L), "")), "Dense")
  expect_s3_class(deserialize_keras_object(builtin_config("keras.layers", "Dense", list(units = 2L), "Dense")), "Dense")
  expect_error(deserialize_keras_object(builtin_config("keras.layers", "Dense", list(units = 2L), "Evil>Dense")),
               class = "kerasconfig_error_registered_name",
               regexp = "`registered_name=Evil>Dense` was provided in the config, but 'Dense' resolved to a Keras built-in")
})

test_that("the registry still comes first, as in Keras", {
  local_empty_registry()
  mine <- Layer("Dense", initialize = function(...) { super$initialize(name = "mine") })
  register_keras_serializable(mine, name = "Dense", package = "Custom")
  x <- deserialize_keras_object(builtin_config("keras.layers", "Dense", list(units = 2L), "Custom>Dense"))
  expect_identical(x$name, "mine")
})

test_that("Keras' non-modeling APIs and the namespace helpers are never resolvable", {
  expect_error(deserialize_keras_object(builtin_config("keras.saving", "load_model")),
               class = "kerasconfig_error_non_modeling", regexp = "is not a modeling function")
  expect_error(deserialize_keras_object(builtin_config("keras.utils", "get_file")),
               class = "kerasconfig_error_non_modeling")
  expect_error(deserialize_keras_object(builtin_config("keras.config", "enable_unsafe_deserialization")),
               class = "kerasconfig_error_non_modeling")
  expect_error(deserialize_keras_object(list(module = "builtins", class_name = "function", config = "deserialize",
                                             registered_name = "function")), class = "kerasconfig_error")
})

test_that("unknown config keys are refused as Keras refuses them, with the location", {
  err <- expect_error(deserialize_keras_object(list(layers = list(builtin_config("keras.layers", "Dense", list(units = 2L, bogus = 2))))),
                      class = "kerasconfig_error_unknown_argument")
  expect_match(conditionMessage(err), "Unrecognized keyword arguments passed to Dense: 'bogus'", fixed = TRUE)
  expect_identical(err$path, "config$layers[[1]]")
  expect_error(layer_dense(units = 2, bogus = 2), class = "kerasconfig_error_unknown_argument")
})

test_that("unknown classes in a keras module suggest the close name", {
  err <- expect_error(deserialize_keras_object(builtin_config("keras.optimizers", "Adamm")),
                      class = "kerasconfig_error_unknown_class")
  expect_match(conditionMessage(err), "Did you mean 'Adam'?", fixed = TRUE)
  expect_error(deserialize_keras_object(builtin_config("keras.nowhere", "Dense")),
               class = "kerasconfig_error_unknown_class", regexp = "parent module keras.nowhere cannot be imported")
})

test_that("deserialized built-ins hold live nested objects that users can change", {
  x <- deserialize_keras_object(config_from_json(reference_text("objects/layers/Dense.json")))
  init <- x$get_config()$kernel_initializer
  expect_s3_class(init, c("GlorotUniform", "keras_initializers"))
  expect_s3_class(x$get_config()$dtype, "DTypePolicy")
})

test_that("constructors coerce arguments to the types Keras stores", {
  clear_session()
  d <- layer_dense(units = 4, kernel_initializer = "he_normal", kernel_regularizer = "l2", dtype = "mixed_float16")
  cfg <- serialize_keras_object(d)$config
  expect_identical(cfg$units, 4L)
  expect_identical(cfg$name, "dense")
  expect_identical(cfg$kernel_initializer$class_name, "HeNormal")
  expect_identical(cfg$kernel_regularizer$class_name, "L2")
  expect_identical(cfg$dtype$config$name, "mixed_float16")
  expect_identical(serialize_keras_object(layer_dense(units = 1))$config$name, "dense_1")
  conv <- serialize_keras_object(layer_conv_2d(filters = 8, kernel_size = 3, strides = c(2, 2)))$config
  expect_identical(conv$kernel_size, list(3L, 3L))
  expect_identical(conv$strides, list(2L, 2L))
  expect_identical(serialize_keras_object(optimizer_adam(learning_rate = 0.01))$config$learning_rate, 0.009999999776482582)
  expect_identical(serialize_keras_object(layer_dense(units = 2, activation = activation_relu))$config$activation, "relu")
  expect_error(layer_dense(), class = "kerasconfig_error_missing_argument", regexp = "'units'")
})

test_that("every built-in is reachable by Python path and by keras3-style name, both making the same class", {
  # keras3's names take keras3's arguments, so they are constructors of the Python-path class.
  expect_identical(layer_dense(units = 1)$.__class__, keras$layers$Dense)
  expect_identical(optimizer_adam()$.__class__, keras$optimizers$Adam)
  expect_identical(learning_rate_schedule_exponential_decay(0.1, 10, 0.9)$.__class__,
                   keras$optimizers$schedules$ExponentialDecay)
  expect_identical(keras$activations$relu, activation_relu)
  expect_identical(keras$layers$Convolution2D, keras$layers$Conv2D)
  for (f in list(metric_auc, initializer_glorot_uniform, regularizer_l1, constraint_max_norm, loss_mean_squared_error)) {
    expect_s3_class(f, "keras_class")
  }
  expect_identical(keras$optimizers$Adam(learning_rate = 0.01)$get_config()$learning_rate, 0.009999999776482582)
  expect_identical(serialize_keras_object(activation_relu),
                   list(module = "builtins", class_name = "function", config = "relu", registered_name = "function"))
  expect_error(activation_relu(1), class = "kerasconfig_error_not_computable")
})

test_that("function configs resolve to built-in functions by name", {
  relu <- deserialize_keras_object(list(module = "builtins", class_name = "function", config = "relu", registered_name = "function"))
  expect_identical(relu, activation_relu)
  swish <- deserialize_keras_object(list(module = "builtins", class_name = "function", config = "swish", registered_name = "function"))
  expect_identical(attr(swish, "keras_name"), "silu")
})

test_that("a built-in class is one object however it is reached, so registering it by either name counts", {
  local_empty_registry()
  id <- kerasconfig:::rs_identity
  expect_identical(id(keras$layers$Dense), id(kerasconfig:::kc_builtin_objects[["keras.layers.Dense"]]))
  expect_identical(id(keras$layers$Dropout), id(layer_dropout(rate = 0.5)$.__class__))
  register_keras_serializable(layer_dropout, name = "MyDropout", package = "Mine")
  expect_identical(serialize_keras_object(layer_dropout(rate = 0.5))$registered_name, "Mine>MyDropout")
  expect_identical(serialize_keras_object(keras$layers$Dropout(rate = 0.5))$registered_name, "Mine>MyDropout")
  expect_identical(get_registered_name(layer_dropout), "Mine>MyDropout")
  expect_identical(get_registered_name(keras$layers$Dropout), "Mine>MyDropout")
  register_keras_serializable(keras$layers$Dense, name = "MyDense", package = "Mine")
  expect_identical(get_registered_name(layer_dense(units = 1)), "Mine>MyDense")
})

test_that("an alias with the canonical class name as registered_name is accepted, as Keras accepts it", {
  x <- deserialize_keras_object(builtin_config("keras.layers", "Convolution2D", list(filters = 2L, kernel_size = 3L), "Conv2D"))
  expect_s3_class(x, "Conv2D")
})
