# Model() / new_model_class(): subclassed models write what Keras 3.15.1 writes for a subclass of
# keras.Model (checked with Python Keras, tools/gen-verbs-fixtures.py's venv):
#   class MyModel(keras.Model):
#       def __init__(self, units=3, **kwargs): super().__init__(**kwargs); ...
#   MyModel(units=4, name="m") -> config {"name": "m", "units": 3, "trainable": true, "dtype": <policy>},
#   registered_name "MyModel", "compile_config": {} (and "build_config" once built).

test_that("a Model() class without get_config writes Keras' auto-config: its initialize() defaults", {
  clear_session()
  MyModel <- Model("MyModel", initialize = function(units = 3L, rate = 0.5, ...) {
    super$initialize(...)
    self$units <- units
  })
  m <- MyModel(name = "m")
  cfg <- serialize_keras_object(m)
  expect_identical(names(cfg), c("module", "class_name", "config", "registered_name", "compile_config"))
  expect_identical(cfg$class_name, "MyModel")
  expect_identical(cfg$registered_name, "MyModel")
  expect_identical(names(cfg$config), c("name", "units", "rate", "trainable", "dtype"))
  expect_identical(cfg$config$units, 3L)
  expect_identical(cfg$config$dtype$config$name, "float32")
  expect_identical(cfg$compile_config, setNames(list(), character()))
  expect_identical(MyModel()$get_config()$name, "my_model")
  # Keras records the defaults, not the values given: we write the same, and say so.
  expect_warning(cfg4 <- serialize_keras_object(MyModel(units = 4L, trainable = FALSE, name = "m4")),
                 "records the defaults", class = "kerasconfig_warning_auto_config")
  expect_identical(cfg4$config$units, 3L)
  expect_false(cfg4$config$trainable)
})

test_that("a Model() class with get_config keeps its values, compiles and round-trips", {
  clear_session()
  Cfg <- new_model_class("Cfg",
    initialize = function(units = 3L, ...) {
      super$initialize(...)
      self$units <- units
    },
    get_config = function() {
      config <- super$get_config()
      config$units <- self$units
      config
    }
  )
  m <- Cfg(units = 2L, trainable = FALSE, dtype = "float16")
  cfg <- serialize_keras_object(m)$config
  expect_identical(names(cfg), c("name", "trainable", "dtype", "units"))
  expect_identical(cfg$units, 2L)
  expect_identical(cfg$dtype$config$name, "float16")
  compile(m, optimizer = "adam", loss = "mse")
  expect_identical(serialize_keras_object(m)$compile_config$loss, "mse")
  back <- deserialize_keras_object(serialize_keras_object(m), custom_objects = list(Cfg))
  expect_s3_class(back, "Cfg")
  expect_identical(back$units, 2L)
  expect_identical(serialize_keras_object(back)$compile_config$loss, "mse")
  expect_s3_class(back$.__compile_config__$optimizer, "Adam")
})

test_that("a subclassed model is built when called, writes its build_config and can be frozen", {
  clear_session()
  Twice <- Model("Twice",
    initialize = function(...) {
      super$initialize(...)
      self$inner <- layer_dense(units = 2, name = "inner")
    },
    compute_output_shape = function(input_shape) input_shape
  )
  m <- Twice(name = "twice")
  x <- keras_input(shape = 5, name = "x")
  y <- call_layer(m, x)
  expect_identical(y$shape, list(NULL, 5L))
  expect_identical(serialize_keras_object(m)$build_config, list(input_shape = list(NULL, 5L)))
  freeze_weights(m)
  expect_false(m$get_config()$trainable)
  expect_false(m$inner$get_config()$trainable)
  outer <- keras_model(x, y, name = "outer")
  expect_identical(vapply(outer$get_config()$layers, `[[`, "", "name"), c("x", "twice"))
})

test_that("Model() errors: unknown arguments, arguments without defaults, bad members", {
  Req <- Model("Req", initialize = function(units, ...) {
    super$initialize(...)
    self$units <- units
  })
  r <- Req(3)
  expect_error(serialize_keras_object(r), "no\\s+default", class = "kerasconfig_error_serialize")
  Plain <- Model("Plain")
  expect_error(Plain(bogus = 1), "Unrecognized keyword arguments passed to Plain: 'bogus'",
               class = "kerasconfig_error_unknown_argument")
  expect_error(Model(1), "classname", class = "kerasconfig_error_type")
  expect_identical(new_model_class, Model)
})
