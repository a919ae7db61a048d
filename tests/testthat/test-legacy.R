# tf.keras 2.15 files (tools/gen-legacy-fixtures.py): configs, weights and compile configs read
# with Keras 3.15.1's legacy rules, written back as Keras 3.15.1 writes them.

legacy_fixture <- function(...) test_path("fixtures", "legacy", ...)
legacy_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)

test_that("the tf.keras 2.15 samples re-serialize exactly as Keras 3.15.1 does (to_json, .h5, .h5 config, .keras)", {
  cases <- c(mlp.to_json.json = "mlp.to_json.json.k315legacy.json", mlp.h5config.json = "mlp.h5config.json.k315legacy.json",
             mlp.h5 = "mlp.h5.k315.json", mlp.keras = "mlp.keras.k315.json")
  for (f in names(cases)) {
    path <- reference_dir(file.path("legacy/tf2.15.1", f))
    model <- if (endsWith(f, ".json")) load_model_config(path) else load_model(path)
    expect_identical(save_model_config(model), legacy_text(reference_dir(file.path("legacy/tf2.15.1", cases[[f]]))), label = f)
  }
})

# shared_object_id values are addresses in Python's text: ids are compared by the objects they group.
shared_ids_renumbered <- function(text) {
  ids <- unique(regmatches(text, gregexpr('"shared_object_id": [0-9]+', text))[[1]])
  for (i in seq_along(ids)) text <- gsub(ids[[i]], sprintf('"shared_object_id": #%d', i), text, fixed = TRUE)
  text
}

test_that("every tf.keras file re-serializes as Keras 3.15.1 writes it, or as it does once its failures get their obvious meaning", {
  # *.k315legacy.json: Keras 3.15.1 itself; *.k315fixed.json: Keras 3.15.1 after the independent
  # Python fix() of the generator (time_major, groups, axis [3], Adam's jit_compile, the module of
  # tf.keras' Functional...). Functional models come back with Keras 3 node records and built
  # layers, nested Sequential models built, Bidirectional with both halves, LSTM/GRU initializers
  # shared as Keras' get_config() shares them.
  n <- 0L
  for (m in c("mlp_compiled", "cnn_compiled", "rnn", "func_compiled", "wrappers")) {
    for (f in paste0(m, c(".to_json.json", ".h5", ".keras"))) {
      ref <- Filter(file.exists, legacy_fixture(paste0(f, c(".k315legacy.json", ".k315fixed.json"))))
      expect_length(ref, 1L)
      model <- if (endsWith(f, ".json")) load_model_config(legacy_fixture(f)) else load_model(legacy_fixture(f))
      expect_identical(shared_ids_renumbered(save_model_config(model)), shared_ids_renumbered(legacy_text(ref)), label = f)
      n <- n + 1L
    }
  }
  expect_identical(n, 15L)
})

test_that("a legacy Functional model is rebuilt with Keras 3 nodes: its layers keep their weights and a nested Sequential is built", {
  model <- load_model(legacy_fixture("func_compiled.h5"))
  cfg <- config_from_json(save_model_config(model))
  inner <- Filter(function(l) identical(l$name, "inner"), cfg$config$layers)[[1L]]
  expect_identical(inner$config$build_input_shape, list(NULL, 4L))
  expect_identical(inner$inbound_nodes[[1L]]$args[[1L]]$config$keras_history, list("shared", 1L, 0L))
  expect_identical(get_compile_config(model)$loss_weights, list(1, 0.5))
})

test_that("legacy .h5 weights load by layer_names / weight_names: get_weights() equals h5py's arrays and Keras 3.15.1's", {
  c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)
  # wrappers: a Bidirectional layer tf.keras wrote without its backward_layer.
  for (m in c("mlp_compiled", "cnn_compiled", "rnn", "func_compiled", "wrappers")) {
    weights <- get_weights(load_model(legacy_fixture(paste0(m, ".h5"))))
    for (ref in c(".h5weights.json", ".h5.k315weights.json")) {
      expected <- config_from_json(legacy_fixture(paste0(m, ref)))
      expect_equal(length(weights), length(expected), label = paste(m, ref))
      for (i in seq_along(expected)) {
        expect_identical(c_order(weights[[i]]), as.numeric(unlist(expected[[i]]$values)), label = paste(m, ref, i))
        expect_identical(as.integer(if (is.null(dim(weights[[i]]))) length(weights[[i]]) else dim(weights[[i]])), as.integer(unlist(expected[[i]]$shape)))
      }
    }
  }
})

test_that("tf.keras' own .keras files load with the weights h5py reads from the .h5 the same model was saved to", {
  c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)
  for (m in c("mlp_compiled", "cnn_compiled", "rnn", "func_compiled", "wrappers")) {
    weights <- get_weights(load_model(legacy_fixture(paste0(m, ".keras"))))
    expected <- config_from_json(legacy_fixture(paste0(m, ".h5.k315weights.json")))
    expect_equal(length(weights), length(expected), label = m)
    for (i in seq_along(expected)) expect_identical(c_order(weights[[i]]), as.numeric(unlist(expected[[i]]$values)), label = paste(m, i))
  }
})

