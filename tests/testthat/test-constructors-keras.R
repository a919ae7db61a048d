# Our constructors against Keras 3.15.1 itself: tests/testthat/fixtures/constructors.json holds what
# Keras wrote (or refused) for 2963 argument sets of 273 public built-in classes
# (tools/gen-constructor-fixtures.py). Each case runs twice: numbers as the fixture types them (R
# integers for Python ints), and every number as an R double, as an R user types them.

# Classes with at least one case that still differs from Keras, each with the reason. The test
# fails when a class outside this list differs, and when a class in it no longer does (remove it).
kc_constructor_exceptions <- character()

# Cases where we accept what Keras refuses, on purpose, known by Keras' message. We must accept
# them (a refusal or another difference still fails the test).
kc_constructor_accepted <- c(
  # Refused by the numpy backend the fixtures were made with, taken by TensorFlow's (sparse and
  # ragged inputs, synchronized batch normalization): configs do not depend on a backend.
  backend = "backend",
  # Python tells 3 from [3]; R does not: a number is a one-element vector, so where Keras wants a
  # list (a shape, class ids, thresholds, weights), a number is that list.
  scalar_is_vector = "is not iterable|has no len\\(\\)|Cannot convert '3' to a shape|has no attribute 'shape'"
)

kc_accepted_on_purpose <- function(result) {
  grepl("we accept$", result) & grepl(paste(kc_constructor_accepted, collapse = "|"), result)
}

test_that("constructors write Keras' own config for every argument set, with R integers and with doubles", {
  results <- kc_constructor_results()
  expect_gt(nrow(results), 5000L)
  on_purpose <- kc_accepted_on_purpose(results$result)
  expect_equal(sum(on_purpose), 34L)
  results$result[on_purpose] <- "match"
  failing <- unique(results$path[results$result != "match"])
  unexpected <- setdiff(failing, kc_constructor_exceptions)
  first <- vapply(unexpected, function(p) {
    r <- results[results$path == p & results$result != "match", ][1L, ]
    sprintf("%s case %d%s: %s", p, r$case, if (r$doubles) " (doubles)" else "", r$result)
  }, "")
  expect(length(unexpected) == 0L, paste(c("Classes differing from Keras:", first), collapse = "\n"))
  stale <- setdiff(kc_constructor_exceptions, failing)
  expect(length(stale) == 0L, paste("Exceptions that now match Keras (remove them):", paste(stale, collapse = ", ")))
  # The convention does not matter any more: integers and doubles fail in the same classes.
  expect_setequal(unique(results$path[results$result != "match" & results$doubles]),
                  unique(results$path[results$result != "match" & !results$doubles]))
})

test_that("the cases issue 9 names write what Keras writes", {
  json <- function(x) config_to_json(serialize_keras_object(x)$config)
  expect_match(json(keras$layers$MaxPooling1D(pool_size = 3)), '"pool_size": [3], "padding": "valid", "strides": [3]',
               fixed = TRUE)
  expect_match(json(keras$regularizers$L1(l1 = 0.001)), "0.0010000000474974513", fixed = TRUE)
  expect_false(grepl("dtype", json(keras$losses$MeanSquaredError(dtype = "float16"))))
  expect_match(json(initializer_glorot_uniform(seed = 1)), '"seed": 1,', fixed = TRUE)
  expect_match(json(keras$constraints$MaxNorm(max_value = 2)), '"max_value": 2.0', fixed = TRUE)
  expect_match(json(layer_dense(units = 3, activity_regularizer = "l2")),
               '"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "activity_regularizer"',
               fixed = TRUE)
  expect_error(keras$layers$InputLayer(), class = "kerasconfig_error_missing_argument")
})

test_that("a float read from JSON stays a float, also after set_config()", {
  text <- '{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}, "registered_name": null}'
  obj <- deserialize_keras_object(config_from_json(text = text))
  expect_identical(config_to_json(serialize_keras_object(obj)), text)
  set_config(obj, axis = 1)
  expect_match(config_to_json(serialize_keras_object(obj)), '"max_value": 2.0, "axis": 1', fixed = TRUE)
})

