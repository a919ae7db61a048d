# The demo `make demo` runs: every documented example of the serialization API, with its output.
library(kerasconfig)

section <- function(title) cat("\n==== ", title, " ====\n", sep = "")
show <- function(expr) {
  code <- deparse(substitute(expr), width.cutoff = 100L)
  cat(paste0("> ", code, collapse = "\n"), "\n", sep = "")
  value <- withVisible(expr)
  if (value$visible) print(value$value)
  invisible(value$value)
}

old <- set_custom_objects(clear = TRUE)

section("Define a layer class and register it")
layer_scaled_dense <- Layer("ScaledDense",
  initialize = function(units, scale = 1, ...) {
    super$initialize(...)
    self$units <- as.integer(units)
    self$scale <- scale
  },
  get_config = function() {
    config <- super$get_config()
    config$units <- self$units
    config$scale <- self$scale
    config
  }
)
show(register_keras_serializable(layer_scaled_dense, package = "MyPkg"))
show(get_custom_objects())
show(get_registered_name(layer_scaled_dense))

section("Serialize an instance, then deserialize it")
layer <- layer_scaled_dense(units = 4, scale = 0.5, name = "scaled")
show(layer)
config <- show(serialize_keras_object(layer))
str(config)
back <- show(deserialize_keras_object(config))
show(identical(serialize_keras_object(back), config))

section("Functions")
scaled_tanh <- function(x) 2 * tanh(x)
register_keras_serializable(scaled_tanh, package = "MyPkg")
show(str(serialize_keras_object(scaled_tanh)))
show(identical(deserialize_keras_object(serialize_keras_object(scaled_tanh)), scaled_tanh))

section("Lookup order: scope, global registry, custom_objects, module_objects")
show(get_registered_object("MyPkg>scaled_tanh"))
show(with_custom_object_scope(list("MyPkg>scaled_tanh" = identity), get_registered_object("MyPkg>scaled_tanh")))
show(get_registered_object("nothing", custom_objects = list(nothing = sqrt)))

section("Unregistered classes: clear errors, or custom_objects")
set_custom_objects(clear = TRUE)
show(tryCatch(deserialize_keras_object(config), kerasconfig_error = function(e) conditionMessage(e)))
show(deserialize_keras_object(config, custom_objects = list("MyPkg>ScaledDense" = layer_scaled_dense))$units)

section("Security: configs cannot reach R functions")
evil <- list(module = "base", class_name = "system", config = list(command = "echo pwned"),
             registered_name = "system")
show(tryCatch(deserialize_keras_object(evil), kerasconfig_error = function(e) class(e)))

section("Keras built-ins: the documented Adam example")
config <- list(class_name = "Adam", config = list(amsgrad = FALSE, beta_1 = 0.8999999761581421,
  beta_2 = 0.9990000128746033, epsilon = 1e-07, learning_rate = 0.0010000000474974513, name = "Adam"),
  module = "keras.optimizers", registered_name = NULL)
show(deserialize_keras_object(config))

section("Subclassing a built-in: the documented loss example")
loss_modified_mse <- Loss("ModifiedMeanSquaredError", inherit = loss_mean_squared_error)
show(register_keras_serializable(loss_modified_mse))
show(get_custom_objects())
show(get_registered_name(loss_modified_mse))
full_config <- serialize_keras_object(loss_modified_mse())
str(full_config)
show(deserialize_keras_object(full_config))

section("Built-ins by keras3 name and by Python path")
show(str(serialize_keras_object(layer_dense(units = 4, activation = "relu"))$config[c("name", "units", "activation")]))
show(sprintf("%.17g", keras$optimizers$Adam(learning_rate = 0.01)$get_config()$learning_rate))  # stored as float32
show(serialize_keras_object(keras$activations$relu))

section("JSON, byte for byte as Python writes it")
show(cat(config_to_json(list(lr = 0.001, eps = 1e-07, big = 1e16, half = 0.5, inf = Inf, name = "d\u00e9nse")), "\n"))

section("A Sequential model built in R")
clear_session()  # layer names start again at dense, dense_1, ...
model <- keras_model_sequential(input_shape = 4) |>
  layer_dense(8, activation = "relu") |>
  layer_dense(1)
show(model)
cat(save_model_config(model), "\n")

section("A two-input Functional model built in R, compiled, saved")
clear_session()
text_in <- keras_input(shape = NA, dtype = "int32", name = "text")
numbers <- keras_input(shape = 8, name = "numbers")
encoded <- text_in |> layer_embedding(input_dim = 1000, output_dim = 16) |> layer_global_average_pooling_1d()
features <- layer_concatenate(list(encoded, layer_dense(numbers, 16, activation = "relu")))
model <- keras_model(list(text = text_in, numbers = numbers),
                     list(score = layer_dense(features, 1, name = "score"),
                          label = layer_dense(features, 3, activation = "softmax", name = "label")),
                     name = "two_inputs")
compile(model, optimizer = "adam", loss = list(score = "mse", label = "sparse_categorical_crossentropy"),
        metrics = list(label = list("accuracy")))
summary(model)
out <- tempfile(fileext = ".keras")
save_model_config(model, out)
show(names(get_compile_config(load_model_config(out))))

# Layers are functions, as in keras3: one layer called on two inputs is shared (two nodes, one set
# of weights).
shared <- layer_dense(units = 4, name = "shared")
left <- keras_input(shape = 8, name = "left")
right <- keras_input(shape = 8, name = "right")
siamese <- keras_model(list(left, right), layer_subtract(list(shared(left), shared(right))), name = "siamese")
summary(siamese)

section("Drawing models: plot() and model_to_dot(), without Python")
cnn <- keras_model_sequential(input_shape = c(28, 28, 1), name = "cnn") |>
  layer_conv_2d(16, 3, activation = "relu") |>
  layer_max_pooling_2d() |>
  layer_flatten() |>
  layer_dense(10, activation = "softmax")
dot <- model_to_dot(cnn, show_shapes = TRUE)
cat(substr(dot, 1, 400), "...\n")
# The two-input, two-output Functional model built above.
multi_io <- model
dir.create("demo-output", showWarnings = FALSE)
pictures <- c(sequential = file.path("demo-output", "cnn.png"), functional = file.path("demo-output", "func_multi_io.png"))
drawn <- tryCatch({
  plot(cnn, show_shapes = TRUE, show_layer_activations = TRUE, to_file = pictures[["sequential"]])
  plot(multi_io, show_shapes = TRUE, show_layer_names = TRUE, to_file = pictures[["functional"]])
  TRUE
}, kerasconfig_error_graphviz = function(e) {
  cat("Not drawn:", conditionMessage(e), "\n")
  FALSE
})
if (drawn) show(file.info(normalizePath(pictures))[, "size", drop = FALSE])

reference <- Sys.getenv("KERASCONFIG_REFERENCE")
keras_file <- file.path(reference, "keras_files", "seq_mlp_compiled.keras")
if (nzchar(reference) && file.exists(keras_file)) {
  section("A .keras file saved by Python Keras")
  show(read_keras_metadata(keras_file))
  model <- show(load_model_config(keras_file))
  optimizer <- get_compile_config(model)$optimizer
  show(sprintf("%.17g", optimizer$get_config()$learning_rate))
  set_config(optimizer, learning_rate = 0.0005)
  out <- tempfile(fileext = ".json")
  save_model_config(model, out)
  show(sprintf("%.17g", config_from_json(out)$compile_config$optimizer$config$learning_rate))
}

section("Save and restore the registry")
show(names(set_custom_objects(old)))
