# The Functional API against Python Keras 3.15.1: the graphs of tools/gen-functional-fixtures.py
# (fixtures/functional-graphs.json) and the reference models, built in R with keras3's API
# (helper-functional.R), give Python's config text, shared_object_id values aside.

functional_fixtures <- function() config_from_json(test_path("fixtures", "functional-graphs.json"))$cases

test_that("every differential graph built in R writes the config Python Keras writes", {
  fx <- functional_fixtures()
  matched <- 0L
  for (case in names(functional_builders)) {
    clear_session()
    model <- functional_builders[[case]]()
    got <- without_shared_ids(save_model_config(model))
    want <- without_shared_ids(fx[[case]])
    if (identical(got, want)) matched <- matched + 1L else fail(paste(case, first_difference(got, want)))
  }
  expect_identical(matched, length(functional_builders))
  expect_gte(matched, 17L)
})

test_that("the reference Functional models rebuilt in R are Python's text", {
  for (case in names(reference_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(reference_builders[[case]]()))
    want <- without_shared_ids(reference_text("models", paste0(case, ".json")))
    expect(identical(got, want), paste(case, first_difference(got, want)))
  }
})

test_that("a model built in R loads back and serializes to the same text", {
  clear_session()
  model <- functional_builders$shared_layer()
  text <- save_model_config(model)
  expect_identical(save_model_config(deserialize_keras_object(config_from_json(text))), text)
})

test_that("symbolic tensors carry shape, dtype and history; layers called on them are built", {
  clear_session()
  x <- keras_input(shape = c(NA, 3), name = "seq", dtype = "float32")
  expect_s3_class(x, "keras_tensor")
  expect_identical(x$shape, list(NULL, NULL, 3L))
  expect_identical(x$keras_history, list("seq", 0L, 0L))
  d <- layer_dense(units = 5, name = "d")
  y <- call_layer(d, x)
  expect_identical(y$shape, list(NULL, NULL, 5L))
  expect_identical(y$keras_history, list("d", 0L, 0L))
  expect_identical(serialize_keras_object(d)$build_config, list(input_shape = list(NULL, NULL, 3L)))
  z <- call_layer(d, layer_dense(y, 3))
  expect_identical(z$keras_history, list("d", 1L, 0L))
  expect_identical(layer_input, keras_input)
  b <- keras_input(batch_shape = c(2, 4), name = "b")
  expect_identical(b$shape, list(2L, 4L))
})

test_that("layer_*() given a tensor or a list of tensors calls the new layer; given nothing returns it", {
  clear_session()
  a <- keras_input(shape = 4, name = "a")
  b <- keras_input(shape = 4, name = "b")
  expect_s3_class(a |> layer_dense(2), "keras_tensor")
  expect_identical(layer_concatenate(list(a, b), axis = -1)$shape, list(NULL, 8L))
  expect_s3_class(layer_dense(units = 2), "Dense")
  # MultiHeadAttention's call() takes query and value: the list's elements are its arguments.
  attended <- layer_multi_head_attention(list(layer_reshape(a, c(2, 2)), layer_reshape(b, c(2, 2))),
                                         num_heads = 1, key_dim = 2)
  expect_identical(attended$shape, list(NULL, 2L, 2L))
})

test_that("calling a layer on incompatible shapes is a classed error naming the layer", {
  clear_session()
  a <- keras_input(shape = 3)
  b <- keras_input(shape = c(4, 5))
  err <- expect_error(layer_concatenate(list(a, b), name = "joined"), class = "kerasconfig_error_shape")
  expect_match(conditionMessage(err), "joined")
  expect_error(layer_add(list(a, keras_input(shape = 4)), name = "plus"), class = "kerasconfig_error_shape", regexp = "plus")
})

test_that("calling a layer needs graph tensors", {
  expect_error(call_layer(layer_dense(units = 2), 1:3), class = "kerasconfig_error_type")
  expect_error(call_layer(layer_dense(units = 2), keras_symbolic_tensor(list(NULL, 2L))), class = "kerasconfig_error_type")
  expect_error(call_layer("dense", keras_input(shape = 2)), class = "kerasconfig_error_type")
})

test_that("keras_model() refuses outputs not reachable from its inputs, duplicate names and non-tensors", {
  clear_session()
  a <- keras_input(shape = 3, name = "a")
  b <- keras_input(shape = 3, name = "b")
  expect_error(keras_model(a, layer_dense(b, 2)), class = "kerasconfig_error_graph",
               regexp = "Output with path `` is not connected to `inputs`")
  expect_error(keras_model(list(a), list(layer_dense(a, 1), layer_dense(b, 2))), class = "kerasconfig_error_graph",
               regexp = "path `1`")
  x <- layer_dense(a, 2, name = "same")
  expect_error(keras_model(a, layer_dense(x, 2, name = "same")), class = "kerasconfig_error_graph",
               regexp = "The name \"same\" is used 2 times in the model")
  expect_error(keras_model(a, 1), class = "kerasconfig_error_type")
  expect_error(keras_model(layer_dense(a, 2), layer_dense(a, 2)), class = "kerasconfig_error_graph")
  expect_error(keras_model(), class = "kerasconfig_error_type")
})

test_that("a Functional model built in R knows its shapes: summary, count_params, get_layer", {
  clear_session()
  model <- functional_builders$multi_list()
  expect_identical(count_params(model), (8 * 6 + 6) + (10 * 1 + 1) + (10 * 3 + 3))
  expect_identical(get_layer(model, "out2")$output$shape, list(NULL, 3L))
  out <- paste(capture.output(summary(model)), collapse = "\n")
  expect_match(out, "multi_list")
  expect_match(out, "out2 (Dense)", fixed = TRUE)
})
