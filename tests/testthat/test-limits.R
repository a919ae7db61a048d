# The one depth limit (kc_max_depth: 100 lists, counted as JSON counts arrays and objects) on
# every route, at the boundary: 100 levels load, 101 are a kerasconfig_error_config saying so.

limit <- 100L
depth_error <- "nests deeper than 100 levels"

# `n` unnamed lists around a number: n levels.
nest_plain <- function(n, leaf = 1L) {
  x <- leaf
  for (i in seq_len(n)) x <- list(x)
  x
}

# `n` named lists: n levels.
nest_named <- function(n) {
  x <- "leaf"
  for (i in seq_len(n)) x <- list(a = x)
  x
}

zeros <- function() list(module = "keras.initializers", class_name = "Zeros", config = named_list(), registered_name = NULL)

# The first element, `n` times down.
dig <- function(x, n) {
  for (i in seq_len(n)) x <- x[[1L]]
  x
}

# Levels of a value: what JSON would count.
levels_of <- function(x) if (is.list(x)) 1L + max(0L, vapply(x, levels_of, 1L)) else 0L

expect_depth_ok <- function(x) {
  expect_identical(levels_of(x), limit)
  expect_no_error(deserialize_keras_object(x))
}

expect_depth_refused <- function(x) {
  expect_identical(levels_of(x), limit + 1L)
  expect_error(deserialize_keras_object(x), class = "kerasconfig_error_config", regexp = depth_error)
}

test_that("plain R lists: 100 levels load, 101 are refused", {
  expect_identical(deserialize_keras_object(nest_plain(limit)), nest_plain(limit))
  expect_depth_refused(nest_plain(limit + 1L))
  expect_identical(deserialize_keras_object(nest_named(limit)), nest_named(limit))
  expect_depth_refused(nest_named(limit + 1L))
  # An empty list is a level too, as `[]` is in JSON.
  expect_depth_ok(nest_plain(limit - 1L, list()))
  expect_depth_refused(nest_plain(limit, list()))
})

test_that("built-ins (the native fast path): their dict and their config dict are two levels", {
  expect_depth_ok(nest_plain(limit - 2L, zeros()))
  expect_s3_class(dig(deserialize_keras_object(nest_plain(limit - 2L, zeros())), limit - 2L), "Zeros")
  expect_depth_refused(nest_plain(limit - 1L, zeros()))
  # Built-ins wrapping built-ins, two levels each.
  wrap <- function(layer) list(module = "keras.layers", class_name = "TimeDistributed",
                               config = list(name = paste0("td", levels_of(layer)), layer = layer), registered_name = NULL)
  nested <- list(module = "keras.layers", class_name = "Dense", config = list(name = "d", units = 1L), registered_name = NULL)
  for (i in 1:49) nested <- wrap(nested)
  expect_depth_ok(nested)
  expect_depth_refused(list(nested))
})

test_that("the fast path and the R path agree on the limit", {
  ns <- asNamespace("kerasconfig")
  fast <- ns$rs_fast_deserialize
  utils::assignInNamespace("rs_fast_deserialize", function(...) structure(list(), class = "kc_fallback"), "kerasconfig")
  withr::defer(utils::assignInNamespace("rs_fast_deserialize", fast, "kerasconfig"))
  expect_depth_ok(nest_plain(limit - 2L, zeros()))
  expect_depth_refused(nest_plain(limit - 1L, zeros()))
  expect_depth_ok(nest_plain(limit))
  expect_depth_refused(nest_plain(limit + 1L))
})

test_that("the list too deep is named, and the check is made before R walks the config", {
  x <- list(a = list(1, list(b = nest_plain(limit - 2L))))
  e <- expect_error(deserialize_keras_object(x), class = "kerasconfig_error_config")
  expect_identical(e$path, paste0("config$a[[2]]$b", strrep("[[1]]", limit - 3L)))
  # Were the 50 nested built-ins below walked by R's from_config() calls, R's C stack would
  # run out first.
  wrap <- function(layer) list(module = "keras.layers", class_name = "TimeDistributed",
                               config = list(name = "td", layer = layer), registered_name = NULL)
  nested <- list(1)
  for (i in 1:2000) nested <- wrap(nested)
  expect_error(deserialize_keras_object(nested), class = "kerasconfig_error_config", regexp = depth_error)
})

test_that("`__slice__` passes the depth on: 49 nested slices and a list load, 50 and a list do not", {
  slices <- function(n, leaf) {
    x <- leaf
    for (i in seq_len(n)) x <- list(class_name = "__slice__", config = list(start = x, stop = NULL, step = 2L))
    x
  }
  ok <- slices(49L, list(list(1L), 2L))
  expect_depth_ok(ok)
  value <- deserialize_keras_object(ok)
  for (i in 1:49) {
    expect_s3_class(value, "keras_slice")
    value <- value$start
  }
  expect_identical(value, list(list(1L), 2L))
  expect_depth_refused(slices(50L, list(1L)))
  # The attack of the review: hundreds of nested slices.
  expect_error(deserialize_keras_object(slices(499L, 1L)), class = "kerasconfig_error_config", regexp = depth_error)
  expect_error(deserialize_keras_object(slices(5000L, 1L)), class = "kerasconfig_error_config", regexp = depth_error)
})

test_that("Keras 2's `__tuple__` passes the depth on", {
  tuples <- function(n, leaf) {
    x <- leaf
    for (i in seq_len(n)) x <- list(class_name = "__tuple__", items = list(x))
    x
  }
  expect_depth_ok(tuples(50L, 1L))
  expect_identical(deserialize_keras_object(tuples(2L, 1L)), list(list(1L)))
  expect_depth_refused(tuples(50L, list(1L)))
  expect_error(deserialize_keras_object(tuples(3000L, 1L)), class = "kerasconfig_error_config", regexp = depth_error)
})

