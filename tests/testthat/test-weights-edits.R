# Config edits of a loaded model: those that change its variables are refused at saving until
# new weights are set; the others keep every weight.

test_that("editing units of a loaded Dense is refused at save_model() naming the layer, until set_weights() gives new ones", {
  model <- load_model(reference_dir("keras_files/seq_mlp_compiled.keras"))
  dense <- model$get_config()$layers[[2]]
  set_config(dense, units = 7L)
  out <- tempfile(fileext = ".keras")
  on.exit(unlink(out))
  expect_error(save_model(model, out), "Layer 'dense' was edited", class = "kerasconfig_error_weights_stale")
  expect_false(file.exists(out))
  # The variables as the edited config makes them: dense (20, 7) and (7), then the
  # BatchNormalization after it, which now sees 7 features.
  shapes <- unlist(lapply(kerasconfig:::kc_weight_slots(model), function(s) lapply(s$vars, kerasconfig:::kc_var_dims)),
                   recursive = FALSE)
  expect_identical(shapes[1:3], list(c(20L, 7L), 7L, 7L))
  new <- lapply(shapes, function(d) array(0.25, dim = d))
  set_weights(model, new)
  save_model(model, out)
  expect_identical(get_weights(load_model(out))[[1]], array(0.25, dim = c(20L, 7L)))
})

test_that("edits that do not change variables (learning rate, trainable, dropout rate, model name) keep every weight", {
  path <- reference_dir("keras_files/seq_mlp_compiled.keras")
  model <- load_model(path)
  before <- get_weights(model)
  layers <- model$get_config()$layers
  set_config(get_compile_config(model)$optimizer, learning_rate = 5e-4)
  set_config(layers[[2]], trainable = FALSE)
  set_config(layers[[3]], rate = 0.5)
  set_config(model, name = "renamed")
  out <- tempfile(fileext = ".keras")
  on.exit(unlink(out))
  save_model(model, out)
  again <- load_model(out)
  expect_identical(get_weights(again), before)
  expect_identical(again$get_config()$name, "renamed")
  expect_identical(again$get_config()$layers[[3]]$get_config()$rate, 0.5)
})

test_that("get_weights() and set_weights() see an edit made after they were called (nothing stale is kept between calls)", {
  model <- keras_model_sequential(input_shape = 3) |> layer_dense(2, kernel_initializer = "ones") |> layer_dense(1)
  expect_identical(lapply(get_weights(model), dim), list(c(3L, 2L), 2L, c(2L, 1L), 1L))
  set_weights(model, get_weights(model))
  set_config(model$get_config()$layers[[2]], units = 4L)
  expect_error(set_weights(model, list(array(0, c(3, 2)), array(0, 2), array(0, c(2, 1)), array(0, 1))),
               "has shape \\(3, 4\\), but weight 1 has shape \\(3, 2\\)", class = "kerasconfig_error_weights")
  set_weights(model, list(array(1, c(3, 4)), array(2, 4), array(3, c(4, 1)), array(4, 1)))
  expect_identical(lapply(get_weights(model), dim), list(c(3L, 4L), 4L, c(4L, 1L), 1L))
  set_config(model$get_config()$layers[[2]], units = 2L)
  expect_error(set_weights(model, get_weights(model)), "has shape \\(3, 2\\), but weight 1 has shape \\(3, 4\\)",
               class = "kerasconfig_error_weights")
})

test_that("set_weights() stores doubles with their dims as given, and converts other numbers to such arrays", {
  model <- keras_model_sequential(input_shape = 2) |> layer_dense(3)
  given <- list(matrix(1:6, 2, 3), c(0.5, 1, 2))
  set_weights(model, given)
  got <- get_weights(model)
  expect_identical(got[[1]], array(as.double(1:6), dim = c(2L, 3L)))
  expect_identical(got[[2]], array(c(0.5, 1, 2), dim = 3L))
  kernel <- array(seq(0.1, 0.6, by = 0.1), dim = c(2L, 3L))
  set_weights(model, list(kernel, got[[2]]))
  expect_identical(get_weights(model)[[1]], kernel)
})
