# Whole-model benchmarks (issue: models): JSON text -> model object -> JSON text, its growth
# with config size, and registry lookups as the registry grows. Run after `make install`:
#   R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/models.R
# Writes bench/MODELS.md. Ratios matter, not absolute times: these machines are noisy. With
# KERASCONFIG_PYTHON=/path/to/venv/bin/python, Python Keras is timed in the same run.
suppressPackageStartupMessages({
  library(kerasconfig)
  library(bench)
})

ref <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
models_dir <- file.path(ref, "models")
if (!dir.exists(models_dir)) stop("Set KERASCONFIG_REFERENCE to the Keras reference data.")
read_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)

# The custom objects custom_layers_model.json names, as the tests register them.
local_empty_registry <- function(envir = parent.frame()) invisible(NULL)
source("tests/testthat/helper-custom-objects.R")
register_reference_custom_objects()

texts <- lapply(list.files(models_dir, pattern = "\\.json$", full.names = TRUE), read_text)
mb <- function(x) sum(nchar(unlist(x), type = "bytes")) / 1e6

# A Functional config with the MobileNetV2 layers repeated `copies` times, renamed: each copy
# is a separate input-to-output branch of one multi-input, multi-output model.
mobilenet <- config_from_json(read_text(file.path(models_dir, "app_MobileNetV2.json")))
replicate_model <- function(copies) {
  cfg <- mobilenet
  layers <- cfg$config$layers
  out <- list()
  inputs <- list()
  outputs <- list()
  for (k in seq_len(copies)) {
    suffix <- if (k == 1L) "" else paste0("_copy", k)
    rename <- function(x) {
      if (is.list(x)) {
        if (!is.null(x$keras_history)) x$keras_history[[1]] <- paste0(x$keras_history[[1]], suffix)
        x[] <- lapply(x, rename)
      }
      x
    }
    for (l in layers) {
      l$name <- paste0(l$name, suffix)
      l$config$name <- l$name
      l$inbound_nodes <- rename(l$inbound_nodes)
      out[[length(out) + 1L]] <- l
    }
    inputs[[k]] <- list(paste0(cfg$config$input_layers[[1]], suffix), 0L, 0L)
    outputs[[k]] <- list(paste0(cfg$config$output_layers[[1]], suffix), 0L, 0L)
  }
  cfg$config$layers <- out
  if (copies > 1L) {
    cfg$config$input_layers <- inputs
    cfg$config$output_layers <- outputs
  }
  config_to_json(cfg)
}

pipeline <- function(txt) config_to_json(serialize_keras_object(deserialize_keras_object(config_from_json(txt))))

load_before <- readLines("/proc/loadavg")
rows <- list()
# bench::mark leaves out iterations that ran the garbage collector unless all did; `gcs` says how
# many did (a collection traverses every R object alive, so it costs more as the heap grows).
add <- function(input, task, size_mb, result) {
  t <- as.numeric(result$median)
  gc <- result$gc[[1]]
  rows[[length(rows) + 1L]] <<- data.frame(input = input, task = task, mb = size_mb, median_s = t, mb_s = size_mb / t,
                                           best_mb_s = size_mb / as.numeric(result$min),
                                           gcs = sprintf("%d/%d", sum(gc$level0 + gc$level1 + gc$level2 > 0), nrow(gc)))
}

# 1. The reference models, each direction separately and the whole pipeline.
objects <- lapply(texts, function(t) deserialize_keras_object(config_from_json(t)))
size <- mb(texts)
add("reference models", "JSON -> objects", size, mark(lapply(texts, function(t) deserialize_keras_object(config_from_json(t))), iterations = 20, check = FALSE))
add("reference models", "objects -> JSON", size, mark(lapply(objects, function(o) config_to_json(serialize_keras_object(o))), iterations = 20, check = FALSE))
add("reference models", "JSON -> JSON", size, mark(lapply(texts, pipeline), iterations = 20, check = FALSE))

# The same without the custom-layers model, which Python needs its own classes for: the inputs
# bench/python-keras.py times Python Keras on.
plain <- texts[!grepl("custom_layers_model", list.files(models_dir, pattern = "\\.json$"))]
plain_objects <- lapply(plain, function(t) deserialize_keras_object(config_from_json(t)))
add("reference models (7, no custom)", "JSON -> objects", mb(plain),
    mark(lapply(plain, function(t) deserialize_keras_object(config_from_json(t))), iterations = 20, check = FALSE))
