# Model config files: `.keras` archives (read by the strict zip reader in src/rust/core/src/archive,
# entirely in memory), `config.json` files and directories holding one. Weights are never read.

# The most config.json or metadata.json may hold, inflated from an archive or as a file, unless
# option `kerasconfig.max_config_size` says otherwise. The largest real Keras configs hold a few
# MB (MobileNetV2's, 160 kB); reading costs time and memory beyond the size (R keeps every
# distinct string: 32 MB of short distinct strings take 11 s and 0.8 GB), so a compressed archive
# must not inflate to much more than real configs need.
kc_default_config_limit <- 16 * 2^20 # 16 MiB
# Files are read whole into memory; bigger ones are refused before reading.
kc_file_limit <- 2147483647 # 2 GiB - 1
# The Keras version written to metadata.json: the Keras whose behaviour this package follows.
kc_keras_version <- "3.15.1"

#' Load a model from its Keras config file
#'
#' Reads the config of a model saved by Python Keras 3 (`model.save()`) or by
#' [save_model_config()], and rebuilds the model with
#' [deserialize_keras_object()]. **Weights are not loaded**: `model.weights.h5`
#' is never read, so the model has freshly initialized (or no) weights.
#'
#' `filepath` may be:
#' * a `.keras` archive (a zip file, recognized by its first bytes or by the
#'   `.keras` extension): its `config.json` is read, along with
#'   `metadata.json` when present, without extracting anything to disk. The
#'   archive is checked strictly first: zip64, encrypted or multi-disk
#'   archives, compression other than stored or deflate, entries that overlap
#'   or point outside the file, duplicate names, names that are absolute or
#'   contain `..`, backslashes or control characters, and bad CRCs are all
#'   refused, and `config.json` and `metadata.json` may not inflate past the
#'   size limit below (nor past the size they declare), which stops zip bombs.
#' * a `config.json` file: JSON text, such as [save_model_config()] writes.
#' * a directory holding a `config.json` file.
#' * a legacy tf.keras `.h5` model file (recognized by its HDF5 signature):
#'   its `model_config`, and its `training_config` as the compile config.
#'
#' Models written by tf.keras 2.x (`model.to_json()` text, `.h5` files, its
#' `.keras` files) are read with Keras 3.15.1's legacy rules
#' (`batch_input_shape` becomes `batch_shape`, configs without `module`, Keras
#' 2 nodes, the Keras 2 arguments Keras 3 accepts), and tf.keras keys Keras
#' 3.15.1 fails on are read where they have an obvious Keras 3 meaning
#' (`time_major = FALSE`, `groups = 1`, `axis = [3]`, optimizers'
#' `jit_compile`); others are refused with a `kerasconfig_error_legacy`. The
#' model is then as Keras 3.15.1 leaves it once built.
#'
#' `config.json` and `metadata.json` may hold at most 16 MiB, whether in an
#' archive or as files; the largest configs Keras writes hold a few MB. Set
#' the option `kerasconfig.max_config_size` (in bytes) to read bigger ones,
#' e.g. `options(kerasconfig.max_config_size = 64 * 2^20)`. Archives larger
#' than 2 GiB are refused before being read, and so is anything that is not
#' a regular file or a directory (a FIFO, a device), which could block.
#'
#' @param filepath Path of a `.keras` archive, of a `config.json` file, or of
#'   a directory holding one.
#' @param custom_objects Passed to [deserialize_keras_object()]: the custom
#'   classes and functions the config refers to.
#' @param compile `FALSE` skips the model's compile config (it is not read, so
#'   one that cannot be read is no error): the model is uncompiled, as with
#'   Keras' `compile = False`. Errors inside a compile config name their path
#'   (`config$compile_config$optimizer`).
#' @return The model (or whichever Keras object the config describes).
#' @section Errors:
#' All conditions have class `kerasconfig_error` and a subclass:
#' `kerasconfig_error_file` when the file or directory does not exist, cannot
#' be read, is not a regular file, or is too large; `kerasconfig_error_archive` when an archive is
#' refused (not a zip archive, corrupt, hostile, or without `config.json`),
#' with a message saying what is wrong; `kerasconfig_json_error` (from
#' [config_from_json()], with its `line` and `column`) when `config.json` is
#' not valid JSON. Each has a `file` field holding `filepath`. Deserialization
#' errors are those of [deserialize_keras_object()].
#' @seealso [save_model_config()], [read_keras_metadata()]
#' @export
#' @examples
#' layer_scale <- Layer("Scale",
#'   initialize = function(factor = 1, ...) {
#'     super$initialize(...)
#'     self$factor <- factor
#'   },
#'   get_config = function() {
#'     config <- super$get_config()
#'     config$factor <- self$factor
#'     config
#'   }
#' )
#' path <- tempfile(fileext = ".keras")
#' save_model_config(layer_scale(factor = 2, name = "twice"), path)
#'
#' loaded <- load_model_config(path, custom_objects = list(layer_scale))
#' loaded$factor
#' read_keras_metadata(path)$keras_version
#'
#' # A config.json file works too.
#' json <- tempfile(fileext = ".json")
#' save_model_config(loaded, json)
#' load_model_config(json, custom_objects = list(layer_scale))$name
#' unlink(c(path, json))
load_model_config <- function(filepath, custom_objects = NULL, compile = TRUE) {
  kc_check_compile(compile)
  kc_check_filepath(filepath)
  if (file.exists(path.expand(filepath)) && !dir.exists(path.expand(filepath)) && kc_is_hdf5_file(path.expand(filepath))) {
    return(kc_load_h5_model(filepath, custom_objects, compile, safe_mode = TRUE, weights = FALSE))
  }
  # metadata.json only tells a tf.keras file by its keras_version: a bad one must not stop the
  # model from loading (kc_metadata_version() ignores what it cannot read).
  source <- tryCatch(kc_model_source(filepath, c("config.json", "metadata.json")),
                     kerasconfig_error_archive = function(e) kc_model_source(filepath, "config.json"))
  if (is.null(source$config)) {
    kc_abort(sprintf("Cannot load '%s': the archive has no config.json (it holds: %s).",
                     filepath, kc_member_list(source$members)),
             "kerasconfig_error_archive", file = filepath)
  }
  config <- kc_parse_file_json(source$config, source$config_label, filepath)
  kc_model_from_config(config, custom_objects, compile, kc_metadata_version(source))
}

