# Model config files: .keras archives (read strictly, in memory), config.json files and
# directories. Hostile archives are built byte by byte with helper-zip.R.

layer_scale <- Layer("Scale",
  initialize = function(factor = 1, ...) {
    super$initialize(...)
    self$factor <- factor
  },
  get_config = function() {
    config <- super$get_config()
    config$factor <- self$factor
    config
  }
)

# A config.json text that loads: a Scale layer.
scale_config_text <- function() save_model_config(layer_scale(factor = 2, name = "twice"))

# Runs `expr`, which must fail with `class`, and checks that no file appeared meanwhile.
expect_refused <- function(expr, class, regexp = NULL, dirs = character()) {
  before <- zip_all_files(dirs)
  err <- if (is.null(regexp)) {
    expect_error(expr, class = class)
  } else {
    expect_error(expr, regexp = regexp, class = class, fixed = TRUE)
  }
  expect_identical(zip_all_files(dirs), before)
  invisible(err)
}

archive_text <- function(path, member = "config.json") {
  bytes <- readBin(path, "raw", file.size(path))
  rawToChar(kerasconfig:::rs_archive_read(bytes, member, 2^28)[[member]])
}

# ---- the Keras reference archives -------------------------------------------------------------

test_that("the .keras files of Python Keras load and serialize back byte for byte", {
  files <- list.files(reference_dir("keras_files"), pattern = "[.]keras$", full.names = TRUE)
  expect_length(files, 2L)
  for (f in files) {
    text <- archive_text(f)
    model <- load_model_config(f)
    expect_identical(config_to_json(serialize_keras_object(model)), text, label = basename(f))
    # Saving writes the same text (inside the sharing scope, as Keras does).
    expect_identical(save_model_config(model), text, label = basename(f))

    meta <- read_keras_metadata(f)
    expect_identical(meta$keras_version, "3.15.1")
    expect_match(meta$date_saved, "^\\d{4}-\\d{2}-\\d{2}@\\d{2}:\\d{2}:\\d{2}$")

    bytes <- readBin(f, "raw", file.size(f))
    expect_identical(kerasconfig:::rs_archive_read(bytes, character(), 2^28)$members,
                     c("metadata.json", "config.json", "model.weights.h5"))
  }
})

test_that("a reference model saved as .keras reads back, laid out as Keras lays it out", {
  f <- reference_dir("keras_files", "seq_mlp_compiled.keras")
  dir <- withr::local_tempdir()
  out <- file.path(dir, "copy.keras")
  save_model_config(load_model_config(f), out)
  expect_identical(archive_text(out), archive_text(f))
  # The config.json local header and data: the same bytes as in Keras' own file (metadata.json
  # comes first in both and has the same length).
  ref <- readBin(f, "raw", file.size(f))
  ours <- readBin(out, "raw", file.size(out))
  n <- 30L + 11L + nchar(archive_text(f), "bytes")
  expect_identical(ours[108:(107 + n)], ref[108:(107 + n)])
  expect_identical(ours[1:14], ref[1:14])
})

# ---- saving -----------------------------------------------------------------------------------

test_that("save_model_config() returns or writes the JSON text", {
  text <- scale_config_text()
  expect_type(text, "character")
  config <- config_from_json(text)
  expect_identical(config$class_name, "Scale")
  expect_identical(config$config$factor, 2)

  dir <- withr::local_tempdir()
  path <- file.path(dir, "config.json")
  expect_invisible(res <- save_model_config(layer_scale(factor = 2, name = "twice"), path))
  expect_identical(res, path)
  bytes <- readBin(path, "raw", file.size(path))
  expect_identical(rawToChar(bytes), text) # exact bytes, no trailing newline
})

