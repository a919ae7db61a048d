h5py_fixture <- function() config_from_json(test_path("fixtures", "weights", "h5py.json"))

test_that("get_weights() of the reference .keras files equals h5py's arrays, element for element in R order", {
  fx <- h5py_fixture()
  matched <- 0L
  for (f in c("keras_files/func_multi_io_compiled.keras", "keras_files/seq_mlp_compiled.keras", "legacy/tf2.15.1/mlp.keras")) {
    model <- load_model(reference_dir(f))
    weights <- get_weights(model)
    # model.weights order is the file's layers/<key>/vars/<i> datasets in layer order.
    ds <- fx[[f]]$datasets
    ds <- ds[grepl("^/layers/", names(ds))]
    sums <- vapply(ds, function(d) d$sum, 0)
    expect_equal(length(weights), length(ds), label = f)
    for (w in weights) {
      hit <- which(abs(sums - sum(w)) < 1e-9 * max(1, abs(sum(w))) &
                     vapply(ds, function(d) identical(as.integer(unlist(d$shape)), as.integer(dim(w))), TRUE))
      expect_true(length(hit) >= 1L, label = f)
      d <- ds[[hit[[1]]]]
      for (s in d$samples) expect_identical(do.call(`[`, c(list(w), as.list(unlist(s[[1]]) + 1L))), s[[2]])
      matched <- matched + 1L
    }
  }
  expect_equal(matched, 21L) # 9 + 8 + 4 variables
})

test_that("load_model() then save_model() keeps every weight and the optimizer variables", {
  path <- reference_dir("keras_files/seq_mlp_compiled.keras")
  model <- load_model(path)
  out <- tempfile(fileext = ".keras")
  on.exit(unlink(out))
  save_model(model, out)
  again <- load_model(out)
  expect_identical(get_weights(again), get_weights(model))
  expect_identical(get(".__optimizer_variables__", envir = kerasconfig:::kc_env(again)), get(".__optimizer_variables__", envir = kerasconfig:::kc_env(model)))
  expect_length(get(".__optimizer_variables__", envir = kerasconfig:::kc_env(load_model(out, compile = FALSE))), 0L)
})

test_that("trainable = TRUE/FALSE split BatchNormalization's moving statistics off", {
  model <- load_model(reference_dir("keras_files/seq_mlp_compiled.keras"))
  expect_length(get_weights(model, trainable = TRUE), 6L)
  expect_length(get_weights(model, trainable = FALSE), 2L)
})

test_that("set_weights() checks count and shapes with classed errors naming the variable", {
  model <- keras_model_sequential(input_shape = 3, name = "m") |> layer_dense(2, name = "d")
  w <- get_weights(model)
  expect_error(set_weights(model, w[1]), class = "kerasconfig_error_weights")
  w[[1]] <- matrix(0, 2, 3)
  expect_error(set_weights(model, w), "d/kernel.*\\(3, 2\\)", class = "kerasconfig_error_weights")
  w[[1]] <- matrix(1:6 / 4, 3, 2)
  set_weights(model, w)
  expect_identical(get_weights(model)[[1]], matrix(1:6 / 4, 3, 2))
})

test_that("initial weights: constants exact, random ones from their distribution, seeds reproducible", {
  build <- function() {
    keras_model_sequential(input_shape = 50, name = "m") |>
      layer_dense(200, kernel_initializer = initializer_he_normal(seed = 7L), bias_initializer = initializer_constant(0.1)) |>
      layer_dense(3, kernel_initializer = "glorot_uniform") |>
      layer_batch_normalization()
  }
  a <- get_weights(build())
  b <- get_weights(build())
  expect_identical(a[[1]], b[[1]]) # seeded
  expect_identical(a[[2]], array(kerasconfig:::rs_round_f32(0.1), 200)) # float32 0.1, exact
  expect_equal(sd(a[[1]]), sqrt(2 / 50), tolerance = 0.05)
  expect_true(all(abs(a[[1]]) <= 2 * sqrt(2 / 50) / 0.87962566103423978 + 1e-6)) # truncated at 2 sd
  limit <- sqrt(6 / (200 + 3))
  expect_true(all(abs(a[[3]]) <= limit) && max(abs(a[[3]])) > limit / 2)
  expect_identical(a[5:8], list(array(1, 3), array(0, 3), array(0, 3), array(1, 3)))
})

