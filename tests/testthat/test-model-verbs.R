# The config-level model verbs against Python Keras 3.15.1 (tools/gen-verbs-fixtures.py:
# Sequential.pop(), trainable as keras3's freeze_weights()/unfreeze_weights() set it,
# keras.models.clone_model()), compared as text, shared_object_id values aside.

verbs_fixtures <- function() config_from_json(test_path("fixtures", "model-verbs.json"))$cases

verbs_mlp <- function() {
  keras_model_sequential(input_shape = 4, name = "mlp") |>
    layer_dense(8, name = "d1") |>
    layer_dropout(0.1, name = "drop") |>
    layer_dense(2, name = "d2")
}

verbs_two_branch <- function() {
  a <- keras_input(shape = 4, name = "a")
  b <- keras_input(shape = 4, name = "b")
  h <- layer_concatenate(list(layer_dense(a, 3, name = "da"), layer_dense(b, 3, name = "db")), name = "cat")
  keras_model(list(a, b), layer_dense(h, 1, name = "out"), name = "two_branch")
}

verbs_outer <- function(inner) {
  x <- keras_input(shape = 4, name = "x")
  keras_model(x, layer_dense(call_layer(inner, x), 1, name = "head"), name = "outer")
}

verbs_builders <- list(
  pop_rebuild = function() { m <- verbs_mlp(); pop_layer(m); m },
  pop_no_rebuild = function() { m <- verbs_mlp(); pop_layer(m, rebuild = FALSE); m },
  pop_twice = function() { m <- verbs_mlp(); pop_layer(m); pop_layer(m); m },
  pop_no_input = function() {
    m <- keras_model_sequential(name = "noinput") |> layer_dense(8, name = "d1") |> layer_dense(2, name = "d2")
    pop_layer(m)
    m
  },
  freeze_all = function() freeze_weights(verbs_mlp()),
  freeze_from = function() freeze_weights(verbs_mlp(), from = "drop"),
  freeze_to_functional = function() freeze_weights(verbs_two_branch(), to = "db"),
  unfreeze_range = function() { m <- freeze_weights(verbs_mlp()); unfreeze_weights(m, from = 2, to = -2) },
  freeze_nested = function() {
    inner <- verbs_mlp()
    model <- verbs_outer(inner)
    freeze_weights(inner)
    model
  },
  freeze_bidirectional = function() {
    m <- keras_model_sequential(input_shape = c(5, 3), name = "bi_model") |>
      layer_bidirectional(layer_lstm(units = 2, name = "lstm"), name = "bi") |>
      layer_dense(1, name = "out")
    freeze_weights(m, which = "bi")
    unfreeze_weights(get_layer(m, "out"))
    m
  },
  freeze_which = function() freeze_weights(verbs_mlp(), which = function(l) inherits(l, "Dense")),
  clone_sequential = function() clone_model(verbs_mlp()),
  clone_sequential_no_input = function() {
    clone_model(keras_model_sequential(name = "noinput") |> layer_dense(8, name = "d1") |> layer_dense(2, name = "d2"))
  },
  clone_functional = function() clone_model(verbs_two_branch()),
  clone_compiled = function() clone_model(compile(verbs_mlp(), optimizer = "adam", loss = "mse")),
  clone_nested = function() clone_model(verbs_outer(verbs_mlp())),
  clone_function_rename = function() {
    clone_model(verbs_two_branch(), clone_function = function(layer) {
      config <- get_config(layer)
      config$name <- paste0("new_", config$name)
      from_config(config)
    })
  },
  clone_function_sequential = function() {
    clone_model(verbs_mlp(), clone_function = function(layer) {
      config <- get_config(layer)
      if (inherits(layer, "Dense")) config$units <- config$units * 2L
      from_config(config)
    })
  },
  clone_input_tensors = function() clone_model(verbs_mlp(), input_tensors = keras_input(shape = 4, name = "new_in"))
)

test_that("each verb applied in R gives the config Python Keras writes", {
  fx <- verbs_fixtures()
  matched <- character()
  for (case in names(verbs_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(verbs_builders[[case]]()))
    want <- without_shared_ids(fx[[case]])
    if (identical(got, want)) matched <- c(matched, case) else fail(paste(case, first_difference(got, want)))
  }
  expect_identical(matched, names(verbs_builders))
})

test_that("get_config() and from_config() round-trip layers, models and custom classes", {
  layer <- layer_dense(units = 3, activation = "relu", name = "d")
  config <- get_config(layer)
  expect_identical(config$units, 3L)
  expect_identical(config$kernel_initializer$class_name, "GlorotUniform")
  expect_identical(attr(config, "__class__"), keras$layers$Dense)
  copy <- from_config(config)
  expect_false(identical(copy, layer))
  expect_identical(serialize_keras_object(copy), serialize_keras_object(layer))
  model <- verbs_two_branch()
  mconfig <- get_config(model)
  expect_identical(mconfig$name, "two_branch")
  # (The copy has its own dtype policies: shared_object_id values aside, as in Keras.)
  expect_identical(without_shared_ids(save_model_config(from_config(mconfig))), without_shared_ids(save_model_config(model)))
  # An R class needs no registration: the config carries the class.
  scale <- Layer("VerbScale", initialize = function(factor = 2, ...) {
    super$initialize(...)
    self$factor <- factor
  })
  s <- from_config(get_config(scale(factor = 5, name = "s")))
  expect_identical(s$factor, 5)
  expect_identical(s$name, "s")
})