add("reference models (7, no custom)", "objects -> JSON", mb(plain),
    mark(lapply(plain_objects, function(o) config_to_json(serialize_keras_object(o))), iterations = 20, check = FALSE))

# 2. The keras.applications corpus (tools/gen-app-corpus.py): 40 networks, 16 MB, read as
# separate texts, the proxy for the issue's 64-model corpus. "objects -> JSON (saving scope)" is
# what save_model() and save_model_config() do: serializing inside an object-sharing scope.
apps_files <- list.files("tests/testthat/fixtures/apps", pattern = "\\.json\\.gz$", full.names = TRUE)
read_gz <- function(path) {
  con <- gzfile(path, "rb")
  on.exit(close(con))
  rawToChar(readBin(con, "raw", 5e7))
}
apps <- lapply(apps_files, read_gz)
apps_label <- sprintf("keras.applications corpus (%d)", length(apps))
# Reading first, with no other models alive; then the 40 models the writing rows write.
rm(objects, plain_objects)
invisible(gc())
add(apps_label, "JSON -> objects", mb(apps),
    mark(lapply(apps, function(t) deserialize_keras_object(config_from_json(t))), iterations = 10, check = FALSE))
apps_objects <- lapply(apps, function(t) deserialize_keras_object(config_from_json(t)))
stopifnot(identical(lapply(apps_objects, function(o) config_to_json(serialize_keras_object(o))), apps))
invisible(gc())
add(apps_label, "objects -> JSON", mb(apps),
    mark(lapply(apps_objects, function(o) config_to_json(serialize_keras_object(o))), iterations = 10, check = FALSE))
# The same text in one call (config_to_json(model), as Python's model.to_json()): built-ins are
# serialized while the text is written, without the config as R lists in between.
stopifnot(identical(lapply(apps_objects, config_to_json), apps))
add(apps_label, "objects -> JSON (one call: config_to_json(model))", mb(apps),
    mark(lapply(apps_objects, config_to_json), iterations = 10, check = FALSE))
add(apps_label, "objects -> JSON (saving scope)", mb(apps),
    mark(lapply(apps_objects, save_model_config), iterations = 5, check = FALSE))
rm(apps_objects)
invisible(gc())

# 3. Growth with size: 1, 10 and 100 copies of MobileNetV2's layers (the largest ~16 MB).
for (copies in c(1L, 10L, 100L)) {
  txt <- replicate_model(copies)
  obj <- deserialize_keras_object(config_from_json(txt))
  stopifnot(identical(pipeline(txt), txt))
  it <- if (copies == 100L) 3 else 10
  label <- sprintf("MobileNetV2 x%d", copies)
  add(label, "JSON -> objects", mb(txt), mark(deserialize_keras_object(config_from_json(txt)), iterations = it, check = FALSE))
  add(label, "objects -> JSON", mb(txt), mark(config_to_json(serialize_keras_object(obj)), iterations = it, check = FALSE))
}
results <- do.call(rbind, rows)
load_after <- readLines("/proc/loadavg")

# 4. Registry lookups as the registry grows.
set_custom_objects(clear = TRUE)
lookups <- list()
registered <- 0L
for (n in c(10L, 10000L, 100000L)) {
  fns <- lapply(seq_len(n - registered), function(i) function(x) x)
  names(fns) <- sprintf("Bench>f%d", registered + seq_along(fns))
  set_custom_objects(fns, clear = FALSE)
  registered <- n
  key <- sprintf("Bench>f%d", n %/% 2L)
  m <- mark(get_registered_object(key), iterations = 2000, check = FALSE)
  lookups[[length(lookups) + 1L]] <- data.frame(registered = n, median_us = as.numeric(m$median) * 1e6)
}
lookups <- do.call(rbind, lookups)
set_custom_objects(clear = TRUE)

fmt <- function(x, d = 1) formatC(x, format = "f", digits = d)

