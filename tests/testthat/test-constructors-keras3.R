# keras3's argument conventions on the keras3-named constructors, Python's on `keras$...`. The
# expected texts are what Keras 3.15.1 writes for the Python arguments keras3 sends (printed by
# Keras itself, e.g. `keras.layers.Dot(axes=[0, 1]).get_config()`).

cfg_json <- function(x, key) config_to_json(serialize_keras_object(x)$config[[key]])

test_that("axes are 1-based on keras3 names, 0-based on keras$ paths, and axis = 0 is refused", {
  expect_identical(cfg_json(layer_batch_normalization(axis = 1), "axis"), "0")
  expect_identical(cfg_json(layer_batch_normalization(axis = -1), "axis"), "-1")
  expect_identical(cfg_json(keras$layers$BatchNormalization(axis = 1), "axis"), "1")
  expect_identical(cfg_json(keras$layers$BatchNormalization(axis = 0), "axis"), "0")
  expect_error(layer_batch_normalization(axis = 0), class = "kerasconfig_error_axis")
  expect_error(layer_batch_normalization(axis = 0), "1-based")
  expect_error(layer_layer_normalization(axis = c(1, 0)), class = "kerasconfig_error_value")
  expect_error(layer_batch_normalization(axis = 1.5), class = "kerasconfig_error_type")
  # axes and shared_axes too; vectors become Keras' lists.
  expect_identical(cfg_json(layer_dot(axes = c(1, 2)), "axes"), "[0, 1]")
  expect_identical(cfg_json(keras$layers$Dot(axes = c(1L, 2L)), "axes"), "[1, 2]")
  expect_identical(cfg_json(layer_activation_parametric_relu(shared_axes = c(1, 2)), "shared_axes"), "[0, 1]")
  expect_identical(cfg_json(layer_layer_normalization(axis = c(1, 2)), "axis"), "[0, 1]")
  expect_identical(cfg_json(loss_categorical_crossentropy(axis = 1), "axis"), "0")
  expect_identical(cfg_json(constraint_maxnorm(axis = 2), "axis"), "1")
  # keras3 shows Python's 0 default as 1; the config is Keras' default either way.
  expect_identical(formals(constraint_maxnorm)$axis, 1L)
  expect_identical(formals(keras$constraints$MaxNorm)$axis, 0L)
  expect_identical(cfg_json(constraint_maxnorm(), "axis"), "0")
})

test_that("constraint_maxnorm() keeps a fractional max_value, where keras3 truncates it", {
  expect_identical(cfg_json(constraint_maxnorm(max_value = 2.5, axis = 2), "max_value"), "2.5")
  expect_identical(cfg_json(constraint_maxnorm(max_value = 2), "max_value"), "2.0")
})

test_that("seeds and sizes are integers; a fraction is refused rather than truncated", {
  expect_identical(serialize_keras_object(initializer_glorot_uniform(seed = 1))$config$seed, 1L)
  expect_identical(serialize_keras_object(layer_dense(units = 4))$config$units, 4L)
  expect_identical(serialize_keras_object(layer_dropout(rate = 0.5, seed = 7))$config$seed, 7L)
  expect_error(initializer_glorot_uniform(seed = 1.5), class = "kerasconfig_error_type")
  expect_error(layer_dropout(rate = 0.5, seed = 1.5), "whole number")
})

test_that("shapes take NA or NULL for an unknown dimension, and one number is a 1-D shape", {
  batch_shape <- function(x) cfg_json(x, "batch_shape")
  expect_identical(batch_shape(layer_input_layer(shape = c(NA, 28))), "[null, null, 28]")
  expect_identical(batch_shape(layer_input_layer(shape = list(NULL, 28))), "[null, null, 28]")
  expect_identical(batch_shape(layer_input_layer(shape = 784)), "[null, 784]")
  expect_identical(batch_shape(layer_input_layer(batch_shape = c(NA, NA, 28))), "[null, null, 28]")
  expect_identical(batch_shape(keras$layers$InputLayer(shape = list(NULL, 28L))), "[null, null, 28]")
  expect_identical(cfg_json(layer_dropout(rate = 0.5, noise_shape = c(NA, 1, 5)), "noise_shape"), "[null, 1, 5]")
  expect_identical(cfg_json(layer_einsum_dense(equation = "ab,bc->ac", output_shape = 64), "output_shape"), "[64]")
  expect_identical(cfg_json(layer_reshape(target_shape = c(NA, 4)), "target_shape"), "[-1, 4]")
  expect_error(layer_input_layer(shape = c(NA, 2.5)), class = "kerasconfig_error_type")
})

