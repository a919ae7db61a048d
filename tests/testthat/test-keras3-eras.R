# .keras files written by Keras 3.0.5, 3.3.3, 3.6.0 and 3.10.0 (tools/gen-keras3-era-fixtures.py):
# configs, weights and compile configs read, written back as Keras 3.15.1 writes them.

era_fixture <- function(...) test_path("fixtures", "eras", ...)
era_files <- function() list.files(era_fixture(), pattern = "\\.keras$")
era_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)
# The config.json the old release wrote (one line of JSON).
era_own_config <- function(f) {
  dir <- tempfile()
  on.exit(unlink(dir, recursive = TRUE))
  era_text(utils::unzip(era_fixture(f), "config.json", exdir = dir))
}

# Compared modulo shared_object_id: Keras 3.4-3.14 wrote the model's DTypePolicy once, shared by
# the layers that took it; Keras 3.15.1's from_config gives each layer a policy of its own, while
# kerasconfig keeps a loaded file's ids so that it writes a file back byte for byte (test-files.R).
without_shared_ids <- function(text) gsub(', "shared_object_id": [0-9]+', "", text)
c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)
dims_of <- function(a) as.integer(if (is.null(dim(a))) length(a) else dim(a))

test_that("every older Keras 3 file is written back as Keras 3.15.1 writes it, modulo shared_object_id values", {
  files <- era_files()
  versions <- vapply(files, function(f) config_from_json(era_fixture(paste0(f, ".weights.json")))$keras_version, "")
  expect_setequal(unique(versions), c("3.0.5", "3.3.3", "3.6.0", "3.10.0"))
  rewritten <- 0L
  for (f in files) {
    ref <- without_shared_ids(era_text(era_fixture(paste0(f, ".k315.json"))))
    expect_identical(without_shared_ids(save_model_config(load_model(era_fixture(f)))), ref, label = f)
    if (!identical(without_shared_ids(era_own_config(f)), ref)) rewritten <- rewritten + 1L
  }
  expect_identical(length(files), 8L)
  # No file is already in Keras 3.15.1's form: the comparison tests the rewriting.
  expect_identical(rewritten, 8L)
})

test_that("a build_config old files hold on a layer Keras builds in its constructor (Dropout, pooling) is not written back", {
  # Keras 3.3.3 wrote a build_config on Dropout, Activation and MaxPooling2D.
  own <- config_from_json(era_own_config("cnn-3.3.3.keras"))
  expect_false(is.null(own$config$layers[[5]]$build_config))
  layers <- config_from_json(save_model_config(load_model(era_fixture("cnn-3.3.3.keras"))))$config$layers
  names(layers) <- vapply(layers, function(l) l$config$name, "")
  expect_null(layers$pool$build_config)
  expect_identical(layers$conv$build_config, list(input_shape = list(NULL, 6L, 6L, 1L)))
  # The same on the R path alone (the fast path stubbed out), which builds what the fast path
  # does not (custom objects).
  ns <- asNamespace("kerasconfig")
  fallback <- function(...) structure(list(), class = "kc_fallback")
  fast <- list(rs_fast_deserialize = ns$rs_fast_deserialize, rs_fast_serialize = ns$rs_fast_serialize,
               rs_fast_model = ns$rs_fast_model)
  for (name in names(fast)) utils::assignInNamespace(name, fallback, "kerasconfig")
  on.exit(for (name in names(fast)) utils::assignInNamespace(name, fast[[name]], "kerasconfig"), add = TRUE)
  for (f in c("cnn-3.3.3.keras", "mlp-3.3.3.keras")) {
    expect_identical(without_shared_ids(save_model_config(load_model(era_fixture(f)))),
                     without_shared_ids(era_text(era_fixture(paste0(f, ".k315.json")))), label = paste("R path:", f))
  }
})

test_that("get_weights() of every older Keras 3 file equals h5py's arrays, element for element, and so do the optimizer variables", {
  compared <- 0L
  for (f in era_files()) {
    model <- load_model(era_fixture(f))
    expected <- config_from_json(era_fixture(paste0(f, ".weights.json")))
    weights <- get_weights(model)
    expect_identical(length(weights), length(expected$weights), label = f)
    for (i in seq_along(expected$weights)) {
      e <- expected$weights[[i]]
      expect_identical(dims_of(weights[[i]]), as.integer(unlist(e$shape)), label = paste(f, e$path))
      expect_identical(c_order(weights[[i]]), as.numeric(unlist(e$values)), label = paste(f, e$path))
      compared <- compared + 1L
    }
    opt <- get(".__optimizer_variables__", envir = kerasconfig:::kc_env(model))
    expect_identical(length(opt), length(expected$optimizer), label = f)
    for (i in seq_along(expected$optimizer)) {
      expect_identical(as.numeric(c_order(opt[[i]]$value)), as.numeric(unlist(expected$optimizer[[i]]$values)),
                       label = paste(f, expected$optimizer[[i]]$path))
      compared <- compared + 1L
    }
    # Every dataset of the file is a weight or an optimizer variable.
    expect_identical(length(expected$weights) + length(expected$optimizer), as.integer(expected$datasets), label = f)
  }
  expect_identical(compared, 140L) # 48 weights, 92 optimizer variables
})

test_that("the compile configs of older Keras 3 files are read: optimizer, loss, metrics, loss_weights", {
  for (f in era_files()) {
    model <- load_model(era_fixture(f))
    cc <- get_compile_config(model)
    ref <- config_from_json(era_fixture(paste0(f, ".k315.json")))$compile_config
    expect_s3_class(cc$optimizer, "keras_optimizers")
    expect_identical(class(cc$optimizer)[[1]], ref$optimizer$class_name, label = f)
    expect_identical(cc$optimizer$get_config()$learning_rate, ref$optimizer$config$learning_rate, label = f)
    expect_identical(cc$loss, ref$loss, label = f)
    expect_identical(cc$loss_weights, ref$loss_weights, label = f)
    expect_identical(length(get_compile_config(load_model(era_fixture(f), compile = FALSE))), 0L)
  }
})

test_that("load_model() then save_model() of an older Keras 3 file keeps every weight and optimizer variable", {
  out <- tempfile(fileext = ".keras")
  on.exit(unlink(out))
  for (f in c("func-3.0.5.keras", "cnn-3.3.3.keras")) {
    model <- load_model(era_fixture(f))
    save_model(model, out, overwrite = TRUE)
    again <- load_model(out)
    expect_identical(get_weights(again), get_weights(model), label = f)
    expect_identical(get(".__optimizer_variables__", envir = kerasconfig:::kc_env(again)), get(".__optimizer_variables__", envir = kerasconfig:::kc_env(model)), label = f)
    expect_identical(save_model_config(again), save_model_config(model), label = f)
  }
})
