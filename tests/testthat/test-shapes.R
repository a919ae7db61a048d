# The shape engine seen from R, against Python Keras 3.15.1: the differential fixtures of
# tools/gen-shape-fixtures.py (fixtures/layer-shapes.json), the reference models' figures
# (../shared/keras-reference/shapes/) and the summaries of tools/gen-summary-fixtures.py.

shape_fixtures <- local({
  cache <- NULL
  function() {
    if (is.null(cache)) cache <<- config_from_json(test_path("fixtures", "layer-shapes.json"))
    cache
  }
})

# A fixture argument as the R constructor takes it: nested layers built the same way.
fixture_arg <- function(v) {
  if (is.list(v) && !is.null(v[["__layer__"]])) {
    spec <- v[["__layer__"]]
    return(do.call(keras$layers[[spec$class]], lapply(spec$args, fixture_arg)))
  }
  if (is.list(v) && is.null(names(v))) return(lapply(v, fixture_arg))
  v
}

without_ids <- function(text) gsub(', "shared_object_id": [0-9]+', "", text)

# Layers Keras gives a random seed when none is given (RandomCrop) write it: any seed matches.
any_seed <- function(text) gsub('"seed": [0-9]+', '"seed": <random>', text)

# Builds a Sequential fixture case in R as a keras3 user would, in a fresh session as the
# generator does (Keras' clear_session(): generated names start again).
build_case <- function(class, case) {
  clear_session()
  ctor <- if (is.null(keras$layers[[class]])) keras[[class]] else keras$layers[[class]]
  if (is.null(ctor)) return(NULL)
  inp <- case$inputs[[1]]
  shape <- vapply(inp$shape, function(d) if (is.null(d)) NA_real_ else as.numeric(d), 0)
  model <- keras_model_sequential(input_shape = shape, name = "model", input_name = "input", input_dtype = inp$dtype)
  layer <- do.call(ctor, c(lapply(case$args, fixture_arg), list(name = "layer")))
  kerasconfig:::kc_compose(model, layer)
}

test_that("every built-in layer class builds in R as Keras builds it: shapes, parameters, build_config", {
  fx <- shape_fixtures()
  cases <- 0L; shapes_ok <- 0L; text_ok <- 0L; differ <- character(); failures <- character()
  for (class in names(fx$classes)) {
    for (case in fx$classes[[class]]$cases) {
      if (!identical(case$model, "sequential") || !is.null(case$error)) next
      cases <- cases + 1L
      model <- tryCatch(suppressWarnings(build_case(class, case)), error = function(e) conditionMessage(e))
      if (is.null(model)) next
      if (is.character(model)) {
        failures <- c(failures, sprintf("%s: %s", class, model))
        next
      }
      layer <- get_layer(model, "layer")
      got_shape <- layer$output
      want <- case$output_shape
      got <- if (inherits(got_shape, "keras_tensor")) got_shape$shape else lapply(got_shape, `[[`, "shape")
      if (identical(got, want) && identical(count_params(layer), as.numeric(case$params))) {
        shapes_ok <- shapes_ok + 1L
      } else {
        failures <- c(failures, sprintf("%s %s: shape/params differ", class, config_to_json(case$args)))
      }
      if (identical(any_seed(without_ids(save_model_config(model))), any_seed(without_ids(case$config)))) {
        text_ok <- text_ok + 1L
      } else {
        differ <- c(differ, class)
      }
    }
  }
  message(sprintf("Sequential fixture cases: %d; shapes and params equal: %d; config text equal: %d; text differs: %s",
                  cases, shapes_ok, text_ok, paste(unique(differ), collapse = ", ")))
  expect_identical(failures, character())
  expect_gte(text_ok, 194L)
  # Every case built writes Keras' text, constructors' derived values included (Bidirectional's
  # zero_output_for_mask, tuples and pairs from one number, RNN's StackedRNNCells, compile_config).
  expect_identical(unique(differ), character())
})