test_that("padding and cropping take a number or a pair per dimension", {
  expect_identical(cfg_json(layer_zero_padding_2d(padding = list(c(1, 2), c(3, 4))), "padding"), "[[1, 2], [3, 4]]")
  expect_identical(cfg_json(layer_cropping_2d(cropping = list(c(1, 2), c(3, 4))), "cropping"), "[[1, 2], [3, 4]]")
  expect_error(layer_zero_padding_2d(padding = list(c(1, 2, 3), 1)), class = "kerasconfig_error_type")
})

test_that("keras3's names are aliases of ours: the same objects", {
  aliases <- list(
    c("constraint_maxnorm", "constraint_max_norm"), c("constraint_minmaxnorm", "constraint_min_max_norm"),
    c("constraint_nonneg", "constraint_non_neg"), c("constraint_unitnorm", "constraint_unit_norm"),
    c("layer_upsampling_1d", "layer_up_sampling_1d"), c("layer_upsampling_2d", "layer_up_sampling_2d"),
    c("layer_upsampling_3d", "layer_up_sampling_3d"), c("metric_f1_score", "metric_f_1_score"),
    c("metric_fbeta_score", "metric_f_beta_score"), c("metric_r2_score", "metric_r_2_score"),
    c("regularizer_orthogonal", "regularizer_orthogonal_regularizer"),
    c("optimizer_loss_scale", "optimizer_loss_scale_optimizer"), c("layer_tfsm", "layer_tfsm_layer"),
    c("rnn_cell_lstm", "layer_lstm_cell"), c("rnn_cell_gru", "layer_gru_cell"),
    c("rnn_cell_simple", "layer_simple_rnn_cell"), c("rnn_cells_stack", "layer_stacked_rnn_cells"),
    c("bidirectional", "layer_bidirectional"), c("time_distributed", "layer_time_distributed")
  )
  ns <- asNamespace("kerasconfig")
  for (a in aliases) {
    expect_true(a[[1]] %in% getNamespaceExports(ns), label = a[[1]])
    expect_identical(get(a[[1]], envir = ns), get(a[[2]], envir = ns), label = a[[1]])
  }
  # Made through the alias, the object is the Keras class's.
  expect_identical(serialize_keras_object(constraint_nonneg())$class_name, "NonNeg")
  expect_identical(serialize_keras_object(rnn_cell_lstm(4))$config$units, 4L)
})

test_that("losses and metrics given y_true and y_pred refuse to compute instead of building an object", {
  expect_error(loss_mean_squared_error(c(1, 2), c(1, 3)), class = "kerasconfig_error_not_computable")
  expect_error(metric_binary_accuracy(y_true = 1, y_pred = 1), class = "kerasconfig_error_not_computable")
  expect_error(loss_categorical_crossentropy(y_pred = 1), "y_pred")
  expect_identical(serialize_keras_object(loss_mean_squared_error(reduction = "sum"))$config$reduction, "sum")
  expect_identical(names(formals(loss_mean_squared_error))[1:2], c("y_true", "y_pred"))
})

test_that("layer_lambda() takes keras3's f", {
  local_empty_registry()
  f <- function(x) x
  register_keras_serializable(f, name = "identity_fn", package = "Test")
  cfg <- serialize_keras_object(layer_lambda(f = f, output_shape = c(NA, 4)))$config
  expect_identical(cfg[["function"]]$config, "Test>identity_fn")
  expect_identical(config_to_json(cfg$output_shape), "[null, 4]")
  expect_identical(names(formals(layer_lambda))[1:2], c("object", "f"))
})

