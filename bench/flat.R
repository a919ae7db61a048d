# Flat costs (issue 14): registry lookups of every kind as the registry grows, and the fixed cost
# of a call. Run from the package root after `make install`:
#   R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/flat.R [label]
# Prints the figures and writes bench/flat-<label>.csv (label "now" by default). Runs of one build
# (each row, for instance, from several runs of FLAT_SECTIONS=call and one of FLAT_SECTIONS=registry)
# become one labelled set, each figure the median of the runs that have it, with
#   Rscript bench/flat.R --median after after-call1 after-call2 after-call3 after-registry
# Two labelled sets (for instance the same script against an older build installed elsewhere) are
# compared with
#   Rscript bench/flat.R --compare before after         -> bench/FLAT.md
#
# Registry: each figure is set beside the same task at 10 registered objects, in the same process
# (ratio 1 is flat). Per call: each figure is set beside a yardstick measured in the same process,
# `jsonlite::fromJSON(text, simplifyVector = FALSE)` of the same text, so runs on a noisy machine
# (and of two builds, in two processes) compare as ratios.
args <- commandArgs(trailingOnly = TRUE)

if (length(args) && args[[1]] == "--median") {
  runs <- do.call(rbind, lapply(args[-(1:2)], function(l) read.csv(sprintf("bench/flat-%s.csv", l), stringsAsFactors = FALSE)))
  key <- paste(runs$section, runs$task, runs$n, sep = "\r")
  first <- runs[!duplicated(key), c("section", "task", "n")]
  first$median_s <- tapply(runs$median_s, key, median)[paste(first$section, first$task, first$n, sep = "\r")]
  first$ratio <- tapply(runs$ratio, key, median)[paste(first$section, first$task, first$n, sep = "\r")]
  write.csv(first, sprintf("bench/flat-%s.csv", args[[2]]), row.names = FALSE)
  quit(save = "no")
}

if (length(args) && args[[1]] == "--compare") {
  runs <- lapply(args[2:3], function(l) read.csv(sprintf("bench/flat-%s.csv", l), stringsAsFactors = FALSE))
  names(runs) <- args[2:3]
  fmt_t <- function(s) ifelse(s >= 1, sprintf("%.2f s", s), ifelse(s >= 1e-3, sprintf("%.2f ms", s * 1e3),
                                                                     sprintf("%.1f µs", s * 1e6)))
  a <- runs[[1]]
  b <- runs[[2]]
  reg <- merge(a[a$section == "registry", ], b[b$section == "registry", ], by = c("task", "n"), suffixes = c(".a", ".b"))
  reg <- reg[order(reg$task, reg$n), ]
  call <- merge(a[a$section == "call", ], b[b$section == "call", ], by = c("task", "n"), suffixes = c(".a", ".b"))
  lines <- c(
    "# Flat costs: registry lookups and the fixed cost of a call", "",
    sprintf("Written by `bench/flat.R --compare %s %s` on %s (%s, %d cores). Medians of `bench::mark`.",
            args[2], args[3], format(Sys.time(), "%Y-%m-%d %H:%M"), R.version.string, parallel::detectCores()), "",
    "## Registry lookups as the registry grows", "",
    "`vs 10` is the median at that size over the median at 10 registered objects, in the same process.", "",
    sprintf("| task | registered | %s | %s vs 10 | %s | %s vs 10 |", args[2], args[2], args[3], args[3]),
    "|---|---:|---:|---:|---:|---:|",
    sprintf("| %s | %s | %s | %.2fx | %s | %.2fx |", reg$task, format(reg$n, big.mark = " "), fmt_t(reg$median_s.a),
            reg$ratio.a, fmt_t(reg$median_s.b), reg$ratio.b), "",
    "## Fixed cost of a call", "",
    paste("`vs jsonlite` is the median over that of `jsonlite::fromJSON(text, simplifyVector = FALSE)` of the",
          "same JSON text in the same process; `speed-up` compares those ratios between the two runs."), "",
    sprintf("| task | bytes | %s | %s vs jsonlite | %s | %s vs jsonlite | speed-up |", args[2], args[2], args[3], args[3]),
    "|---|---:|---:|---:|---:|---:|---:|",
    sprintf("| %s | %d | %s | %.2fx | %s | %.2fx | %.1fx |", call$task, call$n, fmt_t(call$median_s.a), call$ratio.a,
            fmt_t(call$median_s.b), call$ratio.b, call$ratio.a / call$ratio.b))
  writeLines(lines, "bench/FLAT.md")
  cat(lines, sep = "\n")
  quit(save = "no")
}

label <- if (length(args)) args[[1]] else "now"
suppressPackageStartupMessages({
  library(kerasconfig)
  library(bench)
})
ref <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
if (!dir.exists(file.path(ref, "models"))) stop("Set KERASCONFIG_REFERENCE to the Keras reference data.")

# One median. A task slower than a second (the quadratic lookups this benchmark was written to
# catch) is timed once rather than a hundred times.
median_s <- function(f, iterations = 200) {
  once <- system.time(f())[["elapsed"]]
  if (once > 1) return(once)
  as.numeric(mark(f(), iterations = if (once > 0.05) 5 else iterations, check = FALSE, filter_gc = FALSE)$median)
}

