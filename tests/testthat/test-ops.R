# op_*() and tensor operators in Functional graphs against Python Keras 3.15.1: the graphs of
# tools/gen-op-fixtures.py (fixtures/op-graphs.json), built in R (helper-ops.R), give Python's
# config text (shared_object_id values aside), its outputs' shapes and dtypes and its parameter count.

op_fixtures <- function() config_from_json(test_path("fixtures", "op-graphs.json"))$cases

test_that("every op graph built in R writes the config Python Keras writes", {
  fx <- op_fixtures()
  matched <- 0L
  for (case in names(op_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(op_builders[[case]]()))
    want <- without_shared_ids(fx[[case]]$config)
    if (identical(got, want)) matched <- matched + 1L else fail(paste(case, first_difference(got, want)))
  }
  expect_identical(matched, length(fx))
})

test_that("op outputs have the shapes and dtypes Keras gives them, and models count Keras' parameters", {
  fx <- op_fixtures()
  for (case in names(op_builders)) {
    clear_session()
    model <- op_builders[[case]]()
    outs <- op_outputs$last
    want <- fx[[case]]
    expect_identical(lapply(outs, function(t) lapply(t$shape, function(d) d)), want$shapes, info = case)
    expect_identical(vapply(outs, `[[`, "", "dtype"), unlist(want$dtypes), info = case)
    expect_equal(count_params(model), want$params, info = case)
  }
})

test_that("operators map to Keras' dunder methods, numbers on the left to the reflected ones", {
  clear_session()
  x <- keras_input(shape = 2, name = "x")
  op_of <- function(t) attr(t, "kc_layer")
  args_of <- function(t) kc_layer_nodes(op_of(t))[[1L]]$args
  class_of <- function(t) serialize_keras_object(op_of(t))$class_name
  expect_identical(class_of(x / 2), "TrueDivide")
  expect_identical(class_of(x %/% 2), "FloorDivide")
  lt <- 3 < x
  expect_identical(class_of(lt), "Greater")
  expect_identical(args_of(lt)[[2L]], 3)
  rsub <- 3 - x
  expect_identical(class_of(rsub), "Subtract")
  expect_identical(args_of(rsub)[[1L]], 3)
  expect_identical(class_of(1 == x), "Equal")
  expect_identical(args_of(1 == x)[[1L]], 1)
  expect_identical(+x, x)
})

test_that("ops refuse R values: kerasconfig does not compute", {
  expect_error(op_add(1, 2), class = "kerasconfig_error_not_computable")
  expect_error(op_relu(c(-1, 1)), "does not compute", class = "kerasconfig_error_not_computable")
  clear_session()
  x <- keras_input(shape = 3)
  expect_error(x + c(1, 2, 3), class = "kerasconfig_error_unsupported")
  expect_error(op_matmul(x, matrix(1, 3, 3)), class = "kerasconfig_error_unsupported")
  expect_error(op_mean(x, axis = 0), "1 based", class = "kerasconfig_error_value")
  detached <- keras_symbolic_tensor(list(NULL, 3L), "float32", list("nowhere", 0L, 0L))
  expect_error(op_relu(detached), class = "kerasconfig_error_type")
})

test_that("ops check shapes as Keras does", {
  clear_session()
  a <- keras_input(shape = c(3, 4))
  b <- keras_input(shape = c(5, 4))
  expect_error(a + b, "Cannot broadcast", class = "kerasconfig_error")
  expect_error(op_matmul(a, b), "Inner dimensions", class = "kerasconfig_error")
  expect_error(op_reshape(keras_input(batch_shape = c(2, 3, 4)), c(5, 5)), "cannot reshape", class = "kerasconfig_error")
  expect_error(op_squeeze(a, axis = 2), "not 1", class = "kerasconfig_error")
  expect_error(op_transpose(a, c(1, 2)), class = "kerasconfig_error")
})

test_that("a model with ops prints its summary, saves and loads back to the same text", {
  clear_session()
  model <- op_builders$attention_block()
  out <- paste(capture.output(summary(model)), collapse = "\n")
  expect_match(out, "matmul (Matmul)", fixed = TRUE)
  expect_match(out, "Total params: 1,122", fixed = TRUE)
  text <- save_model_config(model)
  expect_identical(save_model_config(deserialize_keras_object(config_from_json(text))), text)
})