# With KERASCONFIG_PYTHON naming a Python that has Keras 3.15.1, Python is timed now, in the same
# run; without it, the figures bench/python-keras.py recorded last are used.
py <- Sys.getenv("KERASCONFIG_PYTHON")
if (nzchar(py)) {
  status <- system2(py, c("bench/python-keras.py", shQuote(ref)), env = "KERAS_BACKEND=numpy")
  if (!identical(status, 0L)) stop("bench/python-keras.py failed")
}
# Python Keras on the same task, as bench/python-keras.py measured it (MobileNetV2 copies
# compare with one MobileNetV2 per MB); "-" where Python was not measured.
python <- jsonlite::fromJSON("bench/python-keras.json")$tasks
python_mb_s <- function(input, task) {
  input <- sub("^MobileNetV2 x[0-9]+$", "MobileNetV2 x1", input)
  # Python's json.dumps(serialize_keras_object(model)) is model.to_json(): the one call too.
  task <- sub(" \\(one call: .*\\)$", "", task)
  hit <- python$mb_per_s[python$input == input & python$task == task]
  if (length(hit)) hit[[1]] else NA_real_
}
results$python <- mapply(python_mb_s, results$input, results$task)
# KERASCONFIG_BENCH_SAVE=file keeps this run's figures; bench/models-before.csv, the figures of the
# package before a change (run with that version installed), gives the before/after columns.
save_to <- Sys.getenv("KERASCONFIG_BENCH_SAVE")
if (nzchar(save_to)) utils::write.csv(results, save_to, row.names = FALSE)
before_file <- "bench/models-before.csv"
before <- if (file.exists(before_file) && !identical(normalizePath(save_to, mustWork = FALSE), normalizePath(before_file))) {
  utils::read.csv(before_file, stringsAsFactors = FALSE)
}
results$before <- if (is.null(before)) NA_real_ else {
  before$best_mb_s[match(paste(results$input, results$task), paste(before$input, before$task))]
}
lines <- c(
  "# Whole-model benchmark results", "",
  sprintf("Written by `bench/models.R` on %s: %s, %d cores, kerasconfig %s. Medians of `bench::mark`.",
          format(Sys.time(), "%Y-%m-%d %H:%M"), R.version.string, parallel::detectCores(), packageVersion("kerasconfig")),
  sprintf(paste("The machine is shared: 1-minute load average %s before the R timings, %s after them;",
                "absolute times move from run to run, the ratios within a run less."),
          strsplit(load_before, " ")[[1]][[1]], strsplit(load_after, " ")[[1]][[1]]),
  "MB/s is JSON text bytes per second. Python Keras is the same task in Python Keras 3.15.1",
  "(`bench/python-keras.py`, its figures in `bench/python-keras.json`; run by hand, since the",
  "package never needs Python): `deserialize_keras_object(json.loads(text))` and",
  "`json.dumps(serialize_keras_object(model))` (inside `ObjectSharingScope()` for the saving scope, as",
  "`model.save()` does); Python times each corpus model on its own (holding all 40 built models",
  "would need gigabytes of weights) and sums the medians.",
  "\"Best\" is the fastest run (`min` of `bench::mark`): other work on the machine only ever slows",
  "a run down, so it is the steadier figure to compare versions by.",
  if (!is.null(before)) c("\"Before\" is the best figure of the same script on the package before the change",
                          "(`bench/models-before.csv`, measured just before this run on the same machine)."),
  "",
  "| input | task | MB | median | MB/s | best MB/s | runs with GC | before, best MB/s | after/before (best) | Python Keras MB/s | ratio |",
  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  sprintf("| %s | %s | %s | %s s | %s | %s | %s | %s | %s | %s | %s |", results$input, results$task, fmt(results$mb, 2),
          fmt(results$median_s, 4), fmt(results$mb_s), fmt(results$best_mb_s), results$gcs,
          ifelse(is.na(results$before), "-", fmt(results$before)),
          ifelse(is.na(results$before), "-", paste0(fmt(results$best_mb_s / results$before, 2), "x")),
          ifelse(is.na(results$python), "-", fmt(results$python, 2)),
          ifelse(is.na(results$python), "-", paste0(fmt(results$mb_s / results$python), "x"))), "",
  "Growth with size (JSON -> objects): time per MB stays flat when cost is linear.", "",
  "| copies | MB | s per MB |", "|---:|---:|---:|")
growth <- results[grepl("^MobileNetV2", results$input) & results$task == "JSON -> objects", ]
lines <- c(lines, sprintf("| %s | %s | %s |", sub("MobileNetV2 x", "", growth$input), fmt(growth$mb, 2),
                          fmt(growth$median_s / growth$mb, 4)), "",
           "Registry lookups (`get_registered_object()`, median):", "",
           "| registered objects | median µs |", "|---:|---:|",
           sprintf("| %d | %s |", lookups$registered, fmt(lookups$median_us, 2)))
writeLines(lines, "bench/MODELS.md")
cat(lines, sep = "\n")
