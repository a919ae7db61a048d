test_that("Keras 3 rules for plain values", {
  local_empty_registry()
  expect_null(deserialize_keras_object(NULL))
  expect_identical(deserialize_keras_object("relu_like"), "relu_like")
  expect_identical(deserialize_keras_object(1.5), 1.5)
  expect_identical(deserialize_keras_object(list(1L, NULL, "a")), list(1L, NULL, "a"))
  expect_identical(deserialize_keras_object(list(class_name = "X", other = 1)), list(class_name = "X", other = 1))
})

test_that("a string that is a known custom-object key gives the object", {
  local_empty_registry()
  f <- function(x) x
  register_keras_serializable(f, package = "P")
  expect_identical(deserialize_keras_object("P>f"), f)
  expect_identical(deserialize_keras_object(list(a = "P>f"))$a, f)
  expect_identical(deserialize_keras_object("g", custom_objects = list(g = f)), f)
})

test_that("a missing registered_name defaults to class_name; an explicit NULL stays NULL", {
  local_empty_registry()
  layer_plain <- Layer("Plain")
  cfg <- list(module = "x", class_name = "Plain", config = list(name = "p"))
  expect_identical(deserialize_keras_object(cfg, custom_objects = list(layer_plain))$name, "p")
  cfg$registered_name <- list(NULL)
  cfg["registered_name"] <- list(NULL)
  expect_error(deserialize_keras_object(cfg, custom_objects = list(layer_plain)),
               class = "kerasconfig_error_unknown_class")
})

test_that("a class config resolves by registered_name, so custom_objects use the full key", {
  local_empty_registry()
  layer_plain <- Layer("Plain")
  cfg <- list(module = "m", class_name = "Plain", config = list(name = "p"), registered_name = "MyPkg>Plain")
  expect_error(deserialize_keras_object(cfg, custom_objects = list(Plain = layer_plain)),
               class = "kerasconfig_error_unknown_class")
  expect_s3_class(deserialize_keras_object(cfg, custom_objects = list("MyPkg>Plain" = layer_plain)), "Plain")
})

test_that("lookup precedence applies to deserialization: scope, then global, then custom_objects", {
  local_empty_registry()
  make <- function(tag) Layer("Tagged", initialize = function(...) { super$initialize(...); self$tag <- tag })
  from_global <- make("global")
  register_keras_serializable(from_global, package = "P")
  cfg <- list(module = NULL, class_name = "Tagged", config = list(name = "t"), registered_name = "P>Tagged")
  expect_identical(deserialize_keras_object(cfg, custom_objects = list("P>Tagged" = make("custom")))$tag, "global")
  with_custom_object_scope(list("P>Tagged" = make("scope")), {
    expect_identical(deserialize_keras_object(cfg)$tag, "scope")
  })
  set_custom_objects(clear = TRUE)
  expect_identical(deserialize_keras_object(cfg, custom_objects = list("P>Tagged" = make("custom")))$tag, "custom")
  expect_identical(deserialize_keras_object(cfg, module_objects = list("P>Tagged" = make("module")))$tag, "module")
})

test_that("from_config class methods get the raw config and see cls", {
  local_empty_registry()
  layer_fc <- Layer("FromConf",
    initialize = function(units = 1L, ...) { super$initialize(...); self$units <- units },
    get_config = function() c(super$get_config(), list(units = self$units)),
    from_config = function(config) {
      config$units <- config$units * 10L
      do.call(cls, config)
    })
  register_keras_serializable(layer_fc)
  cfg <- serialize_keras_object(layer_fc(units = 2L, name = "f"))
  expect_identical(deserialize_keras_object(cfg)$units, 20L)
})

test_that("a function found for a class config is refused, as Keras refuses a class without from_config", {
  called <- FALSE
  writer <- function(path, text) called <<- TRUE
  cfg <- list(module = NULL, class_name = "writer", config = list(path = "/tmp/x", text = "hi"), registered_name = "P>writer")
  expect_error(deserialize_keras_object(cfg, custom_objects = list("P>writer" = writer)), class = "kerasconfig_error_config",
               regexp = "Unable to reconstruct an instance of 'writer' because the class is missing a `from_config\\(\\)` method")
  expect_false(called)
})

