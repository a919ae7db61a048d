# Benchmarks the config codec against jsonlite, side by side in one R process, and writes the
# results to bench/RESULTS.md. Run from the package root after `make install`:
#   R_LIBS=.rlib Rscript bench/run.R        (or `make bench`)
# Inputs: (a) the reference models ($KERASCONFIG_REFERENCE/models), parsed as separate texts;
# (b) a ~50 MB config generated from them (bench/gen-data.R). Throughput is JSON bytes per
# second, for parsing and for writing the same data back.

suppressPackageStartupMessages({
  library(kerasconfig)
  library(bench)
  library(jsonlite)
})
source(file.path("bench", "gen-data.R"))

reference <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
if (!dir.exists(reference)) stop("Set KERASCONFIG_REFERENCE to the Keras reference corpus.")

read_text <- function(path) rawToChar(readBin(path, "raw", file.size(path)))
model_files <- list.files(file.path(reference, "models"), "\\.json$", full.names = TRUE)
inputs <- list(
  models = vapply(model_files, read_text, ""),
  generated = bench_big_text(reference, 50)
)
megabytes <- vapply(inputs, function(texts) sum(nchar(texts, "bytes")) / 1e6, 0)

# Runs `f` on each element. Loops written inside bench::mark() are compiled by R's JIT at every
# iteration (they are top-level loops there), which costs more than parsing a small config.
each <- function(xs, f, ...) {
  for (x in xs) f(x, ...)
  invisible()
}

timed <- function(..., min_time = 3, min_iterations = 3) {
  res <- bench::mark(..., min_time = min_time, min_iterations = min_iterations, check = FALSE,
                     filter_gc = FALSE)
  data.frame(implementation = as.character(res$expression), seconds = as.numeric(res$median),
             mem_alloc_mb = as.numeric(res$mem_alloc) / 1e6)
}

rows <- list()
add_rows <- function(input, task, res) {
  res$input <- input
  res$task <- task
  res$mb_per_s <- megabytes[[input]] / res$seconds
  rows[[length(rows) + 1L]] <<- res
}

for (input in names(inputs)) {
  texts <- inputs[[input]]
  cat(sprintf("Parsing %s (%.2f MB)...\n", input, megabytes[[input]]))
  add_rows(input, "parse", timed(
    "jsonlite::fromJSON(simplifyVector = FALSE)" = each(texts, fromJSON, simplifyVector = FALSE),
    "jsonlite::parse_json" = each(texts, parse_json),
    "kerasconfig::config_from_json" = each(texts, config_from_json)
  ))

  ours <- lapply(texts, config_from_json)
  stopifnot(identical(unname(vapply(ours, config_to_json, "")), unname(texts)))
  cat(sprintf("Writing %s...\n", input))
  if (input == "models") {
    # jsonlite writes about 0.2 MB/s: it is measured on the small input only, writing what it
    # parsed itself. The codec writes an object shared by several parts of a config once (its
    # parser shares repeated values); jsonlite's parse shares nothing, so the third row shows
    # the writer without that help.
    theirs <- lapply(texts, fromJSON, simplifyVector = FALSE)
    add_rows(input, "write", timed(
      "jsonlite::toJSON(auto_unbox = TRUE, digits = NA)" = each(theirs, toJSON, auto_unbox = TRUE, digits = NA),
      "kerasconfig::config_to_json" = each(ours, config_to_json),
      "kerasconfig::config_to_json (jsonlite's parse: nothing shared)" = each(theirs, config_to_json),
      min_time = 1
    ))
  } else {
    # The last row is R alone making the output string from its bytes, which every writer
    # returning a string pays.
    bytes <- charToRaw(texts)
    add_rows(input, "write", timed(
      "kerasconfig::config_to_json" = each(ours, config_to_json),
      "base::rawToChar (R making the output string)" = rawToChar(bytes)
    ))
    rm(bytes)
  }
  rm(ours)
}
results <- do.call(rbind, rows)

