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