test_that("values in configs are data: calls inside them are never evaluated", {
  evaluated <- FALSE
  trap <- quote(evaluated <<- TRUE)
  layer_keep <- Layer("Keep", initialize = function(value = NULL, ...) { super$initialize(...); self$value <- value })
  cfg <- list(module = NULL, class_name = "Keep", config = list(name = "k", value = trap), registered_name = "Keep")
  obj <- deserialize_keras_object(cfg, custom_objects = list(layer_keep))
  expect_false(evaluated)
  expect_identical(obj$value, trap)
  d <- deserialize_keras_object(list(module = "keras.layers", class_name = "Dense", config = list(units = 1L, name = trap)))
  expect_false(evaluated)
})

test_that("safe_mode must be TRUE or FALSE: anything else is an error, never unsafe", {
  cfg <- list(class_name = "__lambda__", config = list(value = "function(x) x", language = "R"))
  for (bad in list(1, "yes", "TRUE", NA, c(TRUE, TRUE), NULL)) {
    expect_error(deserialize_keras_object(cfg, safe_mode = bad), class = "kerasconfig_error_type")
  }
})

test_that("nested deserializations inherit the caller's safe mode", {
  lambda <- suppressWarnings(serialize_keras_object(list(f = function(x) x + 1)))$f
  layer_holder <- Layer("Holder", initialize = function(fn = NULL, ...) {
    super$initialize(...)
    self$fn <- deserialize_keras_object(fn)
  })
  cfg <- list(module = NULL, class_name = "Holder", config = list(name = "h", fn = lambda), registered_name = "Holder")
  expect_error(deserialize_keras_object(cfg, custom_objects = list(layer_holder)), class = "kerasconfig_error_unsafe")
  obj <- deserialize_keras_object(cfg, custom_objects = list(layer_holder), safe_mode = FALSE)
  expect_identical(obj$fn(1), 2)
  expect_true(kerasconfig:::kc_safe_mode(TRUE)) # restored afterwards
})

test_that("a shared_object_id must be a whole number", {
  dense <- function(id) list(module = "keras.layers", class_name = "Dense", config = list(units = 1L, name = "d"),
                             registered_name = NULL, shared_object_id = id)
  for (bad in list(list(), "a", 1.5, NaN)) {
    expect_error(deserialize_keras_object(dense(bad)), class = "kerasconfig_error_config", regexp = "shared_object_id")
  }
  f <- list(module = "builtins", class_name = "function", config = "relu", registered_name = "function", shared_object_id = "x")
  expect_error(deserialize_keras_object(f), class = "kerasconfig_error_config", regexp = "shared_object_id")
})

test_that("unknown class errors carry Keras' wording, class, path and a suggestion", {
  local_empty_registry()
  register_keras_serializable(Layer("MyLayer"))
  cfg <- list(layers = list(list(a = 1), list(module = "m", class_name = "MyLayr", config = list(),
                                              registered_name = "Custom>MyLayr")))
  err <- expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_class")
  expect_match(conditionMessage(err), "Could not locate class 'MyLayr'. Make sure custom classes and functions are registered with register_keras_serializable()", fixed = TRUE)
  expect_match(conditionMessage(err), "Did you mean 'Custom>MyLayer'?", fixed = TRUE)
  expect_identical(err$path, "config$layers[[2]]")
  expect_match(conditionMessage(err), "Full object config:", fixed = TRUE)
})

test_that("unknown function errors are classed and name the function", {
  local_empty_registry()
  cfg <- list(module = "builtins", class_name = "function", config = "my_unregistered_fn",
              registered_name = "function")
  err <- expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_function")
  expect_match(conditionMessage(err), "Could not locate function 'my_unregistered_fn'", fixed = TRUE)
})

test_that("a bare function name matches a registered pkg>name (Keras <= 3.6 files)", {
  local_empty_registry()
  scaled_tanh <- function(x) 2 * tanh(x)
  register_keras_serializable(scaled_tanh, package = "MyPkg")
  cfg <- list(module = "builtins", class_name = "function", config = "scaled_tanh", registered_name = "function")
  expect_identical(deserialize_keras_object(cfg), scaled_tanh)
})

test_that("configs of the wrong type for their class_name are errors with the config", {
  cfg <- list(module = "builtins", class_name = "function", config = list(a = 1), registered_name = "function")
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_config",
               regexp = "Expected 'config' to be a non-null str for a function classname")
  cfg2 <- list(module = "m", class_name = "Thing", config = "oops", registered_name = NULL)
  expect_error(deserialize_keras_object(cfg2), class = "kerasconfig_error_config",
               regexp = "Expected 'config' to be a dict for Thing")
  expect_error(deserialize_keras_object(list(class_name = 3, config = list())), class = "kerasconfig_error_config")
  expect_error(deserialize_keras_object(new.env()), class = "kerasconfig_error_config", regexp = "Could not parse config")
})

