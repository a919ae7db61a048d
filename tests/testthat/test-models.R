read_model_text <- function(name) reference_text("models", name)

model_files <- function() list.files(reference_dir("models"), pattern = "\\.json$")

test_that("every reference model round-trips byte for byte, shared_object_id included", {
  register_reference_custom_objects()
  files <- model_files()
  expect_gte(length(files), 8L)
  for (f in files) {
    txt <- read_model_text(f)
    model <- deserialize_keras_object(config_from_json(txt))
    expect_identical(config_to_json(serialize_keras_object(model)), txt, label = f)
  }
})

test_that("a Functional model holds live layers, nodes, and its build and compile configs", {
  model <- deserialize_keras_object(config_from_json(read_model_text("func_multi_io.json")))
  expect_s3_class(model, c("Functional", "keras_models"))
  entries <- model$get_config()$layers
  expect_s3_class(entries[[3]], "keras_functional_layer")
  expect_s3_class(entries[[3]]$layer, "Embedding")
  expect_s3_class(entries[[3]]$inbound_nodes[[1]]$args[[1]], "keras_tensor")
  expect_identical(model[[".__build_config__"]], list(input_shape = NULL))
})

test_that("compile configs hold live optimizer, loss and metrics; strings stay strings", {
  model <- deserialize_keras_object(config_from_json(read_model_text("seq_mlp_compiled.json")))
  compile <- model[[".__compile_config__"]]
  expect_s3_class(compile$optimizer, "Adam")
  expect_s3_class(compile$loss, "SparseCategoricalCrossentropy")
  expect_identical(compile$metrics[[1]], "accuracy")
  expect_s3_class(compile$metrics[[2]], "SparseTopKCategoricalAccuracy")
})

test_that("changing the optimizer's learning rate shows in the saved config", {
  model <- deserialize_keras_object(config_from_json(read_model_text("seq_mlp_compiled.json")))
  opt <- get_compile_config(model)$optimizer
  set_config(opt, learning_rate = 0.01)
  out <- config_from_json(config_to_json(serialize_keras_object(model)))
  expect_identical(out$compile_config$optimizer$config$learning_rate, 0.009999999776482582)
  expect_error(set_config(opt, bogus = 1), class = "kerasconfig_error_unknown_argument")
  expect_error(set_config(list(), a = 1), class = "kerasconfig_error_type")
})

test_that("nested models and shared layers keep their nodes", {
  nested <- deserialize_keras_object(config_from_json(read_model_text("func_nested.json")))
  layers <- nested$get_config()$layers
  expect_s3_class(layers[[3]]$layer, "Sequential")
  expect_length(layers[[3]]$inbound_nodes, 2L)
  shared <- deserialize_keras_object(config_from_json(read_model_text("func_shared_layers.json")))
  expect_length(shared$get_config()$layers[[2]]$inbound_nodes, 3L)
})

# A small Functional config to break in the tests below.
functional_config <- function() {
  tensor <- function(layer, node = 0L) {
    list(class_name = "__keras_tensor__", config = list(shape = list(NULL, 4L), dtype = "float32",
                                                        keras_history = list(layer, node, 0L)))
  }
  input <- list(module = "keras.layers", class_name = "InputLayer",
                config = list(batch_shape = list(NULL, 4L), dtype = "float32", name = "x"),
                registered_name = NULL, name = "x", inbound_nodes = list())
  dense <- function(name, from, node = 0L) {
    list(module = "keras.layers", class_name = "Dense", config = list(name = name, units = 4L), registered_name = NULL,
         name = name, inbound_nodes = list(list(args = list(tensor(from, node)), kwargs = setNames(list(), character()))))
  }
  list(module = "keras.src.models.functional", class_name = "Functional", registered_name = "Functional",
       config = list(name = "f", trainable = TRUE, layers = list(input, dense("a", "x"), dense("b", "a")),
                     input_layers = list("x", 0L, 0L), output_layers = list("b", 0L, 0L)))
}

test_that("a valid small Functional config loads", {
  expect_s3_class(deserialize_keras_object(functional_config()), "Functional")
})

test_that("duplicate layer names are refused", {
  cfg <- functional_config()
  cfg$config$layers[[3]]$name <- "a"
  cfg$config$layers[[3]]$config$name <- "a"
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "unique names. Duplicated: 'a'")
})

test_that("a node reading an unknown layer is refused, naming both", {
  cfg <- functional_config()
  cfg$config$layers[[3]]$inbound_nodes[[1]]$args[[1]]$config$keras_history[[1]] <- "ghost"
  err <- expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "Unknown layer: 'ghost'")
  expect_identical(err$path, "config")
})

test_that("loops and nodes that never resolve get Keras' message naming the nodes", {
  cfg <- functional_config()
  # a reads b and b reads a: a loop.
  cfg$config$layers[[2]]$inbound_nodes[[1]]$args[[1]]$config$keras_history[[1]] <- "b"
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph",
               regexp = "either has loops or disconnected nodes. The following nodes failed to be resolved: \\{'a' <- \\[b\\[0\\]\\], 'b' <- \\[a\\[0\\]\\]\\}")
  cfg <- functional_config()
  cfg$config$layers[[3]]$inbound_nodes[[1]]$args[[1]]$config$keras_history[[2]] <- 5L
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "'b' <- \\[a\\[5\\]\\]")
})