test_that("get_config() and from_config() refuse what is not a Keras object or config", {
  expect_error(get_config(list(a = 1)), "Keras object", class = "kerasconfig_error_type")
  expect_error(from_config(list(units = 2L)), "__class__", class = "kerasconfig_error_type")
  bad <- get_config(layer_dense(units = 2))
  bad$no_such_argument <- 1
  expect_error(from_config(bad), "no_such_argument", class = "kerasconfig_error")
})

test_that("pop_layer() returns the removed layer, rebuilds, and refuses what Keras refuses", {
  m <- verbs_mlp()
  removed <- pop_layer(m)
  expect_identical(removed$get_config()$name, "d2")
  expect_identical(count_params(m), 40)
  expect_error(pop_layer(verbs_two_branch()), "Sequential", class = "kerasconfig_error_type")
  expect_error(pop_layer(m, rebuild = NA), "rebuild", class = "kerasconfig_error_type")
  empty <- keras_model_sequential(name = "empty")
  expect_error(pop_layer(empty), "no layers", class = "kerasconfig_error_value")
  # The input layer is the last one left: it goes too, as in Keras.
  only_input <- keras_model_sequential(input_shape = 2)
  expect_true(inherits(pop_layer(only_input), "InputLayer"))
  expect_length(only_input$get_config()$layers, 0L)
})

test_that("freeze_weights() selects by name, index, layer, logical and function, and checks them", {
  trainable <- function(m) vapply(get_config(m)$layers[-1], function(l) l$config$trainable, TRUE)
  m <- verbs_mlp()
  freeze_weights(m, from = get_layer(m, "drop"))
  expect_identical(trainable(m), c(TRUE, FALSE, FALSE))
  freeze_weights(m, which = c(TRUE, FALSE, TRUE))
  expect_identical(trainable(m), c(FALSE, TRUE, FALSE))
  freeze_weights(m, which = -1)
  expect_identical(trainable(m), c(TRUE, TRUE, FALSE))
  unfreeze_weights(m, which = list(get_layer(m, "d1"), "d2"))
  expect_identical(trainable(m), c(TRUE, FALSE, TRUE))
  expect_identical(invisible(freeze_weights(m)), m)
  expect_false(get_config(m)$trainable)
  # A custom layer's own trainable field.
  plain <- Layer("VerbPlain")(name = "p")
  freeze_weights(plain)
  expect_false(get_config(plain)$trainable)
  expect_error(freeze_weights(m, from = "nope"), "no such layer", class = "kerasconfig_error_value")
  expect_error(freeze_weights(m, to = 9), "out of range", class = "kerasconfig_error_value")
  expect_error(freeze_weights(m, from = 0), "out of range", class = "kerasconfig_error_value")
  expect_error(freeze_weights(m, from = TRUE), "layer name", class = "kerasconfig_error_type")
  expect_error(freeze_weights(m, which = c(TRUE, FALSE)), "one TRUE/FALSE per layer", class = "kerasconfig_error_value")
  expect_error(freeze_weights(m, which = function(l) "yes"), "TRUE or FALSE", class = "kerasconfig_error_type")
  expect_error(freeze_weights(m, which = 1, from = 1), "can not be supplied", class = "kerasconfig_error_type")
  expect_error(freeze_weights(layer_dense(units = 1), from = 1), "select layers of a model", class = "kerasconfig_error_type")
  expect_error(freeze_weights(optimizer_adam()), "Only layers and models", class = "kerasconfig_error_type")
})

test_that("clone_model() makes new layers, keeps the graph, and refuses bad arguments", {
  model <- verbs_two_branch()
  twin <- clone_model(model)
  expect_false(identical(get_layer(twin, "da"), get_layer(model, "da")))
  expect_identical(count_params(twin), count_params(model))
  # A shared layer stays shared in the clone (one clone per layer).
  a <- keras_input(shape = 3, name = "a")
  b <- keras_input(shape = 3, name = "b")
  shared <- layer_dense(units = 2, name = "shared")
  sm <- keras_model(list(a, b), layer_add(list(call_layer(shared, a), call_layer(shared, b)), name = "add"), name = "sm")
  expect_identical(without_shared_ids(save_model_config(clone_model(sm))), without_shared_ids(save_model_config(sm)))
  # call_function sees every call of a cloned layer.
  seen <- character()
  clone_model(model, call_function = function(layer, ...) {
    seen <<- c(seen, get_config(layer)$name)
    call_layer(layer, ...)
  })
  expect_setequal(seen, c("da", "db", "cat", "out"))
  # recursive: nested models are cloned with clone_model(), so clone_function reaches their layers.
  names_seen <- character()
  clone_model(verbs_outer(verbs_mlp()), recursive = TRUE, clone_function = function(layer) {
    names_seen <<- c(names_seen, get_config(layer)$name)
    from_config(get_config(layer))
  })
  expect_true(all(c("d1", "drop", "d2", "head") %in% names_seen))
  expect_error(clone_model(layer_dense(units = 1)), "takes a model", class = "kerasconfig_error_type")
  expect_error(clone_model(model, clone_function = "no"), "must be functions", class = "kerasconfig_error_type")
  expect_error(clone_model(model, recursive = NA), "recursive", class = "kerasconfig_error_type")
  expect_error(clone_model(model, clone_function = function(l) 1), "must return a layer", class = "kerasconfig_error_type")
  expect_error(clone_model(verbs_mlp(), call_function = call_layer), "only supported for Functional",
               class = "kerasconfig_error_value")
  expect_error(clone_model(model, input_tensors = keras_input(shape = 4)), "same structure",
               class = "kerasconfig_error_value")
  expect_error(clone_model(verbs_mlp(), input_tensors = list(1)), "symbolic tensor", class = "kerasconfig_error_value")
})

