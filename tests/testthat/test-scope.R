test_that("lookup order is scope, global, custom_objects, module_objects", {
  local_empty_registry()
  in_scope <- function(x) "scope"
  in_global <- function(x) "global"
  in_custom <- function(x) "custom"
  in_module <- function(x) "module"
  register_keras_serializable(in_global, name = "k", package = "P")
  custom <- list("P>k" = in_custom, only_custom = in_custom)
  module <- list("P>k" = in_module, only_custom = in_module, only_module = in_module)
  expect_identical(get_registered_object("P>k", custom, module), in_global)
  with_custom_object_scope(list("P>k" = in_scope), {
    expect_identical(get_registered_object("P>k", custom, module), in_scope)
  })
  expect_identical(get_registered_object("only_custom", custom, module), in_custom)
  expect_identical(get_registered_object("only_module", custom, module), in_module)
  expect_null(get_registered_object("nothing", custom, module))
})

test_that("a nested scope hides the outer one, and leaving restores it", {
  a <- function(x) "a"
  b <- function(x) "b"
  with_custom_object_scope(list(A = a), {
    expect_identical(get_registered_object("A"), a)
    with_custom_object_scope(list(B = b), {
      expect_null(get_registered_object("A"))
      expect_identical(get_registered_object("B"), b)
    })
    expect_identical(get_registered_object("A"), a)
    expect_null(get_registered_object("B"))
  })
  expect_null(get_registered_object("A"))
})

test_that("a scope is restored after an error inside it", {
  a <- function(x) "a"
  b <- function(x) "b"
  with_custom_object_scope(list(A = a), {
    expect_error(with_custom_object_scope(list(B = b), stop("boom")), "boom")
    expect_identical(get_registered_object("A"), a)
    expect_null(get_registered_object("B"))
  })
  expect_null(get_registered_object("A"))
})

test_that("the expression is evaluated lazily in the caller's frame and its value returned", {
  x <- 1
  value <- with_custom_object_scope(list(), {
    x <- 2
    y <- 3
    "done"
  })
  expect_identical(value, "done")
  expect_identical(x, 2)
  expect_identical(y, 3)
})

test_that("scope objects do not appear in get_custom_objects", {
  local_empty_registry()
  with_custom_object_scope(list(A = function(x) x), {
    expect_length(get_custom_objects(), 0L)
  })
})

test_that("unnamed classes take their class name; anonymous functions need a name", {
  layer_thing <- Layer("Thing")
  with_custom_object_scope(list(layer_thing), {
    expect_identical(get_registered_object("Thing"), layer_thing)
  })
  expect_error(with_custom_object_scope(list(function(x) x), NULL), class = "kerasconfig_error_type",
               regexp = "needs a name")
})
