# summary() and count_params() of masked Functional models, whose graphs hold the op nodes Keras
# records for masks: against Keras 3.15.1's own figures (tools/gen-mask-summary-fixtures.py,
# fixtures/mask-summaries.json), for the models built in R and for Python's configs read back.

mask_summary_builders <- list(
  embedding_lstm = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
    keras_model(x, h |> layer_lstm(3, name = "lstm") |> layer_dense(1, name = "out"), name = "mask_lstm")
  },
  masking_gru = function() {
    x <- keras_input(shape = c(5, 3), name = "seq")
    keras_model(x, x |> layer_masking(mask_value = 0, name = "masking") |> layer_gru(2, name = "gru"), name = "mask_masking")
  },
  merges = function() {
    a <- keras_input(shape = NA, dtype = "int32", name = "a")
    b <- keras_input(shape = NA, dtype = "int32", name = "b")
    emb <- layer_embedding(input_dim = 20, output_dim = 4, mask_zero = TRUE, name = "emb")
    ea <- call_layer(emb, a)
    eb <- call_layer(emb, b)
    s <- layer_add(list(ea, eb), name = "add")
    cat <- layer_concatenate(list(ea, layer_dense(eb, 4, name = "dense")), name = "cat")
    keras_model(list(a, b), list(layer_lstm(s, 2, name = "l1"), layer_lstm(cat, 2, name = "l2")), name = "mask_merges")
  },
  concat_fixed = function() {
    a <- keras_input(shape = 6, dtype = "int32", name = "a")
    b <- keras_input(shape = c(6, 3), name = "b")
    ea <- layer_embedding(a, 10, 3, mask_zero = TRUE, name = "emb")
    cat <- layer_concatenate(list(ea, b), axis = 2, name = "cat")
    mul <- layer_multiply(list(ea, layer_dense(ea, 3, name = "d")), name = "mul")
    keras_model(list(a, b), list(layer_gru(cat, 2, name = "g1"), layer_simple_rnn(mul, 2, name = "g2")),
                name = "mask_concat_fixed")
  }
)

mask_summary_text <- function(model) paste0(paste(capture.output(summary(model)), collapse = "\n"), "\n")

test_that("masked models built in R write Python's config and show Python's summary and parameter count", {
  fx <- config_from_json(test_path("fixtures", "mask-summaries.json"))$cases
  expect_setequal(names(fx), names(mask_summary_builders))
  old <- options(width = 80)
  on.exit(options(old))
  for (case in names(mask_summary_builders)) {
    clear_session()
    model <- mask_summary_builders[[case]]()
    got <- without_shared_ids(save_model_config(model))
    expect(identical(got, without_shared_ids(fx[[case]]$config)), paste(case, first_difference(got, without_shared_ids(fx[[case]]$config))))
    expect_identical(count_params(model), as.numeric(fx[[case]]$params), label = case)
    expect_identical(mask_summary_text(model), fx[[case]]$summary, label = case)
  }
})

test_that("Python's masked configs read back give Keras' summary, shapes of op nodes and parameter count", {
  fx <- config_from_json(test_path("fixtures", "mask-summaries.json"))$cases
  old <- options(width = 80)
  on.exit(options(old))
  for (case in names(fx)) {
    model <- deserialize_keras_object(config_from_json(fx[[case]]$config))
    expect_identical(count_params(model), as.numeric(fx[[case]]$params), label = case)
    expect_identical(mask_summary_text(model), fx[[case]]$summary, label = case)
  }
  # Keras: concatenate of masks (None, 6, 3) and (None, 6, 3) on axis 1 is (None, 12, 3); any() drops the last axis.
  model <- deserialize_keras_object(config_from_json(fx$concat_fixed$config))
  expect_identical(get_layer(model, "any")$output$shape, list(NULL, 12L))
  expect_identical(get_layer(model, "expand_dims")$output$shape, list(NULL, 6L, 1L))
})