# ---- masks ---------------------------------------------------------------------------------------

mask_builders <- list(
  mask_embedding_lstm = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
    keras_model(x, h |> layer_lstm(3, name = "lstm") |> layer_dense(1, name = "out"), name = "mask_lstm")
  },
  mask_embedding_pooling = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
    keras_model(x, h |> layer_global_average_pooling_1d(name = "gap") |> layer_dense(2, name = "out"), name = "mask_pool")
  },
  mask_masking_layer = function() {
    x <- keras_input(shape = c(5, 3), name = "seq")
    keras_model(x, x |> layer_masking(mask_value = 0, name = "masking") |> layer_gru(2, name = "gru"), name = "mask_masking")
  },
  mask_propagates = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- x |> layer_embedding(20, 4, mask_zero = TRUE, name = "emb") |> layer_dense(4, name = "proj") |>
      layer_dropout(0.1, name = "drop")
    keras_model(x, layer_lstm(h, 2, name = "lstm"), name = "mask_propagates")
  },
  mask_attention = function() {
    q <- keras_input(shape = NA, dtype = "int32", name = "q")
    emb <- layer_embedding(q, 20, 4, mask_zero = TRUE, name = "emb")
    mha <- layer_multi_head_attention(num_heads = 1, key_dim = 2, name = "mha")
    keras_model(q, call_layer(mha, emb, emb), name = "mask_attention")
  },
  clone_mask = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
    clone_model(keras_model(x, h |> layer_lstm(3, name = "lstm") |> layer_dense(1, name = "out"), name = "mask_lstm"))
  },
  mask_two_inputs = function() {
    a <- keras_input(shape = NA, dtype = "int32", name = "a")
    b <- keras_input(shape = NA, dtype = "int32", name = "b")
    emb <- layer_embedding(input_dim = 20, output_dim = 4, mask_zero = TRUE, name = "emb")
    ea <- call_layer(emb, a)
    eb <- call_layer(emb, b)
    s <- layer_add(list(ea, eb), name = "add")
    cat <- layer_concatenate(list(ea, layer_dense(eb, 4, name = "dense")), name = "cat")
    keras_model(list(a, b), list(layer_lstm(s, 2, name = "l1"), layer_lstm(cat, 2, name = "l2")), name = "mask_two_inputs")
  },
  mask_bidirectional = function() {
    x <- keras_input(shape = NA, dtype = "int32", name = "tok")
    h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
    keras_model(x, layer_bidirectional(h, layer_lstm(units = 2), name = "bi"), name = "mask_bidirectional")
  }
)

test_that("masks from Embedding(mask_zero = TRUE) and Masking are recorded in the next nodes as Keras does", {
  fx <- verbs_fixtures()
  matched <- character()
  for (case in names(mask_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(mask_builders[[case]]()))
    want <- without_shared_ids(fx[[case]])
    if (identical(got, want)) matched <- c(matched, case) else fail(paste(case, first_difference(got, want)))
  }
  expect_identical(matched, names(mask_builders))
})

test_that("a mask reaching a layer that drops it warns as Keras does; merges combine masks with op nodes", {
  clear_session()
  x <- keras_input(shape = NA, dtype = "int32", name = "tok")
  h <- layer_embedding(x, 20, 4, mask_zero = TRUE, name = "emb")
  expect_warning(layer_flatten(h), "does not support masking", class = "kerasconfig_warning_mask")
  # Keras computes an Add's mask with ops.logical_or: a LogicalOr node of the graph.
  expect_no_warning(s <- layer_add(list(h, h)))
  expect_identical(attr(s, "kc_mask")$keras_history, list("logical_or", 0L, 0L))
  expect_identical(attr(s, "kc_mask")$shape, list(NULL, NULL))
  # Without a mask nothing changes: no ops, no kwargs.
  clear_session()
  y <- keras_input(shape = NA, dtype = "int32", name = "tok")
  plain <- keras_model(y, layer_embedding(y, 20, 4, name = "emb") |> layer_lstm(2, name = "lstm"))
  expect_false(grepl("not_equal", save_model_config(plain)))
  expect_true(grepl('"mask": null', save_model_config(plain)))
})
