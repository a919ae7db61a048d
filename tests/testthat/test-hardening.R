# Findings of the attack review (issue 8), each reproduced: the exact error class, no crash, no
# hang, no code run.

dense_config <- function(name = "d", id = NULL) {
  cfg <- list(module = "keras.layers", class_name = "Dense", config = list(name = name, units = 1L),
              registered_name = NULL)
  cfg$shared_object_id <- id
  cfg
}

sequential_config <- function(layers, compile_config = NULL) {
  cfg <- list(module = "keras", class_name = "Sequential", config = list(name = "s", layers = layers),
              registered_name = NULL)
  cfg$compile_config <- compile_config
  cfg
}

# ---- objects carried in R-list configs -------------------------------------------------------

test_that("a Sequential model takes real layers only: an optimizer cannot stand as a layer", {
  carried <- optimizer_adam()
  expect_error(deserialize_keras_object(sequential_config(list(carried))), class = "kerasconfig_error_config",
               regexp = "expected a layer, got")
  adam <- list(module = "keras.optimizers", class_name = "Adam", config = named_list(), registered_name = NULL)
  expect_error(deserialize_keras_object(sequential_config(list(adam))), class = "kerasconfig_error_config",
               regexp = "expected a layer, got")
  # An operation is a Functional model's node, not a Sequential layer.
  add <- list(module = "keras.src.ops.numpy", class_name = "Add", config = list(name = "add"), registered_name = NULL)
  expect_error(deserialize_keras_object(sequential_config(list(add))), class = "kerasconfig_error_config",
               regexp = "expected a layer, got")
  # Real layers, built-in or custom, carried or from configs, are accepted.
  local_empty_registry()
  plain <- Layer("Plain")
  model <- deserialize_keras_object(sequential_config(list(dense_config("a"), layer_dense(units = 2L, name = "b"),
                                                           plain(name = "c"))))
  expect_s3_class(model, "Sequential")
  expect_length(model$get_config()$layers, 3L)
})

test_that("objects that only claim to be layers are refused without calling any of their code", {
  ran <- new.env()
  fake <- new.env()
  fake$get_config <- function() {
    ran$get_config <- TRUE
    list(name = "fake")
  }
  fake$name <- "fake"
  class(fake) <- c("Dense", "keras_layers", "keras_builtin", "keras_object")
  expect_error(deserialize_keras_object(sequential_config(list(fake))), class = "kerasconfig_error_config",
               regexp = "expected a layer, got")
  # A class binding that runs code when read is not read.
  sly <- new.env()
  makeActiveBinding(".__class__", function() {
    ran$class <- TRUE
    kerasconfig:::kc_builtin_objects[["keras.layers.Dense"]]
  }, sly)
  class(sly) <- c("Dense", "keras_object")
  expect_error(deserialize_keras_object(sequential_config(list(sly))), class = "kerasconfig_error_config",
               regexp = "expected a layer, got")
  functional <- list(module = "keras.src.models.functional", class_name = "Functional", registered_name = NULL,
                     config = list(name = "f", layers = list(list(module = "keras.optimizers", class_name = "Adam",
                                                                  config = named_list(), registered_name = NULL,
                                                                  name = "adam", inbound_nodes = list())),
                                   input_layers = list(), output_layers = list()))
  expect_error(deserialize_keras_object(functional), class = "kerasconfig_error_config",
               regexp = "expected a layer or operation, got")
  expect_identical(ls(ran), character())
})

# ---- lambdas ----------------------------------------------------------------------------------

test_that("a call held in an attribute of a saved lambda is data when the lambda loads, not code", {
  withr::defer(if (exists("kc_lambda_ran", envir = globalenv())) rm("kc_lambda_ran", envir = globalenv()))
  f <- function(x) x * 2
  attr(f, "hook") <- quote(assign("kc_lambda_ran", TRUE, envir = globalenv()))
  expect_warning(cfg <- serialize_keras_object(list(act = f))$act, class = "kerasconfig_warning_lambda")
  expect_match(cfg$config$value, "quote(assign(", fixed = TRUE)
  g <- deserialize_keras_object(cfg, safe_mode = FALSE)
  expect_false(exists("kc_lambda_ran", envir = globalenv()))
  expect_identical(attr(g, "hook"), attr(f, "hook"))
  expect_identical(g(3), 6)
})

# ---- compile_config ---------------------------------------------------------------------------