test_that("one number, or one per dimension, becomes the pairs and tuples Keras stores, from R vectors too", {
  json <- function(x, key) config_to_json(serialize_keras_object(x)$config[[key]])
  # Keras 3.15.1: Cropping2D(cropping=(1, 2)), ZeroPadding3D(padding=(1, (2, 3), 4)),
  # Conv2DTranspose(2, 4, strides=3, output_padding=1).
  expect_identical(json(keras$layers$Cropping2D(cropping = c(1, 2)), "cropping"), "[[1, 1], [2, 2]]")
  expect_identical(json(layer_cropping_3d(cropping = 1), "cropping"), "[[1, 1], [1, 1], [1, 1]]")
  expect_identical(json(keras$layers$ZeroPadding3D(padding = list(1, c(2, 3), 4)), "padding"),
                   "[[1, 1], [2, 3], [4, 4]]")
  expect_identical(json(keras$layers$Conv2DTranspose(2, 4, strides = 3, output_padding = 1), "output_padding"),
                   "[1, 1]")
})

test_that("Keras' argument checks refuse alike in constructors, set_config() and deserialization", {
  # Keras 3.15.1's messages: Dense(units=-3), Dropout(rate=1.5), SpatialDropout1D(0.5, trainable=False).
  expect_error(layer_dense(units = -3), "expected a positive integer. Received: units=-3",
               class = "kerasconfig_error_value")
  d <- keras$layers$Dense(units = 3)
  expect_error(set_config(d, units = -3), "Received: units=-3", class = "kerasconfig_error_value")
  expect_identical(d$get_config()$units, 3L)
  text <- '{"module": "keras.layers", "class_name": "Dropout", "config": {"name": "d", "rate": 1.5}, "registered_name": null}'
  expect_error(deserialize_keras_object(config_from_json(text = text)),
               "Expected a float value between 0 and 1. Received: rate=1.5", class = "kerasconfig_error_value")
  expect_error(keras$layers$SpatialDropout1D(rate = 0.5, trainable = FALSE), "'trainable'",
               class = "kerasconfig_error_unknown_argument")
})

test_that("values Keras derives follow from configs read from JSON and changed by set_config(), as from Keras' constructor", {
  # Keras' from_config(config) is cls(**config): a fixture case's arguments on top of the base config,
  # read as JSON, make what Keras made of them.
  classes <- kc_fixture_classes()
  cases <- list(list("keras.layers.RandomInvert", list(factor = 0.5)), list("keras.layers.RandomShear", list(x_factor = 0.25)),
                list("keras.metrics.AUC", list(thresholds = c(0.25, 0.5, 0.75))),
                list("keras.initializers.VarianceScaling", list(distribution = "normal")),
                list("keras.layers.BatchNormalization", list(renorm = TRUE)),
                list("keras.layers.SpatialDropout1D", list(dtype = "mixed_float16")))
  for (x in cases) {
    cls <- Filter(function(c) c$path == x[[1]], classes)[[1]]
    case <- Filter(function(k) identical(names(k$args), names(x[[2]])) &&
                     identical(unlist(k$args), unlist(x[[2]])), cls$cases)[[1]]
    want <- config_to_json(kc_expected_config(cls$base, case))
    config <- cls$base
    config[names(x[[2]])] <- x[[2]]
    text <- config_to_json(list(module = sub("\\.[^.]*$", "", x[[1]]), class_name = sub(".*\\.", "", x[[1]]),
                                config = config, registered_name = NULL))
    read <- deserialize_keras_object(config_from_json(text = text))
    expect_identical(config_to_json(serialize_keras_object(read)$config), want, label = paste(x[[1]], "read"))
    made <- do.call(kc_generator_of(x[[1]]), cls$required)
    do.call(set_config, c(list(made), x[[2]]))
    expect_identical(config_to_json(serialize_keras_object(made)$config), want, label = paste(x[[1]], "set_config"))
  }
  # InputLayer refuses as Keras does, also from a config.
  expect_error(keras$layers$InputLayer(shape = 3, batch_shape = list(NULL, 3)), "cannot pass both `shape` and `batch_shape`",
               class = "kerasconfig_error_value")
  text <- '{"module": "keras.layers", "class_name": "InputLayer", "config": {"name": "i", "batch_input_shape": [null, 7]}, "registered_name": null}'
  expect_match(config_to_json(serialize_keras_object(deserialize_keras_object(config_from_json(text = text)))),
               '"batch_shape": [null, 7]', fixed = TRUE)
})

test_that("activation names resolve as Keras' activations.get(): built-ins, registered and scoped names; others refused", {
  local_empty_registry()
  # Keras 3.15.1: Dense(units=3, activation="relux") -> "Could not interpret activation function identifier: relux".
  expect_error(layer_dense(units = 3, activation = "relux"), "Could not interpret activation function identifier: relux",
               class = "kerasconfig_error_value")
  text <- '{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 3, "activation": "relux"}, "registered_name": null}'
  expect_error(deserialize_keras_object(config_from_json(text = text)), "relux", class = "kerasconfig_error_value")
  expect_identical(layer_dense(units = 3, activation = "swish")$get_config()$activation, "swish")
  act <- function(x) x
  made <- with_custom_object_scope(list(my_act = act), layer_dense(units = 3, activation = "my_act"))
  expect_identical(made$get_config()$activation, "my_act")
  register_keras_serializable(act, package = "MyPkg", name = "my_act")
  expect_identical(layer_dense(units = 3, activation = "MyPkg>my_act")$get_config()$activation, "MyPkg>my_act")
})