test_that("`__numpy__` and `__tensor__`: rank is bounded by NumPy's 64, and the array counts toward the depth", {
  array_config <- function(rank, encoding = "__numpy__") {
    list(class_name = encoding, config = list(value = nest_plain(rank, 7L), dtype = "int32"))
  }
  a <- deserialize_keras_object(array_config(64L))
  expect_s3_class(a, "keras_array")
  expect_identical(length(dim(a)), 64L)
  expect_error(deserialize_keras_object(array_config(65L)), class = "kerasconfig_error_config",
               regexp = "more than 64 dimensions")
  expect_error(deserialize_keras_object(array_config(65L, "__tensor__")), class = "kerasconfig_error_config",
               regexp = "more than 64 dimensions")
  expect_error(deserialize_keras_object(array_config(499L)), class = "kerasconfig_error_config", regexp = depth_error)
  # 34 lists + the array's dict and config dict + rank 64 = 100 levels.
  expect_depth_ok(nest_plain(34L, array_config(64L)))
  expect_depth_refused(nest_plain(35L, array_config(64L)))
  # A ragged value deep inside is refused before unlist() could recurse into it.
  ragged <- list(value = list(1L, nest_plain(100000L)), dtype = "int32")
  expect_error(kerasconfig:::kc_array_from_config(ragged, "__numpy__", ragged, "config"), class = "kerasconfig_error_config",
               regexp = "not a rectangular array")
  expect_error(deserialize_keras_object(list(class_name = "__numpy__", config = ragged)), class = "kerasconfig_error_config",
               regexp = depth_error)
})

test_that("nested from_config() calls continue the count of the config they are in", {
  local_empty_registry()
  holder <- Layer("Holder",
    initialize = function(inner = NULL, ...) {
      super$initialize(...)
      self$inner <- deserialize_keras_object(inner)
    },
    get_config = function() c(super$get_config(), list(inner = self$inner)))
  register_keras_serializable(holder, package = "Limits")
  make <- function(inner) list(module = "m", class_name = "Holder", config = list(name = "h", inner = inner),
                               registered_name = "Limits>Holder")
  # 10 lists + the object's two levels + 88 lists inside it = 100.
  expect_depth_ok(nest_plain(10L, make(nest_plain(88L))))
  expect_depth_refused(nest_plain(10L, make(nest_plain(89L))))
  expect_depth_refused(nest_plain(11L, make(nest_plain(88L))))
  # Each nested custom object counts its two levels.
  chain <- function(n, leaf) {
    x <- leaf
    for (i in seq_len(n)) x <- make(x)
    x
  }
  expect_depth_ok(nest_plain(59L, chain(20L, list())))
  expect_depth_refused(nest_plain(60L, chain(20L, list())))
})

test_that("custom classes nested too deeply for R's C stack stop with kerasconfig_error_stack", {
  local_empty_registry()
  holder <- Layer("Holder",
    initialize = function(inner = NULL, ...) {
      super$initialize(...)
      self$inner <- deserialize_keras_object(inner)
    },
    get_config = function() c(super$get_config(), list(inner = self$inner)))
  register_keras_serializable(holder, package = "Limits")
  x <- NULL
  for (i in 1:2000) x <- list(module = "m", class_name = "Holder", config = list(name = "h", inner = x),
                              registered_name = "Limits>Holder")
  # Whichever comes first, R's C stack or the depth, it is a classed error, never R's own.
  e <- tryCatch(deserialize_keras_object(x), error = identity)
  expect_true(inherits(e, "kerasconfig_error_stack") || inherits(e, "kerasconfig_error_config"))
  expect_false(inherits(e, "stackOverflowError"))
  # Called with 1.5 MB of C stack left, ten nested objects are too many.
  ten <- x
  for (i in 1:1990) ten <- ten$config$inner
  withr::local_options(expressions = 500000)
  room <- function() Cstack_info()[["size"]] - Cstack_info()[["current"]]
  deep_call <- function() if (room() > 1.5e6) deep_call() else deserialize_keras_object(ten)
  e <- tryCatch(deep_call(), error = identity)
  expect_s3_class(e, "kerasconfig_error_stack")
  expect_no_error(deserialize_keras_object(ten))
})

test_that("config.json files: 100 levels load, 101 are refused", {
  dir <- withr::local_tempdir()
  path <- file.path(dir, "config.json")
  writeLines(paste0(strrep("[", limit), "1", strrep("]", limit)), path, sep = "")
  expect_identical(load_model_config(path), nest_plain(limit))
  writeLines(paste0(strrep('{"a": ', limit - 2L),
                    '{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}',
                    strrep("}", limit - 2L)), path, sep = "")
  expect_s3_class(dig(load_model_config(path), limit - 2L), "Zeros")
})

test_that("JSON text: the same 100 levels", {
  ok <- paste0(strrep("[", limit), "1", strrep("]", limit))
  expect_identical(config_from_json(ok), nest_plain(limit))
  expect_error(config_from_json(paste0("[", ok, "]")), class = "kerasconfig_json_error", regexp = "deeper than 100")
  expect_identical(config_to_json(nest_plain(limit)), ok)
  expect_error(config_to_json(nest_plain(limit + 1L)), class = "kerasconfig_json_error", regexp = "deeper than 100")
  dir <- withr::local_tempdir()
  path <- file.path(dir, "config.json")
  writeLines(paste0("[", ok, "]"), path, sep = "")
  expect_error(load_model_config(path), class = "kerasconfig_json_error", regexp = "deeper than 100")
})