# Peak memory of one parse of the generated input, each in a fresh R process: the growth of the
# R heap (gc's "max used") and of the process (Linux's VmHWM, reset after reading the input).
peak_memory <- function(call) {
  path <- tempfile(fileext = ".json")
  writeBin(charToRaw(inputs$generated), path)
  on.exit(unlink(path))
  code <- sprintf('
    suppressPackageStartupMessages({library(kerasconfig); library(jsonlite)})
    text <- rawToChar(readBin("%s", "raw", file.size("%s")))
    kb <- function(field) { s <- readLines("/proc/self/status"); as.numeric(gsub("[^0-9]", "", s[startsWith(s, field)])) }
    heap_before <- sum(gc(reset = TRUE)[, 2])
    hwm_reset <- tryCatch({ cat("5", file = "/proc/self/clear_refs"); TRUE }, error = function(e) FALSE)
    rss_before <- kb("VmRSS:")
    x <- %s(text)
    heap <- sum(gc()[, 6]) - heap_before
    rss <- if (hwm_reset) (kb("VmHWM:") - rss_before) / 1000 else NA
    cat(heap, rss)', path, path, call)
  out <- system2(file.path(R.home("bin"), "Rscript"), c("-e", shQuote(code)), stdout = TRUE)
  as.numeric(strsplit(out[length(out)], " ")[[1]])
}
cat("Measuring peak memory...\n")
memory_calls <- c(
  "jsonlite::fromJSON(simplifyVector = FALSE)" = "(function(t) fromJSON(t, simplifyVector = FALSE))",
  "jsonlite::parse_json" = "parse_json",
  "kerasconfig::config_from_json" = "config_from_json"
)
peaks <- t(vapply(memory_calls, peak_memory, numeric(2)))

# Report.
mb_per_s <- function(input, task, impl) {
  results$mb_per_s[results$input == input & results$task == task & results$implementation == impl]
}
codec_impl <- c(parse = "kerasconfig::config_from_json", write = "kerasconfig::config_to_json")
jsonlite_impl <- c(parse = "jsonlite::fromJSON(simplifyVector = FALSE)",
                   write = "jsonlite::toJSON(auto_unbox = TRUE, digits = NA)")
# jsonlite's writer only ran on `models`: its speed there is the baseline of every write row.
baseline <- function(input, task) mb_per_s(if (task == "write") "models" else input, task, jsonlite_impl[[task]])

ratio <- results$mb_per_s / mapply(baseline, results$input, results$task)
table_lines <- c(
  "| input | task | implementation | median | MB/s | vs jsonlite | R memory allocated |",
  "|---|---|---|---:|---:|---:|---:|",
  sprintf("| %s (%.2f MB) | %s | `%s` | %.4f s | %.1f | %s | %.1f MB |",
          results$input, megabytes[results$input], results$task, results$implementation, results$seconds,
          results$mb_per_s, ifelse(startsWith(results$implementation, "base::"), "", sprintf("%.1fx", ratio)),
          results$mem_alloc_mb)
)
memory_lines <- c(
  "| implementation | R heap growth (gc max used) | process peak growth (VmHWM) |",
  "|---|---:|---:|",
  sprintf("| `%s` | %.1f MB | %s |", rownames(peaks), peaks[, 1],
          ifelse(is.na(peaks[, 2]), "n/a", sprintf("%.1f MB", peaks[, 2])))
)

per_input <- function(f) paste(sprintf("%s %s", names(inputs), vapply(names(inputs), f, "")), collapse = ", ")
checks <- c(
  paste("parse >= 6x jsonlite::fromJSON:", per_input(function(i) {
    sprintf("%.1fx", mb_per_s(i, "parse", codec_impl[["parse"]]) / baseline(i, "parse"))
  })),
  paste("parse >= 80 MB/s:", per_input(function(i) sprintf("%.0f MB/s", mb_per_s(i, "parse", codec_impl[["parse"]])))),
  paste("write >= 100x jsonlite::toJSON:", per_input(function(i) {
    sprintf("%.0fx", mb_per_s(i, "write", codec_impl[["write"]]) / baseline(i, "write"))
  })),
  paste("write at least as fast as parse:", per_input(function(i) {
    sprintf("%.0f vs %.0f MB/s", mb_per_s(i, "write", codec_impl[["write"]]), mb_per_s(i, "parse", codec_impl[["parse"]]))
  })),
  sprintf("parse peak memory <= jsonlite::fromJSON: R heap %.1f vs %.1f MB, process %.1f vs %.1f MB",
          peaks[codec_impl[["parse"]], 1], peaks[jsonlite_impl[["parse"]], 1], peaks[codec_impl[["parse"]], 2],
          peaks[jsonlite_impl[["parse"]], 2])
)

report <- c(
  "# Codec benchmark results",
  "",
  sprintf("Written by `bench/run.R` on %s: %s, %d cores, bench %s, jsonlite %s.",
          format(Sys.time(), "%Y-%m-%d %H:%M"), R.version.string, parallel::detectCores(),
          packageVersion("bench"), packageVersion("jsonlite")),
  "All timings side by side in one R process (`bench::mark`, median); MB/s is JSON text bytes per",
  "second. `models` is the reference corpus' `models/` parsed as separate texts; `generated` is",
  "`bench/gen-data.R`'s config built from them. jsonlite's writer ran on `models` only: its MB/s",
  "there is the baseline of every write row. \"R memory allocated\" is bench's `mem_alloc`.",
  "",
  table_lines,
  "",
  "Peak memory of one parse of `generated`, each in a fresh R process:",
  "",
  memory_lines,
  "",
  "Targets:",
  "",
  paste0("- ", checks)
)
writeLines(report, file.path("bench", "RESULTS.md"))
cat(report, sep = "\n")