test_that("a failing from_config is wrapped with the class, path and config", {
  boom <- Layer("Boom", initialize = function(...) stop("exploded"))
  cfg <- list(module = NULL, class_name = "Boom", config = list(x = 1), registered_name = "Boom")
  err <- expect_error(deserialize_keras_object(list(inner = cfg), custom_objects = list(boom)),
                      class = "kerasconfig_error_from_config")
  expect_match(conditionMessage(err), "Boom could not be deserialized properly: exploded", fixed = TRUE)
  expect_identical(err$path, "config$inner")
})

test_that("errors inside nested deserialization report the nested path", {
  local_empty_registry()
  layer_outer <- Layer("Outer",
    initialize = function(inner = NULL, ...) {
      super$initialize(...)
      self$inner <- deserialize_keras_object(inner)
    })
  cfg <- list(module = NULL, class_name = "Outer", registered_name = "Outer",
              config = list(name = "o", inner = list(module = NULL, class_name = "Missing", config = list(),
                                                     registered_name = NULL)))
  err <- expect_error(deserialize_keras_object(list(layers = list(cfg)), custom_objects = list(layer_outer)),
                      class = "kerasconfig_error_unknown_class")
  expect_identical(err$path, "config$layers[[1]]$config$inner")
})

test_that("a class whose initialize() recurses without end is a from_config error with its path", {
  local_empty_registry()
  rec <- Layer("Rec", initialize = function(...) {
    f <- function(n) f(n + 1)
    f(0)
  })
  cfg <- list(module = NULL, class_name = "Rec", config = list(name = "r"), registered_name = "Rec")
  # R stops the recursion (expression or C stack); the error is rewritten once the stack is
  # unwound, as for any other error of the class's own code.
  err <- expect_error(deserialize_keras_object(list(inner = cfg), custom_objects = list(rec)),
                      class = "kerasconfig_error_from_config")
  expect_identical(err$path, "config$inner")
  expect_match(conditionMessage(err), "Rec could not be deserialized properly", fixed = TRUE)
})

test_that("an initialize() that catches a failing nested deserialization goes on, and the object is made", {
  local_empty_registry()
  boom <- Layer("Boom", initialize = function(...) stop("exploded"))
  tolerant <- Layer("Tolerant",
    initialize = function(inner = NULL, ...) {
      super$initialize(...)
      # A user's own handlers come before the ones deserialization sets up around each object.
      self$caught <- tryCatch({
        deserialize_keras_object(inner)
        "nothing"
      }, kerasconfig_error_from_config = function(e) e$path)
      self$tried <- try(deserialize_keras_object(inner), silent = TRUE)
    })
  cfg <- list(module = NULL, class_name = "Tolerant", registered_name = "Tolerant",
              config = list(name = "t", inner = list(module = NULL, class_name = "Boom", config = list(),
                                                     registered_name = "Boom")))
  obj <- deserialize_keras_object(list(layers = list(cfg)), custom_objects = list(tolerant, boom))[[1]][[1]]
  expect_identical(obj$caught, "config$layers[[1]]$config$inner")
  expect_s3_class(obj$tried, "try-error")
  expect_match(as.character(obj$tried), "Boom could not be deserialized properly: exploded", fixed = TRUE)
})

test_that("unknown arguments in ... are refused", {
  expect_error(deserialize_keras_object(NULL, bogus = 1), class = "kerasconfig_error_type")
})

test_that("safe mode: an active setting overrides the argument", {
  expect_false(kerasconfig:::kc_safe_mode(FALSE))
  expect_true(with_safe_mode(TRUE, kerasconfig:::kc_safe_mode(FALSE)))
  expect_false(with_safe_mode(FALSE, kerasconfig:::kc_safe_mode(TRUE)))
  expect_true(kerasconfig:::kc_safe_mode(TRUE))
  withr::defer(kerasconfig:::rs_safe_mode_set(NULL))
  config_enable_unsafe_deserialization()
  expect_false(kerasconfig:::kc_safe_mode(TRUE))
})