test_that("save_model_config() writes .keras archives with metadata and config only", {
  dir <- withr::local_tempdir()
  path <- file.path(dir, "m.keras")
  layer <- layer_scale(factor = 3, name = "thrice")
  before <- Sys.time()
  save_model_config(layer, path)
  bytes <- readBin(path, "raw", file.size(path))
  expect_identical(bytes[1:4], as.raw(c(0x50, 0x4b, 0x03, 0x04)))
  expect_identical(bytes[9:10], as.raw(c(0, 0)))             # stored
  expect_identical(bytes[11:14], as.raw(c(0, 0, 0x21, 0)))   # 1980-01-01 00:00
  read <- kerasconfig:::rs_archive_read(bytes, c("config.json", "metadata.json"), 2^28)
  expect_identical(read$members, c("metadata.json", "config.json"))
  expect_identical(rawToChar(read[["config.json"]]), save_model_config(layer))
  meta_text <- rawToChar(read[["metadata.json"]])
  expect_match(meta_text, '^\\{"keras_version": "3\\.15\\.1", "date_saved": "\\d{4}-\\d{2}-\\d{2}@\\d{2}:\\d{2}:\\d{2}"\\}$')
  meta <- read_keras_metadata(path)
  saved <- as.POSIXct(meta$date_saved, format = "%Y-%m-%d@%H:%M:%S")
  expect_true(abs(as.numeric(difftime(saved, before, units = "secs"))) < 60)

  loaded <- load_model_config(path, custom_objects = list(layer_scale))
  expect_identical(loaded$factor, 3)
  expect_identical(loaded$name, "thrice")
  expect_identical(save_model_config(loaded), save_model_config(layer))
})

test_that("existing files are only replaced with overwrite = TRUE", {
  dir <- withr::local_tempdir()
  for (file in c("m.keras", "config.json")) {
    path <- file.path(dir, file)
    writeBin(charToRaw("old"), path)
    err <- expect_error(save_model_config(layer_scale(name = "a"), path), class = "kerasconfig_error_file")
    expect_identical(conditionMessage(err),
                     sprintf("File '%s' already exists (pass overwrite = TRUE to force save).", path))
    expect_identical(readBin(path, "raw", 100), charToRaw("old"))
    expect_invisible(save_model_config(layer_scale(name = "a"), path, overwrite = TRUE))
    expect_identical(load_model_config(path, custom_objects = list(layer_scale))$name, "a")
  }
  expect_error(save_model_config(layer_scale(), file.path(dir, "x.json"), overwrite = NA), class = "kerasconfig_error_type")
  expect_error(save_model_config(layer_scale(), dir, overwrite = TRUE), class = "kerasconfig_error_file")
  expect_error(save_model_config(layer_scale(), file.path(dir, "no", "such", "m.keras")),
               class = "kerasconfig_error_file")
  expect_error(save_model_config(list(a = 1), file.path(dir, "y.json")), class = "kerasconfig_error_type")
  expect_error(save_model_config(layer_scale(), c("a", "b")), class = "kerasconfig_error_type")
  expect_false(file.exists(file.path(dir, "x.json")) || file.exists(file.path(dir, "y.json")))
})

test_that("saving opens a sharing scope: an object used twice gets a shared_object_id", {
  layer_pair <- Layer("Pair",
    initialize = function(first = NULL, second = NULL, ...) {
      super$initialize(...)
      self$first <- first
      self$second <- second
    },
    get_config = function() {
      config <- super$get_config()
      config$first <- self$first
      config$second <- self$second
      config
    }
  )
  inner <- layer_scale(factor = 5, name = "inner")
  pair <- layer_pair(first = inner, second = inner, name = "pair")
  plain <- serialize_keras_object(pair)
  expect_null(plain$config$first$shared_object_id)
  saved <- config_from_json(save_model_config(pair))
  id <- saved$config$first$shared_object_id
  expect_false(is.null(id))
  expect_equal(saved$config$second$shared_object_id, id)
  loaded <- deserialize_keras_object(saved, custom_objects = list(layer_pair, layer_scale))
  expect_identical(loaded$first, loaded$second)
})

# ---- loading: inputs --------------------------------------------------------------------------

