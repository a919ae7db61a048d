json_error <- function(json) {
  tryCatch(config_from_json(json), kerasconfig_json_error = function(e) e)
}

test_that("objects become named lists in key order, arrays unnamed lists never simplified", {
  x <- config_from_json('{"b": [1, 2, 3], "a": {"z": "s", "y": [true]}, "e": {}, "l": []}')
  expect_identical(names(x), c("b", "a", "e", "l"))
  expect_identical(x$b, list(1L, 2L, 3L))
  expect_identical(x$a, list(z = "s", y = list(TRUE)))
  expect_identical(x$e, structure(list(), names = character(0)))
  expect_identical(x$l, list())
})

test_that("null is kept as a NULL element", {
  expect_identical(config_from_json("[null, 1, null]"), list(NULL, 1L, NULL))
  expect_identical(config_from_json('{"a": null}'), list(a = NULL))
  expect_null(config_from_json("null"))
})

test_that("top-level scalars are values", {
  expect_identical(config_from_json('"relu"'), "relu")
  expect_identical(config_from_json("false"), FALSE)
  expect_identical(config_from_json(" 2.5 "), 2.5)
})

test_that("integers fitting R's integer range are integers; others are keras_integer doubles", {
  expect_identical(config_from_json("[2147483647, -2147483647]"), list(2147483647L, -2147483647L))
  # -2147483648 is NA_integer_ in R, so it stays a double.
  expect_identical(config_from_json("-2147483648"), structure(-2147483648, class = "keras_integer"))
  expect_identical(config_from_json("140234567890123"), structure(140234567890123, class = "keras_integer"))
})

test_that("integers beyond 2^53 keep their exact digits", {
  x <- config_from_json("9007199254740993")
  expect_s3_class(x, "keras_integer")
  expect_identical(attr(x, "digits"), "9007199254740993")
  expect_identical(unclass(x)[[1]], 9007199254740992)
  expect_identical(attr(config_from_json("9223372036854775808"), "digits"), "9223372036854775808")
  huge <- paste0("-", strrep("7", 400))
  y <- config_from_json(huge)
  expect_identical(attr(y, "digits"), huge)
  expect_identical(unclass(y)[[1]], -Inf)
  expect_null(attr(config_from_json("9007199254740992"), "digits"))
})

test_that("floats are doubles, and Python's NaN and infinities are read", {
  x <- config_from_json("[0.1, -0.0, 1e-07, 1E+2, NaN, Infinity, -Infinity]")
  expect_identical(x[1:4], list(0.1, -0, 1e-07, 100))
  expect_identical(1 / x[[2]], -Inf)
  expect_true(is.nan(x[[5]]))
  expect_identical(x[6:7], list(Inf, -Inf))
})

test_that("a repeated key keeps its first position and takes its last value, as in Python", {
  x <- config_from_json('{"a": 1, "b": 2, "a": 3}')
  expect_identical(x, list(a = 3L, b = 2L))
  keys <- sprintf('"k%02d": %d', c(1:20, 5L), c(1:20, 99L))
  many <- config_from_json(paste0("{", paste(keys, collapse = ", "), "}"))
  expect_identical(names(many), sprintf("k%02d", 1:20))
  expect_identical(many$k05, 99L)
})

test_that("values the parser shares stay independent when modified", {
  x <- config_from_json('[{"a": [1, "s"]}, {"a": [1, "s"]}, {"a": [1, "s"]}, {"a": [1, "s"]}]')
  x[[3]]$a[[1]] <- 99L
  x[[4]]$a[[2]] <- "t"
  attr(x[[2]], "extra") <- TRUE
  expect_identical(x[[1]], list(a = list(1L, "s")))
  expect_identical(x[[2]], structure(list(a = list(1L, "s")), extra = TRUE))
  expect_identical(x[[3]], list(a = list(99L, "s")))
  expect_identical(x[[4]], list(a = list(1L, "t")))
  expect_identical(config_to_json(x), '[{"a": [1, "s"]}, {"a": [1, "s"]}, {"a": [99, "s"]}, {"a": [1, "t"]}]')
})

test_that("strings come back as UTF-8", {
  x <- config_from_json('["d\\u00e9nse_\\u03bb_\\u6f22", "\\ud83d\\ude00", "plain"]')
  expect_identical(x[[1]], "d\u00e9nse_\u03bb_\u6f22")
  expect_identical(x[[2]], "\U0001F600")
  expect_identical(Encoding(x[[1]]), "UTF-8")
  expect_identical(config_from_json(charToRaw('"caf\xc3\xa9"')), "caf\u00e9")
})

test_that("invalid JSON gives a classed error with line and column", {
  e <- json_error("[1,\n 2,,3]")
  expect_s3_class(e, c("kerasconfig_json_error", "kerasconfig_error", "error", "condition"), exact = TRUE)
  expect_identical(c(e$line, e$column), c(2L, 4L))
  expect_match(conditionMessage(e), "line 2, column 4")
  expect_identical(c(json_error('{"a": 1} x')$line, json_error('{"a": 1} x')$column), c(1L, 10L))
  expect_match(conditionMessage(json_error('{"a": 1} x')), "trailing characters")
  expect_match(conditionMessage(json_error('{"a" 1}')), "expected ':'")
  expect_match(conditionMessage(json_error("")), "unexpected end")
})

