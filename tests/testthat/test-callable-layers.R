# Layers and models are functions, as keras3's are: `layer(x, ...)` is `call_layer(layer, x, ...)`
# (R/callable.R). Graphs built with layer calls write the configs Python Keras writes (the
# committed fixtures of tools/gen-functional-fixtures.py and the reference models).

test_that("dense(x) records the node call_layer() records and the pipe builds: the same config", {
  build <- function(how) {
    clear_session()
    x <- keras_input(shape = 4, name = "x")
    y <- switch(how,
      call = layer_dense(units = 3, name = "d")(x),
      call_layer = call_layer(layer_dense(units = 3, name = "d"), x),
      pipe = x |> layer_dense(units = 3, name = "d")
    )
    save_model_config(keras_model(x, y, name = "m"))
  }
  called <- build("call")
  expect_identical(called, build("call_layer"))
  expect_identical(called, build("pipe"))
  expect_match(called, '"inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4]',
               fixed = TRUE)
})

test_that("a layer is a function that keeps its fields, methods and class", {
  dense <- layer_dense(units = 3, name = "d3")
  expect_true(is.function(dense))
  expect_s3_class(dense, "Dense")
  expect_s3_class(dense, "keras_layers")
  expect_identical(dense$get_config()$units, 3L)
  expect_identical(dense[["get_config"]]()$name, "d3")
  dense$note <- "kept"
  expect_identical(dense$note, "kept")
  dense[["other"]] <- 2
  expect_identical(dense$other, 2)
  expect_true(all(c("note", "other", "get_config") %in% names(dense)))
  expect_identical(serialize_keras_object(dense)$class_name, "Dense")
  expect_identical(capture.output(print(dense))[[1L]], "<Dense> (module keras.layers)")
})

test_that("a shared layer called twice gets node indices 0 and 1, as in Python's func_shared_layers", {
  clear_session()
  left <- keras_input(shape = 10, name = "left")
  right <- keras_input(shape = 10, name = "right")
  shared <- layer_dense(units = 16, activation = "relu", name = "shared_dense")
  a <- shared(left)
  b <- shared(right)
  back <- shared(layer_dense(name = "back_to_10", units = 10)(a))
  model <- keras_model(list(left, right), list(layer_dot(axes = 2, normalize = TRUE)(list(a, b)), back),
                       name = "func_shared_layers")
  expect_identical(a$keras_history, list("shared_dense", 0L, 0L))
  expect_identical(b$keras_history, list("shared_dense", 1L, 0L))
  expect_identical(back$keras_history, list("shared_dense", 2L, 0L))
  entry <- Filter(function(l) identical(l$name, "shared_dense"), config_from_json(save_model_config(model))$config$layers)[[1L]]
  histories <- lapply(entry$inbound_nodes, function(n) n$args[[1L]]$config$keras_history)
  expect_identical(histories, list(list("left", 0L, 0L), list("right", 0L, 0L), list("back_to_10", 0L, 0L)))
  expect_identical(without_shared_ids(save_model_config(model)),
                   without_shared_ids(reference_text("models", "func_shared_layers.json")))
})

test_that("the committed shared-layer graph, rebuilt with layer calls, is Python's text", {
  clear_session()
  a <- keras_input(shape = 6, name = "left")
  b <- keras_input(shape = 6, name = "right")
  d <- layer_dense(units = 5, name = "shared")
  x <- d(a)
  y <- d(b)
  z <- d(layer_dense(units = 6, name = "back")(x))
  model <- keras_model(list(a, b), list(layer_add()(list(x, y)), z), name = "shared_layer")
  want <- config_from_json(test_path("fixtures", "functional-graphs.json"))$cases$shared_layer
  expect_identical(without_shared_ids(save_model_config(model)), without_shared_ids(want))
})

test_that("keyword arguments of a call are recorded: mha(q, v, key = v, return_attention_scores = TRUE)", {
  clear_session()
  q <- keras_input(shape = c(5, 8), name = "q")
  v <- keras_input(shape = c(7, 8), name = "v")
  mha <- layer_multi_head_attention(num_heads = 2, key_dim = 4, name = "mha")
  res <- mha(q, v, key = v, return_attention_scores = TRUE)
  expect_length(res, 2L)
  expect_identical(res[[2L]]$shape, list(NULL, 2L, 5L, 7L))
  att <- layer_attention(name = "att")(list(q, v))
  model <- keras_model(list(q, v), list(res[[1]], res[[2]], att), name = "attention_kwargs")
  node <- Filter(function(l) identical(l$name, "mha"), config_from_json(save_model_config(model))$config$layers)[[1L]]$inbound_nodes[[1L]]
  expect_identical(node$kwargs$key$config$keras_history, list("v", 0L, 0L))
  expect_true(node$kwargs$return_attention_scores)
  want <- config_from_json(test_path("fixtures", "functional-graphs.json"))$cases$attention_kwargs
  expect_identical(without_shared_ids(save_model_config(model)), without_shared_ids(want))
})

