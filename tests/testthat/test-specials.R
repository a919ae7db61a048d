test_that("__bytes__ reads as a raw vector and writes back", {
  cfg <- list(class_name = "__bytes__", config = list(value = "h\u00e9llo"))
  x <- deserialize_keras_object(cfg)
  expect_identical(x, charToRaw(enc2utf8("h\u00e9llo")))
  expect_identical(serialize_keras_object(x), cfg)
  expect_identical(serialize_keras_object(raw()), list(class_name = "__bytes__", config = list(value = "")))
})

test_that("bytes that are not UTF-8 text are refused, not mangled", {
  expect_error(serialize_keras_object(list(b = as.raw(c(0xff, 0xfe)))), class = "kerasconfig_error_serialize",
               regexp = "obj$b", fixed = TRUE)
})

test_that("__tensor__ and __numpy__ read row-major values into R arrays with the same indexing", {
  cfg <- list(class_name = "__tensor__", config = list(value = list(list(1L, 2L, 3L), list(4L, 5L, 6L)), dtype = "int32"))
  a <- deserialize_keras_object(cfg)
  expect_s3_class(a, "keras_array")
  expect_identical(dim(a), c(2L, 3L))
  expect_identical(a[1, 3], 3L)
  expect_identical(a[2, 1], 4L)
  expect_identical(attr(a, "keras_dtype"), "int32")
  expect_identical(serialize_keras_object(a), cfg)
})

test_that("arrays of rank 3, rank 0 and empty arrays round trip", {
  v3 <- list(list(list(1.5, 2), list(3, 4)), list(list(5, 6), list(7, 8.25)))
  cfg3 <- list(class_name = "__numpy__", config = list(value = v3, dtype = "float32"))
  a3 <- deserialize_keras_object(cfg3)
  expect_identical(dim(a3), c(2L, 2L, 2L))
  expect_identical(a3[1, 2, 1], 3)
  expect_identical(a3[2, 2, 2], 8.25)
  expect_identical(serialize_keras_object(a3), cfg3)
  cfg0 <- list(class_name = "__tensor__", config = list(value = 3.5, dtype = "float64"))
  a0 <- deserialize_keras_object(cfg0)
  expect_null(dim(a0))
  expect_identical(serialize_keras_object(a0), cfg0)
  empty <- list(class_name = "__numpy__", config = list(value = list(), dtype = "float32"))
  expect_identical(dim(deserialize_keras_object(empty)), 0L)
  expect_identical(serialize_keras_object(deserialize_keras_object(empty)), empty)
  empty2 <- list(class_name = "__numpy__", config = list(value = list(list(), list()), dtype = "int32"))
  expect_identical(dim(deserialize_keras_object(empty2)), c(2L, 0L))
  expect_identical(serialize_keras_object(deserialize_keras_object(empty2)), empty2)
})

test_that("bool arrays are logical; ragged values are refused", {
  cfg <- list(class_name = "__numpy__", config = list(value = list(TRUE, FALSE), dtype = "bool"))
  expect_identical(as.vector(deserialize_keras_object(cfg)), c(TRUE, FALSE))
  ragged <- list(class_name = "__numpy__", config = list(value = list(list(1, 2), list(3)), dtype = "float32"))
  expect_error(deserialize_keras_object(ragged), class = "kerasconfig_error_config", regexp = "rectangular")
})

test_that("a plain R matrix serializes as __numpy__ in row-major order", {
  m <- matrix(1:6, nrow = 2, byrow = TRUE)
  cfg <- serialize_keras_object(m)
  expect_identical(cfg$class_name, "__numpy__")
  expect_identical(cfg$config$value, list(list(1L, 2L, 3L), list(4L, 5L, 6L)))
  expect_identical(cfg$config$dtype, "int32")
})

test_that("__slice__ and __ellipsis__ map to slice and ellipsis objects, nested values too", {
  cfg <- list(s = list(class_name = "__slice__", config = list(start = 1L, stop = NULL, step = -1L)),
              e = list(class_name = "__ellipsis__", config = setNames(list(), character())))
  x <- deserialize_keras_object(cfg)
  expect_identical(x$s, keras_slice(1L, NULL, -1L))
  expect_identical(x$e, keras_ellipsis())
  expect_identical(serialize_keras_object(x), cfg)
  nested <- list(class_name = "__slice__", config = list(
    start = list(class_name = "__tensor__", config = list(value = 2L, dtype = "int32")), stop = NULL, step = NULL))
  y <- deserialize_keras_object(nested)
  expect_s3_class(y$start, "keras_array")
  expect_identical(serialize_keras_object(y), nested)
})

test_that("__keras_tensor__ maps to a symbolic tensor with shape, dtype and history", {
  cfg <- list(class_name = "__keras_tensor__",
              config = list(shape = list(NULL, NULL, 3L), dtype = "float16", keras_history = list("inp", 0L, 0L)))
  t <- deserialize_keras_object(cfg)
  expect_s3_class(t, "keras_tensor")
  expect_identical(t$keras_history, list("inp", 0L, 0L))
  expect_output(print(t), "shape=\\(NULL, NULL, 3\\) dtype=float16> from inp\\[node 0, tensor 0\\]")
  expect_identical(serialize_keras_object(t), cfg)
})

