# Generates the large benchmark input: one Sequential-style config whose layer list is the layers
# of every reference model, renamed and repeated until the text reaches the target size. Real
# configs repeat most of their values (dtype policies, initializers, defaults) and differ in
# names: so does this text.
#
# Sourced by bench/run.R; run on its own it writes the text to a file:
#   R_LIBS=.rlib Rscript bench/gen-data.R [out.json] [megabytes]

bench_big_text <- function(reference, megabytes = 50) {
  models <- list.files(file.path(reference, "models"), "\\.json$", full.names = TRUE)
  layers <- unlist(lapply(models, function(path) kerasconfig::config_from_json(path)$config$layers),
                   recursive = FALSE)
  one_copy <- nchar(kerasconfig::config_to_json(layers), "bytes")
  copies <- ceiling(megabytes * 1e6 / one_copy)
  renamed <- lapply(seq_len(copies), function(copy) {
    lapply(layers, function(layer) {
      layer$config$name <- paste0(layer$config$name, "_", copy)
      layer
    })
  })
  config <- list(
    module = "keras",
    class_name = "Sequential",
    config = list(name = "benchmark", trainable = TRUE, layers = unlist(renamed, recursive = FALSE)),
    registered_name = NULL
  )
  kerasconfig::config_to_json(config)
}

if (sys.nframe() == 0L) {
  args <- commandArgs(trailingOnly = TRUE)
  out <- if (length(args) >= 1L) args[[1]] else "bench-big.json"
  megabytes <- if (length(args) >= 2L) as.numeric(args[[2]]) else 50
  reference <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
  text <- bench_big_text(reference, megabytes)
  writeBin(charToRaw(text), out)
  cat(sprintf("%s: %.1f MB\n", out, nchar(text, "bytes") / 1e6))
}