test_that("models are called as layers: inner_seq(x) and inner_func(avg) rebuild func_nested", {
  clear_session()
  x <- keras_input(shape = 8, name = "x")
  y <- keras_input(shape = 8, name = "y")
  inner_seq <- keras_model_sequential(input_shape = 8, name = "inner_seq") |>
    layer_dense(8, activation = "relu") |>
    layer_dense(4)
  i <- keras_input(shape = 4)
  inner_func <- keras_model(i, layer_dense(units = 2, name = "inner_head")(i), name = "inner_func")
  expect_true(is.function(inner_seq) && is.function(inner_func))
  avg <- layer_average()(list(inner_seq(x), inner_seq(y)))
  out <- inner_func(avg)
  model <- keras_model(list(x, y), out, name = "func_nested")
  expect_identical(out$shape, list(NULL, 2L))
  expect_identical(without_shared_ids(save_model_config(model)),
                   without_shared_ids(reference_text("models", "func_nested.json")))
})

test_that("layers and models read from configs are callable, natively built or not", {
  clear_session()
  x <- keras_input(shape = 4, name = "x")
  model <- keras_model(x, layer_dense(units = 2, name = "head")(layer_dense(units = 3, name = "body")(x)), name = "two")
  text <- save_model_config(model)
  loaded <- deserialize_keras_object(config_from_json(text))
  expect_true(is.function(loaded))
  body <- get_layer(loaded, "body")
  expect_true(is.function(body))
  z <- keras_input(shape = 4, name = "z")
  h <- body(z)
  expect_identical(h$shape, list(NULL, 3L))
  again <- keras_model(z, loaded(z), name = "wrapper")
  expect_identical(config_from_json(save_model_config(again))$config$layers[[2L]]$class_name, "Functional")
  # A layer deserialized on its own is callable too.
  dense <- deserialize_keras_object(serialize_keras_object(layer_dense(units = 5, name = "alone")))
  expect_identical(dense(keras_input(shape = 2))$shape, list(NULL, 5L))
})

test_that("a custom Layer() instance is callable, and its methods' self is the callable layer", {
  clear_session()
  Scale <- Layer("Scale",
    initialize = function(factor = 2, ...) {
      super$initialize(...)
      self$factor <- factor
      self$inner <- layer_dense(units = 3, name = "scale_inner")
    },
    compute_output_shape = function(input_shape) input_shape,
    whoami = function() self,
    get_config = function() {
      config <- super$get_config()
      config$factor <- self$factor
      config
    }
  )
  s <- Scale(factor = 3, name = "scale")
  expect_true(is.function(s))
  expect_true(is.function(s$whoami()))
  expect_identical(s$whoami(), s)
  expect_identical(s$whoami()$factor, 3)
  expect_true(is.function(s$inner))
  x <- keras_input(shape = 4, name = "x")
  y <- s(x)
  expect_identical(y$keras_history, list("scale", 0L, 0L))
  expect_identical(y$shape, list(NULL, 4L))
  model <- keras_model(x, y, name = "custom")
  config <- config_from_json(save_model_config(model))$config$layers[[2L]]
  expect_identical(config$config$factor, 3)
  expect_identical(config$build_config, list(input_shape = list(NULL, 4L)))
})

test_that("a custom Model() instance is callable", {
  clear_session()
  Twice <- Model("Twice", compute_output_shape = function(input_shape) input_shape)
  m <- Twice(name = "twice")
  expect_true(is.function(m))
  expect_s3_class(m, "keras_models")
  x <- keras_input(shape = 3, name = "x")
  expect_identical(m(x)$keras_history, list("twice", 0L, 0L))
})

test_that("objects that are not layers stay environments; whatever descends from Layer is callable", {
  expect_true(is.environment(loss_huber()))
  expect_true(is.environment(initializer_glorot_uniform()))
  expect_true(is.environment(optimizer_adam()))
  expect_false(is.function(deserialize_keras_object(serialize_keras_object(regularizer_l2(0.1)))))
  # InputSpec is listed with the layers but is no Layer; built in R or natively, it is no function.
  spec <- kerasconfig:::kc_builtin_objects[["keras.InputSpec"]]()
  expect_true(is.environment(spec))
  expect_true(is.environment(deserialize_keras_object(serialize_keras_object(spec))))
  # The layers keras.applications defines are layers, though not listed with them.
  layer_scale <- kerasconfig:::kc_builtin_objects[["keras.src.applications.convnext.LayerScale"]]
  scale <- layer_scale(init_values = 1e-6, projection_dim = 4, name = "ls")
  expect_true(is.function(scale))
  expect_identical(scale(keras_input(shape = c(3, 4)))$keras_history, list("ls", 0L, 0L))
  expect_true(is.function(deserialize_keras_object(serialize_keras_object(scale))))
})