test_that("restoring a compile_config keeps the call's shared objects and safe mode", {
  compiled <- sequential_config(list(dense_config("a")), compile_config = list(optimizer = "adam", loss = "mse"))
  out <- deserialize_keras_object(list(model = compiled, x = dense_config("x", 7L), y = dense_config("x", 7L)))
  expect_s3_class(out$x, "Dense")
  expect_identical(kerasconfig:::rs_identity(out$x), kerasconfig:::rs_identity(out$y))
  # The same with the shared objects before the model.
  out <- deserialize_keras_object(list(x = dense_config("x", 7L), model = compiled, y = dense_config("x", 7L)))
  expect_identical(kerasconfig:::rs_identity(out$x), kerasconfig:::rs_identity(out$y))

  lambda <- list(class_name = "__lambda__", config = list(value = "function(y_true, y_pred) 0", language = "R"))
  with_lambda <- sequential_config(list(dense_config("a")), compile_config = list(optimizer = "adam", loss = lambda))
  model <- deserialize_keras_object(with_lambda, safe_mode = FALSE)
  expect_true(is.function(model[[".__compile_config__"]]$loss))
  expect_error(deserialize_keras_object(with_lambda), class = "kerasconfig_error_unsafe")
  # The location names the compile config.
  e <- expect_error(deserialize_keras_object(with_lambda), class = "kerasconfig_error_unsafe")
  expect_identical(e$path, "config$compile_config$loss")
})

# ---- shared_object_id -------------------------------------------------------------------------

test_that("shared_object_ids compare as Python's integers: -0 is 0, and ids past 2^53 stay apart", {
  local_empty_registry()
  counter <- Layer("Counted")
  register_keras_serializable(counter, package = "Hard")
  custom <- function(id) list(module = "m", class_name = "Counted", config = list(name = "c"),
                              registered_name = "Hard>Counted", shared_object_id = id)
  out <- deserialize_keras_object(list(custom(-0), custom(0L)))
  expect_identical(kerasconfig:::rs_identity(out[[1]]), kerasconfig:::rs_identity(out[[2]]))
  ids <- config_from_json("[9007199254740993, 9007199254740992, -0]")
  keys <- vapply(ids, kerasconfig:::kc_shared_key, "", x = NULL, path = "config")
  expect_identical(keys, c("9007199254740993", "9007199254740992", "0"))
  # Built-ins (the fast path) too.
  out <- deserialize_keras_object(list(dense_config("a", -0), dense_config("a", 0L)))
  expect_identical(kerasconfig:::rs_identity(out[[1]]), kerasconfig:::rs_identity(out[[2]]))
})

test_that("objects with shared_object_ids past 2^53 stay apart", {
  local_empty_registry()
  counter <- Layer("Counted")
  register_keras_serializable(counter, package = "Hard")
  custom <- function(id) list(module = "m", class_name = "Counted", config = list(name = "c"),
                              registered_name = "Hard>Counted", shared_object_id = id)
  ids <- config_from_json("[9007199254740993, 9007199254740992]")
  out <- deserialize_keras_object(list(custom(ids[[1]]), custom(ids[[2]]), custom(ids[[1]])))
  expect_false(identical(kerasconfig:::rs_identity(out[[1]]), kerasconfig:::rs_identity(out[[2]])))
  expect_identical(kerasconfig:::rs_identity(out[[1]]), kerasconfig:::rs_identity(out[[3]]))
  out <- deserialize_keras_object(list(dense_config("a", ids[[1]]), dense_config("a", ids[[2]])))
  expect_false(identical(kerasconfig:::rs_identity(out[[1]]), kerasconfig:::rs_identity(out[[2]])))
})

