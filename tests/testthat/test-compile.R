# compile() against Python Keras 3.15.1: the compiled cases of tools/gen-functional-fixtures.py
# and the reference model seq_mlp_compiled, built and compiled in R.

test_that("compiled models write the compile_config Python Keras writes", {
  fx <- config_from_json(test_path("fixtures", "functional-graphs.json"))$cases
  for (case in names(compiled_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(compiled_builders[[case]]()))
    want <- without_shared_ids(fx[[case]])
    expect(identical(got, want), paste(case, first_difference(got, want)))
  }
  expect_length(compiled_builders, 6L)
})

test_that("seq_mlp_compiled rebuilt and compiled in R is the reference text", {
  clear_session()
  model <- keras_model_sequential(input_shape = 20, name = "seq_mlp") |>
    layer_dense(64, activation = "relu") |>
    layer_dropout(0.2) |>
    layer_batch_normalization() |>
    layer_dense(10, activation = "softmax")
  compile(model, optimizer = "adam", loss = loss_sparse_categorical_crossentropy(),
          metrics = list("accuracy", metric_sparse_top_k_categorical_accuracy(k = 3)))
  want <- without_shared_ids(reference_text("models", "seq_mlp_compiled.json"))
  got <- without_shared_ids(save_model_config(model))
  expect(identical(got, want), first_difference(got, want))
})

test_that("compile() modifies the model in place and returns it invisibly", {
  clear_session()
  model <- keras_model_sequential(input_shape = 3) |> layer_dense(1)
  expect_identical(get_compile_config(model), named_list())
  expect_invisible(out <- compile(model, loss = "mse"))
  expect_identical(out, model)
  cc <- get_compile_config(model)
  expect_identical(cc$loss, "mse")
  expect_s3_class(cc$optimizer, "RMSprop")
  expect_true(cc$jit_compile)
  compile(model, loss = "mae", run_eagerly = TRUE)
  expect_false(get_compile_config(model)$jit_compile)
  # A compiled model reloads with its compile config.
  back <- deserialize_keras_object(config_from_json(save_model_config(model)))
  expect_identical(save_model_config(back), save_model_config(model))
})

test_that("compile() refuses unknown losses, metrics, optimizers and bad options with classed errors", {
  model <- keras_model_sequential(input_shape = 3) |> layer_dense(1)
  expect_error(compile(model, loss = "nonexistent_loss"), class = "kerasconfig_error_value",
               regexp = "Could not interpret loss identifier: nonexistent_loss")
  expect_error(compile(model, loss = list(a = "mse", b = "nope")), class = "kerasconfig_error_value", regexp = "nope")
  expect_error(compile(model, loss = "mse", metrics = list("accuracyy")), class = "kerasconfig_error_value",
               regexp = "metric identifier")
  expect_error(compile(model, optimizer = "adamm"), class = "kerasconfig_error_value", regexp = "optimizer identifier")
  expect_error(compile(model, optimizer = layer_dense(units = 1)), class = "kerasconfig_error_value")
  expect_error(compile(model, loss = function(y_true, y_pred) y_pred), class = "kerasconfig_error_value",
               regexp = "registered")
  expect_error(compile(model, steps_per_execution = 0), class = "kerasconfig_error_type")
  expect_error(compile(model, jit_compile = "yes"), class = "kerasconfig_error_type")
  expect_error(compile(model, bogus = 1), class = "kerasconfig_error_unknown_argument")
  expect_error(compile("model"), class = "kerasconfig_error_type")
  # A refused compile leaves the model as it was.
  expect_identical(get_compile_config(model), named_list())
})

test_that("a registered R function is a loss, written by its registered name", {
  local_empty_registry()
  halved <- function(y_true, y_pred) y_pred
  register_keras_serializable(halved, package = "MyPkg", name = "halved_mse")
  model <- keras_model_sequential(input_shape = 3) |> layer_dense(1)
  compile(model, loss = halved)
  cc <- serialize_keras_object(model)$compile_config
  expect_identical(cc$loss$config, "MyPkg>halved_mse")
})
