# Shape inference vs deserialization, side by side, on the largest keras.applications model of
# the reference data (issue 10: building all layers adds at most 20% to deserializing).
# Run: R_LIBS=.rlib KERASCONFIG_REFERENCE=../shared/keras-reference Rscript bench/shapes.R
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
  assign("kc_with_shapes", function(model, text) model, envir = ns)
  on.exit({ assign("kc_with_shapes", real, envir = ns); lockBinding("kc_with_shapes", ns) })
  force(expr)
}
res <- bench::mark(
  deserialize_without_shapes = without(deserialize_keras_object(config)),
  deserialize_with_shapes = deserialize_keras_object(config),
  check = FALSE, min_iterations = 10
)
print(res[, c("expression", "median", "mem_alloc")])
m <- as.numeric(res$median)
cat(sprintf("shape inference adds %.0f%% to deserializing MobileNetV2 (target: at most 20%%)\n", 100 * (m[2] / m[1] - 1)))
