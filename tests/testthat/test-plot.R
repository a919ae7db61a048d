# plot(model) and model_to_dot(): Keras 3.15.1's DOT text (differential fixtures written by
# tools/gen-plot-fixtures.py with Python Keras and pydot), drawn by Graphviz.

dot_fixtures <- function() {
  path <- test_path("fixtures", "model-dot.json")
  config_from_json(readChar(path, file.size(path), useBytes = TRUE))
}

fixture_model <- function(name) {
  deserialize_keras_object(config_from_json(text = dot_fixtures()$cases[[name]]$config))
}

# The boxes (node ids), edges ("a -> b") and labels of DOT text.
dot_nodes <- function(dot) {
  lines <- strsplit(unclass(dot), "\n", fixed = TRUE)[[1L]]
  sub(" \\[label=.*", "", grep(" [label=<", lines, value = TRUE, fixed = TRUE))
}
dot_edges <- function(dot) {
  lines <- strsplit(unclass(dot), "\n", fixed = TRUE)[[1L]]
  sub(" \\[penwidth=2\\];$", "", grep(" -> .* \\[penwidth=2\\];$", lines, value = TRUE))
}
dot_label <- function(dot, node) {
  lines <- strsplit(unclass(dot), "\n", fixed = TRUE)[[1L]]
  line <- lines[startsWith(lines, paste0(node, " [label=<"))]
  gsub("<[^>]*>", "", sub(".*\\[label=<(.*)>, fontname.*", "\\1", line))
}

png_signature <- as.raw(c(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))

test_that("model_to_dot() writes Keras' text for every fixture model and option set", {
  fixtures <- dot_fixtures()
  compared <- 0L
  for (name in names(fixtures$cases)) {
    case <- fixtures$cases[[name]]
    model <- deserialize_keras_object(config_from_json(text = case$config))
    for (set in names(case$dots)) {
      options <- case$dots[[set]]$options
      expected <- case$dots[[set]]$dot
      # pydot writes a lone cluster's edges with `--`; inside Keras' digraph they are `->`.
      if (isTRUE(options$subgraph)) expected <- gsub(" -- ", " -> ", expected, fixed = TRUE)
      expect_identical(unclass(do.call(model_to_dot, c(list(model), options))), expected, info = paste(name, set))
      compared <- compared + 1L
    }
  }
  expect_identical(compared, 42L)
})

test_that("a Sequential model is a chain of boxes without its input layer", {
  clear_session()
  model <- keras_model_sequential(input_shape = 4, name = "mlp") |>
    layer_dense(8, activation = "relu") |>
    layer_dropout(0.5) |>
    layer_dense(1)
  dot <- model_to_dot(model, show_shapes = TRUE, show_layer_activations = TRUE)
  expect_s3_class(dot, "keras_dot")
  expect_true(startsWith(dot, "digraph G {\nrankdir=TB;\nconcentrate=true;\ndpi=200;\nsplines=ortho;\n"))
  expect_identical(dot_nodes(dot), c("dense", "dropout", "dense_1"))
  expect_identical(dot_edges(dot), c("dense -> dropout", "dropout -> dense_1"))
  expect_identical(dot_label(dot, "dense"),
                   "dense (Dense)Activation: reluInput shape: (None, 4)Output shape: (None, 8)")
  expect_identical(dot_label(dot, "dropout"), "dropout (Dropout)Input shape: (None, 8)Output shape: (None, 8)")
  expect_output(print(dot), "dense -> dropout [penwidth=2];", fixed = TRUE)
  lr <- model_to_dot(model, show_layer_names = FALSE, rankdir = "LR", dpi = 96)
  expect_match(lr, "rankdir=LR;\nconcentrate=true;\ndpi=96;", fixed = TRUE)
  expect_identical(dot_label(lr, "dense"), "Dense")
})