test_that("Keras 2 __tuple__ reads as a list, nested too", {
  cfg <- list(k = list(class_name = "__tuple__", items = list(1L, list(class_name = "__tuple__", items = list(2L, 3L)))))
  expect_identical(deserialize_keras_object(cfg), list(k = list(1L, list(2L, 3L))))
})

test_that("a Python lambda is a clear error in any safe mode", {
  cfg <- list(class_name = "__lambda__", config = list(value = list("4wEAAAA=", NULL, NULL)))
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_lambda", regexp = "cannot run in R")
  expect_error(deserialize_keras_object(cfg, safe_mode = FALSE), class = "kerasconfig_error_lambda",
               regexp = "cannot run in R")
})

test_that("an anonymous R function serializes as an R lambda with a warning", {
  expect_warning(cfg <- serialize_keras_object(list(act = function(x) x * 2)), class = "kerasconfig_warning_lambda",
                 regexp = "anonymous function")
  expect_identical(cfg$act$class_name, "__lambda__")
  expect_identical(cfg$act$config$language, "R")
})

test_that("an R lambda loads only with safe mode off, with Keras' wording otherwise", {
  cfg <- suppressWarnings(serialize_keras_object(list(act = function(x) x * 2)))
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unsafe",
               regexp = "potential risk of arbitrary code execution")
  f <- deserialize_keras_object(cfg, safe_mode = FALSE)$act
  expect_identical(f(4), 8)
  expect_error(with_safe_mode(TRUE, deserialize_keras_object(cfg, safe_mode = FALSE)), class = "kerasconfig_error_unsafe")
  expect_identical(with_safe_mode(FALSE, deserialize_keras_object(cfg))$act(1), 2)
})

test_that("configs with the same shared_object_id become one R object within a call", {
  local_empty_registry()
  init <- register_keras_serializable(Initializer("Shared",
    initialize = function(v = 1) self$v <- v, get_config = function() list(v = self$v)))
  one <- list(module = NULL, class_name = "Shared", config = list(v = 2), registered_name = "Custom>Shared",
              shared_object_id = structure(140571755226704, class = "keras_integer"))
  x <- deserialize_keras_object(list(a = one, b = one))
  expect_identical(x$a, x$b)
  x$a$v <- 3
  expect_identical(x$b$v, 3)
  y <- deserialize_keras_object(list(a = one))
  expect_false(identical(x$a, y$a))
})

test_that("an object deserialized with an id serializes back with it", {
  local_empty_registry()
  register_keras_serializable(Initializer("Shared",
    initialize = function(v = 1) self$v <- v, get_config = function() list(v = self$v)))
  one <- list(module = "<r-globalenv>", class_name = "Shared", config = list(v = 2), registered_name = "Custom>Shared",
              shared_object_id = structure(140571755226704, class = "keras_integer"))
  one$module <- serialize_keras_object(get_registered_object("Custom>Shared")(v = 2))$module
  cfg <- list(a = one, b = one)
  expect_identical(serialize_keras_object(deserialize_keras_object(cfg)), cfg)
})

test_that("objects shared by reference get ids at every occurrence inside a sharing scope only", {
  local_empty_registry()
  init <- Initializer("Shared", initialize = function(v = 1) self$v <- v, get_config = function() list(v = self$v))
  shared <- init(1)
  alone <- init(2)
  value <- list(a = shared, b = list(shared), c = alone)
  plain <- serialize_keras_object(value)
  expect_null(plain$a$shared_object_id)
  scoped <- kerasconfig:::kc_with_object_sharing(serialize_keras_object(value))
  expect_identical(scoped$a$shared_object_id, 1L)
  expect_identical(scoped$a$shared_object_id, scoped$b[[1]]$shared_object_id)
  expect_null(scoped$c$shared_object_id)
  expect_identical(names(scoped$a), c("module", "class_name", "config", "registered_name", "shared_object_id"))
  back <- deserialize_keras_object(scoped, custom_objects = list(init))
  expect_identical(back$a, back$b[[1]])
})

test_that("Keras 2 layer configs without a module load through module_objects as Keras 3 writes them", {
  clear_session()
  input <- config_from_json(reference_text("edge", "legacy_keras2_dense.input.json"))
  expect_error(deserialize_keras_object(input), class = "kerasconfig_error_unknown_class")
  layer <- deserialize_keras_object(input, module_objects = keras$layers)
  expect_identical(config_to_json(serialize_keras_object(layer)), reference_text("edge", "legacy_keras2_dense.output.json"))
})

test_that("the Keras 2 tuple encoder's file reads as lists; its legacy dicts stay dicts", {
  x <- deserialize_keras_object(config_from_json(reference_text("edge", "tuple_legacy_encoder.json")))
  expect_identical(x$kernel_size, list(3L, 3L))
  expect_identical(x$nested, list(list(1L, list(2L, 3L))))
  expect_identical(x$b, list(class_name = "__bytes__", value = "bytes"))
})

test_that("keras_array() refuses what is not numbers or logicals", {
  expect_error(keras_array(NULL), class = "kerasconfig_error_type")
  expect_error(keras_array("a"), class = "kerasconfig_error_type")
})