test_that("the preprocessing layers that need TensorFlow in Python construct, writing Keras' config", {
  # What Keras 3.15.1 (with TensorFlow) writes for the same arguments, name left out.
  keras_text <- list(
    text_vectorization = '{"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "max_tokens": 100, "standardize": "lower_and_strip_punctuation", "split": "whitespace", "ngrams": 2, "output_mode": "int", "output_sequence_length": 20, "pad_to_max_tokens": false, "sparse": false, "ragged": false, "vocabulary": null, "idf_weights": null, "encoding": "utf-8", "vocabulary_size": 2}',
    string_lookup = '{"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "invert": false, "max_tokens": 50, "num_oov_indices": 2, "oov_token": "[UNK]", "mask_token": null, "output_mode": "int", "sparse": false, "pad_to_max_tokens": false, "idf_weights": null, "vocabulary": null, "vocabulary_size": null, "oov_method": "floormod", "salt": null, "encoding": "utf-8"}',
    integer_lookup = '{"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "invert": false, "max_tokens": 10, "num_oov_indices": 1, "oov_token": -1, "mask_token": 0, "output_mode": "int", "sparse": false, "pad_to_max_tokens": false, "vocabulary_dtype": "int64", "idf_weights": null, "vocabulary": null, "vocabulary_size": null, "oov_method": "floormod", "salt": null}',
    hashing = '{"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "int64"}, "registered_name": null}, "num_bins": 3, "salt": null, "mask_value": null, "output_mode": "int", "sparse": false}'
  )
  made <- list(
    text_vectorization = layer_text_vectorization(max_tokens = 100, output_sequence_length = 20, ngrams = 2),
    string_lookup = layer_string_lookup(max_tokens = 50, num_oov_indices = 2),
    integer_lookup = layer_integer_lookup(max_tokens = 10, mask_token = 0),
    hashing = layer_hashing(num_bins = 3)
  )
  for (n in names(made)) {
    config <- serialize_keras_object(made[[n]])$config
    expect_match(config$name, paste0("^", n))
    config$name <- NULL
    expect_identical(config_to_json(config), keras_text[[n]], label = n)
  }
})

test_that("keras_model_sequential() takes keras3's arguments, and a first layer's input_shape makes the input layer", {
  # Keras 3.15.1: Sequential([InputLayer(batch_shape=(8, 4), name="x", optional=True), Dense(2)], trainable=False)
  model <- keras_model_sequential(input_batch_shape = c(8, 4), input_name = "x", input_optional = TRUE,
                                  trainable = FALSE, layers = list(layer_dense(units = 2)))
  config <- serialize_keras_object(model)$config
  expect_false(config$trainable)
  expect_identical(config_to_json(config$layers[[1]]$config),
                   '{"batch_shape": [8, 4], "dtype": "float32", "sparse": false, "ragged": false, "name": "x", "optional": true}')
  expect_identical(config$layers[[2]]$class_name, "Dense")
  # Keras 3.15.1: Sequential([Dense(2, input_shape=(None, 3))]) and Sequential().add(Dense(2, input_dim=5))
  first_input <- function(model) config_to_json(serialize_keras_object(model)$config$layers[[1]]$config$batch_shape)
  expect_identical(first_input(keras_model_sequential(layers = list(layer_dense(units = 2, input_shape = c(NA, 3))))),
                   "[null, null, 3]")
  expect_identical(first_input(keras_model_sequential() |> layer_dense(2, input_shape = c(NA, 3))), "[null, null, 3]")
  expect_identical(first_input(keras_model_sequential() |> layer_dense(2, input_dim = 5)), "[null, 5]")
  expect_error(keras_model_sequential(list(layer_dense(units = 2))), "named argument", class = "kerasconfig_error_type")
})

test_that("keras3's new_*_class() names are the families themselves", {
  expect_identical(new_layer_class, Layer)
  expect_identical(new_loss_class, Loss)
  expect_identical(new_metric_class, Metric)
  expect_identical(new_learning_rate_schedule_class, LearningRateSchedule)
  expect_identical(serialize_keras_object(new_layer_class("Plain3")(name = "p"))$config$name, "p")
})
