# Files Keras 3.15.1's model.save() wrote (tools/gen-saving-fixtures.py).

saving_fixture <- function(...) test_path("fixtures", "saving", ...)

# shared_object_id values are addresses in Python's text: ids are compared by the objects they group.
ids_by_first_use <- function(text) {
  ids <- unique(regmatches(text, gregexpr('"shared_object_id": [0-9]+', text))[[1]])
  for (i in seq_along(ids)) text <- gsub(ids[[i]], sprintf('"shared_object_id": #%d', i), text, fixed = TRUE)
  text
}

archive_member <- function(path, member) {
  dir <- tempfile()
  on.exit(unlink(dir, recursive = TRUE))
  utils::unzip(path, files = member, exdir = dir)
  file <- file.path(dir, member)
  readChar(file, file.size(file), useBytes = TRUE)
}

c_order <- function(a) if (length(dim(a)) > 1L) as.numeric(aperm(a, rev(seq_along(dim(a))))) else as.numeric(a)

test_that("RNN layers write shared_object_id on the objects their get_config() serializes twice, as model.save() does", {
  ref <- archive_member(saving_fixture("rnn_sharing.keras"), "config.json")
  # LSTM, GRU and SimpleRNN initializers (and a regularizer, a constraint): ids; RNN(LSTMCell): none.
  expect_match(ref, '"kernel_regularizer": \\{[^}]*\\}[^}]*"shared_object_id"')
  model <- keras_model_sequential(input_shape = c(5, 3), input_name = "x", name = "rnn_sharing") |>
    layer_lstm(2, return_sequences = TRUE, kernel_regularizer = "l2", recurrent_constraint = "non_neg", name = "lstm") |>
    layer_gru(2, return_sequences = TRUE, name = "gru") |>
    layer_simple_rnn(2, return_sequences = TRUE, name = "srnn") |>
    layer_rnn(rnn_cell_lstm(2, name = "cell"), return_sequences = TRUE, name = "rnn") |>
    layer_bidirectional(layer_lstm(units = 2, name = "inner"), name = "bi") |>
    layer_dense(1, name = "out")
  expect_identical(ids_by_first_use(save_model_config(model)), ids_by_first_use(ref))
  # Outside a saving scope nothing is shared.
  expect_false(grepl("shared_object_id", config_to_json(serialize_keras_object(model$get_config()$layers[[2]]))))
})

test_that("ConvLSTM layers share their cell's objects and their activity_regularizer (written twice) as Keras does", {
  path <- saving_fixture("convlstm_sharing.keras")
  ref <- archive_member(path, "config.json")
  expect_identical(ids_by_first_use(save_model_config(load_model(path))), ids_by_first_use(ref))
  model <- keras_model_sequential(input_shape = c(3, 6, 1), input_name = "frames", name = "convlstm_sharing") |>
    layer_conv_lstm_1d(2, 3, return_sequences = TRUE, bias_regularizer = "l1", activity_regularizer = "l2", name = "conv_lstm") |>
    layer_flatten(name = "flat")
  # Keras writes a given activity_regularizer right after dtype (Layer.get_config() writes it first).
  expect_identical(ids_by_first_use(save_model_config(model)), ids_by_first_use(ref))
})

test_that("the Python-saved RNN model loads with Keras' weights (a cell named freely is the RNN's `cell`) and writes Keras' text back", {
  path <- saving_fixture("rnn_sharing.keras")
  model <- load_model(path)
  expect_identical(ids_by_first_use(save_model_config(model)), ids_by_first_use(archive_member(path, "config.json")))
  expected <- config_from_json(saving_fixture("rnn_sharing.json"))
  weights <- get_weights(model)
  expect_identical(length(weights), length(expected))
  for (i in seq_along(expected)) expect_identical(c_order(weights[[i]]), as.numeric(unlist(expected[[i]]$values)), label = i)
})

test_that("get_weights() and set_weights() on a layer of a model: its variables (wrapped layers' included) as Keras' layer.get_weights()", {
  model <- load_model(saving_fixture("rnn_sharing.keras"))
  expected <- config_from_json(saving_fixture("rnn_sharing.json"))
  # model.get_weights(): lstm 3, gru 3, srnn 3, rnn 3, bi 6 (forward then backward), out 2.
  bi <- get_weights(get_layer(model, "bi"))
  expect_length(bi, 6L)
  for (i in 1:6) expect_identical(c_order(bi[[i]]), as.numeric(unlist(expected[[12L + i]]$values)), label = i)
  expect_identical(get_weights(get_layer(model, "bi"), trainable = FALSE), list())
  out <- get_layer(model, "out")
  w <- get_weights(out)
  w[[2]] <- 0.25
  set_weights(out, w)
  expect_identical(as.vector(get_weights(model)[[20]]), 0.25)
  expect_identical(get_weights(model)[[19]], w[[1]])
  expect_error(set_weights(out, w[1]), "on layer 'out' with a weight list of length 1, but the layer was expecting 2 weights",
               class = "kerasconfig_error_weights")
  expect_error(set_weights(out, list(w[[1]], c(1, 2))), "out/bias", class = "kerasconfig_error_weights")
  expect_error(get_weights("out"), class = "kerasconfig_error_type")
})

test_that("a layer never built has no weights; a built layer outside any model is refused with a classed error", {
  expect_identical(get_weights(layer_dense(units = 2)), list())
  dense <- layer_dense(units = 2)
  invisible(call_layer(dense, keras_input(shape = 3)))
  expect_error(get_weights(dense), "not part of a model", class = "kerasconfig_error_weights")
  model <- keras_model_sequential(input_shape = 3) |> layer_batch_normalization(name = "bn")
  bn <- get_layer(model, "bn")
  expect_identical(lengths(get_weights(bn)), c(3L, 3L, 3L, 3L))
  expect_identical(lapply(get_weights(bn, trainable = FALSE), as.vector), list(c(0, 0, 0), c(1, 1, 1)))
})
