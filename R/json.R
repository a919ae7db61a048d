# The config codec: JSON text <-> R values, byte-exact with Python's `json.dumps()`. The work is
# done in Rust (src/rust/src/json); these wrappers sort out inputs and outputs and turn Rust's
# `kc_rust_error` results into classed conditions.

#' Read a Keras config from JSON
#'
#' Parses JSON text as Python's `json.loads()` does, into R values that
#' [config_to_json()] writes back byte for byte: every `.json` file Keras
#' writes (`config.json` in a `.keras` archive, `model.to_json()`) survives
#' `config_to_json(config_from_json(text))` unchanged.
#'
#' @details
#' How JSON becomes R:
#' * an object becomes a named list, in key order (`{}` becomes
#'   `named list()`). A key that appears more than once keeps its first
#'   position and takes its last value, as in Python's `dict`.
#' * an array becomes an unnamed list, never simplified to a vector (`[]`
#'   becomes `list()`), so the same text always gives the same shape.
#' * `null` becomes a `NULL` element, kept in its list.
#' * `true` and `false` become `TRUE` and `FALSE`.
#' * an integer becomes an integer when R's integers can hold it
#'   (-2147483647 to 2147483647), otherwise a double of class
#'   `"keras_integer"`, which [config_to_json()] writes as an integer again.
#'   Beyond 2^53, where doubles cannot hold every integer, it also keeps its
#'   exact text in attribute `"digits"` (its value is `Inf` for integers
#'   beyond the range of doubles).
#' * any other number becomes a double, correctly rounded. The bare tokens
#'   `NaN`, `Infinity` and `-Infinity`, which Python writes for special
#'   floats, become `NaN`, `Inf` and `-Inf`.
#' * a string becomes a UTF-8 string.
#'
#' Repeated values share memory: strings, numbers, key lists and most
#' repeated sub-objects are made once and reused (configs repeat most of
#' theirs). R code cannot tell, as R copies a shared value when it is
#' modified; compiled code must not modify the values in place.
#'
#' Refused, with an error of class `kerasconfig_json_error` whose fields
#' `line` and `column` (1-based, counting characters) locate the problem:
#' text that is not JSON, or anything but white space after the value;
#' numbers beyond the range of doubles such as `1e400` (Python reads them as
#' infinity, which would not write back as written); `\u0000`, which R
#' strings cannot hold; unpaired UTF-16 surrogates such as `"\ud800"` (Python
#' accepts them); invalid UTF-8; nesting deeper than 100 arrays and objects.
#' A UTF-8 byte-order mark at the very start is skipped.
#'
#' @param json JSON text as a single string, the path of a file holding it, a
#'   raw vector of its bytes, or a connection to read it from. A string is
#'   JSON text when it starts (after white space) with an opening brace, an
#'   opening bracket or a double quote, or is a JSON literal or number
#'   (`"null"`, `"true"`, `"1.5"`, ...); any other string is the path of a
#'   file when one exists there, else JSON text. Files are read as bytes and
#'   must be UTF-8. A connection that is not open is opened, read and closed.
#' @param text JSON text (a single string or a raw vector), never read as a
#'   path: give either `json` or `text`.
#' @return The config, as described in Details. An error says which form
#'   `json` was taken as when that could have been in doubt.
#' @seealso [config_to_json()]
#' @export
#' @examples
#' config <- config_from_json('{"class_name": "Dense", "config": {"units": 64, "bias": null}}')
#' str(config)
#'
#' path <- tempfile(fileext = ".json")
#' writeLines('[1, 2.5, "relu", NaN, 9007199254740993]', path)
#' str(config_from_json(path))
#' unlink(path)
#'
#' config_from_json(text = "null")
#'
#' tryCatch(
#'   config_from_json("[1, 2,, 3]"),
#'   kerasconfig_json_error = function(e) c(line = e$line, column = e$column)
#' )
config_from_json <- function(json, text) {
  # The common case first, with as few R calls as possible: they cost more than parsing a
  # small config (the parser itself refuses invalid UTF-8, with its position).
  if (missing(text) && !missing(json) && is.character(json) && length(json) == 1L && !is.na(json) &&
      (startsWith(json, "{") || startsWith(json, "["))) {
    return(kc_parse_json(json, NULL))
  }
  if (!missing(text)) {
    if (!missing(json)) kc_abort("Give either `json` or `text`, not both.", "kerasconfig_error_type")
    if (!is.raw(text) && !kc_is_string(text)) {
      kc_abort("`text` must be JSON text: a single string or a raw vector.", "kerasconfig_error_type")
    }
    return(kc_parse_json(text, NULL))
  }
  if (missing(json)) kc_abort("Give `json` (text, a file, raw bytes or a connection) or `text`.", "kerasconfig_error_type")
  if (inherits(json, "connection")) {
    con <- json
    # As read.table() does: a connection opened here is closed here.
    if (!isOpen(con)) {
      open(con, "rt")
      on.exit(close(con))
    }
    return(kc_parse_json(paste(readLines(con, warn = FALSE, encoding = "UTF-8"), collapse = "\n"), NULL))
  }
  if (is.raw(json)) return(kc_parse_json(json, NULL))
  if (!kc_is_string(json)) {
    kc_abort("`json` must be JSON text (a single string), a file path, a raw vector or a connection.",
             "kerasconfig_error_type")
  }
  if (grepl("^\\s*([\\[{\"]|(null|true|false|NaN|-?Infinity|-?[0-9][0-9.eE+-]*)\\s*$)", json, perl = TRUE,
            useBytes = TRUE)) {
    return(kc_parse_json(json, NULL))
  }
  if (file.exists(json) && !dir.exists(json)) {
    return(kc_parse_json(readBin(json, "raw", file.size(json)),
                         sprintf("(`json` was read as the path of the file '%s'; use `text =` for JSON text.)", json)))
  }
  kc_parse_json(json, "(`json` was read as JSON text: it is not the path of an existing file either.)")
}

