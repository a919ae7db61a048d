test_that("a function registers under Custom>symbol by default and is found both ways", {
  local_empty_registry()
  double_it <- function(x) 2 * x
  expect_invisible(register_keras_serializable(double_it))
  expect_identical(names(get_custom_objects()), "Custom>double_it")
  expect_identical(get_registered_name(double_it), "Custom>double_it")
  expect_identical(get_registered_object("Custom>double_it"), double_it)
})

test_that("identity is R identity: a copy of the binding finds the same name", {
  local_empty_registry()
  f <- function(x) x
  register_keras_serializable(f, package = "P")
  f2 <- f
  expect_identical(get_registered_name(f2), "P>f")
  g <- function(x) x # equal code, another object
  expect_identical(get_registered_name(g), "g")
})

test_that("explicit name and package make the key", {
  local_empty_registry()
  register_keras_serializable(function(x) x, name = "halved_mse", package = "MyPkg")
  expect_identical(names(get_custom_objects()), "MyPkg>halved_mse")
})

test_that("a class registers under its class name, not the variable name", {
  local_empty_registry()
  layer_thing <- Layer("Thing")
  register_keras_serializable(layer_thing, package = "MyPkg")
  expect_identical(get_registered_name(layer_thing), "MyPkg>Thing")
  expect_identical(get_registered_name(layer_thing(name = "t")), "MyPkg>Thing")
  expect_identical(get_registered_object("MyPkg>Thing"), layer_thing)
})

test_that("the default package is the calling package's name, Custom at top level", {
  expect_identical(kerasconfig:::kc_calling_package(globalenv()), "Custom")
  expect_identical(kerasconfig:::kc_calling_package(asNamespace("stats")), "stats")
  expect_identical(kerasconfig:::kc_calling_package(new.env(parent = asNamespace("utils"))), "utils")
})

test_that("re-registering a key to another object warns and drops the stale reverse name", {
  local_empty_registry()
  old <- function(x) x
  new <- function(x) x + 1
  register_keras_serializable(old, name = "f")
  expect_warning(register_keras_serializable(new, name = "f"), class = "kerasconfig_warning_replaced")
  expect_identical(get_registered_object("Custom>f"), new)
  expect_identical(get_registered_name(new), "Custom>f")
  expect_identical(get_registered_name(old), "old")
  expect_length(get_custom_objects(), 1L)
})

test_that("re-registering the same object is silent", {
  local_empty_registry()
  f <- function(x) x
  register_keras_serializable(f)
  expect_silent(register_keras_serializable(f))
})

test_that("a class without get_config is refused with Keras' message", {
  local_empty_registry()
  bare <- new_keras_class("Bare")
  expect_error(register_keras_serializable(bare), class = "kerasconfig_error_no_get_config",
               regexp = "Cannot register a class that does not have a get_config() method.", fixed = TRUE)
  expect_length(get_custom_objects(), 0L)
})

test_that("only classes and functions can be registered", {
  expect_error(register_keras_serializable(list(1)), class = "kerasconfig_error_type")
  expect_error(register_keras_serializable(function(x) x), class = "kerasconfig_error_type",
               regexp = "pass `name`")
})

test_that("get_custom_objects is a snapshot in registration order, empty as named list()", {
  local_empty_registry()
  expect_identical(get_custom_objects(), setNames(list(), character(0)))
  a <- function(x) x
  b <- function(x) x
  register_keras_serializable(b)
  register_keras_serializable(a)
  snap <- get_custom_objects()
  expect_identical(names(snap), c("Custom>b", "Custom>a"))
  register_keras_serializable(function(x) x, name = "c")
  expect_length(snap, 2L)
})

test_that("set_custom_objects returns the old contents and restores them exactly", {
  local_empty_registry()
  a <- function(x) x
  register_keras_serializable(a)
  old <- set_custom_objects(clear = TRUE)
  expect_identical(names(old), "Custom>a")
  expect_length(get_custom_objects(), 0L)
  expect_null(get_registered_object("Custom>a"))
  expect_identical(get_registered_name(a), "a")
  set_custom_objects(old)
  expect_identical(get_custom_objects(), old)
  expect_identical(get_registered_name(a), "Custom>a")
})