#' Read the metadata of a `.keras` archive
#'
#' Returns the parsed `metadata.json` of a `.keras` archive (or of a directory
#' holding one): what Keras records when saving, `keras_version` and
#' `date_saved` (`"YYYY-MM-DD@HH:MM:SS"`, local time). Nothing else of the
#' archive is extracted; it is checked as [load_model_config()] checks it.
#'
#' @param filepath Path of a `.keras` archive, or of a directory holding a
#'   `metadata.json` file.
#' @return A named list, such as `list(keras_version = "3.15.1", date_saved =
#'   "2026-11-28@21:51:34")`.
#' @section Errors:
#' `kerasconfig_error_archive` when the archive is refused, has no
#' `metadata.json`, or its metadata is not a JSON object;
#' `kerasconfig_error_file` when the file does not exist, is not an archive,
#' or the directory has no `metadata.json`; `kerasconfig_json_error` when
#' `metadata.json` is not valid JSON.
#' @seealso [load_model_config()], [save_model_config()]
#' @export
#' @examples
#' layer_plain <- Layer("Plain")
#' path <- tempfile(fileext = ".keras")
#' save_model_config(layer_plain(name = "p"), path)
#' str(read_keras_metadata(path))
#' unlink(path)
read_keras_metadata <- function(filepath) {
  source <- kc_model_source(filepath, "metadata.json")
  if (source$kind == "json") {
    kc_abort(sprintf("Cannot read metadata from '%s': it is not a .keras archive (only archives hold metadata.json).",
                     filepath), "kerasconfig_error_file", file = filepath)
  }
  if (is.null(source$metadata)) {
    if (source$kind == "directory") {
      kc_abort(sprintf("Directory '%s' has no metadata.json.", filepath), "kerasconfig_error_file", file = filepath)
    }
    kc_abort(sprintf("Cannot read '%s': the archive has no metadata.json (it holds: %s).",
                     filepath, kc_member_list(source$members)),
             "kerasconfig_error_archive", file = filepath)
  }
  metadata <- kc_parse_file_json(source$metadata, source$metadata_label, filepath)
  if (!is.list(metadata) || (length(metadata) && is.null(names(metadata)))) {
    kc_abort(sprintf("Cannot read '%s': its metadata.json is not a JSON object.", filepath),
             "kerasconfig_error_archive", file = filepath)
  }
  metadata
}