test_that("reference models: every layer's output shape and count_params() equal Keras' figures", {
  dir <- reference_dir("shapes")
  for (f in list.files(dir, pattern = "[.]json$")) {
    want <- config_from_json(file.path(dir, f))
    if (want$model == "custom_layers_model") next
    model <- load_model_config(reference_dir("models", f))
    expect_identical(count_params(model), as.numeric(want$total_params), info = f)
    for (l in want$layers) {
      layer <- get_layer(model, l$name)
      expect_identical(count_params(layer), as.numeric(l$params), info = paste(f, l$name))
      if (!is.null(l$output_shape)) expect_identical(layer$output$shape, l$output_shape, info = paste(f, l$name))
    }
  }
})

test_that("summary() prints Keras' table for Sequential and Functional models", {
  fx <- config_from_json(test_path("fixtures", "summaries.json"))
  old <- options(width = 80)
  on.exit(options(old))
  clear_session()
  seq <- keras_model_sequential(input_shape = 4) |> layer_dense(8, activation = "relu") |> layer_dense(1)
  expect_identical(paste0(paste(capture.output(summary(seq)), collapse = "\n"), "\n"), fx$sequential)
  clear_session()
  state <- keras_model_sequential(input_shape = c(5, 3), name = "seq_state") |> layer_lstm(4, return_state = TRUE, name = "lstm")
  expect_identical(paste0(paste(capture.output(summary(state)), collapse = "\n"), "\n"), fx$sequential_multi_output)
  big <- keras_model_sequential(input_shape = 32, name = "big") |> layer_dense(1000) |> layer_dense(100000)
  expect_identical(paste0(paste(capture.output(summary(big)), collapse = "\n"), "\n"), fx$sequential_big)
  table <- summary(big)
  expect_s3_class(table, "data.frame")
  expect_identical(table$params, c(33000, 100100000))
})

test_that("unknown dimensions are accepted and propagate", {
  model <- keras_model_sequential(input_shape = c(NA, 8)) |> layer_conv_1d(4, 3, padding = "same")
  expect_identical(get_layer(model, index = 1)$output$shape, list(NULL, NULL, 4L))
  expect_identical(count_params(model), 100)
})

test_that("incompatible shapes are classed errors naming the layer, and the model stays as it was", {
  model <- keras_model_sequential(input_shape = c(3, 3, 1))
  expect_error(layer_conv_2d(model, 2, 5, name = "too_big"), class = "kerasconfig_error_shape", regexp = "too_big")
  expect_length(model$get_config()$layers, 1L)
})

test_that("a deferred Sequential model is built by model$build(), with the InputLayer Keras puts first", {
  model <- keras_model_sequential() |> layer_dense(3)
  expect_error(count_params(model), class = "kerasconfig_error_shape")
  model$build(c(NA, 5))
  expect_identical(count_params(model), 18)
  expect_identical(model$get_config()$build_input_shape, list(NULL, 5L))
  # Keras 3.15.1: Sequential([Dense(3, name="d")], name="deferred").build((None, 5)); to_json().
  clear_session()
  deferred <- keras_model_sequential(name = "deferred") |> layer_dense(3, name = "d")
  deferred$build(c(NA, 5))
  keras_text <- paste0(
    '{"module": "keras", "class_name": "Sequential", "config": {"name": "deferred", "trainable": true, "dtype": ',
    '{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, ',
    '"layers": [{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 5], ',
    '"dtype": "float32", "sparse": false, "ragged": false, "name": "input_layer", "optional": false}, ',
    '"registered_name": null}, {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", ',
    '"trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, ',
    '"registered_name": null}, "units": 3, "activation": "linear", "use_bias": true, "kernel_initializer": ',
    '{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, ',
    '"output_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initializers", ',
    '"class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": null, ',
    '"bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantization_config": null}, ',
    '"registered_name": null, "build_config": {"input_shape": [null, 5]}}], "build_input_shape": [null, 5]}, ',
    '"registered_name": null, "build_config": {"input_shape": [null, 5]}, "compile_config": {}}')
  # to_json() opens no sharing scope; save_model_config() does, as model.save() does.
  expect_identical(without_shared_ids(save_model_config(deferred)), keras_text)
  expect_identical(get_layer(deferred, index = 1)$input$shape, list(NULL, 5L))
  expect_identical(count_params(layer_dense(deferred, 2)), 26)
})