test_that("load_model_config() reads config.json files and directories holding one", {
  dir <- withr::local_tempdir()
  text <- scale_config_text()
  writeBin(charToRaw(text), file.path(dir, "config.json"))
  for (path in c(file.path(dir, "config.json"), dir)) {
    obj <- load_model_config(path, custom_objects = list(layer_scale))
    expect_identical(obj$factor, 2)
    expect_identical(save_model_config(obj), text)
  }
  # Content decides: a zip archive whatever its name, JSON otherwise.
  zipped <- zip_keras_file(dir, list(config.json = text), file = "config.zip")
  expect_identical(load_model_config(zipped, custom_objects = list(layer_scale))$factor, 2)
  writeBin(charToRaw(text), file.path(dir, "model.txt"))
  expect_identical(load_model_config(file.path(dir, "model.txt"), custom_objects = list(layer_scale))$factor, 2)
  # The directory's metadata.json, when there is one.
  writeBin(charToRaw('{"keras_version": "3.15.1", "date_saved": "x"}'), file.path(dir, "metadata.json"))
  expect_identical(read_keras_metadata(dir)$keras_version, "3.15.1")
})

test_that("missing files and directories without config.json are file errors", {
  dir <- withr::local_tempdir()
  err <- expect_error(load_model_config(file.path(dir, "absent.keras")), class = "kerasconfig_error_file")
  expect_match(conditionMessage(err), "absent.keras", fixed = TRUE)
  expect_identical(err$file, file.path(dir, "absent.keras"))
  expect_error(load_model_config(dir), "has no config.json", class = "kerasconfig_error_file")
  expect_error(read_keras_metadata(dir), "has no metadata.json", class = "kerasconfig_error_file")
  expect_error(read_keras_metadata(file.path(dir, "absent.keras")), class = "kerasconfig_error_file")
  expect_error(load_model_config(NA_character_), class = "kerasconfig_error_type")
  expect_error(load_model_config(1), class = "kerasconfig_error_type")
  writeBin(charToRaw("{}"), file.path(dir, "config.json"))
  expect_error(read_keras_metadata(file.path(dir, "config.json")), "not a .keras archive",
               class = "kerasconfig_error_file")
})

test_that("corrupt JSON gives the codec's error, with its location and the file", {
  dir <- withr::local_tempdir()
  path <- file.path(dir, "config.json")
  writeBin(charToRaw('{"class_name": "Scale",\n "config": {,}}'), path)
  err <- expect_error(load_model_config(path), class = "kerasconfig_json_error")
  expect_identical(c(err$line, err$column), c(2L, 13L))
  expect_match(conditionMessage(err), "line 2, column 13", fixed = TRUE)
  expect_match(conditionMessage(err), path, fixed = TRUE)

  keras <- zip_keras_file(dir, list(metadata.json = "{}", config.json = '{"a": [1, 2,, 3]}'))
  err <- expect_refused(load_model_config(keras), "kerasconfig_json_error")
  expect_identical(c(err$line, err$column), c(1L, 13L))
  expect_match(conditionMessage(err), sprintf("config.json in '%s'", keras), fixed = TRUE)
  expect_identical(err$file, keras)

  bad_meta <- zip_keras_file(dir, list(metadata.json = "[1, 2]", config.json = "{}"), file = "meta.keras")
  expect_error(read_keras_metadata(bad_meta), "not a JSON object", class = "kerasconfig_error_archive")
  bad_meta <- zip_keras_file(dir, list(metadata.json = "{", config.json = "{}"), file = "meta2.keras")
  expect_error(read_keras_metadata(bad_meta), "metadata.json in", class = "kerasconfig_json_error")
})

# ---- loading: hostile and broken archives -----------------------------------------------------

test_that("an archive without config.json says what it holds", {
  dir <- withr::local_tempdir()
  path <- zip_keras_file(dir, list(metadata.json = "{}", model.weights.h5 = "HDF"))
  err <- expect_refused(load_model_config(path), "kerasconfig_error_archive",
                        "the archive has no config.json (it holds: 'metadata.json', 'model.weights.h5')")
  expect_identical(err$file, path)
  empty <- zip_write(dir, zip_archive(list()), file = "empty.keras")
  expect_refused(load_model_config(empty), "kerasconfig_error_archive", "no entries at all")
  no_meta <- zip_keras_file(dir, list(config.json = "{}"), file = "nometa.keras")
  expect_refused(read_keras_metadata(no_meta), "kerasconfig_error_archive",
                 "the archive has no metadata.json (it holds: 'config.json')")
})