rows <- list()
add <- function(section, task, n, t, ratio) {
  rows[[length(rows) + 1L]] <<- data.frame(section = section, task = task, n = n, median_s = t, ratio = ratio)
  cat(sprintf("%-9s %-48s %8d  %12.1f µs  %8.2fx\n", section, task, n, t * 1e6, ratio))
}

# FLAT_SECTIONS=call runs the per-call section alone (a quick look while working). The per-call
# section runs first: the registry section leaves 100 000 objects behind, and a larger heap makes
# R's garbage collector, and so the allocating R paths, slower.
sections <- strsplit(Sys.getenv("FLAT_SECTIONS", "registry,call"), ",")[[1]]

# ---- fixed cost of a call ----------------------------------------------------------------------
if ("call" %in% sections) {
read_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)
yardstick <- function(text) median_s(function() jsonlite::fromJSON(text, simplifyVector = FALSE), 500)
per_call <- function(task, text, f) {
  t <- median_s(f, 500)
  add("call", task, nchar(text, "bytes"), t, t / yardstick(text))
}

tiny <- '{"a": 1}'
per_call("config_from_json('{\"a\": 1}')", tiny, function() config_from_json(tiny))

dense <- serialize_keras_object(layer_dense(units = 4, name = "d"))
per_call("deserialize: one Dense layer", config_to_json(dense), function() deserialize_keras_object(dense))

clear_session()
seq3 <- suppressWarnings(serialize_keras_object(
  keras_model_sequential(input_shape = 4) |> layer_dense(8) |> layer_dense(8) |> layer_dense(1)))
per_call("deserialize: Sequential, 3 Dense layers", config_to_json(seq3), function() deserialize_keras_object(seq3))

# The reference models under 10 KB, each its own call, config -> objects and JSON text -> objects.
local_empty_registry <- function(envir = parent.frame()) invisible(NULL)
source("tests/testthat/helper-custom-objects.R")
register_reference_custom_objects()
files <- list.files(file.path(ref, "models"), "\\.json$", full.names = TRUE)
files <- files[file.size(files) < 10000]
texts <- vapply(files, read_text, "", USE.NAMES = FALSE)
configs <- lapply(texts, config_from_json)
all_text <- paste0("[", paste(texts, collapse = ", "), "]")
from_configs <- function() lapply(configs, deserialize_keras_object)
from_texts <- function() lapply(texts, function(t) deserialize_keras_object(config_from_json(t)))
jsonlite_each <- function() lapply(texts, jsonlite::fromJSON, simplifyVector = FALSE)
t_yard <- median_s(jsonlite_each, 100)
t1 <- median_s(from_configs, 100)
add("call", sprintf("deserialize: %d reference models < 10 KB", length(texts)), nchar(all_text, "bytes"), t1, t1 / t_yard)
t2 <- median_s(from_texts, 100)
add("call", sprintf("JSON -> objects: %d reference models < 10 KB", length(texts)), nchar(all_text, "bytes"), t2, t2 / t_yard)
# Each of them on its own.
for (i in seq_along(texts)) {
  per_call(sprintf("deserialize: %s", basename(files[[i]])), texts[[i]], local({
    config <- configs[[i]]
    function() deserialize_keras_object(config)
  }))
}
}

# ---- registry ----------------------------------------------------------------------------------
if ("registry" %in% sections) {
old <- set_custom_objects(clear = TRUE)
fn_config <- function(name) list(module = "builtins", class_name = "function", config = name, registered_name = "function")
# The key registered last at each size: the worst case for any scan in registration order.
tasks <- list(
  "get_registered_object() hit" = function(k) function() get_registered_object(k$key),
  "get_registered_object() miss" = function(k) function() get_registered_object("Bench>not_registered"),
  "get_registered_name()" = function(k) function() get_registered_name(k$fn),
  "deserialize function by full key" = function(k) function() deserialize_keras_object(fn_config(k$key)),
  "deserialize function by bare name" = function(k) function() deserialize_keras_object(fn_config(k$bare)),
  "deserialize unknown function (suggestion)" = function(k) function() {
    msg <- tryCatch(deserialize_keras_object(fn_config("fn_00001")), kerasconfig_error = conditionMessage)
    if (!grepl("Did you mean 'Bench>fn_0000", msg, fixed = TRUE)) stop("no suggestion: ", msg)
  }
)
base <- list()
registered <- 0L
for (n in c(10L, 10000L, 100000L)) {
  fns <- lapply(seq_len(n - registered), function(i) function(x) x)
  names(fns) <- sprintf("Bench>fn_%06d", registered + seq_along(fns))
  set_custom_objects(fns, clear = FALSE)
  registered <- n
  k <- list(key = sprintf("Bench>fn_%06d", n), bare = sprintf("fn_%06d", n), fn = fns[[length(fns)]])
  stopifnot(identical(get_registered_object(k$key), k$fn), identical(deserialize_keras_object(fn_config(k$bare)), k$fn))
  for (task in names(tasks)) {
    t <- median_s(tasks[[task]](k))
    if (n == 10L) base[[task]] <- t
    add("registry", task, n, t, t / base[[task]])
  }
}
set_custom_objects(old)
}

out <- do.call(rbind, rows)
write.csv(out, sprintf("bench/flat-%s.csv", label), row.names = FALSE)