test_that("hostile HDF5 data gives classed errors, fast", {
  bytes <- readBin(test_path("fixtures", "weights", "features-earliest.h5"), "raw", 1e6)
  for (n in c(0L, 7L, 100L, 2000L, length(bytes) - 10L)) {
    expect_error(kerasconfig:::kc_read_hdf5(bytes[seq_len(n)], "x", "x"), class = "kerasconfig_error_hdf5")
  }
  expect_error(kerasconfig:::kc_read_hdf5(charToRaw("not hdf5 at all"), "x", "x"), class = "kerasconfig_error_hdf5_corrupt")
  tree <- kerasconfig:::kc_read_hdf5(bytes, "x", "x")
  expect_identical(tree$members$g$members$nested$attrs$vnames$value, array(c("x", "yz")))
})

test_that("an HDF5 tree written by rs_hdf5_write() reads back equal", {
  tree <- kerasconfig:::kc_read_hdf5(readBin(test_path("fixtures", "weights", "features-earliest.h5"), "raw", 1e6), "x", "x")
  again <- kerasconfig:::kc_read_hdf5(kerasconfig:::rs_hdf5_write(tree), "x", "x")
  expect_identical(again, tree)
})

test_that("load_model() reads back weights larger than the config size limit", {
  # 2100 x 2100 float32 kernel: 17.6 MB of weights, over the 16 MiB that bounds config.json.
  m <- keras_model_sequential(input_shape = 2100, name = "big") |>
    layer_dense(2100, kernel_initializer = "ones", bias_initializer = "zeros", name = "d")
  path <- tempfile(fileext = ".keras")
  on.exit(unlink(path), add = TRUE)
  save_model(m, path)
  loaded <- load_model(path)
  w <- get_weights(loaded)
  expect_identical(dim(w[[1]]), c(2100L, 2100L))
  expect_true(all(w[[1]] == 1))
  expect_true(all(w[[2]] == 0))
})

test_that("variables whose initializer is not <name>_initializer start as Keras starts them", {
  # Keras: DepthwiseConv's `kernel` from `depthwise_initializer`; Separable's two kernels from
  # theirs; an RNN's `recurrent_kernel` from `recurrent_initializer`; Normalization's mean,
  # variance and count from zeros, ones and zeros (keras/src/layers, add_weight()).
  m <- keras_model_sequential(input_shape = c(8, 8, 3)) |>
    layer_depthwise_conv_2d(kernel_size = 3, depthwise_initializer = "ones", bias_initializer = "zeros", use_bias = TRUE) |>
    layer_separable_conv_2d(filters = 2, kernel_size = 1, depthwise_initializer = "zeros",
                            pointwise_initializer = "ones")
  w <- get_weights(m)
  expect_identical(lengths(w), c(27L, 3L, 3L, 6L, 2L))
  expect_true(all(w[[1]] == 1) && all(w[[2]] == 0) && all(w[[3]] == 0) && all(w[[4]] == 1))
  r <- keras_model_sequential(input_shape = c(5, 2)) |>
    layer_lstm(units = 3, kernel_initializer = "zeros", recurrent_initializer = "ones")
  w <- get_weights(r)
  expect_true(all(w[[1]] == 0) && all(w[[2]] == 1))
  n <- keras_model_sequential(input_shape = 4) |> layer_normalization()
  w <- get_weights(n)
  expect_identical(w[1:2], list(array(0, 4L), array(1, 4L)))
  expect_equal(as.vector(w[[3]]), 0)
  path <- tempfile(fileext = ".keras")
  on.exit(unlink(path), add = TRUE)
  expect_no_error(save_model(m, path))
})

test_that("save_model() that cannot write its file gives a classed error naming the file, and writes nothing elsewhere", {
  model <- keras_model_sequential(input_shape = 3) |> layer_dense(2)
  dir <- tempfile(fileext = ".keras")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE))
  expect_error(save_model(model, dir, overwrite = TRUE), "Cannot write '.*[.]keras': ", class = "kerasconfig_error_file")
  missing <- file.path(tempfile(), "m.keras")
  expect_error(save_model(model, missing), "Cannot write '.*m[.]keras'", class = "kerasconfig_error_file")
  expect_false(file.exists(missing))
})

test_that("save_model() writes large float32 weights of any rank in Keras' order, read back exactly", {
  model <- keras_model_sequential(input_shape = c(9, 9, 40)) |>
    layer_conv_2d(33, c(3, 3)) |> layer_flatten() |> layer_dense(70)
  set.seed(3)
  w <- lapply(get_weights(model), function(a) array(kerasconfig:::rs_round_f32(rnorm(length(a))), dim = dim(a)))
  set_weights(model, w)
  path <- tempfile(fileext = ".keras")
  on.exit(unlink(path), add = TRUE)
  save_model(model, path)
  expect_identical(get_weights(load_model(path)), w)
})