test_that("a file named .keras that is not a zip is refused", {
  dir <- withr::local_tempdir()
  path <- file.path(dir, "x.keras")
  writeLines("just some text", path)
  expect_refused(load_model_config(path), "kerasconfig_error_archive", "not a zip archive")
  expect_refused(read_keras_metadata(path), "kerasconfig_error_archive", "not a zip archive")
  file.create(file.path(dir, "empty.keras"))
  expect_refused(load_model_config(file.path(dir, "empty.keras")), "kerasconfig_error_archive", "not a zip archive")
})

test_that("truncated archives are refused", {
  dir <- withr::local_tempdir()
  text <- scale_config_text()
  bytes <- kerasconfig:::rs_archive_write(c("metadata.json", "config.json"), list(charToRaw("{}"), charToRaw(text)))
  for (keep in c(length(bytes) - 1L, length(bytes) - 30L, length(bytes) %/% 2L, 10L)) {
    path <- zip_write(dir, bytes[seq_len(keep)], file = sprintf("cut%d.keras", keep))
    expect_refused(load_model_config(path, custom_objects = list(layer_scale)), "kerasconfig_error_archive", "truncated")
  }
  # The uncut archive loads.
  path <- zip_write(dir, bytes, file = "whole.keras")
  expect_identical(load_model_config(path, custom_objects = list(layer_scale))$factor, 2)
})

test_that("zip bombs are stopped while inflating", {
  dir <- withr::local_tempdir()
  # 20 MB of zeros deflate to about 20 KB; the entry claims 1 KB.
  bomb <- zip_entry("config.json", raw(2e7), method = 8L, usize = 1024, crc = 0)
  expect_lt(length(bomb$data), 1e5)
  path <- zip_write(dir, zip_archive(list(zip_entry("metadata.json", "{}"), bomb)))
  expect_refused(load_model_config(path), "kerasconfig_error_archive",
                 "entry 'config.json' inflates to more than the 1024 bytes it declares")

  # An entry that declares its size truthfully is held to the limit (small here, 256 MiB when loading).
  honest <- zip_archive(list(zip_entry("config.json", raw(2e7), method = 8L, crc = 0)))
  res <- kerasconfig:::rs_archive_read(honest, "config.json", 1e6)
  expect_s3_class(res, "kc_rust_error")
  expect_identical(res$class, "kerasconfig_error_archive")
  expect_identical(res$message, "entry 'config.json' inflates to more than 1000000 bytes (it declares 20000000)")
  # Entries that are not read may be as big as they like.
  ok <- kerasconfig:::rs_archive_read(honest, "metadata.json", 1e6)
  expect_identical(ok$members, "config.json")
  expect_null(ok[["config.json"]])
  # The limit covers the members read together.
  two <- zip_archive(list(zip_entry("config.json", strrep(" ", 600)), zip_entry("metadata.json", strrep(" ", 600))))
  res <- kerasconfig:::rs_archive_read(two, c("config.json", "metadata.json"), 1000)
  expect_match(res$message, "together inflate to more than 1000 bytes")
  expect_length(kerasconfig:::rs_archive_read(two, c("config.json", "metadata.json"), 1200), 3L)
})

