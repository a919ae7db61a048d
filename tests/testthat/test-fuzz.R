# Fuzzing R-list configs through the R API: real configs (the reference models, small built
# ones) with one part replaced by something hostile, loaded, written back and written as JSON.
# Every outcome must be a value or a kerasconfig_error; no trap may be called.
#
# A few seconds run in `make test`; run longer by hand with, e.g.,
#   KERASCONFIG_FUZZ_SECONDS=3600 KERASCONFIG_FUZZ_SEED=7 make r-test
# A failing input is saved with saveRDS() (in KERASCONFIG_FUZZ_DIR, else the session's temporary
# directory) and its file named in the failure message.

fuzz_seconds <- as.numeric(Sys.getenv("KERASCONFIG_FUZZ_SECONDS", "4"))
fuzz_seed <- as.integer(Sys.getenv("KERASCONFIG_FUZZ_SEED", "20261"))

fuzz_hits <- new.env()
fuzz_hits$n <- 0L
fuzz_trap <- function(...) {
  fuzz_hits$n <- fuzz_hits$n + 1L
  stop("fuzz trap reached")
}

fuzz_strings <- function() {
  latin1 <- "caf\xe9"
  Encoding(latin1) <- "latin1"
  bytes <- "\xff\xfe"
  Encoding(bytes) <- "bytes"
  invalid_utf8 <- "ab\xff"
  Encoding(invalid_utf8) <- "UTF-8"
  list(latin1, bytes, "\xff\xfe", invalid_utf8, "", "fuzz_trap", "system", "base::system", "__lambda__",
       "__numpy__", "function", "Custom>fuzz_trap", strrep("a", 70000), "\u00e9\u4e2d", "a\nb\"c\\",
       NA_character_, c("a", "b"), character())
}

fuzz_values <- function() {
  deep <- 1
  for (i in 1:150) deep <- list(deep)
  wide <- rep(list(1L), 5000)
  c(fuzz_strings(), list(
    NULL, NA, NA_integer_, NA_real_, NaN, Inf, -Inf, 0, -0, 1L, -1L, 2.5, 1e308, -1e308, 5e-324,
    .Machine$integer.max, 2^53 + 2, 2^64, TRUE, FALSE, c(1, 2), integer(), logical(), list(), named_list(),
    list(NULL), list(a = NULL), deep, wide, setNames(list(1, 2), c("a", "a")), setNames(list(1), NA_character_),
    as.raw(c(0, 255)), complex(real = 1, imaginary = 1), factor("a"), Sys.Date(), matrix(1:4, 2),
    data.frame(a = 1), new.env(), globalenv(), emptyenv(), fuzz_trap, base::sum, quote(fuzz_trap()),
    as.name("fuzz_trap"), expression(fuzz_trap()), ~ fuzz_trap(), structure(list(), class = "keras_object"),
    structure(new.env(), class = c("Dense", "keras_object")), structure(1, class = "keras_integer", digits = "x"),
    keras_slice(1L, NULL, 2L), keras_ellipsis(), keras_array(1:3),
    list(class_name = "__lambda__", config = list(value = "fuzz_trap()", language = "R")),
    list(class_name = "__numpy__", config = list(value = list(list(1, 2), list(3)), dtype = "float32")),
    list(class_name = "__numpy__", config = list(value = list(1, "a"), dtype = "int32")),
    list(class_name = "__slice__", config = list(start = quote(fuzz_trap()), stop = NULL, step = NULL)),
    list(class_name = "__tuple__", items = list(1, list(2))),
    list(class_name = "__keras_tensor__", config = list(shape = new.env(), dtype = 1, keras_history = fuzz_trap)),
    list(class_name = "__bytes__", config = list(value = 1)),
    list(module = "<r-globalenv>", class_name = "fuzz_trap", config = list(), registered_name = "fuzz_trap"),
    list(module = "builtins", class_name = "function", config = "fuzz_trap", registered_name = "function"),
    list(module = "keras.layers", class_name = "Dense", config = list(units = "x"), registered_name = NULL)
  ))
}

# Keys whose values configs treat specially.
fuzz_keys <- c("module", "class_name", "config", "registered_name", "shared_object_id", "build_config",
               "compile_config", "items", "value", "dtype", "layers", "inbound_nodes", "name", "units",
               "input_layers", "output_layers", "args", "kwargs", "keras_history", "language", "")

# Input classes the fast path (Rust) does not survive yet: an R error escapes, unclassed. Left
# out until the lead's fix to shared_key() in src/rust/src/fast/read.rs (it calls XLENGTH before
# checking the type) is merged; run with KERASCONFIG_FUZZ_ALL=1 to include them.
fuzz_known_bug <- function(key, value) {
  !nzchar(Sys.getenv("KERASCONFIG_FUZZ_ALL")) && identical(key, "shared_object_id") &&
    !(is.atomic(value) && !is.null(value))
}

# A random path into `x`: stop at each list with probability 1/4, else go into a random element.
fuzz_path <- function(x) {
  path <- integer()
  while (is.list(x) && !is.object(x) && length(x) && (stats::runif(1) > 0.25 || !length(path))) {
    i <- sample.int(length(x), 1L)
    path <- c(path, i)
    x <- x[[i]]
  }
  path
}

fuzz_get <- function(x, path) {
  for (i in path) x <- x[[i]]
  x
}

