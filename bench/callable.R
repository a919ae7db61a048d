# What callable layers cost (R/callable.R): a layer or a model is a closure enclosed by its
# instance environment. Side by side in one process: a graph built with `layer(x)` calls and with
# `call_layer(layer, x)`; a field read through the closure (S3 `$`) and through its environment;
# and, for scale, MobileNetV2 deserialized (the fast path makes one closure per layer) and
# serialized. Run from the package root after installing:
#   R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/callable.R

suppressPackageStartupMessages({
  library(kerasconfig)
  library(bench)
})

reference <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
if (!dir.exists(reference)) stop("Set KERASCONFIG_REFERENCE to the Keras reference corpus.")
path <- file.path(reference, "models", "app_MobileNetV2.json")
mobilenet <- config_from_json(rawToChar(readBin(path, "raw", file.size(path))))
model <- deserialize_keras_object(mobilenet)

# Ten Dense layers made first, then called: only the calls differ between the two.
graph <- function(call) {
  layers <- lapply(1:10, function(i) layer_dense(units = 8))
  x <- keras_input(shape = 8)
  h <- x
  for (layer in layers) h <- call(layer, h)
  keras_model(x, h)
}
dense <- layer_dense(units = 2)
env <- kerasconfig:::kc_env(dense)

by_call <- function(layer, h) layer(h)
# (Warmed up first: the first graph built compiles the package's functions.)
invisible(graph(by_call))
results <- bench::mark(
  `graph, layer(x)` = graph(by_call),
  `graph, call_layer(layer, x)` = graph(call_layer),
  `field via the closure` = dense$get_config,
  `field via its environment` = env$get_config,
  `MobileNetV2 deserialized` = deserialize_keras_object(mobilenet),
  `MobileNetV2 serialized` = serialize_keras_object(model),
  check = FALSE, min_iterations = 20, time_unit = "ms"
)
print(results[, c("expression", "min", "median", "itr/sec", "mem_alloc")])
