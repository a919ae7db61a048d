# Regressions from the attack review (issue 8) at the R/Rust boundary: strings, lengths, memory.
# Each input once crashed R, hung, leaked or gave an unclassed error; now a value or a classed error.

latin1 <- function(text) {
  Encoding(text) <- "latin1"
  text
}
as_bytes <- function(text) {
  Encoding(text) <- "bytes"
  text
}
invalid_utf8 <- rawToChar(as.raw(c(0x44, 0x65, 0x6e, 0xff, 0xfe)))

dense_config <- function(...) {
  modifyList(list(module = "keras.layers", class_name = "Dense", config = list(units = 2L), registered_name = NULL),
             list(...))
}

test_that("a Latin-1 class name is translated, resolved and suggested like any other", {
  err <- expect_error(deserialize_keras_object(list(module = NULL, class_name = latin1("Dens\xe9"), config = list())),
                      class = "kerasconfig_error_unknown_class")
  expect_match(conditionMessage(err), "Could not locate class 'Dens\u00e9'", fixed = TRUE)
  expect_match(conditionMessage(err), "Did you mean 'Dense'?", fixed = TRUE)
})

test_that("invalid UTF-8 in a function config is refused with its location, not read past its end", {
  err <- expect_error(deserialize_keras_object(list(module = "builtins", class_name = "function", config = invalid_utf8)),
                      class = "kerasconfig_error_encoding")
  expect_s3_class(err, "kerasconfig_error_config")
  expect_match(conditionMessage(err), "not valid text", fixed = TRUE)
  expect_identical(err$path, "config$config")
})

test_that("class_name, module and registered_name that are bytes-encoded or invalid UTF-8 are refused", {
  for (bad in list(as_bytes("Dens\xe9"), invalid_utf8)) {
    for (field in c("class_name", "module", "registered_name")) {
      x <- dense_config()
      x[[field]] <- bad
      expect_error(deserialize_keras_object(x), class = "kerasconfig_error_encoding")
    }
  }
})

test_that("registry, lookup and scope names that are not valid UTF-8 are refused", {
  local_empty_registry()
  expect_error(register_keras_serializable(function(x) x, package = "P", name = invalid_utf8),
               class = "kerasconfig_error_encoding")
  expect_length(get_custom_objects(), 0L)
  expect_error(get_registered_object(invalid_utf8), class = "kerasconfig_error_encoding")
  expect_error(get_registered_object(as_bytes("f\xe9")), class = "kerasconfig_error_encoding")
  objects <- list(function(x) x)
  names(objects) <- invalid_utf8
  expect_error(with_custom_object_scope(objects, 1), class = "kerasconfig_error_encoding")
  expect_error(deserialize_keras_object(list(module = "keras.layers", class_name = "Foo", config = list()),
                                        custom_objects = objects),
               class = "kerasconfig_error_encoding")
})

test_that("a Latin-1 registration key is stored as UTF-8 and found by its UTF-8 spelling", {
  local_empty_registry()
  f <- function(x) x
  register_keras_serializable(f, package = "P", name = latin1("f\xe9"))
  expect_identical(names(get_custom_objects()), "P>f\u00e9")
  expect_identical(get_registered_object("P>f\u00e9"), f)
})

test_that("config_to_json() refuses invalid UTF-8 instead of writing <ff> escapes, and translates Latin-1", {
  err <- expect_error(config_to_json(list(a = invalid_utf8)), class = "kerasconfig_json_error")
  expect_match(conditionMessage(err), "not valid UTF-8 as JSON, at config$a", fixed = TRUE)
  expect_identical(config_to_json(list(a = latin1("caf\xe9"))), "{\"a\": \"caf\\u00e9\"}")
})

test_that("a factor without levels is written as an error, not an R error thrown through Rust", {
  expect_error(config_to_json(structure(1L, class = "factor")), class = "kerasconfig_json_error")
  # Repeated: a long jump through Rust frames left state behind; a clean error leaves none.
  for (i in 1:20) expect_error(config_to_json(structure(c(1L, 2L), class = "factor")), class = "kerasconfig_json_error")
  expect_identical(config_to_json(factor(c("b", "a"))), "[\"b\", \"a\"]")
})

test_that("an environment as shared_object_id is a classed config error on every route", {
  x <- dense_config(shared_object_id = new.env())
  err <- expect_error(deserialize_keras_object(x), class = "kerasconfig_error_config")
  expect_identical(err$path, "config$shared_object_id")
  nested <- list(module = "keras.layers", class_name = "Dense",
                 config = list(units = 2L, kernel_regularizer = list(module = "keras.regularizers", class_name = "L2",
                                                                    config = list(l2 = 0.1), shared_object_id = NULL)))
  nested$config$kernel_regularizer$shared_object_id <- quote(f(x))
  expect_error(deserialize_keras_object(nested), class = "kerasconfig_error_config")
})