test_that("saved shared_object_ids are 1, 2, ... in order of first occurrence, never addresses", {
  local_empty_registry()
  pair <- Layer("Pair",
    initialize = function(first = NULL, second = NULL, third = NULL, ...) {
      super$initialize(...)
      self$first <- deserialize_keras_object(first)
      self$second <- deserialize_keras_object(second)
      self$third <- deserialize_keras_object(third)
    },
    get_config = function() c(super$get_config(), list(first = self$first, second = self$second, third = self$third)))
  a <- layer_dense(units = 1L, name = "a")
  b <- layer_dense(units = 2L, name = "b")
  # Every id in a saved config, in order.
  ids_of <- function(x) {
    if (!is.list(x)) return(integer())
    c(x[["shared_object_id", exact = TRUE]], unlist(lapply(unname(x), ids_of)))
  }
  model <- pair(first = list(b, a), second = a, third = b, name = "p")
  saved <- config_from_json(save_model_config(model))
  ids <- ids_of(saved)
  expect_type(ids, "integer")
  expect_identical(sort(unique(ids)), seq_along(unique(ids)))
  expect_identical(unique(ids), seq_along(unique(ids)))
  expect_identical(saved$config$first[[1]]$shared_object_id, 1L)
  expect_identical(saved$config$third$shared_object_id, 1L)
  expect_identical(saved$config$second$shared_object_id, saved$config$first[[2]]$shared_object_id)
  expect_false(identical(saved$config$second$shared_object_id, 1L))
  # Ids kept by loaded objects are written as they were, and new ids avoid them.
  loaded <- deserialize_keras_object(list(module = "keras.layers", class_name = "Dense",
                                          config = list(name = "kept", units = 3L), registered_name = NULL,
                                          shared_object_id = 1L))
  model <- pair(first = list(loaded, a), second = a, third = loaded, name = "p")
  saved <- config_from_json(save_model_config(model))
  expect_identical(saved$config$first[[1]]$shared_object_id, 1L)
  expect_identical(saved$config$third$shared_object_id, 1L)
  expect_identical(saved$config$second$shared_object_id, saved$config$first[[2]]$shared_object_id)
  expect_false(1L %in% ids_of(saved$config$first[[2]]))
  back <- deserialize_keras_object(saved, custom_objects = list(pair))
  expect_identical(kerasconfig:::rs_identity(back$first[[2]]), kerasconfig:::rs_identity(back$second))
  expect_false(identical(kerasconfig:::rs_identity(back$first[[1]]), kerasconfig:::rs_identity(back$first[[2]])))
})

# ---- files --------------------------------------------------------------------------------------

test_that("a bad metadata.json does not stop a model from loading; read_keras_metadata() reports it", {
  dir <- withr::local_tempdir()
  config <- save_model_config(layer_dense(units = 1L, name = "d"))
  bad_crc <- zip_entry("metadata.json", '{"keras_version": "3.15.1"}', crc = 1)
  path <- zip_write(dir, zip_archive(list(bad_crc, zip_entry("config.json", config))))
  expect_s3_class(load_model_config(path), "Dense")
  expect_error(read_keras_metadata(path), class = "kerasconfig_error_archive")
  huge <- zip_entry("metadata.json", raw(2e7), method = 8L, crc = 0)
  path <- zip_write(dir, zip_archive(list(huge, zip_entry("config.json", config))), file = "huge.keras")
  expect_s3_class(load_model_config(path), "Dense")
  expect_error(read_keras_metadata(path), class = "kerasconfig_error_archive", regexp = "inflates to more than")
  # In a directory, too.
  sub <- file.path(dir, "model")
  dir.create(sub)
  writeLines(config, file.path(sub, "config.json"), sep = "")
  writeLines("{not json", file.path(sub, "metadata.json"), sep = "")
  expect_s3_class(load_model_config(sub), "Dense")
  expect_error(read_keras_metadata(sub), class = "kerasconfig_json_error")
})

test_that("a FIFO named config.json is refused before it is opened, never waited on", {
  skip_if(Sys.which("mkfifo") == "", "mkfifo not available")
  dir <- withr::local_tempdir()
  fifo <- file.path(dir, "config.json")
  expect_identical(system2("mkfifo", fifo), 0L)
  expect_error(load_model_config(fifo), class = "kerasconfig_error_file", regexp = "not a regular file")
  expect_error(load_model_config(dir), class = "kerasconfig_error_file", regexp = "not a regular file")
  keras <- file.path(dir, "model.keras")
  expect_identical(system2("mkfifo", keras), 0L)
  expect_error(load_model_config(keras), class = "kerasconfig_error_file", regexp = "not a regular file")
  expect_error(read_keras_metadata(keras), class = "kerasconfig_error_file", regexp = "not a regular file")
  expect_identical(kerasconfig:::rs_file_kind(dir), "directory")
  expect_identical(kerasconfig:::rs_file_kind(file.path(dir, "none")), "missing")
  expect_identical(kerasconfig:::rs_file_kind(NA_character_), "missing")
})

test_that("config.json and metadata.json are limited to 16 MiB, and option kerasconfig.max_config_size changes it", {
  dir <- withr::local_tempdir()
  text <- save_model_config(layer_dense(units = 1L, name = "d"))
  path <- zip_keras_file(dir, list(metadata.json = "{}", config.json = text))
  withr::local_options(kerasconfig.max_config_size = nchar(text) - 1)
  expect_error(load_model_config(path), class = "kerasconfig_error_archive", regexp = "inflates to more than")
  json <- file.path(dir, "config.json")
  writeLines(text, json, sep = "")
  expect_error(load_model_config(json), class = "kerasconfig_error_file", regexp = "kerasconfig.max_config_size")
  expect_error(load_model_config(dir), class = "kerasconfig_error_file", regexp = "kerasconfig.max_config_size")
  withr::local_options(kerasconfig.max_config_size = nchar(text) + 2)
  expect_s3_class(load_model_config(path), "Dense")
  expect_s3_class(load_model_config(json), "Dense")
  withr::local_options(kerasconfig.max_config_size = "big")
  expect_error(load_model_config(json), class = "kerasconfig_error_type", regexp = "kerasconfig.max_config_size")
  # The default: 16 MiB.
  withr::local_options(kerasconfig.max_config_size = NULL)
  big <- zip_archive(list(zip_entry("config.json", raw(16 * 2^20 + 1), method = 8L, crc = 0)))
  expect_error(load_model_config(zip_write(dir, big, file = "big.keras")), class = "kerasconfig_error_archive",
               regexp = "inflates to more than 16777216 bytes")
})

