# Shape inference vs deserialization, side by side, on the largest keras.applications model of
# the reference data (issue 10: building all layers adds at most 20% to deserializing).
# Run: R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/shapes.R
#
# A deserialized model runs the engine on its config as loaded, once, when a shape or a count is
# first asked for (count_params(), summary(), layer$output); deserializing itself only links each
# layer to its model. So there are two costs to compare with deserializing alone: deserializing
# (links included), and deserializing then asking for the parameter count (the whole engine run).
library(kerasconfig)
ref <- Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference")
path <- file.path(ref, "models", "app_MobileNetV2.json")
text <- readChar(path, file.size(path), useBytes = TRUE)
config <- config_from_json(text)
without <- function(expr) {
  # The deserializer without its shape step: kc_with_shapes made a no-op.
  ns <- asNamespace("kerasconfig")
  real <- get("kc_with_shapes", ns)
  unlockBinding("kc_with_shapes", ns)
  assign("kc_with_shapes", function(model, ...) model, envir = ns)
  on.exit({ assign("kc_with_shapes", real, envir = ns); lockBinding("kc_with_shapes", ns) })
  force(expr)
}
stopifnot(count_params(deserialize_keras_object(config)) == 3538984)
res <- bench::mark(
  deserialize_without_shapes = without(deserialize_keras_object(config)),
  deserialize_with_shapes = deserialize_keras_object(config),
  deserialize_then_count_params = count_params(deserialize_keras_object(config)),
  check = FALSE, min_iterations = 50, min_time = 3
)
print(res[, c("expression", "min", "median", "mem_alloc", "n_gc")])
for (stat in c("median", "min")) {
  m <- as.numeric(res[[stat]])
  cat(sprintf("MobileNetV2 (%d layers), %s: deserializing with shapes adds %.0f%%; deserializing then count_params() adds %.0f%% (target: at most 20%%)\n",
              length(config$config$layers), stat, 100 * (m[2] / m[1] - 1), 100 * (m[3] / m[1] - 1)))
}

# The machine is shared: wall-clock medians move with other people's builds. CPU time of this
# process, summed over interleaved rounds of each variant, is steadier; same three variants.
cpu <- function(f, n) { t <- proc.time(); for (i in seq_len(n)) f(); sum((proc.time() - t)[c("user.self", "sys.self")]) }
variants <- list(
  deserialize_without_shapes = function() without(deserialize_keras_object(config)),
  deserialize_with_shapes = function() deserialize_keras_object(config),
  deserialize_then_count_params = function() count_params(deserialize_keras_object(config))
)
total <- vapply(variants, function(f) 0, 0)
for (round in 1:30) for (k in names(variants)) total[[k]] <- total[[k]] + cpu(variants[[k]], 10)
per_call <- total / 300 * 1000
print(data.frame(expression = names(per_call), cpu_ms = round(unname(per_call), 3)))
cat(sprintf("MobileNetV2, CPU time: deserializing with shapes adds %.0f%%; deserializing then count_params() adds %.0f%% (target: at most 20%%)\n",
            100 * (per_call[[2]] / per_call[[1]] - 1), 100 * (per_call[[3]] / per_call[[1]] - 1)))