#' Save a model's Keras config
#'
#' Serializes `model` as Keras saves a model: [serialize_keras_object()] inside
#' a shared-object scope (so objects used at several places are written once
#' and referenced by `shared_object_id`), written as JSON text exactly as
#' Python's `json.dumps()` writes it.
#'
#' With a `filepath` ending in `.keras`, the file is a zip archive laid out as
#' Keras writes one (members stored uncompressed, dated 1980-01-01):
#' `metadata.json` (`{"keras_version": "3.15.1", "date_saved":
#' "YYYY-MM-DD@HH:MM:SS"}`) and `config.json`. **It holds no weights**
#' (`model.weights.h5`): this package never reads or writes weights.
#' [load_model_config()] reads it back. Python Keras'
#' `keras.saving.load_model()` expects a weights file in every archive and
#' refuses one without ("Expected a model.weights.h5 or model.weights.npz
#' file."); in Python, read the config instead, e.g.
#' `keras.models.model_from_json(zipfile.ZipFile(path).read("config.json"))`,
#' or save to a `config.json` file.
#' Any other `filepath` gets the JSON text alone, as is: no trailing newline.
#'
#' @param model The model: a Keras object (an instance of a Keras class).
#' @param filepath `NULL` to return the JSON text, or the path of the file to
#'   write: a `.keras` archive, or any other name for the JSON text.
#' @param overwrite Replace an existing file?
#' @return The JSON text when `filepath` is `NULL`; otherwise `filepath`,
#'   invisibly.
#' @section Errors:
#' An existing file is not replaced unless `overwrite = TRUE`: "File '...'
#' already exists (pass overwrite = TRUE to force save).", class
#' `kerasconfig_error_file`, as are failures to write. Serialization errors
#' are those of [serialize_keras_object()] and [config_to_json()].
#' @seealso [load_model_config()], [read_keras_metadata()]
#' @export
#' @examples
#' layer_plain <- Layer("Plain")
#' layer <- layer_plain(name = "p")
#' cat(save_model_config(layer))
#'
#' path <- tempfile(fileext = ".keras")
#' save_model_config(layer, path)
#' try(save_model_config(layer, path))
#' save_model_config(layer, path, overwrite = TRUE)
#' unlink(path)
save_model_config <- function(model, filepath = NULL, overwrite = FALSE) {
  if (!isTRUE(overwrite) && !isFALSE(overwrite)) {
    kc_abort("`overwrite` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  if (!is.null(filepath)) {
    kc_check_filepath(filepath)
    if (dir.exists(filepath)) {
      kc_abort(sprintf("Cannot save to '%s': it is a directory.", filepath), "kerasconfig_error_file", file = filepath)
    }
    if (file.exists(filepath) && !overwrite) {
      kc_abort(sprintf("File '%s' already exists (pass overwrite = TRUE to force save).", filepath),
               "kerasconfig_error_file", file = filepath)
    }
    parent <- dirname(path.expand(filepath))
    if (!dir.exists(parent)) {
      kc_abort(sprintf("Cannot save to '%s': directory '%s' does not exist.", filepath, parent),
               "kerasconfig_error_file", file = filepath)
    }
  }
  if (!kc_is_instance(model)) {
    kc_abort(sprintf("`model` must be a Keras object (a model, or an instance of another Keras class), not %s.",
                     kc_describe(model)), "kerasconfig_error_type")
  }
  text <- kc_with_object_sharing(config_to_json(model))
  if (is.null(filepath)) {
    return(text)
  }
  bytes <- charToRaw(text)
  if (kc_is_keras_path(filepath)) {
    metadata <- config_to_json(list(keras_version = kc_keras_version,
                                    date_saved = format(Sys.time(), "%Y-%m-%d@%H:%M:%S")))
    bytes <- kc_check(rs_archive_write(c("metadata.json", "config.json"), list(charToRaw(metadata), bytes)))
  }
  kc_write_file(bytes, filepath)
  invisible(filepath)
}

# ---- helpers ----------------------------------------------------------------------------------

kc_check_filepath <- function(filepath) {
  if (!kc_is_string(filepath) || !nzchar(filepath)) {
    kc_abort("`filepath` must be a file path (a single string).", "kerasconfig_error_type")
  }
}

kc_is_keras_path <- function(filepath) endsWith(filepath, ".keras")

kc_member_list <- function(members) {
  if (!length(members)) return("no entries at all")
  shown <- members[seq_len(min(length(members), 20L))]
  out <- paste(encodeString(shown, quote = "'"), collapse = ", ")
  if (length(members) > 20L) out <- paste0(out, sprintf(", and %d more", length(members) - 20L))
  out
}

# The bytes of a file, refusing files too big to read whole, and anything but a regular file
# (opening a FIFO blocks).
kc_read_file <- function(path, filepath, limit = kc_file_limit) {
  kc_check_regular(path, filepath)
  size <- file.size(path)
  if (is.na(size) || file.access(path, 4L) != 0L) {
    kc_abort(sprintf("Cannot read '%s'.", path), "kerasconfig_error_file", file = filepath)
  }
  if (size > limit) {
    kc_abort(sprintf("Cannot read '%s': it holds %.0f bytes, more than the %s this package reads%s.", path, size,
                     kc_format_bytes(limit), if (limit < kc_file_limit) " (option kerasconfig.max_config_size)" else ""),
             "kerasconfig_error_file", file = filepath)
  }
  readBin(path, "raw", max(size, 1))
}

kc_check_regular <- function(path, filepath) {
  kind <- rs_file_kind(enc2native(path))
  if (kind == "other") {
    kc_abort(sprintf("Cannot read '%s': it is not a regular file (a FIFO, socket or device).", path),
             "kerasconfig_error_file", file = filepath)
  }
}

kc_format_bytes <- function(n) {
  if (n >= 2^30 && n %% 2^30 == 0) sprintf("%.0f GiB", n / 2^30)
  else if (n >= 2^20 && n %% 2^20 == 0) sprintf("%.0f MiB", n / 2^20)
  else if (n >= 2^31 - 1 && n < 2^31) "2 GiB"
  else sprintf("%.0f bytes", n)
}

# The size limit of config.json and metadata.json (see load_model_config()).
kc_config_limit <- function() {
  limit <- getOption("kerasconfig.max_config_size", kc_default_config_limit)
  if (!is.numeric(limit) || length(limit) != 1L || is.na(limit) || limit < 0) {
    kc_abort("Option `kerasconfig.max_config_size` must be a number of bytes.", "kerasconfig_error_type")
  }
  limit
}

kc_is_zip <- function(path) {
  head <- readBin(path, "raw", 4L)
  length(head) == 4L && head[[1]] == as.raw(0x50) && head[[2]] == as.raw(0x4b) &&
    ((head[[3]] == as.raw(3) && head[[4]] == as.raw(4)) || (head[[3]] == as.raw(5) && head[[4]] == as.raw(6)))
}

# Where a model's config (and metadata) come from. Returns `kind` ("archive", "json" or
# "directory"), the raw bytes of `config` and `metadata` (NULL when absent or not wanted), the
# archive's `members`, and labels naming each file in messages.
kc_model_source <- function(filepath, wanted) {
  kc_check_filepath(filepath)
  path <- path.expand(filepath)
  if (dir.exists(path)) {
    files <- file.path(path, c("config.json", "metadata.json"))
    present <- file.exists(files) & !dir.exists(files) & c("config.json", "metadata.json") %in% wanted
    if ("config.json" %in% wanted && !present[[1]]) {
      kc_abort(sprintf("Directory '%s' has no config.json.", filepath), "kerasconfig_error_file", file = filepath)
    }
    return(list(
      kind = "directory",
      config = if (present[[1]]) kc_read_file(files[[1]], filepath, kc_config_limit()),
      metadata = if (present[[2]]) kc_read_file(files[[2]], filepath, kc_config_limit()),
      config_label = sprintf("'%s'", file.path(filepath, "config.json")),
      metadata_label = sprintf("'%s'", file.path(filepath, "metadata.json"))
    ))
  }
  if (!file.exists(path)) {
    kc_abort(sprintf(paste("File not found: filepath=%s. Please ensure the file is an accessible `.keras` zip",
                           "file, a config.json file or a directory holding one."), filepath),
             "kerasconfig_error_file", file = filepath)
  }
  if (file.access(path, 4L) != 0L) {
    kc_abort(sprintf("Cannot read '%s'.", filepath), "kerasconfig_error_file", file = filepath)
  }
  kc_check_regular(path, filepath)
  zip <- kc_is_zip(path)
  if (!zip && !kc_is_keras_path(filepath)) {
    return(list(kind = "json", config = if ("config.json" %in% wanted) kc_read_file(path, filepath, kc_config_limit()),
                config_label = sprintf("'%s'", filepath)))
  }
  if (!zip) {
    # Named .keras but not a zip: say so without reading the whole file.
    kc_abort(sprintf("Cannot read '%s': not a zip archive, so not a .keras file.", filepath),
             "kerasconfig_error_archive", file = filepath)
  }
  # Weights are as large as the model: bounded like files (their inflation stops at the size
  # they declare), not by the config limit.
  result <- rs_archive_read(kc_read_file(path, filepath), wanted, kc_config_limit(),
                            c(model.weights.h5 = kc_file_limit, model.weights.npz = kc_file_limit))
  if (inherits(result, "kc_rust_error")) {
    result$message <- sprintf("Cannot read '%s': %s.", filepath, result$message)
    kc_check(result, file = filepath)
  }
  list(
    kind = "archive",
    members = result$members,
    config = result[["config.json", exact = TRUE]],
    metadata = result[["metadata.json", exact = TRUE]],
    weights = result[["model.weights.h5", exact = TRUE]],
    npz = result[["model.weights.npz", exact = TRUE]],
    config_label = sprintf("config.json in '%s'", filepath),
    metadata_label = sprintf("metadata.json in '%s'", filepath)
  )
}

# Parses JSON bytes with the config codec, naming the file in its error messages.
kc_parse_file_json <- function(bytes, label, filepath) {
  tryCatch(config_from_json(bytes), kerasconfig_json_error = function(e) {
    e$message <- sprintf("%s (in %s).", sub("[.]$", "", conditionMessage(e)), label)
    e$file <- filepath
    stop(e)
  })
}

kc_write_file <- function(bytes, filepath) {
  problem <- NULL
  tryCatch(
    withCallingHandlers(writeBin(bytes, filepath), warning = function(w) {
      problem <<- conditionMessage(w)
      invokeRestart("muffleWarning")
    }),
    error = function(e) {
      kc_abort(sprintf("Cannot write '%s': %s", filepath, problem %||% conditionMessage(e)),
               "kerasconfig_error_file", file = filepath)
    }
  )
  invisible(filepath)
}