# ---- strings the fuzzer found -------------------------------------------------------------------

test_that("strings marked bytes or invalid in their encoding are classed config errors where they name something", {
  bytes <- "\xff\xfe"
  Encoding(bytes) <- "bytes"
  invalid <- "ab\xff"
  for (s in list(bytes, invalid)) {
    expect_error(deserialize_keras_object(list(module = "keras.layers", class_name = s, config = list())),
                 class = "kerasconfig_error_config", regexp = "`class_name` must be a string")
    expect_error(deserialize_keras_object(list(module = s, class_name = "Dense", config = list(units = 1L))),
                 class = "kerasconfig_error_config", regexp = "`module` must be a string or NULL")
    expect_error(deserialize_keras_object(list(module = "builtins", class_name = "function", config = s)),
                 class = "kerasconfig_error_config", regexp = "non-null str")
    expect_error(deserialize_keras_object(list(class_name = "__numpy__", config = list(value = list(1), dtype = s))),
                 class = "kerasconfig_error_config", regexp = "needs a string `dtype`")
    expect_error(deserialize_keras_object(list(class_name = "__numpy__", config = list(value = list(s), dtype = "int32"))),
                 class = "kerasconfig_error_config", regexp = "not a rectangular array of numbers or logicals")
    expect_error(deserialize_keras_object(list(class_name = "__bytes__", config = list(value = s))),
                 class = "kerasconfig_error_config", regexp = "needs a string `value`")
    # Plain data keeps its keys as they are; a list R must walk (it holds a special encoding)
    # refuses them.
    plain <- setNames(list(1, list(2)), c("a", s))
    expect_identical(deserialize_keras_object(list(x = plain))$x, plain)
    keyed <- setNames(list(list(class_name = "__ellipsis__", config = list()), 2), c("a", s))
    expect_error(deserialize_keras_object(list(x = keyed)), class = "kerasconfig_error_config",
                 regexp = "keys of the config at config\\$x must be valid text")
    inner_keyed <- list(class_name = "__numpy__", config = setNames(list(list(1L), "int32", 1), c("value", "dtype", s)))
    expect_error(deserialize_keras_object(inner_keyed), class = "kerasconfig_error_config",
                 regexp = "keys of the config at config\\$config must be valid text")
  }
  # Arrays hold numbers or logicals, never strings coerced to NA.
  expect_error(deserialize_keras_object(list(class_name = "__numpy__", config = list(value = list("1", "b"), dtype = "int32"))),
               class = "kerasconfig_error_config", regexp = "not a rectangular array of numbers or logicals")
  # A Latin-1 string is valid text.
  latin1 <- "caf\xe9"
  Encoding(latin1) <- "latin1"
  expect_identical(deserialize_keras_object(setNames(list(1), latin1)), setNames(list(1), latin1))
})

test_that("an environment merely classed as a Keras object is not an instance", {
  fake <- structure(new.env(), class = c("Dense", "keras_object"))
  expect_identical(deserialize_keras_object(list(fake))[[1]], fake)
  expect_error(serialize_keras_object(list(fake)), class = "kerasconfig_error_serialize", regexp = "Cannot serialize")
})

test_that("configs the fuzzer found give classed errors, not R errors from the native reader or as.list()", {
  # An empty config without names: the native reader looked its keys up in NULL (an R error that
  # jumped over Rust frames).
  empty <- list(module = "keras.src.models.functional", class_name = "Functional", config = list(),
                registered_name = "Functional", build_config = list(input_shape = NULL), compile_config = NA)
  expect_error(deserialize_keras_object(empty), "must be a dictionary containing the 'layers'",
               class = "kerasconfig_error_config")
  # A legacy tuple whose items are an R object, not a list.
  tuple <- list(nested = list(list(class_name = "__tuple__", items = layer_dense(units = 1L))))
  expect_error(deserialize_keras_object(tuple), "`items` of a `__tuple__` must be a list", class = "kerasconfig_error_config")
})