test_that("a multi-input, multi-output Functional model has its input layers, both heads and every edge", {
  model <- fixture_model("func_multi_io")
  dot <- model_to_dot(model, show_shapes = TRUE, show_dtype = TRUE)
  expect_identical(dot_nodes(dot), c("tok_in", "num_in", "embedding", "dense", "global_average_pooling1d",
                                     "concatenate", "dense_1", "cls", "reg"))
  expect_setequal(dot_edges(dot), c("tok_in -> embedding", "num_in -> dense", "embedding -> global_average_pooling1d",
                                    "dense -> concatenate", "global_average_pooling1d -> concatenate",
                                    "concatenate -> dense_1", "dense_1 -> cls", "dense_1 -> reg"))
  expect_identical(dot_label(dot, "tok_in"), "tok_in (InputLayer)Output shape: (None, None)Output dtype: int32")
  expect_identical(dot_label(dot, "concatenate"),
                   "concatenate (Concatenate)Input shape: [(None, 32), (None, 16)]Output shape: (None, 48)Output dtype: float32")
  expect_identical(dot_label(dot, "reg"), "reg (Dense)Input shape: (None, 32)Output shape: (None, 1)Output dtype: float32")
})

test_that("a shared layer is one box with an edge from every call's input", {
  model <- fixture_model("func_shared_layers")
  dot <- model_to_dot(model, show_shapes = TRUE)
  expect_identical(sum(dot_nodes(dot) == "shared_dense"), 1L)
  edges <- dot_edges(dot)
  expect_setequal(edges[endsWith(edges, "-> shared_dense")],
                  c("left -> shared_dense", "right -> shared_dense", "back_to_10 -> shared_dense"))
  expect_true(all(c("shared_dense -> back_to_10", "shared_dense -> dot") %in% edges))
  # Its shapes are those of its first call (Keras' layer.input / layer.output).
  expect_identical(dot_label(dot, "shared_dense"), "shared_dense (Dense)Input shape: (None, 10)Output shape: (None, 16)")
})

test_that("nested models are one box, or with expand_nested a cluster the edges reach into", {
  model <- fixture_model("func_nested")
  flat <- model_to_dot(model, show_shapes = TRUE)
  expect_identical(dot_nodes(flat), c("x", "y", "inner_seq", "average", "inner_func"))
  expect_identical(dot_edges(flat), c("x -> inner_seq", "y -> inner_seq", "inner_seq -> average",
                                      "average -> inner_func"))
  expect_identical(dot_label(flat, "inner_seq"), "inner_seq (Sequential)Input shape: (None, 8)Output shape: (None, 4)")
  deep <- model_to_dot(model, expand_nested = TRUE)
  expect_match(deep, "subgraph cluster_inner_seq {\nstyle=dashed;\nlabel=\"inner_seq\";\nlabeljust=l;\n", fixed = TRUE)
  expect_match(deep, "subgraph cluster_inner_func {", fixed = TRUE)
  expect_identical(dot_nodes(deep), c("x", "y", "\"inner_seq/dense\"", "\"inner_seq/dense_1\"", "average",
                                      "\"inner_func/input_layer_1\"", "\"inner_func/inner_head\""))
  expect_identical(dot_edges(deep), c("\"inner_seq/dense\" -> \"inner_seq/dense_1\"",
                                      "\"inner_func/input_layer_1\" -> \"inner_func/inner_head\"",
                                      "x -> \"inner_seq/dense\"", "y -> \"inner_seq/dense\"",
                                      "\"inner_seq/dense_1\" -> average", "average -> \"inner_func/input_layer_1\""))
})

test_that("shapes a custom R layer gives (compute_output_shape) reach the labels", {
  local_empty_registry()
  layer_twice <- Layer("Twice",
    compute_output_shape = function(input_shape) {
      input_shape[[length(input_shape)]] <- input_shape[[length(input_shape)]] * 2L
      input_shape
    })
  model <- kerasconfig:::kc_compose(keras_model_sequential(input_shape = 3), layer_twice(name = "tw")) |>
    layer_dense(2, name = "after")
  dot <- model_to_dot(model, show_shapes = TRUE)
  expect_identical(dot_label(dot, "tw"), "tw (Twice)Input shape: (None, 3)Output shape: (None, 6)")
  expect_identical(dot_label(dot, "after"), "after (Dense)Input shape: (None, 6)Output shape: (None, 2)")
})

