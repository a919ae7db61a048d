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

test_that("selecting, splitting and contracting ops give Keras' errors for incompatible shapes", {
  clear_session()
  x <- keras_input(shape = c(3, 4))
  n <- keras_input(shape = 3, dtype = "int32")
  expect_error(op_dot(x, keras_input(shape = c(5, 2))), "second last axis of `x2`", class = "kerasconfig_error")
  expect_error(op_split(x, 3, axis = 3), "must be divisible", class = "kerasconfig_error")
  expect_error(op_einsum("ij,jk->ik", x, x), "Number of dimensions in the subscript", class = "kerasconfig_error")
  expect_error(op_take_along_axis(x, n, axis = 2), "same number of dimensions", class = "kerasconfig_error")
  expect_error(op_one_hot(n, 4, axis = 4), "axis must be -1 or between", class = "kerasconfig_error")
  expect_error(op_cumsum(x, axis = 4), "out of bounds", class = "kerasconfig_error")
  expect_error(x[, 5L], "out-of-bounds index (slice(None, None, None), 5)", fixed = TRUE, class = "kerasconfig_error")
  expect_error(x[1:2], "Unsupported key type", class = "kerasconfig_error")
  expect_error(x[, 1, 2, 3], "to many indices", class = "kerasconfig_error")
  expect_error(x[, 1:3:0], "slice step cannot be zero", class = "kerasconfig_error")
})

test_that("keras3's index conversions: 1-based tensors become where(i > 0, i - 1, i), results get + 1", {
  clear_session()
  x <- keras_input(shape = c(3, 4))
  i <- keras_input(shape = 2, dtype = "int32")
  taken <- op_take(x, i, axis = 2)
  op <- function(t) attr(t, "kc_layer")
  class_of <- function(t) serialize_keras_object(op(t))$class_name
  args_of <- function(t) kc_layer_nodes(op(t))[[1L]]$args
  index <- args_of(taken)[[2L]]
  expect_identical(class_of(index), "Where")
  expect_identical(vapply(args_of(index), class_of, ""), c("Greater", "Subtract", "InputLayer"))
  expect_identical(args_of(args_of(index)[[2L]])[[2L]], 1L)
  expect_identical(taken$shape, list(NULL, NULL, 2L, 4L))
  top <- op_top_k(x, 2)
  expect_length(top, 2L)
  expect_identical(class_of(top[[2L]]), "Add")
  expect_identical(top[[2L]]$dtype, "int32")
  expect_identical(class_of(op_argsort(x)), "Add")
  expect_identical(class_of(op_argsort(x, zero_indexed = TRUE)), "Argsort")
  expect_identical(class_of(op_take(x, i, zero_indexed = TRUE)), "Take")
  expect_identical(args_of(op_take(x, i, zero_indexed = TRUE))[[2L]], i)
})

test_that("subsetting: x[...] passes Python's key, op_subset() applies keras3's R rules", {
  clear_session()
  x <- keras_input(shape = c(3, 4))
  key_of <- function(t) kc_layer_nodes(attr(t, "kc_layer"))[[1L]]$args[[2L]]
  expect_identical(key_of(x[, 2]), list(keras_slice(), 2L))
  expect_identical(key_of(x[, 1:3]), list(keras_slice(), keras_slice(1L, 3L)))
  expect_identical(key_of(op_subset(x, , 2)), list(keras_slice(), 1L))
  expect_identical(key_of(op_subset(x, , 1:3)), list(keras_slice(), keras_slice()))
  expect_identical(key_of(op_subset(x, , 2:-1)), list(keras_slice(), keras_slice(1L)))
  expect_identical(op_subset(x, , 1:2)$shape, list(NULL, 2L, 4L))
  expect_error(op_subset(x, 0), "1 based", class = "kerasconfig_error_value")
  expect_error(op_subset(x, , c(1, 2, 4)), "advanced index", class = "kerasconfig_error_unsupported")
  expect_error(x[, c(1, 2)], class = "kerasconfig_error_unsupported")
  expect_error(op_subset(c(1, 2), 1), class = "kerasconfig_error_not_computable")
})

test_that("selecting ops refuse R vectors and data-dependent shapes", {
  clear_session()
  x <- keras_input(shape = c(3, 4))
  expect_error(op_take(x, c(1, 2)), "constant array", class = "kerasconfig_error_unsupported")
  # keras3's as_integer_array makes a double an array of length one: a dimension more than an integer.
  expect_error(op_take(x, 2, axis = 2, zero_indexed = TRUE), "constant array", class = "kerasconfig_error_unsupported")
  expect_identical(op_take(x, 1L, axis = 2, zero_indexed = TRUE)$shape, list(NULL, 4L))
  expect_error(op_where(x > 0), class = "kerasconfig_error_unsupported")
  expect_error(op_split(x, 1.5), class = "kerasconfig_error_value")
  expect_error(op_einsum(1, x), class = "kerasconfig_error_value")
})

test_that("%*% of tensors is Python's x @ y, a Matmul node", {
  clear_session()
  x <- keras_input(shape = c(3, 4))
  y <- keras_input(shape = c(4, 5))
  # R calls S3 methods of %*% from 4.3.0; the method itself is what it calls.
  z <- kerasconfig:::`%*%.keras_tensor`(x, y)
  expect_identical(serialize_keras_object(attr(z, "kc_layer"))$class_name, "Matmul")
  expect_identical(z$shape, list(NULL, 3L, 5L))
  skip_if(getRversion() < "4.3.0", "%*% dispatches to S3 methods from R 4.3.0")
  expect_identical((x %*% y)$shape, list(NULL, 3L, 5L))
})

test_that("Python's op graphs load and save back to Python's text", {
  fx <- op_fixtures()
  for (case in names(fx)) {
    clear_session()
    want <- without_shared_ids(fx[[case]]$config)
    model <- deserialize_keras_object(config_from_json(fx[[case]]$config))
    expect_identical(without_shared_ids(save_model_config(model)), want, info = case)
  }
})
