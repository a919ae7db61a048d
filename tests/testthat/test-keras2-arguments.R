# Keras 2 arguments Keras 3.15.1's constructors still take, typed in R (tools/gen-saving-fixtures.py
# recorded what Keras makes of each case: its config and its warnings).

test_that("input_length, implementation, alpha and an optimizer's decay are taken as Keras 3.15.1 takes them", {
  cases <- config_from_json(test_path("fixtures", "saving", "keras2-arguments.json"))
  constructors <- list(Embedding = layer_embedding, LSTM = layer_lstm, GRU = layer_gru, LSTMCell = rnn_cell_lstm,
                       GRUCell = rnn_cell_gru, LeakyReLU = layer_activation_leaky_relu, Adam = optimizer_adam,
                       SGD = optimizer_sgd)
  expect_length(cases, 10L)
  for (case in cases) {
    args <- case$args
    if ("input_length" %in% names(args) && is.null(args$input_length)) args["input_length"] <- list(NULL)
    seen <- character()
    obj <- withCallingHandlers(do.call(constructors[[case$class]], args), warning = function(w) {
      expect_s3_class(w, "kerasconfig_warning_legacy")
      seen <<- c(seen, conditionMessage(w))
      invokeRestart("muffleWarning")
    })
    label <- paste(case$class, paste(names(case$args), collapse = ","))
    expect_identical(config_to_json(serialize_keras_object(obj)), case$config, label = label)
    expect_identical(seen, as.character(unlist(case$warnings)), label = label)
  }
})

test_that("other Keras 2 arguments are still refused with a classed error", {
  expect_error(layer_dense(units = 2, input_length = 3), "input_length", class = "kerasconfig_error_unknown_argument")
  expect_error(layer_simple_rnn(units = 2, implementation = 1L), "implementation", class = "kerasconfig_error_unknown_argument")
})