test_that("a module-less custom layer is found by its class name; a legacy Functional model it stops from being rebuilt keeps its nodes, with a warning", {
  Passthrough <- Layer("Passthrough", initialize = function(...) super$initialize(...))
  config <- config_from_json(legacy_fixture("func_compiled.to_json.json"))
  i <- which(vapply(config$config$layers, function(l) identical(l$name, "cat"), TRUE))
  config$config$layers[[i]] <- list(class_name = "Passthrough", config = list(name = "cat", trainable = TRUE, dtype = "float32"),
                                    name = "cat", inbound_nodes = config$config$layers[[i]]$inbound_nodes)
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path))
  writeLines(config_to_json(config), path)
  expect_warning(model <- load_model_config(path, custom_objects = list(Passthrough = Passthrough)),
                 "Keras 2 node records.*'cat' \\(Passthrough\\)", class = "kerasconfig_warning_shape")
  layers <- config_from_json(save_model_config(model))$config$layers
  expect_identical(layers[[i]]$class_name, "Passthrough")
  expect_identical(layers[[i]]$inbound_nodes, list(list(list("shared", 0L, 0L, setNames(list(), character())),
                                                        list("pad_b", 0L, 0L, setNames(list(), character())))))
})

test_that("load_model_config() reads a .h5 file's model_config (no weights) and compile = FALSE skips its training_config", {
  model <- load_model_config(legacy_fixture("mlp_compiled.h5"))
  expect_identical(get_compile_config(model)$optimizer$get_config()$learning_rate, 0.009999999776482582)
  expect_identical(get_compile_config(model)$metrics, list("mae"))
  expect_identical(get_compile_config(load_model_config(legacy_fixture("mlp_compiled.h5"), compile = FALSE)), setNames(list(), character()))
})

test_that("tf.keras keys Keras 3.15.1 fails on are read where they mean something, refused clearly otherwise", {
  config <- config_from_json(legacy_fixture("rnn.to_json.json"))
  model <- deserialize_keras_object(kerasconfig:::kc_legacy_model_config(config))
  lstm <- model$get_config()$layers[[3]]$get_config()
  expect_false(any(c("time_major", "implementation") %in% names(lstm)))
  config$config$layers[[3]]$config$time_major <- TRUE
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path))
  writeLines(config_to_json(config), path)
  expect_error(load_model_config(path), "time_major.*\\n.*config\\$config\\$layers\\[\\[3\\]\\]\\$config\\$time_major",
               class = "kerasconfig_error_legacy")
  cnn <- config_from_json(legacy_fixture("cnn_compiled.to_json.json"))
  cnn$config$layers[[5]]$config$groups <- 2L
  writeLines(config_to_json(cnn), path)
  expect_error(load_model_config(path), "DepthwiseConv2D 'depthwise_conv2d' has `groups = 2`", class = "kerasconfig_error_legacy")
})

test_that("Keras 2 arguments Keras 3.15.1 accepts are read: input_length, implementation, alpha, decay, is_legacy_optimizer", {
  model <- load_model(legacy_fixture("rnn.keras"))
  expect_false("input_length" %in% names(model$get_config()$layers[[2]]$get_config()))
  cnn <- load_model_config(legacy_fixture("cnn_compiled.keras"))
  expect_identical(cnn$get_config()$layers[[4]]$get_config()$negative_slope, 0.20000000298023224) # tf.keras' float32 alpha
  expect_identical(cnn$get_config()$layers[[3]]$get_config()$axis, 3L)
  opt <- kerasconfig:::kc_legacy_optimizer(list(class_name = "Adam", config = list(name = "Adam", learning_rate = 0.1, decay = 0,
                                                                                      is_legacy_optimizer = TRUE, jit_compile = TRUE)), "x")
  expect_identical(names(opt$config), c("name", "learning_rate"))
  expect_identical(opt$module, "keras.optimizers")
  expect_warning(kerasconfig:::kc_legacy_optimizer(list(class_name = "SGD", config = list(decay = 0.01)), "x"),
                 class = "kerasconfig_warning_legacy")
})

test_that("errors inside a compile config name their path; compile = FALSE skips a compile config that cannot be read", {
  bad <- config_from_json(reference_dir("models/seq_mlp_compiled.json"))
  bad$compile_config$optimizer$config$nonsense <- 1
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path))
  writeLines(config_to_json(bad), path)
  err <- expect_error(load_model_config(path), "Location: config\\$compile_config\\$optimizer", class = "kerasconfig_error")
  expect_identical(err$path, "config$compile_config$optimizer")
  model <- load_model_config(path, compile = FALSE)
  expect_identical(get_compile_config(model), setNames(list(), character()))
  expect_match(save_model_config(model), '"compile_config": \\{\\}\\}$')
  expect_error(load_model_config(path, compile = NA), class = "kerasconfig_error_type")
})