functional_text <- function(history) {
  sprintf(paste0(
    '{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "m", "layers": [',
    '{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], "dtype": "float32", ',
    '"sparse": false, "name": "in"}, "registered_name": null, "name": "in", "inbound_nodes": []}, ',
    '{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2}, "registered_name": null, ',
    '"name": "d", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], ',
    '"dtype": "float32", "keras_history": %s}}], "kwargs": {}}]}], ',
    '"input_layers": [["in", 0, 0]], "output_layers": [["d", 0, 0]]}, "registered_name": null}'), history)
}

test_that("a null node or tensor index in a Functional graph is a graph error naming the layer", {
  expect_s3_class(deserialize_keras_object(config_from_json(functional_text('["in", 0, 0]'))), "Functional")
  for (history in c('["in", null, 0]', '["in", 0, null]', '[null, 0, 0]', '["in", {}, 0]')) {
    err <- expect_error(deserialize_keras_object(config_from_json(functional_text(history))),
                        class = "kerasconfig_error_graph")
    expect_match(conditionMessage(err), "layer 'd'", fixed = TRUE)
  }
})

test_that("a Keras 2 node with a null index is a graph error", {
  text <- sub('"inbound_nodes": [{"args"', '"inbound_nodes": [[["in", null, 0, {}]]], "unused": [{"args"',
              functional_text('["in", 0, 0]'), fixed = TRUE)
  expect_error(deserialize_keras_object(config_from_json(text)), class = "kerasconfig_error_graph")
})

test_that("__ellipsis__ and __slice__ are read on the fast path, with the R path's values", {
  ellipsis <- list(class_name = "__ellipsis__", config = NULL)
  slice <- list(class_name = "__slice__", config = list(start = 1L, stop = NULL, step = ellipsis))
  expect_identical(deserialize_keras_object(ellipsis), keras_ellipsis())
  expect_identical(deserialize_keras_object(slice), keras_slice(1L, NULL, keras_ellipsis()))
  # Many of them in one config: once 40 s through the R path for 60 MB; the values must be right.
  many <- config_from_json(paste0("[", paste(rep('{"class_name": "__ellipsis__", "config": {}}', 20000),
                                              collapse = ", "), "]"))
  out <- deserialize_keras_object(many)
  expect_length(out, 20000L)
  expect_true(all(vapply(out, identical, TRUE, keras_ellipsis())))
  # Modifying one shared value copies it: the others stay as they were.
  out[[1]]$x <- 1
  expect_identical(out[[2]], keras_ellipsis())
  expect_error(deserialize_keras_object(list(class_name = "__slice__", config = "1:2")), class = "kerasconfig_error_config")
})

test_that("an archive inflating past the memory the process may use is a classed error, not an abort", {
  skip_on_os(c("windows", "mac", "solaris"))
  skip_if_not(nzchar(Sys.which("bash")), "needs bash for ulimit")
  bomb <- test_path("fixtures", "inflates-to-256mib.keras")
  expect_lt(file.size(bomb), 300000)
  script <- tempfile(fileext = ".R")
  # By default the 16 MiB limit on config.json refuses it before inflating anything.
  expect_error(load_model_config(bomb), class = "kerasconfig_error_archive", regexp = "inflates to more than 16777216")
  # With the limit raised to the archive reader's own (256 MiB), memory is what runs out.
  writeLines(c("library(kerasconfig)", "options(kerasconfig.max_config_size = 268435456)",
               sprintf("r <- tryCatch(load_model_config('%s'), error = identity)", normalizePath(bomb)),
               "cat(class(r)[[1]], conditionMessage(r), sep = '\\n')"), script)
  rscript <- file.path(R.home("bin"), "Rscript")
  libs <- paste(.libPaths(), collapse = ":")
  # 400 MB of address space: R and the package fit, the 256 MiB member and its R copy do not.
  out <- suppressWarnings(system2("bash", c("-c", shQuote(sprintf("ulimit -v 400000; R_LIBS=%s %s %s 2>&1",
                                                                    libs, rscript, script))), stdout = TRUE))
  expect_identical(attr(out, "status"), NULL)
  expect_identical(out[[1]], "kerasconfig_error_archive")
  expect_match(out[[2]], "(cannot give|could not allocate) the 26843535[67] bytes", perl = TRUE)
})

test_that("a JSON file that cannot be written is a classed file error naming it", {
  path <- file.path(tempfile(), "no", "such", "dir", "x.json")
  err <- expect_error(config_to_json(list(a = 1L), file = path), class = "kerasconfig_error_file")
  expect_match(conditionMessage(err), path, fixed = TRUE)
  expect_identical(err$file, path)
})
