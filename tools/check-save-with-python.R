# Writes .keras files with save_model() for tools/check-save-with-python.py, which loads them with
# Python's keras.saving.load_model() and compares their weights with what R gave. Run by hand
# (the tests never need Python), from the package directory after `make install`:
#   KERASCONFIG_REFERENCE=../shared/keras-reference R_LIBS=.rlib Rscript tools/check-save-with-python.R /tmp/kc-save-check
#   KERAS_BACKEND=numpy /work/venv-keras/bin/python tools/check-save-with-python.py /tmp/kc-save-check
# Each model is `<dir>/<name>.keras`, with `<dir>/<name>.weights.json`: get_weights() in R, each
# array's shape and values in C order (Python's order).
library(kerasconfig)
dir <- commandArgs(trailingOnly = TRUE)[1]
dir.create(dir, showWarnings = FALSE, recursive = TRUE)
set.seed(12)

c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)
dims <- function(a) if (is.null(dim(a))) (if (length(a) == 1L) integer() else length(a)) else dim(a)
write_case <- function(model, name) {
  path <- file.path(dir, paste0(name, ".keras"))
  save_model(model, path, overwrite = TRUE)
  weights <- lapply(get_weights(model), function(a) list(shape = as.list(dims(a)), values = as.list(c_order(a))))
  writeLines(config_to_json(weights), file.path(dir, paste0(name, ".weights.json")))
  cat("wrote", path, "\n")
}

# Sequential, built in R: weights from the initializers (R's RNG).
seq_model <- keras_model_sequential(input_shape = 6, name = "r_sequential") |>
  layer_dense(8, activation = "relu", name = "hidden") |>
  layer_batch_normalization(name = "bn") |>
  layer_dropout(0.2, name = "drop") |>
  layer_dense(3, activation = "softmax", name = "out")
write_case(seq_model, "r_sequential")

# Functional, built in R: two inputs, a shared layer, a nested Sequential model, an LSTM.
a <- keras_input(shape = c(4, 3), name = "seq_in")
b <- keras_input(shape = 5, name = "vec_in")
h <- layer_lstm(a, 6, name = "lstm")
shared <- layer_dense(units = 6, name = "shared")
inner <- keras_model_sequential(input_shape = 6, name = "inner") |> layer_dense(4, name = "inner_dense")
joined <- layer_concatenate(list(call_layer(shared, h), call_layer(shared, layer_dense(b, 6, name = "proj"))), name = "cat")
out <- layer_dense(call_layer(inner, layer_dense(joined, 6, name = "mix")), 2, name = "head")
func <- keras_model(list(a, b), out, name = "r_functional")
write_case(func, "r_functional")

# Compiled, built in R: its compile config and optimizer variables as save_model() writes them.
compiled <- keras_model_sequential(input_shape = 4, name = "r_compiled") |>
  layer_dense(5, activation = "tanh", name = "d1") |>
  layer_dense(1, name = "d2")
compile(compiled, optimizer = optimizer_adam(learning_rate = 0.003), loss = "mse", metrics = list("mae"))
write_case(compiled, "r_compiled")

# Loaded (a Keras-written file) and edited: learning rate, trainable, dropout rate, model name;
# and new weights set on one layer.
edited <- load_model(file.path(Sys.getenv("KERASCONFIG_REFERENCE", "../shared/keras-reference"), "keras_files/seq_mlp_compiled.keras"))
layers <- edited$get_config()$layers
set_config(get_compile_config(edited)$optimizer, learning_rate = 5e-4)
set_config(layers[[2]], trainable = FALSE)
set_config(layers[[3]], rate = 0.5)
set_config(edited, name = "r_edited")
w <- get_weights(layers[[2]])
w[[2]] <- w[[2]] + 1
set_weights(layers[[2]], w)
write_case(edited, "r_edited")

# Read from Keras' npz weights format (which Keras 3.15.1 cannot load back itself), saved again
# with model.weights.h5.
from_npz <- load_model("tests/testthat/fixtures/saving/npz_mlp.keras")
set_config(from_npz, name = "r_from_npz")
write_case(from_npz, "r_from_npz")

