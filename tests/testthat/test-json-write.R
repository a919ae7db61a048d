write_error <- function(config) {
  tryCatch(config_to_json(config), kerasconfig_json_error = function(e) e)
}

test_that("lists with names are objects, without names arrays; NULL is null", {
  expect_identical(config_to_json(list(a = 1L, b = list(TRUE, NULL))), '{"a": 1, "b": [true, null]}')
  expect_identical(config_to_json(list()), "[]")
  expect_identical(config_to_json(structure(list(), names = character(0))), "{}")
  expect_identical(config_to_json(NULL), "null")
})

test_that("atomic vectors of length 1 are scalars, of other lengths arrays", {
  expect_identical(config_to_json("relu"), '"relu"')
  expect_identical(config_to_json(list(shape = c(28L, 28L, 1L))), '{"shape": [28, 28, 1]}')
  expect_identical(config_to_json(list(a = character(0), b = logical(0))), '{"a": [], "b": []}')
  expect_identical(config_to_json(c(TRUE, FALSE)), "[true, false]")
})

test_that("doubles are written as Python's repr writes floats", {
  values <- c(0.1, 0.9, 1e-07, 1e-05, 1e-04, 1e16, 1.5e-323, 2, 1 / 3, 123456789.123, -0, 5e-324,
              1.7976931348623157e308, 100, 1e15, 0.0010000000474974513, 1113178120592002.25)
  expect_identical(
    config_to_json(values),
    paste0("[0.1, 0.9, 1e-07, 1e-05, 0.0001, 1e+16, 1.5e-323, 2.0, 0.3333333333333333, 123456789.123, ",
           "-0.0, 5e-324, 1.7976931348623157e+308, 100.0, 1000000000000000.0, 0.0010000000474974513, ",
           "1113178120592002.2]")
  )
  expect_identical(config_to_json(c(NaN, Inf, -Inf)), "[NaN, Infinity, -Infinity]")
})

test_that("keras_integer doubles are written as integers, from digits while they match", {
  expect_identical(config_to_json(structure(140234567890123, class = "keras_integer")), "140234567890123")
  expect_identical(config_to_json(structure(2^70, class = "keras_integer")), "1180591620717411303424")
  big <- structure(9007199254740992, digits = "9007199254740993", class = "keras_integer")
  expect_identical(config_to_json(big), "9007199254740993")
  # Arithmetic keeps attributes: a stale `digits` is not written.
  expect_identical(config_to_json(big * 2), "18014398509481984")
  e <- write_error(list(x = structure(1.5, class = "keras_integer")))
  expect_match(conditionMessage(e), "not a whole number")
})

test_that("strings are escaped as Python's ensure_ascii does", {
  # R refuses octal and Unicode escapes in one literal.
  x <- paste0("q\" b\\ \n\r\t\b\f \001\037\177", " \u00e9 \u6f22 \U0001F600 /")
  expect_identical(
    config_to_json(x),
    '"q\\" b\\\\ \\n\\r\\t\\b\\f \\u0001\\u001f\\u007f \\u00e9 \\u6f22 \\ud83d\\ude00 /"'
  )
  expect_identical(config_to_json(setNames(list(1L), "k\u00e9y")), '{"k\\u00e9y": 1}')
})

test_that("strings in other encodings are translated to UTF-8", {
  latin1 <- iconv("caf\u00e9", "UTF-8", "latin1")
  expect_identical(Encoding(latin1), "latin1")
  expect_identical(config_to_json(latin1), '"caf\\u00e9"')
  expect_match(conditionMessage(write_error(list(a = `Encoding<-`("x\xff", "bytes")))), "bytes")
})

test_that("factors are written as their labels", {
  expect_identical(config_to_json(factor(c("b", "a", "b"))), '["b", "a", "b"]')
  expect_match(conditionMessage(write_error(factor(NA))), "NA")
})

test_that("missing values are refused with the path to them", {
  e <- write_error(list(layers = list(1L, 2L, list(config = list(units = NA_integer_)))))
  expect_s3_class(e, c("kerasconfig_json_error", "kerasconfig_error", "error", "condition"), exact = TRUE)
  expect_identical(e$path, "config$layers[[3]]$config$units")
  expect_match(conditionMessage(e), "config$layers[[3]]$config$units", fixed = TRUE)
  expect_identical(write_error(list(a = c(1, NA)))$path, "config$a[[2]]")
  expect_identical(write_error(list(list(NA)))$path, "config[[1]][[1]]")
  expect_identical(write_error(NA_character_)$path, "config")
  expect_match(conditionMessage(write_error(NA_real_)), "NA")
  expect_identical(config_to_json(NaN), "NaN")
})