test_that("strings R cannot hold, and invalid text, are refused with their position", {
  e <- json_error('["ok", "a\\u0000b"]')
  expect_identical(c(e$line, e$column), c(1L, 10L))
  expect_match(conditionMessage(e), "u0000")
  expect_match(conditionMessage(json_error('"\\ud800"')), "surrogate")
  expect_match(conditionMessage(json_error('"\\udc00x"')), "surrogate")
  e <- json_error(as.raw(c(0x5b, 0x22, 0xff, 0x22, 0x5d)))
  expect_match(conditionMessage(e), "UTF-8")
  expect_identical(e$column, 3L)
  expect_match(conditionMessage(json_error('"tab\there"')), "control character")
})

test_that("numbers beyond the range of doubles are refused", {
  e <- json_error("[1, 1e400]")
  expect_match(conditionMessage(e), "range")
  expect_identical(e$column, 5L)
  expect_match(conditionMessage(json_error("-1e309")), "range")
  expect_identical(config_from_json("1e-400"), 0)
})

test_that("nesting is limited to 100 levels, and deeper text fails cleanly", {
  ok <- paste0(strrep("[", 100), strrep("]", 100))
  expect_type(config_from_json(ok), "list")
  expect_identical(json_error(paste0(strrep("[", 101), strrep("]", 101)))$column, 101L)
  e <- json_error(strrep("[", 100000))
  expect_match(conditionMessage(e), "deeper than 100 arrays")
  expect_identical(e$column, 101L)
  expect_match(conditionMessage(json_error(strrep('{"a": ', 5000))), "deeper than 100 arrays")
})

test_that("a UTF-8 byte-order mark at the start is skipped", {
  expect_identical(config_from_json(as.raw(c(0xef, 0xbb, 0xbf, 0x5b, 0x31, 0x5d))), list(1L))
})

test_that("files are read as bytes, and connections are read", {
  path <- tempfile(fileext = ".json")
  writeBin(charToRaw('{"name": "d\u00e9nse", "units": 3}'), path)
  expect_identical(config_from_json(path), list(name = "d\u00e9nse", units = 3L))
  expect_identical(config_from_json(file(path)), list(name = "d\u00e9nse", units = 3L))
  text <- textConnection("[1,\n2]")
  expect_identical(config_from_json(text), list(1L, 2L))
  close(text)
  unlink(path)
})

test_that("a string is JSON text when it starts like an object, array or string", {
  path <- tempfile(fileext = ".json")
  writeBin(charToRaw("[1]"), path)
  expect_identical(config_from_json(path), list(1L))
  expect_identical(config_from_json(paste0(' "', path, '"')), path)
  unlink(path)
  expect_match(conditionMessage(json_error("no/such/file.json")), "not the path of an existing file")
})

# Issue 8: config_from_json("null") read a file named `null` when there was one.
test_that("JSON literals and numbers are text even where a file of that name exists", {
  dir <- withr::local_tempdir()
  withr::local_dir(dir)
  for (name in c("null", "true", "false", "1", "-2.5e3", "NaN", "-Infinity")) writeLines("[1]", name)
  expect_null(config_from_json("null"))
  expect_true(config_from_json(" true "))
  expect_false(config_from_json("false"))
  expect_identical(config_from_json("1"), 1L)
  expect_identical(config_from_json("-2.5e3"), -2500)
  expect_identical(config_from_json("NaN"), NaN)
  expect_identical(config_from_json("-Infinity"), -Inf)
})

test_that("text = is always JSON text, never a path; json and text exclude each other", {
  dir <- withr::local_tempdir()
  withr::local_dir(dir)
  writeLines("[1]", "relu")
  expect_identical(config_from_json("relu"), list(1L))
  err <- expect_error(config_from_json(text = "relu"), class = "kerasconfig_json_error")
  expect_no_match(conditionMessage(err), "path")
  expect_null(config_from_json(text = "null"))
  expect_identical(config_from_json(text = charToRaw("[2]")), list(2L))
  expect_error(config_from_json("[1]", text = "[1]"), class = "kerasconfig_error_type")
  expect_error(config_from_json(text = 1), class = "kerasconfig_error_type")
  expect_error(config_from_json(), class = "kerasconfig_error_type")
})

test_that("errors say whether json was read as a file or as text when it could have been either", {
  dir <- withr::local_tempdir()
  withr::local_dir(dir)
  writeLines("[1,", "broken.json")
  err <- expect_error(config_from_json("broken.json"), class = "kerasconfig_json_error")
  expect_match(conditionMessage(err), "read as the path of the file 'broken.json'", fixed = TRUE)
  err <- expect_error(config_from_json("relu"), class = "kerasconfig_json_error")
  expect_match(conditionMessage(err), "read as JSON text: it is not the path of an existing file", fixed = TRUE)
  err <- expect_error(config_from_json("[1,"), class = "kerasconfig_json_error")
  expect_no_match(conditionMessage(err), "read as")
})

test_that("strings in other encodings are translated to UTF-8 before parsing", {
  latin1 <- iconv('["caf\u00e9"]', "UTF-8", "latin1")
  expect_identical(Encoding(latin1), "latin1")
  expect_identical(config_from_json(latin1), list("caf\u00e9"))
})

test_that("wrong argument types are classed errors", {
  expect_error(config_from_json(1), class = "kerasconfig_error_type")
  expect_error(config_from_json(c("[]", "[]")), class = "kerasconfig_error_type")
  expect_error(config_from_json(NA_character_), class = "kerasconfig_error_type")
})

test_that("a string that is not valid UTF-8 is refused, not silently changed", {
  bad <- rawToChar(as.raw(c(0x22, 0xc3, 0x28, 0x22)))
  expect_error(config_from_json(bad), class = "kerasconfig_json_error", regexp = "UTF-8")
})
