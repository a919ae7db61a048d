# The Keras reference corpus (see its README): every `.json` file under objects/, models/ and
# edge/ is exactly what Python's json.dumps() wrote. `make test` sets KERASCONFIG_REFERENCE.

read_bytes <- function(path) readBin(path, "raw", file.size(path))

test_that("every reference file reads and writes back byte for byte", {
  ref <- reference_dir()
  files <- list.files(file.path(ref, c("objects", "models", "edge")), pattern = "\\.json$",
                      recursive = TRUE, full.names = TRUE)
  failed <- character(0)
  for (path in files) {
    bytes <- read_bytes(path)
    text <- rawToChar(bytes)
    if (!identical(config_to_json(config_from_json(bytes)), text) ||
        !identical(config_to_json(config_from_json(text)), text)) {
      failed <- c(failed, path)
    }
  }
  expect_identical(failed, character(0))
  expect_gte(length(files), 376L)
})

test_that("pretty output is Python's json.dumps(indent=2) of reference files", {
  ref <- reference_dir()
  expected <- list.files(test_path("fixtures", "pretty", "reference"), full.names = TRUE)
  expect_gte(length(expected), 7L)
  for (path in expected) {
    source <- file.path(ref, gsub("__", "/", basename(path), fixed = TRUE))
    pretty <- config_to_json(config_from_json(read_bytes(source)), pretty = TRUE)
    expect_identical(pretty, rawToChar(read_bytes(path)), label = basename(path))
  }
})

test_that("pretty output is Python's json.dumps(indent=2) of crafted texts", {
  inputs <- list.files(test_path("fixtures", "pretty", "crafted"), pattern = "\\.compact\\.json$",
                       full.names = TRUE)
  expect_gte(length(inputs), 3L)
  for (path in inputs) {
    compact <- rawToChar(read_bytes(path))
    config <- config_from_json(compact)
    expect_identical(config_to_json(config), compact, label = basename(path))
    expected <- rawToChar(read_bytes(sub("\\.compact\\.json$", ".json", path)))
    expect_identical(config_to_json(config, pretty = TRUE), expected, label = basename(path))
    # Indented text reads back to the same values.
    expect_identical(config_to_json(config_from_json(expected)), compact, label = basename(path))
  }
})