test_that("paths quote names that are not syntactic", {
  e <- write_error(list(`odd name` = list(`if` = list(ok.name_1 = list(`a\`b` = NA)))))
  expect_identical(e$path, "config$`odd name`$`if`$ok.name_1$`a\\`b`")
})

test_that("types JSON cannot hold are refused, naming the type and the path", {
  expect_match(conditionMessage(write_error(list(env = new.env()))), "'environment'.*config\\$env")
  expect_match(conditionMessage(write_error(list(f = function(x) x))), "'closure'")
  expect_match(conditionMessage(write_error(list(r = as.raw(1)))), "'raw'")
  expect_match(conditionMessage(write_error(list(z = 1i))), "'complex'")
  expect_match(conditionMessage(write_error(list(s = quote(x)))), "'symbol'")
  expect_match(conditionMessage(write_error(list(methods::getClass("numeric")))), "S4.*config\\[\\[1\\]\\]")
  expect_match(conditionMessage(write_error(setNames(list(1), NA_character_))), "NA name")
})

test_that("lists nested deeper than 100 levels give a classed error, however deep", {
  ok <- list()
  for (i in seq_len(99)) ok <- list(ok)
  expect_identical(nchar(config_to_json(ok)), 200L)
  expect_error(config_to_json(list(ok)), class = "kerasconfig_json_error")
  deep <- list()
  for (i in seq_len(100000)) deep <- list(deep)
  e <- write_error(deep)
  expect_s3_class(e, "kerasconfig_json_error")
  expect_match(conditionMessage(e), "deeper than 100 levels")
})

test_that("a list appearing at several places and depths is written right at each", {
  part <- list(a = 1L, b = list("s", NULL))
  config <- list(part, list(x = part, y = list(part)), part)
  expect_identical(
    config_to_json(config),
    paste0('[{"a": 1, "b": ["s", null]}, {"x": {"a": 1, "b": ["s", null]}, ',
           '"y": [{"a": 1, "b": ["s", null]}]}, {"a": 1, "b": ["s", null]}]')
  )
  pretty <- config_to_json(config, pretty = TRUE)
  expect_identical(config_to_json(config_from_json(pretty)), config_to_json(config))
  expect_match(pretty, '\n    "y": [\n      {\n        "a": 1,\n        "b": [\n          "s",', fixed = TRUE)
})

test_that("a list written once is refused where a copy would nest too deep", {
  part <- list(list(list(1L)))
  deep <- part
  for (i in seq_len(97)) deep <- list(deep)
  expect_identical(nchar(config_to_json(list(part, deep[[1]]))) > 0, TRUE)
  e <- write_error(list(part, deep))
  expect_match(conditionMessage(e), "deeper than 100 levels")
})

test_that("pretty = TRUE gives Python's indent=2 layout", {
  config <- list(a = list(1L, list(), structure(list(), names = character(0))), b = list(c = "x"))
  expect_identical(
    config_to_json(config, pretty = TRUE),
    '{\n  "a": [\n    1,\n    [],\n    {}\n  ],\n  "b": {\n    "c": "x"\n  }\n}'
  )
  expect_identical(config_to_json(1L, pretty = TRUE), "1")
  expect_error(config_to_json(1L, pretty = NA), class = "kerasconfig_error_type")
})

test_that("writing to a file writes the exact bytes, with no newline, and returns the text invisibly", {
  path <- tempfile(fileext = ".json")
  config <- list(name = "d\u00e9nse", units = 3L)
  expect_invisible(out <- config_to_json(config, file = path))
  expect_identical(out, '{"name": "d\\u00e9nse", "units": 3}')
  expect_identical(readBin(path, "raw", 100), charToRaw(out))
  con <- file(path, "w")
  config_to_json(config, file = con, pretty = TRUE)
  close(con)
  expect_identical(readBin(path, "raw", 100), charToRaw(config_to_json(config, pretty = TRUE)))
  unlink(path)
  expect_error(config_to_json(config, file = 1), class = "kerasconfig_error_type")
})