test_that("entries with paths outside the archive's tree are refused", {
  dir <- withr::local_tempdir()
  text <- scale_config_text()
  cases <- c("../config.json" = "'..' component", "/etc/passwd" = "absolute", "a\\b" = "backslash",
             "assets/../../evil" = "'..' component", "C:/evil" = "drive letter")
  for (i in seq_along(cases)) {
    name <- names(cases)[[i]]
    path <- zip_write(dir, zip_archive(list(zip_entry("config.json", text), zip_entry(name, "x"))),
                      file = sprintf("evil%d.keras", i))
    err <- expect_refused(load_model_config(path, custom_objects = list(layer_scale)), "kerasconfig_error_archive",
                          "has a path that does not belong in a .keras archive", dirs = dir)
    expect_match(conditionMessage(err), cases[[i]], fixed = TRUE)
    expect_refused(read_keras_metadata(path), "kerasconfig_error_archive", dirs = dir)
    # Nothing was extracted next to the archive or above it.
    expect_false(file.exists(file.path(dir, "..", "config.json")))
  }
  # The package's writer refuses such names too.
  res <- kerasconfig:::rs_archive_write("../x", list(charToRaw("x")))
  expect_s3_class(res, "kc_rust_error")
})

test_that("duplicate entries, unsupported methods, encryption and bad CRCs are refused", {
  dir <- withr::local_tempdir()
  text <- scale_config_text()
  check <- function(entries, regexp, file) {
    path <- zip_write(dir, zip_archive(entries), file = file)
    expect_refused(load_model_config(path, custom_objects = list(layer_scale)), "kerasconfig_error_archive",
                   regexp, dirs = dir)
  }
  check(list(zip_entry("config.json", text), zip_entry("config.json", "{}")),
        "more than one entry named 'config.json'", "dup.keras")
  check(list(zip_entry("config.json", text, method = 12L)),
        "entry 'config.json' uses an unsupported compression method 12", "bzip2.keras")
  check(list(zip_entry("config.json", text), zip_entry("model.weights.h5", "HDF", method = 14L)),
        "entry 'model.weights.h5' uses an unsupported compression method 14", "lzma.keras")
  check(list(zip_entry("config.json", text, flags = 1L)), "encrypted", "enc.keras")
  check(list(zip_entry("config.json", text, crc = 12345)), "CRC mismatch in entry 'config.json'", "crc.keras")
  check(list(zip_entry("config.json", text, method = 8L, crc = 12345)), "CRC mismatch", "crc8.keras")
  check(list(zip_entry("config.json", text, offset = 1e6)), "points outside", "offset.keras")
  check(list(zip_entry("config.json", text, local_name = "other.json!")), "disagrees", "local.keras")
  check(list(zip_entry("config.json", text, usize = 1e9)), "stored uncompressed but declares", "sizes.keras")
  check(list(zip_entry("config.json", text, method = 8L, data = as.raw(rep(0xff, 50)))), "corrupt", "deflate.keras")
  # Hand-built, well-formed archives load, stored or deflated.
  for (method in c(0L, 8L)) {
    path <- zip_write(dir, zip_archive(list(zip_entry("metadata.json", "{}"), zip_entry("config.json", text, method = method))),
                      file = sprintf("good%d.keras", method))
    expect_identical(load_model_config(path, custom_objects = list(layer_scale))$factor, 2)
  }
})

test_that("the archive reader validates its arguments", {
  res <- kerasconfig:::rs_archive_read("PK", "config.json", 1)
  expect_identical(res$class, "kerasconfig_error_archive")
  expect_match(res$message, "raw vector")
  good <- kerasconfig:::rs_archive_write("config.json", list(charToRaw("{}")))
  expect_match(kerasconfig:::rs_archive_read(good, 1, 1)$message, "character vector")
  expect_match(kerasconfig:::rs_archive_read(good, "config.json", -1)$message, "non-negative")
  expect_match(kerasconfig:::rs_archive_read(good, "config.json", NaN)$message, "non-negative")
  res <- kerasconfig:::rs_archive_read(good, c(NA, "config.json"), 10)
  expect_identical(names(res), c("members", "config.json"))
  expect_match(kerasconfig:::rs_archive_write(c("a", "a"), list(raw(), raw()))$message, "more than one entry")
  expect_match(kerasconfig:::rs_archive_write("a", list(1))$message, "raw vector")
  expect_match(kerasconfig:::rs_archive_write(c("a", "b"), list(raw()))$message, "same length")
})