test_that("layer_range draws the layers from the first match to the last, with the edges between them", {
  model <- fixture_model("func_multi_io")
  dot <- model_to_dot(model, layer_range = c("embed", "concat"))
  expect_identical(dot_nodes(dot), c("embedding", "dense", "global_average_pooling1d", "concatenate"))
  expect_setequal(dot_edges(dot), c("embedding -> global_average_pooling1d", "dense -> concatenate",
                                    "global_average_pooling1d -> concatenate"))
  expect_error(model_to_dot(model, layer_range = c("nothing", "cls")), class = "kerasconfig_error_value")
  expect_error(model_to_dot(model, layer_range = "cls"), class = "kerasconfig_error_type")
})

test_that("bad arguments and unbuilt models are classed errors", {
  clear_session()
  expect_error(model_to_dot(layer_dense(units = 2)), class = "kerasconfig_error_type")
  model <- keras_model_sequential(input_shape = 2) |> layer_dense(1)
  expect_error(model_to_dot(model, rankdir = "XY"), class = "kerasconfig_error_value")
  expect_error(model_to_dot(model, dpi = -1), class = "kerasconfig_error_type")
  expect_error(model_to_dot(model, show_shapes = NA), class = "kerasconfig_error_type")
  expect_error(model_to_dot(model, splines = "ortho; x"), class = "kerasconfig_error_value")
  unbuilt <- keras_model_sequential() |> layer_dense(1)
  expect_error(model_to_dot(unbuilt), "has not yet been built", class = "kerasconfig_error_value")
})

test_that("show_trainable = NA shows trainability when the model has non-trainable weights", {
  frozen <- kerasconfig:::kc_has_frozen_weights
  expect_true(frozen(fixture_model("seq_frozen")))
  expect_true(frozen(fixture_model("seq_mlp")))       # BatchNormalization's moving statistics
  expect_false(frozen(fixture_model("func_multi_io")))
})

test_that("plot(to_file =) writes a PNG (and Graphviz's other formats)", {
  skip_if(!nzchar(Sys.which("dot")), "Graphviz is not installed")
  model <- fixture_model("func_multi_io")
  file <- withr::local_tempfile(fileext = ".png")
  expect_null(plot(model, show_shapes = TRUE, to_file = file))
  bytes <- readBin(file, "raw", 64L)
  expect_identical(bytes[1:8], png_signature)
  expect_identical(rawToChar(bytes[13:16]), "IHDR")
  width <- sum(as.integer(bytes[17:20]) * 256^(3:0))
  height <- sum(as.integer(bytes[21:24]) * 256^(3:0))
  expect_gt(width, 500)
  expect_gt(height, 1000)   # nine boxes top to bottom at 200 dpi
  expect_gt(file.size(file), 20000)
  svg <- withr::local_tempfile(fileext = ".svg")
  plot(model, to_file = svg, rankdir = "LR", expand_nested = TRUE)
  expect_match(paste(readLines(svg), collapse = "\n"), "<svg", fixed = TRUE)
  expect_error(plot(model, to_file = withr::local_tempfile(fileext = ".nosuchformat")),
               class = "kerasconfig_error_graphviz")
})

test_that("plot() draws on the current graphics device", {
  skip_if(!nzchar(Sys.which("dot")), "Graphviz is not installed")
  skip_if_not_installed("png")
  file <- withr::local_tempfile(fileext = ".png")
  grDevices::png(file, width = 400, height = 600)
  result <- plot(fixture_model("func_nested"), expand_nested = TRUE)
  grDevices::dev.off()
  expect_null(result)
  img <- png::readPNG(file)
  expect_true(any(img[, , 1:3] < 0.2))   # the drawing's black boxes, not a blank page
})

test_that("without Graphviz plot() says how to install it, and model_to_dot() still works", {
  model <- fixture_model("seq_mlp")
  withr::local_envvar(PATH = withr::local_tempdir())
  expect_error(plot(model, to_file = withr::local_tempfile(fileext = ".png")), "apt install graphviz",
               class = "kerasconfig_error_graphviz")
  expect_match(model_to_dot(model), "dense -> dropout", fixed = TRUE)
})