test_that("set_custom_objects with clear = FALSE updates both directions", {
  local_empty_registry()
  a <- function(x) x
  b <- function(x) x
  register_keras_serializable(a)
  set_custom_objects(list("P>b" = b), clear = FALSE)
  expect_identical(names(get_custom_objects()), c("Custom>a", "P>b"))
  expect_identical(get_registered_name(b), "P>b")
})

test_that("set_custom_objects refuses unnamed functions", {
  local_empty_registry()
  expect_error(set_custom_objects(list(function(x) x)), class = "kerasconfig_error_type",
               regexp = "needs a name")
})

test_that("unregistered names: classes by class name, functions by symbol", {
  expect_identical(get_registered_name(Layer("Foo")), "Foo")
  my_fn <- function(x) x
  expect_identical(get_registered_name(my_fn), "my_fn")
})

test_that("a replaced key falls back to another key that still holds the old object", {
  local_empty_registry()
  f <- function(x) x
  h <- function(x) x
  register_keras_serializable(f, name = "a", package = "P")
  register_keras_serializable(f, name = "b", package = "P")
  expect_warning(register_keras_serializable(h, name = "b", package = "P"), class = "kerasconfig_warning_replaced")
  expect_identical(get_registered_name(f), "P>a")
  expect_identical(deserialize_keras_object(serialize_keras_object(list(f))[[1]]), f)
})

# Issue 14: lookups of every kind stay flat as the registry grows. Results only: bench/flat.R
# measures the time (a bare-name lookup took 41 s and a miss with its suggestion 282 s here).
test_that("among 100 000 registered functions, full keys, bare names and typos all find their function", {
  local_empty_registry()
  fns <- lapply(seq_len(100000), function(i) function(x) x)
  names(fns) <- sprintf("Bench>fn_%06d", seq_along(fns))
  set_custom_objects(fns)
  fn_config <- function(name) list(module = "builtins", class_name = "function", config = name, registered_name = "function")
  expect_identical(get_registered_object("Bench>fn_100000"), fns[[100000]])
  expect_null(get_registered_object("Bench>not_registered"))
  expect_identical(get_registered_name(fns[[99999]]), "Bench>fn_099999")
  expect_identical(deserialize_keras_object(fn_config("Bench>fn_100000")), fns[[100000]])
  # Keras <= 3.6 wrote registered functions by bare name.
  expect_identical(deserialize_keras_object(fn_config("fn_100000")), fns[[100000]])
  expect_identical(deserialize_keras_object(fn_config("fn_000050")), fns[[50]])
  # Unknown names: an error suggesting the closest key (the first registered among equals).
  for (case in list(c("fn_00005", "Bench>fn_000005"), c("fn_0X0050", "Bench>fn_000050"), c("gn_054321", "Bench>fn_054321"))) {
    err <- expect_error(deserialize_keras_object(fn_config(case[[1]])), class = "kerasconfig_error_unknown_function")
    expect_match(conditionMessage(err), sprintf("Did you mean '%s'?", case[[2]]), fixed = TRUE)
  }
})

test_that("a bare function name finds the argument's key first, then the scope's, then the registry's", {
  local_empty_registry()
  global <- function(x) "global"
  scoped <- function(x) "scope"
  argument <- function(x) "argument"
  set_custom_objects(list("G>f" = global))
  fn_config <- list(module = "builtins", class_name = "function", config = "f", registered_name = "function")
  expect_identical(deserialize_keras_object(fn_config), global)
  with_custom_object_scope(list("S>f" = scoped), {
    expect_identical(deserialize_keras_object(fn_config), scoped)
    expect_identical(deserialize_keras_object(fn_config, custom_objects = list("A>f" = argument)), argument)
  })
})

test_that("a function name holding '>' is not a bare name, as in Keras", {
  local_empty_registry()
  set_custom_objects(list("A>b>c" = function(x) x))
  fn_config <- function(name) list(module = "builtins", class_name = "function", config = name, registered_name = "function")
  expect_error(deserialize_keras_object(fn_config("b>c")), class = "kerasconfig_error_unknown_function")
  expect_identical(deserialize_keras_object(fn_config("c")), get_custom_objects()[["A>b>c"]])
})