test_that("a set activity_regularizer is written where Keras' get_config() puts it, also when read from JSON", {
  classes <- kc_fixture_classes()
  for (path in c("keras.layers.Conv1D", "keras.layers.Embedding", "keras.layers.LSTM")) {
    cls <- Filter(function(c) c$path == path, classes)[[1]]
    case <- Filter(function(k) identical(names(k$args), "activity_regularizer"), cls$cases)[[1]]
    config <- kc_expected_config(cls$base, case)
    text <- config_to_json(list(module = "keras.layers", class_name = sub(".*\\.", "", path), config = config,
                                registered_name = NULL))
    expect_identical(config_to_json(serialize_keras_object(deserialize_keras_object(config_from_json(text = text)))),
                     text, label = path)
  }
})

test_that("classes with Keras' automatic config keep the arguments given, in the order given, as Keras does", {
  json <- function(x) config_to_json(serialize_keras_object(x)$config)
  # Keras 3.15.1: ELU(name="t", dtype="float16", input_shape=[3]) and
  # ELU.from_config({"name": "t", "dtype": "float16", "trainable": True, "alpha": 2.0}).
  f16 <- '{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float16"}, "registered_name": null}'
  expect_identical(json(keras$layers$ELU(name = "t", dtype = "float16", input_shape = list(3L))),
                   paste0('{"name": "t", "alpha": 1.0, "dtype": ', f16, ', "input_shape": [3], "trainable": true}'))
  text <- paste0('{"module": "keras.layers", "class_name": "ELU", "config": {"name": "t", "dtype": ', f16,
                 ', "trainable": true, "alpha": 2.0}, "registered_name": null}')
  expect_identical(json(deserialize_keras_object(config_from_json(text = text))),
                   paste0('{"name": "t", "alpha": 2.0, "dtype": ', f16, ', "trainable": true}'))
  # The order Keras wrote is kept, on the fast path (a model) too.
  layer <- paste0('{"module": "keras.layers", "class_name": "ELU", "config": {"name": "e", "alpha": 2.0, "dtype": ', f16,
                  ', "trainable": true}, "registered_name": null}')
  model <- paste0('{"module": "keras", "class_name": "Sequential", "config": {"name": "s", "trainable": true, ',
                  '"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, ',
                  '"layers": [', layer, ']}, "registered_name": null}')
  read <- deserialize_keras_object(config_from_json(text = model))
  expect_identical(config_to_json(serialize_keras_object(read)$config$layers[[1]]), layer)
})

test_that("an argument Keras places when set goes back to its default place when set_config() makes it NULL", {
  classes <- kc_fixture_classes()
  base <- Filter(function(c) c$path == "keras.layers.Conv1D", classes)[[1]]$base
  conv <- keras$layers$Conv1D(filters = 2L, kernel_size = 3L, name = "c", activity_regularizer = "l2")
  expect_false(identical(names(conv$get_config()), names(base)))
  set_config(conv, activity_regularizer = NULL)
  expect_identical(names(conv$get_config()), names(base))
  expect_null(conv$get_config()$activity_regularizer)
  # Set again: where Keras' get_config() puts it, after `dtype`.
  set_config(conv, activity_regularizer = "l1")
  keys <- names(conv$get_config())
  expect_identical(keys[match("dtype", keys) + 1L], "activity_regularizer")
})

test_that("MultiOptimizer gives its loss_scale_factor to the optimizers of its map, in place, as Keras does", {
  sgd <- optimizer_sgd()
  adam <- optimizer_adam(loss_scale_factor = 4)
  map <- keras$optimizers$OptimizerMap(default_optimizer = sgd)
  multi <- keras$optimizers$MultiOptimizer(optimizer_map = map, loss_scale_factor = 128)
  expect_identical(sgd$get_config()$loss_scale_factor, 128)
  # None too: Keras assigns whatever it is given.
  map2 <- keras$optimizers$OptimizerMap(default_optimizer = adam)
  keras$optimizers$MultiOptimizer(optimizer_map = map2)
  expect_true("loss_scale_factor" %in% names(adam$get_config()))
  expect_null(adam$get_config()$loss_scale_factor)
})