test_that("a layer is never taken for a plain R function", {
  dense <- layer_dense(units = 2, name = "not_a_function")
  config <- serialize_keras_object(dense)
  expect_identical(config$class_name, "Dense")
  expect_null(config$config$function_type)
  expect_error(register_keras_serializable(dense, package = "Test"), class = "kerasconfig_error_type")
  Wrapper <- new_keras_class("Wrapper", held = dense, get_config = function() list())
  expect_true(is.function(Wrapper()$held))
  expect_identical(Wrapper()$held$get_config()$name, "not_a_function")
})

test_that("calling a layer wrongly is a classed error, as with call_layer()", {
  clear_session()
  dense <- layer_dense(units = 2, name = "d")
  expect_error(dense(1:3), class = "kerasconfig_error_type")
  expect_error(dense(), class = "kerasconfig_error_type")
  expect_error(dense(keras_symbolic_tensor(list(NULL, 2L))), class = "kerasconfig_error_type")
  a <- keras_input(shape = c(3, 4), name = "a")
  b <- keras_input(shape = c(5, 6), name = "b")
  err <- expect_error(layer_concatenate(name = "joined")(list(a, b)), class = "kerasconfig_error_shape")
  expect_match(conditionMessage(err), "joined")
})

test_that("a layer is called as any R function is: lapply(), do.call(), the pipe", {
  clear_session()
  a <- keras_input(shape = 3, name = "a")
  b <- keras_input(shape = 3, name = "b")
  shared <- layer_dense(units = 2, name = "s")
  outs <- lapply(list(a, b), shared)
  expect_identical(lapply(outs, function(t) t$keras_history), list(list("s", 0L, 0L), list("s", 1L, 0L)))
  expect_identical(do.call(shared, list(a))$keras_history, list("s", 2L, 0L))
  expect_identical((a |> shared())$keras_history, list("s", 3L, 0L))
})

test_that("models the R path builds (the fast path stubbed out) are callable and write the same config", {
  clear_session()
  x <- keras_input(shape = 4, name = "x")
  model <- keras_model(x, layer_dense(units = 2, name = "out")(x), name = "small")
  text <- save_model_config(model)
  ns <- asNamespace("kerasconfig")
  saved <- list(rs_fast_deserialize = ns$rs_fast_deserialize, rs_fast_model = ns$rs_fast_model)
  fallback <- function(...) structure(list(), class = "kc_fallback")
  for (name in names(saved)) utils::assignInNamespace(name, fallback, "kerasconfig")
  slow <- tryCatch(deserialize_keras_object(config_from_json(text)),
                   finally = for (name in names(saved)) utils::assignInNamespace(name, saved[[name]], "kerasconfig"))
  fast <- deserialize_keras_object(config_from_json(text))
  expect_identical(class(slow), class(fast))
  expect_true(is.function(slow) && is.function(get_layer(slow, "out")))
  expect_identical(save_model_config(slow), text)
  z <- keras_input(shape = 4, name = "z")
  expect_identical(slow(z)$shape, fast(z)$shape)
})

test_that("a layer called again on an input its weights do not fit is refused, built in R or read from a config", {
  clear_session()
  a <- keras_input(shape = 8)
  dense <- layer_dense(units = 4, name = "d")
  dense(a)
  expect_identical(dense(keras_input(shape = 8))$shape, list(NULL, 4L))
  err <- expect_error(dense(keras_input(shape = 16)), class = "kerasconfig_error_shape")
  expect_match(conditionMessage(err), "layer 'd'.*'d/kernel' has shape \\(8, 4\\).*\\(None, 16\\).*\\(16, 4\\)")

  conv <- layer_conv_2d(filters = 3, kernel_size = 3)
  conv(keras_input(shape = c(10, 10, 3)))
  # Other spatial sizes fit the same kernel; other channels do not.
  expect_identical(conv(keras_input(shape = c(20, 20, 3)))$shape, list(NULL, 18L, 18L, 3L))
  expect_error(conv(keras_input(shape = c(10, 10, 4))), class = "kerasconfig_error_shape")

  model <- load_model_config(reference_dir("models", "seq_mlp.json"))
  first <- get_layer(model, index = 1)
  expect_identical(first(keras_input(shape = 20))$shape, list(NULL, 64L))
  expect_error(first(keras_input(shape = 999)), class = "kerasconfig_error_shape")
})

test_that("layer$name, layer$units and model$layers read as in keras3", {
  clear_session()
  dense <- layer_dense(units = 4, name = "d")
  expect_identical(dense$name, "d")
  expect_identical(dense$units, 4L)
  expect_null(dense$no_such_attribute)
  model <- keras_model_sequential(input_shape = 3, name = "m") |> layer_dense(2, name = "a") |> layer_dense(1, name = "b")
  expect_identical(model$name, "m")
  # The Sequential model's InputLayer is hidden, as in Keras' model.layers.
  expect_identical(vapply(model$layers, function(l) l$name, ""), c("a", "b"))
  expect_identical(model$layers[[2]], get_layer(model, "b"))
})