test_that("input and output layers must exist, in single, list and dict form", {
  cfg <- functional_config()
  cfg$config$output_layers <- list(list("b", 0L, 0L), list("a", 0L, 0L))
  expect_s3_class(deserialize_keras_object(cfg), "Functional")
  cfg$config$output_layers <- list(main = list("b", 0L, 0L))
  expect_s3_class(deserialize_keras_object(cfg), "Functional")
  cfg$config$output_layers <- list("nope", 0L, 0L)
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "unknown layer 'nope'")
  cfg$config$output_layers <- list("b", 3L, 0L)
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "node 3 of layer 'b'")
})

test_that("Keras 2's nested-list inbound nodes are accepted and checked", {
  cfg <- functional_config()
  cfg$config$layers[[2]]$inbound_nodes <- list(list(list("x", 0L, 0L, setNames(list(), character()))))
  cfg$config$layers[[3]]$inbound_nodes <- list(list(list("a", 0L, 0L)))
  expect_s3_class(deserialize_keras_object(cfg), "Functional")
  cfg$config$layers[[3]]$inbound_nodes <- list(list(list("zz", 0L, 0L)))
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "Unknown layer: 'zz'")
})

test_that("Sequential configs without name or layers get Keras' message", {
  bad <- list(module = "keras", class_name = "Sequential", config = list(layers = list()), registered_name = NULL)
  expect_error(deserialize_keras_object(bad), class = "kerasconfig_error_config",
               regexp = "A Sequential model configuration must be a dictionary containing the 'name' and 'layers' keys")
  bad$config <- list(name = "s")
  expect_error(deserialize_keras_object(bad), class = "kerasconfig_error_config", regexp = "'name' and 'layers' keys")
})

test_that("the summary of a deserialized Functional model lists every layer with its inputs", {
  model <- deserialize_keras_object(config_from_json(read_model_text("func_multi_io.json")))
  s <- summary(model)
  expect_identical(s$layer[1:3], c("tok_in", "num_in", "embedding"))
  expect_identical(s$connected_to[[3]], "tok_in[0][0]")
  expect_identical(s$params[[3]], 8000)
  expect_output(print(model), "Total params: 10,277")
})

test_that("keras_model_sequential and the pipe build what Keras writes", {
  clear_session()
  model <- keras_model_sequential(input_shape = 4) |>
    layer_dense(8, activation = "relu") |>
    layer_dense(1)
  cfg <- serialize_keras_object(model)
  expect_identical(cfg$module, "keras")
  expect_identical(cfg$class_name, "Sequential")
  layers <- cfg$config$layers
  expect_identical(vapply(layers, `[[`, "", "class_name"), c("InputLayer", "Dense", "Dense"))
  expect_identical(vapply(layers, function(l) l$config$name, ""), c("input_layer", "dense", "dense_1"))
  expect_identical(layers[[1]]$config$batch_shape, list(NULL, 4L))
  expect_identical(cfg$config$build_input_shape, list(NULL, 4L))
  expect_identical(cfg$build_config, list(input_shape = list(NULL, 4L)))
  expect_identical(layers[[2]]$config$units, 8L)
  expect_identical(layers[[2]]$config$activation, "relu")
  back <- deserialize_keras_object(config_from_json(config_to_json(cfg)))
  expect_identical(serialize_keras_object(back), cfg)
})

test_that("layer names must stay unique inside a Sequential model", {
  model <- keras_model_sequential(input_shape = 2)
  layer_dense(model, 1, name = "same")
  expect_error(layer_dense(model, 1, name = "same"), class = "kerasconfig_error_graph", regexp = "unique names")
})

test_that("a model's layers must deserialize to layers", {
  bad <- list(module = "keras", class_name = "Sequential", registered_name = NULL,
              config = list(name = "s", layers = list(1, "relu")))
  expect_error(deserialize_keras_object(bad), class = "kerasconfig_error_config",
               regexp = "expected a layer, got an object of class")
  expect_error(keras_model_sequential(input_shape = "a"), class = "kerasconfig_error_type")
})

test_that("references the graph check cannot read are errors, never dropped", {
  cfg <- functional_config()
  cfg$config$layers[[3]]$inbound_nodes[[1]]$args[[1]]$config$keras_history <- list(5, 0L, 0L)
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "Malformed inbound node of layer 'b'")
  cfg <- functional_config()
  cfg$config$layers[[3]]$inbound_nodes[[1]]$args[[1]]$config$keras_history <- list("a", NaN, 0L)
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "keras_history")
  cfg <- functional_config()
  cfg$config$layers[[3]]$inbound_nodes <- list("x")
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph", regexp = "a node must be a list")
  cfg <- functional_config()
  cfg$config$output_layers <- list("b", NaN, 0L)
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_graph")
})
