test_that("plain values serialize unchanged, lists element-wise with names kept", {
  expect_null(serialize_keras_object(NULL))
  expect_identical(serialize_keras_object(TRUE), TRUE)
  expect_identical(serialize_keras_object(3L), 3L)
  expect_identical(serialize_keras_object(0.5), 0.5)
  expect_identical(serialize_keras_object("a"), "a")
  expect_identical(serialize_keras_object(list(a = 1, b = list(NULL, "x"))), list(a = 1, b = list(NULL, "x")))
})

test_that("a user class instance serializes as Keras writes custom classes", {
  local_empty_registry()
  layer_plain <- Layer("Plain", parent_env = globalenv())
  cfg <- serialize_keras_object(layer_plain(name = "p"))
  expect_identical(names(cfg), c("module", "class_name", "config", "registered_name"))
  expect_identical(cfg$module, "<r-globalenv>")
  expect_identical(cfg$class_name, "Plain")
  expect_identical(cfg$registered_name, "Plain")
  register_keras_serializable(layer_plain, package = "MyPkg")
  expect_identical(serialize_keras_object(layer_plain(name = "p"))$registered_name, "MyPkg>Plain")
})

test_that("round trip with defaults: registered class comes back equal", {
  local_empty_registry()
  layer_plain <- register_keras_serializable(Layer("Plain"))
  x <- layer_plain(name = "p")
  y <- deserialize_keras_object(serialize_keras_object(x))
  expect_s3_class(y, "Plain")
  expect_false(identical(x, y))
  expect_identical(serialize_keras_object(y), serialize_keras_object(x))
})

test_that("round trip with an explicit config and get_config", {
  local_empty_registry()
  layer_scaled <- Layer("ScaledDense",
    initialize = function(units, scale = 1, ...) {
      super$initialize(...)
      self$units <- units
      self$scale <- scale
    },
    get_config = function() {
      config <- super$get_config()
      config$units <- self$units
      config$scale <- self$scale
      config
    }
  )
  register_keras_serializable(layer_scaled, package = "MyPkg")
  cfg <- serialize_keras_object(layer_scaled(units = 4L, scale = 0.5, name = "sd", trainable = FALSE))
  expect_identical(cfg$config$units, 4L)
  obj <- deserialize_keras_object(cfg)
  expect_identical(obj$units, 4L)
  expect_identical(obj$scale, 0.5)
  expect_false(obj$trainable)
  expect_identical(serialize_keras_object(obj), cfg)
})

test_that("nested custom objects serialize inside configs and resolve on the way back", {
  local_empty_registry()
  reg_l1 <- Regularizer("CustomL1",
    initialize = function(strength = 0.01) self$strength <- strength,
    get_config = function() list(strength = self$strength)
  )
  register_keras_serializable(reg_l1, name = "custom_l1", package = "MyPkg")
  layer_reg <- Layer("Regged",
    initialize = function(kernel_regularizer = NULL, ...) {
      super$initialize(...)
      self$kernel_regularizer <- deserialize_keras_object(kernel_regularizer)
    },
    get_config = function() {
      config <- super$get_config()
      config$kernel_regularizer <- self$kernel_regularizer
      config
    }
  )
  register_keras_serializable(layer_reg, package = "MyPkg")
  x <- layer_reg(kernel_regularizer = reg_l1(0.5), name = "r")
  cfg <- serialize_keras_object(x)
  reg <- cfg$config$kernel_regularizer
  expect_identical(reg[c("class_name", "config", "registered_name")],
                   list(class_name = "CustomL1", config = list(strength = 0.5), registered_name = "MyPkg>custom_l1"))
  y <- deserialize_keras_object(cfg)
  expect_s3_class(y$kernel_regularizer, "CustomL1")
  expect_identical(y$kernel_regularizer$strength, 0.5)
  expect_identical(serialize_keras_object(y), cfg)
})

test_that("nested custom objects resolve from custom_objects given at the top", {
  local_empty_registry()
  init_ones <- Initializer("ScaledOnes",
    initialize = function(scale = 1) self$scale <- scale,
    get_config = function() list(scale = self$scale))
  layer_init <- Layer("WithInit",
    initialize = function(kernel_initializer = NULL, ...) {
      super$initialize(...)
      self$kernel_initializer <- deserialize_keras_object(kernel_initializer)
    },
    get_config = function() c(super$get_config(), list(kernel_initializer = self$kernel_initializer)))
  cfg <- serialize_keras_object(layer_init(kernel_initializer = init_ones(2), name = "w"))
  y <- deserialize_keras_object(cfg, custom_objects = list(init_ones, layer_init))
  expect_identical(y$kernel_initializer$scale, 2)
})

test_that("functions serialize as Keras' function dict and resolve back", {
  local_empty_registry()
  scaled_tanh <- function(x) 2 * tanh(x)
  register_keras_serializable(scaled_tanh, package = "MyPkg")
  cfg <- serialize_keras_object(scaled_tanh)
  expect_identical(cfg, list(module = "builtins", class_name = "function", config = "MyPkg>scaled_tanh",
                             registered_name = "function"))
  expect_identical(deserialize_keras_object(cfg), scaled_tanh)
  inside <- serialize_keras_object(list(activation = scaled_tanh))
  expect_identical(inside$activation$config, "MyPkg>scaled_tanh")
  unregistered <- function(x) x
  expect_identical(serialize_keras_object(unregistered)$config, "unregistered")
})

test_that("build and compile configs are written after registered_name and kept through a round trip", {
  local_empty_registry()
  layer_b <- register_keras_serializable(Layer("Built",
    get_build_config = function() list(input_shape = list(NULL, 4L))))
  cfg <- serialize_keras_object(layer_b(name = "b"))
  expect_identical(names(cfg), c("module", "class_name", "config", "registered_name", "build_config"))
  layer_c <- register_keras_serializable(Layer("Plain2"))
  cfg2 <- serialize_keras_object(layer_c(name = "c"))
  cfg2$build_config <- list(input_shape = list(NULL, 3L))
  cfg2$compile_config <- setNames(list(), character(0))
  back <- serialize_keras_object(deserialize_keras_object(cfg2))
  expect_identical(back, cfg2)
})

test_that("objects that cannot be serialized give classed errors naming the path", {
  expect_error(serialize_keras_object(list(a = list(b = new.env()))), class = "kerasconfig_error_serialize",
               regexp = "obj$a$b", fixed = TRUE)
  bare <- new_keras_class("Bare")
  expect_error(serialize_keras_object(bare()), class = "kerasconfig_error_serialize",
               regexp = "must implement the `get_config()` method", fixed = TRUE)
  bad <- new_keras_class("Bad", get_config = function() "oops")
  expect_error(serialize_keras_object(bad()), class = "kerasconfig_error_serialize",
               regexp = "should return a named list")
})

test_that("an object whose config holds itself is a classed error, not a stack overflow", {
  Loop <- new_keras_class("Loop", get_config = function() list(me = self))
  expect_error(serialize_keras_object(Loop()), class = "kerasconfig_error_serialize", regexp = "holds itself")
})