test_that("custom layers answer with compute_output_shape(); without it the layers after stay unbuilt", {
  local_empty_registry()
  layer_twice <- Layer("Twice",
    compute_output_shape = function(input_shape) {
      input_shape[[length(input_shape)]] <- input_shape[[length(input_shape)]] * 2L
      input_shape
    })
  add <- kerasconfig:::kc_compose
  model <- add(keras_model_sequential(input_shape = 3), layer_twice(name = "tw")) |> layer_dense(2)
  expect_identical(get_layer(model, "tw")$output$shape, list(NULL, 6L))
  expect_identical(count_params(model), 14)
  layer_plain <- Layer("Plain")
  expect_warning(add(keras_model_sequential(input_shape = 3), layer_plain()), class = "kerasconfig_warning_shape")
})

test_that("get_layer() takes a name or a 1-based index, as keras3", {
  model <- keras_model_sequential(input_shape = 4) |> layer_dense(8, name = "a") |> layer_dense(1, name = "b")
  expect_identical(get_layer(model, index = 2)$get_config()$name, "b")
  expect_error(get_layer(model, "zz"), class = "kerasconfig_error_value")
  expect_error(get_layer(model, index = 3), class = "kerasconfig_error_value")
  expect_error(get_layer(model), class = "kerasconfig_error_type")
})

test_that("a deserialized model's shapes are those of its config as loaded, however late they are asked for", {
  model <- keras_model_sequential(input_shape = 4, name = "late") |> layer_dense(8, name = "hidden") |> layer_dense(1)
  loaded <- deserialize_keras_object(serialize_keras_object(model))
  # Keras builds the layers on load: changing a layer afterwards does not rebuild it.
  set_config(get_layer(loaded, "hidden"), units = 3L)
  expect_identical(get_layer(loaded, "hidden")$output$shape, list(NULL, 8L))
  expect_identical(count_params(loaded), 49)
  expect_identical(get_layer(loaded, index = 2)$input$shape, list(NULL, 8L))
})

summary_text <- function(model, ...) paste0(paste(capture.output(summary(model, ...)), collapse = "\n"), "\n")

test_that("summary() of Functional models read from Python's configs: Connected to, and the Trainable column", {
  fx <- config_from_json(test_path("fixtures", "summaries.json"))
  old <- options(width = 80)
  on.exit(options(old))
  model <- deserialize_keras_object(config_from_json(fx$functional_config))
  expect_identical(summary_text(model), fx$functional)
  expect_identical(count_params(model), 305)
  # Keras shows the Trainable column when asked; a frozen shared layer's 144 params are non-trainable.
  frozen <- deserialize_keras_object(config_from_json(fx$functional_frozen_config))
  expect_identical(summary_text(frozen, show_trainable = TRUE), fx$functional_frozen)
  capture.output(table <- summary(frozen))
  expect_identical(table$trainable, c(NA, NA, FALSE, NA, TRUE, TRUE))
  expect_identical(sum(table$non_trainable_params), 208)
  # Python froze the layer after building the model: freezing it after loading does the same.
  set_config(get_layer(model, "shared"), trainable = FALSE)
  expect_identical(summary_text(model, show_trainable = TRUE), fx$functional_frozen)
})