# Parses JSON text or bytes; `note` says how `json` was taken, for an error's message.
kc_parse_json <- function(json, note) {
  # The codec recurses up to 100 levels on R's C stack (kc_check_stack(), inlined: it is a
  # good part of the cost of a small parse).
  stack <- Cstack_info()
  if (!is.na(stack[[1L]]) && stack[[1L]] - stack[[2L]] < 2e6) kc_check_stack()
  result <- rs_json_parse(json)
  if (!inherits(result, "kc_rust_error")) return(result)
  if (!is.null(note)) result$message <- paste(result$message, note)
  kc_check(result)
}

#' Write a Keras config as JSON
#'
#' Writes R values as JSON text exactly as Python's `json.dumps()` does, so
#' configs read with [config_from_json()] write back byte for byte and
#' Keras reads what it would have written itself.
#'
#' @details
#' How R becomes JSON:
#' * `NULL` becomes `null`; `TRUE`/`FALSE` become `true`/`false`.
#' * a list with names becomes an object (`named list()` becomes `{}`); a list
#'   without names becomes an array (`list()` becomes `[]`).
#' * an atomic vector of length 1 becomes a scalar, of any other length an
#'   array (`character(0)` becomes `[]`); names of atomic vectors are ignored.
#' * integers become JSON integers; doubles are written as Python's `repr()`
#'   writes floats (`0.1`, `2.0`, `1e-07`, `1e+16`), with `NaN`, `Infinity`
#'   and `-Infinity` for the special values; a double of class
#'   `"keras_integer"` is written as an integer, from its `"digits"`
#'   attribute while that still matches its value.
#' * strings are written with Python's default escaping (`ensure_ascii`):
#'   non-ASCII characters as `\uXXXX` escapes; strings in other encodings are
#'   translated to UTF-8 first. A factor is written as its labels.
#'
#' A Keras object (a layer, a model or any other instance), or a value
#' holding some in its lists, is serialized first: `config_to_json(x)` is
#' `config_to_json(serialize_keras_object(x))`, as Python's `model.to_json()`
#' is `json.dumps(serialize_keras_object(model))`. For objects of built-in
#' classes this happens in the same pass, without making the config as R
#' lists; objects that need R (classes made in R, lambdas) and errors take
#' the two steps, with the errors [serialize_keras_object()] and the writer
#' give. Functions and the classed values of Functional models are
#' serialized only within a value holding an instance.
#'
#' Refused, with an error of class `kerasconfig_json_error` whose field `path`
#' (also in the message) is R code reaching the element, such as
#' `config$layers[[3]]$config$units`: missing values (`NA` of any type,
#' which Keras could not read as intended; `NaN` is written), environments,
#' functions, raw and complex vectors, S4 objects and other types, strings
#' marked as `"bytes"`, and nesting deeper than 100 lists.
#'
#' @param config The config: a list, or a single value; or a Keras object, or
#'   a list holding some (see Details).
#' @param file `NULL` to return the text only, or a file path or connection
#'   to write it to, as is: UTF-8 (in fact ASCII), no trailing newline.
#' @param pretty `FALSE` for Python's `json.dumps(config)` layout, `TRUE` for
#'   `json.dumps(config, indent = 2)`.
#' @return The JSON text as a single string; invisibly when written to `file`.
#' @seealso [config_from_json()], [serialize_keras_object()]
#' @export
#' @examples
#' config <- list(class_name = "Dense", config = list(units = 64L, rate = 0.1, bias = NULL))
#' config_to_json(config)
#' cat(config_to_json(config, pretty = TRUE))
#'
#' text <- '{"name": "d\\u00e9nse", "seed": 9007199254740993, "values": [1e-07, NaN]}'
#' identical(config_to_json(config_from_json(text)), text)
#'
#' # A Keras object is serialized on the way.
#' dense <- layer_dense(units = 4L, name = "d")
#' identical(config_to_json(dense), config_to_json(serialize_keras_object(dense)))
#'
#' tryCatch(
#'   config_to_json(list(layers = list(list(units = NA)))),
#'   kerasconfig_json_error = function(e) e$path
#' )
config_to_json <- function(config, file = NULL, pretty = FALSE) {
  if (!isTRUE(pretty) && !isFALSE(pretty)) {
    kc_abort("`pretty` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  kc_check_stack()
  text <- rs_json_write(config, pretty)
  # What the writer refuses may hold Keras objects: then it is serialized first, in the same walk
  # when Rust can (giving a sharing scope's ids as serialize_keras_object() does, except within a
  # serialization R runs there, whose ids R settles), else in two steps, where R serializes and
  # reports what goes wrong. Plain values never pay for the objects.
  if (inherits(text, "kc_rust_error") && rs_holds_instance(config)) {
    if (!isTRUE(kc_state$sharing_busy)) {
      text <- rs_json_write_objects(config, pretty, if (!is.null(kc_state$sharing)) kc_twice_keys)
    }
    if (inherits(text, c("kc_fallback", "kc_rust_error"))) text <- rs_json_write(serialize_keras_object(config), pretty)
  }
  text <- kc_check(text)
  if (is.null(file)) {
    return(text)
  }
  if (inherits(file, "connection")) {
    writeLines(text, file, sep = "", useBytes = TRUE)
  } else if (is.character(file) && length(file) == 1L && !is.na(file)) {
    kc_write_file(charToRaw(text), file)
  } else {
    kc_abort("`file` must be NULL, a file path or a connection.", "kerasconfig_error_type")
  }
  invisible(text)
}

#' @export
format.keras_integer <- function(x, ...) {
  value <- unclass(x)
  attributes(value) <- NULL
  out <- sprintf("%.0f", value)
  # Like the writer, trust `digits` only while it still reads as the value.
  digits <- attr(x, "digits")
  if (is.character(digits) && length(digits) == length(value)) {
    current <- suppressWarnings(as.numeric(digits)) == value
    current[is.na(current)] <- FALSE
    out[current] <- digits[current]
  }
  out
}

#' @export
print.keras_integer <- function(x, ...) {
  cat("<keras_integer>\n")
  print(format(x), quote = FALSE)
  invisible(x)
}
