# Throughput of the fast path (src/rust/src/fast): JSON text -> R objects
# (`deserialize_keras_object(config_from_json(text))`) and R objects -> JSON text
# (`config_to_json(serialize_keras_object(obj))`), with the fast path and, side by side in the same
# process, with the R path alone (the fast functions replaced by stubs that always fall back).
# Run from the package root after installing:
#   R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/fast-path.R
#
# Inputs:
# - layers: the layer configs of keras.applications' MobileNetV2 (app_MobileNetV2.json), each as
#   Keras writes a layer on its own (the Functional model's `name` and `inbound_nodes` dropped),
#   repeated to about 2 MB in one JSON array: ~150 layers and ~700 built-in objects per copy.
# - models: every reference model config except custom_layers_model.json, each its own text; whole
#   models also run R's model code (graph validation, Functional layer entries, symbolic tensors).
# Throughput is JSON bytes per second, the same bytes both ways: every round trip is checked to
# give back the text it started from.

suppressPackageStartupMessages({
  library(kerasconfig)
  library(bench)
})

reference <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
if (!dir.exists(reference)) stop("Set KERASCONFIG_REFERENCE to the Keras reference corpus.")
read_text <- function(path) rawToChar(readBin(path, "raw", file.size(path)))

mobilenet <- config_from_json(read_text(file.path(reference, "models", "app_MobileNetV2.json")))
layers <- lapply(mobilenet$config$layers, function(l) l[setdiff(names(l), c("name", "inbound_nodes"))])
copies <- ceiling(2e6 / nchar(config_to_json(layers), "bytes"))
model_files <- list.files(file.path(reference, "models"), "\\.json$", full.names = TRUE)
model_files <- model_files[basename(model_files) != "custom_layers_model.json"]
inputs <- list(
  layers = config_to_json(rep(layers, copies)),
  models = vapply(model_files, read_text, "", USE.NAMES = FALSE)
)
megabytes <- vapply(inputs, function(texts) sum(nchar(texts, "bytes")) / 1e6, 0)

# Functions, not loops: bench::mark() would compile a loop written in it at every iteration.
to_objects <- function(texts) lapply(texts, function(t) deserialize_keras_object(config_from_json(t)))
to_text <- function(objects) vapply(objects, function(o) config_to_json(serialize_keras_object(o)), "")

ns <- asNamespace("kerasconfig")
fast_functions <- list(rs_fast_deserialize = ns$rs_fast_deserialize, rs_fast_serialize = ns$rs_fast_serialize)
use_fast_path <- function(on) {
  stub <- function(...) structure(list(), class = "kc_fallback")
  for (name in names(fast_functions)) {
    utils::assignInNamespace(name, if (on) fast_functions[[name]] else stub, "kerasconfig")
  }
}
on.exit(use_fast_path(TRUE), add = TRUE)

seconds <- function(expr_fun, min_time) {
  res <- bench::mark(expr_fun(), min_time = min_time, min_iterations = 3, check = FALSE, filter_gc = FALSE)
  as.numeric(res$median)
}

rows <- list()
for (path in c("fast", "R")) {
  use_fast_path(path == "fast")
  for (input in names(inputs)) {
    texts <- inputs[[input]]
    objects <- to_objects(texts)
    stopifnot(identical(to_text(objects), texts))
    min_time <- if (path == "fast") 3 else 1
    t_read <- seconds(function() to_objects(texts), min_time)
    t_write <- seconds(function() to_text(objects), min_time)
    rows[[length(rows) + 1L]] <- data.frame(
      input = sprintf("%s (%.2f MB)", input, megabytes[[input]]), path = path,
      `text -> objects MB/s` = megabytes[[input]] / t_read,
      `objects -> text MB/s` = megabytes[[input]] / t_write, check.names = FALSE)
    cat(sprintf("%-6s %-20s text -> objects %7.2f MB/s   objects -> text %7.2f MB/s\n", path,
                rows[[length(rows)]]$input, megabytes[[input]] / t_read, megabytes[[input]] / t_write))
  }
}
use_fast_path(TRUE)

results <- do.call(rbind, rows)
results <- results[order(results$input, results$path), ]
cat(sprintf("\n%d copies of MobileNetV2's %d layers; R %s, %s\n", copies, length(layers),
            getRversion(), format(Sys.time(), "%Y-%m-%d")))
print(results, row.names = FALSE, digits = 3)