# Python's Scaled layer of tools/gen-summary-fixtures.py, in R.
layer_scaled <- Layer("Scaled",
  initialize = function(units, ...) {
    super$initialize(...)
    self$units <- as.integer(units)
    self$step <- self$add_weight(shape = NULL, dtype = "int64", trainable = FALSE, name = "step")
  },
  build = function(input_shape) {
    self$kernel <- self$add_weight(shape = c(input_shape[[length(input_shape)]], self$units), name = "kernel")
    self$bias <- self$add_weight(shape = self$units, initializer = "zeros", name = "bias")
    self$scale <- self$add_weight(shape = self$units, trainable = FALSE)
  },
  compute_output_shape = function(input_shape) {
    input_shape[[length(input_shape)]] <- self$units
    input_shape
  }
)

test_that("custom layers' variables come from self$add_weight() in initialize() and build(), as in Keras", {
  fx <- config_from_json(test_path("fixtures", "summaries.json"))
  old <- options(width = 80)
  on.exit(options(old))
  model <- keras_model_sequential(input_shape = 3, name = "custom") |> layer_scaled(units = 4, name = "sc") |>
    layer_dense(2, name = "d")
  # The model is built again when `d` is added: build()'s variables are not counted twice.
  expect_identical(count_params(get_layer(model, "sc")), 21)
  expect_identical(summary_text(model), fx$custom_weights)
  expect_identical(summary_text(model, show_trainable = TRUE), fx$custom_weights_frozen)
  sc <- get_layer(model, "sc")
  expect_s3_class(sc$kernel, "keras_variable")
  expect_identical(sc$kernel$shape, c(3L, 4L))
  expect_identical(sc$scale$name, "variable")
  expect_identical(sc$bias$initializer, "zeros")
  expect_identical(sc$kernel$initializer, "glorot_uniform")
  written <- config_from_json(save_model_config(model))
  expect_identical(written$config$layers[[2]]$build_config, list(input_shape = list(NULL, 3L)))
  # Keras 3.15.1: under mixed_float16 the variables are float32; a dtype given stays.
  mixed <- keras_model_sequential(input_shape = 3) |> layer_scaled(units = 4, name = "sc", dtype = "mixed_float16")
  expect_identical(get_layer(mixed, "sc")$kernel$dtype, "float32")
  expect_identical(get_layer(mixed, "sc")$step$dtype, "int64")
})

test_that("add_weight() refuses what Keras refuses, with classed errors naming the layer", {
  layer_bad <- function(shape, name = NULL) {
    Layer("Bad", build = function(input_shape) self$add_weight(shape = shape, name = name),
          compute_output_shape = function(input_shape) input_shape)(name = "bad")
  }
  add <- kerasconfig:::kc_compose
  expect_error(add(keras_model_sequential(input_shape = 3), layer_bad(c(NA, 3))),
               class = "kerasconfig_error_value", regexp = "fully-defined.*bad/variable")
  expect_error(add(keras_model_sequential(input_shape = 3), layer_bad(3, name = "a/b")),
               class = "kerasconfig_error_value", regexp = "cannot contain")
  expect_error(add(keras_model_sequential(input_shape = 3), layer_bad("kernel")),
               class = "kerasconfig_error_value", regexp = "keyword argument")
  expect_error(add(keras_model_sequential(input_shape = 3), layer_bad(-1)), class = "kerasconfig_error_value")
})

test_that("a Lambda with an explicit output_shape has that shape after the batch size; without one it is unknown", {
  lambda_model <- function(...) {
    suppressWarnings(keras_model_sequential(input_shape = c(NA, 8)) |> layer_lambda(function(x) x, name = "l", ...))
  }
  model <- lambda_model(output_shape = list(4L, NULL))
  expect_identical(get_layer(model, "l")$output$shape, list(NULL, 4L, NULL))
  expect_identical(count_params(model), 0)
  # Keras records the build on the Lambda's first call.
  written <- config_from_json(suppressWarnings(save_model_config(model)))
  expect_identical(written$config$layers[[2]]$build_config, list(input_shape = list(NULL, NULL, 8L)))
  expect_error(get_layer(lambda_model(), "l")$output, class = "kerasconfig_error_shape")
})
