test_that("a class generator is callable and instances have reference semantics", {
  Counter <- new_keras_class("Counter",
    initialize = function(start = 0) self$value <- start,
    add = function(n = 1) {
      self$value <- self$value + n
      invisible(self)
    },
    get_config = function() list(start = self$value)
  )
  x <- Counter(start = 2)
  y <- x
  y$add(3)
  expect_identical(x$value, 5)
  expect_identical(x$get_config(), list(start = 5))
  expect_s3_class(x, c("Counter", "keras_object"))
})

test_that("methods see super bound to the same instance", {
  Base <- new_keras_class("Base",
    initialize = function() self$log <- "base",
    describe = function() paste("base of", self$who)
  )
  Child <- new_keras_class("Child",
    initialize = function() {
      super$initialize()
      self$log <- c(self$log, "child")
      self$who <- "child"
    },
    describe = function() paste("child;", super$describe()),
    inherit = Base
  )
  x <- Child()
  expect_identical(x$log, c("base", "child"))
  expect_identical(x$describe(), "child; base of child")
  expect_s3_class(x, c("Child", "Base", "keras_object"))
})

test_that("a class with no get_config gets the auto-config: constructor args over base config", {
  layer_scale <- Layer("Scale",
    initialize = function(factor, offset = 0, ...) {
      super$initialize(...)
      self$factor <- factor
    }
  )
  cfg <- layer_scale(factor = 3, offset = 1, name = "s")$get_config()
  expect_identical(names(cfg), c("name", "factor", "offset", "trainable", "dtype"))
  expect_identical(cfg$factor, 3)
  expect_identical(cfg$offset, 1)
  expect_identical(cfg$dtype$config$name, "float32")
})

test_that("a class with its own get_config does not get the auto-config", {
  layer_scale <- Layer("Scale",
    initialize = function(factor, ...) {
      super$initialize(...)
      self$factor <- factor
    },
    get_config = function() {
      config <- super$get_config()
      config$factor_x10 <- self$factor * 10
      config
    }
  )
  cfg <- layer_scale(factor = 3, name = "s")$get_config()
  expect_identical(names(cfg), c("name", "trainable", "dtype", "factor_x10"))
})

test_that("inheritance between user classes keeps the parent's config logic", {
  loss_base <- Loss("BaseLoss",
    initialize = function(weight = 1, ...) {
      super$initialize(...)
      self$weight <- weight
    },
    get_config = function() c(super$get_config(), list(weight = self$weight))
  )
  loss_child <- Loss("ChildLoss", inherit = loss_base)
  cfg <- loss_child(weight = 2)$get_config()
  expect_identical(cfg, list(name = "child_loss", reduction = "sum_over_batch_size", weight = 2))
})

test_that("layer names are generated as Keras does: snake case, then numbered", {
  layer_my_dense <- Layer("MyDenseLayer")
  first <- layer_my_dense()$name
  second <- layer_my_dense()$name
  expect_match(first, "^my_dense_layer(_[0-9]+)?$")
  expect_false(identical(first, second))
  expect_identical(kerasconfig:::kc_snake_case("HTTPServerLayer2D"), "http_server_layer2d")
})

test_that("family roots record Keras' base configs", {
  expect_identical(Metric("Acc")()$get_config(), list(name = "acc", dtype = "float32"))
  expect_identical(Regularizer("R1", initialize = function(l1 = 0.1) NULL)(l1 = 0.5)$get_config(), list(l1 = 0.5))
  opt <- Optimizer("MyOpt")(learning_rate = 0.01)$get_config()
  expect_identical(opt$learning_rate, 0.009999999776482582)
  expect_identical(names(opt)[1:3], c("name", "learning_rate", "weight_decay"))
})

test_that("unknown constructor arguments are refused as Keras refuses them", {
  expect_error(Layer("L")(bogus = 2), class = "kerasconfig_error_unknown_argument",
               regexp = "Unrecognized keyword arguments passed to L: 'bogus'")
})

test_that("module records where the class was defined", {
  at_top <- new_keras_class("A", parent_env = globalenv())
  in_pkg <- new_keras_class("B", parent_env = asNamespace("stats"))
  expect_identical(serialize_keras_object(Layer("C", parent_env = globalenv())(name = "c"))$module, "<r-globalenv>")
  expect_output(print(at_top), "module: <r-globalenv>")
  expect_output(print(in_pkg), "module: <r-namespace:stats>")
})

test_that("instances and classes print their class, module and config", {
  layer_p <- Layer("Printed", parent_env = globalenv())
  expect_output(print(layer_p(name = "pp")), "<Printed> \\(module <r-globalenv>\\)")
  expect_output(print(layer_p(name = "pp")), "name *: chr \"pp\"")
})

test_that("clear_session() starts layer numbering again", {
  clear_session()
  expect_identical(layer_dense(units = 1)$get_config()$name, "dense")
  expect_identical(layer_dense(units = 1)$get_config()$name, "dense_1")
  clear_session()
  expect_identical(layer_dense(units = 1)$get_config()$name, "dense")
})

test_that("what counts as an instance: a class bound in a keras_object environment, read as get() reads it", {
  keras_env <- function() structure(new.env(), class = "keras_object")
  is_instance <- kerasconfig:::kc_is_instance
  instance_class <- kerasconfig:::kc_instance_class
  bound <- keras_env()
  bound$.__class__ <- "cls"
  expect_true(is_instance(bound))
  expect_identical(instance_class(bound), "cls")
  expect_false(is_instance(keras_env()))
  expect_false(is_instance(structure(list(.__class__ = "cls"), class = "keras_object")))
  active <- keras_env()
  makeActiveBinding(".__class__", function() "cls", active)
  expect_false(is_instance(active))
  expect_null(instance_class(active))
  # A promise counts without being forced by the check; reading the class forces it.
  forced <- new.env()
  forced$times <- 0L
  delayed <- keras_env()
  delayedAssign(".__class__", {
    forced$times <- forced$times + 1L
    "late"
  }, assign.env = delayed)
  expect_true(is_instance(delayed))
  expect_identical(forced$times, 0L)
  expect_identical(instance_class(delayed), "late")
  expect_identical(forced$times, 1L)
  # A class bound to NULL is still a binding: an instance whose class is NULL (as exists() says).
  null_class <- keras_env()
  null_class$.__class__ <- NULL
  expect_true(is_instance(null_class))
  expect_null(instance_class(null_class))
  missing_class <- keras_env()
  assign(".__class__", quote(expr = ), envir = missing_class)
  expect_true(is_instance(missing_class))
  expect_error(instance_class(missing_class), "\\.__class__")
  # A layer is its environment's instance; with another environment, that one's.
  dense <- layer_dense(units = 1L)
  expect_identical(instance_class(dense), kerasconfig:::kc_class_of(dense))
  moved <- dense
  environment(moved) <- bound
  expect_identical(instance_class(moved), "cls")
  environment(moved) <- globalenv()
  expect_false(is_instance(moved))
})
