# Bidirectional made without a backward_layer, as Keras 3.15.1's constructor makes its halves
# (tools/gen-saving-fixtures.py recorded its configs and its error).

test_that("layer_bidirectional() names and directs its halves as Keras does, and refuses a layer already running backwards", {
  cases <- config_from_json(test_path("fixtures", "saving", "bidirectional.json"))
  expect_length(cases, 3L)
  for (case in cases) {
    make <- function() layer_bidirectional(layer = do.call(layer_lstm, case$inner), name = "bi")
    if (!is.null(case$error)) {
      expect_match(case$error, "should have different `go_backwards`")
      expect_error(make(), "Forward layer and backward layer should have different `go_backwards` value",
                   class = "kerasconfig_error_value")
    } else {
      expect_identical(config_to_json(serialize_keras_object(make())), case$config, label = case$inner$name)
    }
  }
})

test_that("a tf.keras Bidirectional whose layer runs backwards keeps tf.keras' meaning: its backward half runs forwards", {
  config <- config_from_json(test_path("fixtures", "legacy", "wrappers.to_json.json"))
  config$config$layers[[2]]$config$layer$config$go_backwards <- TRUE
  path <- tempfile(fileext = ".json")
  on.exit(unlink(path))
  writeLines(config_to_json(config), path)
  bi <- config_from_json(save_model_config(load_model_config(path)))$config$layers[[2]]$config
  expect_identical(c(bi$layer$config$go_backwards, bi$backward_layer$config$go_backwards), c(TRUE, FALSE))
  expect_identical(c(bi$layer$config$name, bi$backward_layer$config$name), c("forward_lstm_1", "backward_lstm_1"))
})

test_that("a Bidirectional config without backward_layer is read as Keras' from_config reads it: both halves made from its layer", {
  cases <- config_from_json(test_path("fixtures", "saving", "bidirectional.json"))
  for (case in Filter(function(x) is.null(x$error), cases)) {
    config <- config_from_json(case$config)
    config$config$backward_layer <- NULL
    expect_identical(config_to_json(serialize_keras_object(deserialize_keras_object(config))), case$without_backward,
                     label = case$inner$name)
  }
})
