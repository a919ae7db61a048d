# Keras' NumPy weights format (model.weights.npz): the file Keras 3.15.1 wrote
# (tools/gen-saving-fixtures.py), and hostile ones.

npz_fixture <- function(...) test_path("fixtures", "saving", ...)
c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)

# A .npy file (format 1.0) from its header dict text and data bytes.
npy_bytes <- function(header, data = raw()) {
  pad <- 64L - (10L + nchar(header) + 1L) %% 64L
  if (pad == 64L) pad <- 0L
  h <- charToRaw(paste0(header, strrep(" ", pad), "\n"))
  c(charToRaw("\x93NUMPY"), as.raw(c(1, 0)), writeBin(length(h), raw(), size = 2L, endian = "little"), h, data)
}

# A .keras archive whose weights are the npz archive of `members` (name = bytes).
keras_with_npz <- function(members, model = keras_model_sequential(input_shape = 3, name = "n") |> layer_dense(2, name = "d")) {
  # An empty archive is its end record alone.
  npz <- if (length(members)) kerasconfig:::rs_archive_write(names(members), unname(members)) else
    as.raw(c(0x50, 0x4b, 5, 6, rep(0, 18)))
  bytes <- kerasconfig:::rs_archive_write(c("metadata.json", "config.json", "model.weights.npz"),
                                          list(charToRaw('{"keras_version": "3.15.1"}'), charToRaw(save_model_config(model)), npz))
  path <- tempfile(fileext = ".keras")
  writeBin(bytes, path)
  path
}

test_that("Keras' npz weights (pickled dicts of Variables, which Keras 3.15.1 itself refuses to load) load with its weights", {
  expect_match(readLines(npz_fixture("npz_mlp.load-error.txt")), "Object arrays cannot be loaded when allow_pickle=False")
  model <- load_model(npz_fixture("npz_mlp.keras"))
  expected <- config_from_json(npz_fixture("npz_mlp.json"))
  weights <- get_weights(model)
  expect_length(weights, 8L)
  for (i in seq_along(expected)) {
    expect_identical(c_order(weights[[i]]), as.numeric(unlist(expected[[i]]$values)), label = i)
    expect_identical(as.integer(kerasconfig:::kc_array_dims(weights[[i]])), as.integer(unlist(expected[[i]]$shape)), label = i)
  }
  # Saved again, as model.weights.h5: the same weights.
  out <- tempfile(fileext = ".keras")
  on.exit(unlink(out))
  save_model(model, out)
  expect_identical(get_weights(load_model(out)), weights)
})

test_that("a pickle that refers to anything but numpy arrays and Keras variables is refused, named, and nothing runs", {
  marker <- tempfile()
  # os.system("touch <marker>"): what a malicious pickle would do in Python with allow_pickle.
  command <- charToRaw(paste("touch", marker))
  pickle <- c(as.raw(c(0x80, 0x04, 0x8c, 2)), charToRaw("os"), as.raw(c(0x94, 0x8c, 6)), charToRaw("system"),
              as.raw(c(0x94, 0x93, 0x94, 0x8c, length(command))), command, as.raw(c(0x94, 0x85, 0x52, 0x2e)))
  path <- keras_with_npz(list("layers/dense.npy" = npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (), }", pickle)))
  on.exit(unlink(path))
  err <- expect_error(load_model(path), "os.system", class = "kerasconfig_error_npz_unsupported")
  expect_s3_class(err, "kerasconfig_error_npz")
  expect_match(conditionMessage(err), "layers/dense.npy", fixed = TRUE)
  expect_false(file.exists(marker))
})

test_that("arrays that declare more data than they hold, huge shapes and broken archives are classed errors, fast", {
  four <- writeBin(c(1, 2), raw(), size = 4L, endian = "little")
  cases <- list(
    list(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", four), "kerasconfig_error_npz_corrupt"),
    list(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }", four), "kerasconfig_error_npz_corrupt"),
    list(npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 64), }", four),
         "kerasconfig_error_npz_limit"),
    list(npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", four), "kerasconfig_error_npz_unsupported"),
    list(charToRaw("\x93NUMPY\x01"), "kerasconfig_error_npz_corrupt")
  )
  for (case in cases) {
    path <- keras_with_npz(list("layers/dense.npy" = case[[1]]))
    time <- system.time(expect_error(load_model(path), "model.weights.npz in", class = case[[2]]))[["elapsed"]]
    expect_lt(time, 2)
    unlink(path)
  }
  # Not a zip at all.
  bytes <- kerasconfig:::rs_archive_write(c("config.json", "model.weights.npz"),
                                          list(charToRaw(save_model_config(keras_model_sequential(input_shape = 3) |> layer_dense(2))),
                                               charToRaw("not a zip")))
  path <- tempfile(fileext = ".keras")
  on.exit(unlink(path))
  writeBin(bytes, path)
  expect_error(load_model(path), class = "kerasconfig_error_npz_corrupt")
})

test_that("an npz without a layer's variables is a weights error naming the layer", {
  path <- keras_with_npz(list("__root__.npy" = npy_bytes("{'descr': '|O', 'fortran_order': False, 'shape': (), }",
                                                         as.raw(c(0x80, 0x04, 0x7d, 0x2e)))))
  on.exit(unlink(path))
  # The root's pickle is a dict, not the object array Keras writes: refused as corrupt.
  expect_error(load_model(path), class = "kerasconfig_error_npz_corrupt")
  path2 <- keras_with_npz(list())
  on.exit(unlink(path2), add = TRUE)
  expect_error(load_model(path2), "Layer 'd' expected 2 variables, but received 0", class = "kerasconfig_error_weights")
  expect_identical(load_model_config(path2)$get_config()$name, "n")
})