# `x` with the element at `path` replaced by `value` (kept as a NULL element when NULL).
fuzz_set <- function(x, path, value) {
  if (!length(path)) return(value)
  i <- path[[1L]]
  x[i] <- list(fuzz_set(x[[i]], path[-1L], value))
  x
}

fuzz_mutate <- function(config, values) {
  path <- fuzz_path(config)
  value <- values[[sample.int(length(values), 1L)]]
  kind <- sample(c("replace", "replace", "replace", "key", "add", "drop", "rename"), 1L)
  target <- fuzz_get(config, path)
  if (kind != "replace" && is.list(target) && !is.object(target)) {
    key <- sample(fuzz_keys, 1L)
    if (kind %in% c("key", "add")) {
      if (fuzz_known_bug(key, value)) return(NULL)
      target <- if (is.null(names(target)) && length(target)) c(target, list(value)) else {
        target[key] <- list(value)
        target
      }
    } else if (kind == "drop" && length(target)) {
      target <- target[-sample.int(length(target), 1L)]
    } else if (kind == "rename" && length(target)) {
      strings <- fuzz_strings()
      name <- strings[[sample.int(length(strings), 1L)]]
      if (length(name) == 1L) {
        nm <- names(target) %||% rep("", length(target))
        nm[[sample.int(length(nm), 1L)]] <- name
        names(target) <- nm
      }
    }
    return(fuzz_set(config, path, target))
  }
  key <- if (length(path)) names(fuzz_get(config, path[-length(path)]))[path[[length(path)]]]
  if (fuzz_known_bug(key, value)) return(NULL)
  fuzz_set(config, path, value)
}

`%||%` <- function(x, y) if (is.null(x)) y else x

# Runs `f`; the outcome: "value", "kerasconfig_error", or the class of anything else.
fuzz_outcome <- function(f) {
  tryCatch(
    withCallingHandlers({
      f()
      "value"
    }, warning = function(w) invokeRestart("muffleWarning")),
    kerasconfig_error = function(e) "kerasconfig_error",
    error = function(e) paste(class(e)[[1L]], conditionMessage(e))
  )
}

fuzz_corpus <- function() {
  clear_session()
  built <- list(
    serialize_keras_object(layer_dense(units = 3L, activation = "relu", kernel_initializer = "he_normal", name = "d")),
    serialize_keras_object(optimizer_adam(learning_rate = 0.01)),
    kerasconfig:::kc_with_object_sharing(serialize_keras_object(
      keras_model_sequential(input_shape = 4, name = "m") |> layer_dense(8, activation = "relu") |> layer_dense(1))),
    serialize_keras_object(list(a = keras_slice(1L, NULL, 2L), b = keras_array(matrix(1:4, 2)), c = as.raw(1:3))),
    list(module = "<r-globalenv>", class_name = "FuzzLayer", config = list(name = "f", inner = NULL, units = 2L),
         registered_name = "Fuzz>FuzzLayer")
  )
  ref <- Sys.getenv("KERASCONFIG_REFERENCE")
  files <- if (nzchar(ref) && dir.exists(ref)) {
    c(list.files(file.path(ref, "models"), full.names = TRUE, pattern = "[.]json$"),
      list.files(file.path(ref, "edge"), full.names = TRUE, pattern = "[.]json$"))
  }
  c(built, lapply(files, config_from_json))
}

test_that("fuzzed R-list configs give a value or a kerasconfig_error, and never reach code", {
  register_reference_custom_objects()
  register_keras_serializable(Layer("FuzzLayer",
    initialize = function(inner = NULL, units = 1L, ...) {
      super$initialize(...)
      self$inner <- deserialize_keras_object(inner)
      self$units <- units
    },
    get_config = function() c(super$get_config(), list(inner = self$inner, units = self$units))), package = "Fuzz")
  withr::local_seed(fuzz_seed)
  corpus <- fuzz_corpus()
  values <- fuzz_values()
  started <- Sys.time()
  iterations <- 0L
  outcomes <- character()
  while (as.numeric(difftime(Sys.time(), started, units = "secs")) < fuzz_seconds) {
    config <- corpus[[sample.int(length(corpus), 1L)]]
    for (k in seq_len(sample(1:3, 1L))) config <- fuzz_mutate(config, values) %||% config
    iterations <- iterations + 1L
    loaded <- NULL
    steps <- list(
      deserialize = function() loaded <<- deserialize_keras_object(config),
      serialize = function() serialize_keras_object(loaded),
      json = function() config_to_json(config),
      save = function() if (kerasconfig:::kc_is_instance(loaded)) save_model_config(loaded)
    )
    for (step in names(steps)) {
      outcome <- fuzz_outcome(steps[[step]])
      outcomes <- c(outcomes, outcome)
      if (!outcome %in% c("value", "kerasconfig_error")) {
        file <- tempfile("kc-fuzz-", tmpdir = Sys.getenv("KERASCONFIG_FUZZ_DIR", tempdir()), fileext = ".rds")
        saveRDS(config, file)
        fail(sprintf("%s of a fuzzed config (seed %d, iteration %d, saved in %s): %s", step, fuzz_seed, iterations,
                     file, outcome))
      }
      if (outcome != "value") break
    }
  }
  expect_identical(fuzz_hits$n, 0L)
  expect_gt(iterations, 10L)
  if (fuzz_seconds > 10) {
    message(sprintf("fuzz: %d iterations in %.0f s (seed %d): %s", iterations, fuzz_seconds, fuzz_seed,
                    paste(names(table(outcomes)), table(outcomes), sep = " ", collapse = ", ")))
  }
})