test_that("R lists nested beyond the limit are classed errors, not stack overflows", {
  deep <- list(1)
  for (i in 1:5000) deep <- list(deep)
  expect_error(deserialize_keras_object(deep), class = "kerasconfig_error_config", regexp = "deeper than 100 levels")
  expect_error(serialize_keras_object(deep), class = "kerasconfig_error_serialize", regexp = "deeper than 100 levels")
})

test_that("a registered class's config with keys that are not valid text is refused where it is, on every route", {
  local_empty_registry()
  register_keras_serializable(Regularizer("Keyed", initialize = function(...) NULL), package = "T")
  bytes <- "\xff\xfe"
  Encoding(bytes) <- "bytes"
  cfg <- list(module = "m", class_name = "Keyed", config = setNames(list(1), bytes), registered_name = "T>Keyed")
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_config",
               regexp = "keys of the config at config\\$config must be valid text")
  expect_error(deserialize_keras_object(list(a = list(cfg))), class = "kerasconfig_error_config",
               regexp = "keys of the config at config\\$a\\[\\[1\\]\\]\\$config must be valid text")
  outer <- c(list(module = "m", class_name = "Keyed", config = list(), registered_name = "T>Keyed"),
             setNames(list(1), bytes))
  expect_error(deserialize_keras_object(outer), class = "kerasconfig_error_config",
               regexp = "keys of the config at config must be valid text")
  expect_error(deserialize_keras_object(list(a = outer)), class = "kerasconfig_error_config",
               regexp = "keys of the config at config\\$a must be valid text")
})

test_that("a build_config goes to the object's build_from_config() in the call's context, else is kept as given", {
  local_empty_registry()
  f <- function(x) x
  seen <- NULL
  register_keras_serializable(Layer("Builds", build_from_config = function(config) {
    # Nested deserializations see the call's custom objects and report their own path.
    seen <<- list(config = config, f = deserialize_keras_object(config$fn))
    self$built_from <- config$input_shape
  }), package = "T")
  register_keras_serializable(Layer("Keeps"), package = "T")
  build <- list(input_shape = list(NULL, 3L), fn = "g")
  cfg <- list(module = "m", class_name = "Builds", config = list(name = "b"), registered_name = "T>Builds",
              build_config = build)
  obj <- deserialize_keras_object(list(cfg), custom_objects = list(g = f))[[1]]
  expect_identical(obj$built_from, list(NULL, 3L))
  expect_identical(seen, list(config = build, f = f))
  cfg$class_name <- "Keeps"
  cfg$registered_name <- "T>Keeps"
  kept <- deserialize_keras_object(cfg)
  expect_identical(serialize_keras_object(kept)$build_config, build)
  expect_false(exists("built_from", envir = as.environment(kept), inherits = FALSE))
})

test_that("a from_config() sees the call's custom objects and the open scope, the registry winning; all restored after an error", {
  local_empty_registry()
  f_global <- function(x) "global"
  f_scope <- function(x) "scope"
  f_arg <- function(x) "argument"
  set_custom_objects(list(A = f_global), clear = FALSE)
  seen <- NULL
  register_keras_serializable(Regularizer("Probe", initialize = function(fail = FALSE) {
    seen <<- list(a = get_registered_object("A"), b = get_registered_object("B"), c = get_registered_object("C"),
                  safe = kerasconfig:::kc_safe_mode(TRUE))
    if (fail) stop("probe failed")
  }), package = "T")
  probe <- function(fail = FALSE) list(class_name = "Probe", config = list(fail = fail), registered_name = "T>Probe")
  # No scope open and no custom objects: nothing but the registry.
  deserialize_keras_object(probe())
  expect_identical(seen, list(a = f_global, b = NULL, c = NULL, safe = TRUE))
  with_custom_object_scope(list(A = f_scope, B = f_scope), {
    deserialize_keras_object(list(probe()), custom_objects = list(C = f_arg), safe_mode = FALSE)
    # At top level the scope wins over the registry; inside from_config the registry does.
    expect_identical(get_registered_object("A"), f_scope)
  })
  expect_identical(seen, list(a = f_global, b = f_scope, c = f_arg, safe = FALSE))
  expect_error(with_custom_object_scope(list(B = f_scope),
                                        deserialize_keras_object(probe(TRUE), safe_mode = FALSE)),
               class = "kerasconfig_error_from_config", regexp = "probe failed")
  expect_identical(seen$safe, FALSE)
  expect_true(kerasconfig:::kc_safe_mode(TRUE))
  expect_null(get_registered_object("B"))
})
