# The graphs of tools/gen-functional-fixtures.py, built in R with keras3's API. Each builder
# starts after clear_session(), as the Python script does, and creates layers in Python's order
# so generated names agree.
functional_builders <- list(
  mlp_single = function() {
    x <- keras_input(shape = 4, name = "x")
    h <- x |> layer_dense(8, activation = "relu")
    keras_model(x, layer_dense(h, 1), name = "mlp")
  },
  default_names = function() {
    x <- keras_input(shape = 3)
    outer <- layer_dense(units = 2)
    keras_model(x, call_layer(outer, layer_dense(x, 4)))
  },
  multi_list = function() {
    a <- keras_input(shape = 8, name = "a")
    b <- keras_input(shape = 4, name = "b")
    cat_layer <- layer_concatenate()
    h <- call_layer(cat_layer, list(layer_dense(a, 6), b))
    keras_model(list(a, b), list(layer_dense(h, 1, name = "out1"),
                                 layer_dense(h, 3, activation = "softmax", name = "out2")), name = "multi_list")
  },
  single_lists = function() {
    x <- keras_input(shape = 5, name = "x")
    keras_model(list(x), list(layer_dense(x, 2)), name = "single_lists")
  },
  dict_io = function() {
    a <- keras_input(shape = 8, name = "a")
    b <- keras_input(shape = 8, name = "b")
    s <- layer_add(list(a, b))
    keras_model(list(a = a, b = b), list(score = layer_dense(s, 1, name = "score"), cls = layer_dense(s, 2, name = "cls")),
                name = "dict_io")
  },
  inputs_order = function() {
    t <- keras_input(shape = NA, dtype = "int32", name = "tok")
    n <- keras_input(shape = 3, name = "num")
    e <- t |> layer_embedding(50, 4) |> layer_global_average_pooling_1d()
    cat_layer <- layer_concatenate(axis = -1)
    out <- layer_dense(units = 1)
    keras_model(list(n, t), call_layer(out, call_layer(cat_layer, list(layer_dense(n, 4), e))), name = "inputs_order")
  },
  shared_layer = function() {
    a <- keras_input(shape = 6, name = "left")
    b <- keras_input(shape = 6, name = "right")
    d <- layer_dense(units = 5, name = "shared")
    x <- call_layer(d, a)
    y <- call_layer(d, b)
    z <- call_layer(d, layer_dense(x, 6, name = "back"))
    keras_model(list(a, b), list(layer_add(list(x, y)), z), name = "shared_layer")
  },
  nested_sequential = function() {
    x <- keras_input(shape = 8, name = "x")
    y <- keras_input(shape = 8, name = "y")
    inner <- keras_model_sequential(input_shape = 8, name = "inner") |>
      layer_dense(4, activation = "relu") |>
      layer_dense(2)
    keras_model(list(x, y), layer_average(list(call_layer(inner, x), call_layer(inner, y))), name = "nested_sequential")
  },
  nested_functional = function() {
    i <- keras_input(shape = 4)
    inner <- keras_model(i, layer_dense(i, 3, name = "inner_dense"), name = "inner_func")
    x <- keras_input(shape = 4, name = "x")
    y <- keras_input(shape = 4, name = "y")
    a <- call_layer(inner, x)
    b <- call_layer(inner, y)
    keras_model(list(x, y), list(layer_maximum(list(a, b)), a), name = "nested_functional")
  },
  nested_multi_input = function() {
    p <- keras_input(shape = 4, name = "p")
    q <- keras_input(shape = 4, name = "q")
    inner <- keras_model(list(p, q), layer_multiply(list(p, q)), name = "inner_mul")
    x <- keras_input(shape = 4, name = "x")
    keras_model(x, layer_dense(call_layer(inner, list(x, x)), 1), name = "nested_multi_input")
  },
  merges = function() {
    a <- keras_input(shape = 4, name = "a")
    b <- keras_input(shape = 4, name = "b")
    ab <- list(a, b)
    outs <- list(layer_add(ab), layer_subtract(ab), layer_multiply(ab), layer_average(ab), layer_maximum(ab),
                 layer_minimum(ab), layer_concatenate(ab, axis = 2), layer_dot(ab, axes = 2))
    keras_model(ab, outs, name = "merges")
  },
  attention_kwargs = function() {
    q <- keras_input(shape = c(5, 8), name = "q")
    v <- keras_input(shape = c(7, 8), name = "v")
    mha <- layer_multi_head_attention(num_heads = 2, key_dim = 4, name = "mha")
    res <- call_layer(mha, q, v, key = v, return_attention_scores = TRUE)
    att <- layer_attention(list(q, v), name = "att")
    keras_model(list(q, v), list(res[[1]], res[[2]], att), name = "attention_kwargs")
  },
  self_attention = function() {
    x <- keras_input(shape = c(6, 16), name = "x")
    h <- layer_multi_head_attention(list(x, x), num_heads = 4, key_dim = 4)
    h <- layer_add(list(x, h)) |> layer_layer_normalization()
    keras_model(x, layer_global_average_pooling_1d(h), name = "self_attention")
  },
  training_kwargs = function() {
    x <- keras_input(shape = 10, name = "x")
    h <- x |> layer_dense(10) |> layer_dropout(0.5) |> layer_batch_normalization()
    keras_model(x, layer_dense(h, 1), name = "training_kwargs")
  },
  cnn = function() {
    x <- keras_input(shape = c(28, 28, 1), name = "img")
    h <- x |> layer_conv_2d(8, 3, activation = "relu") |> layer_max_pooling_2d()
    keras_model(x, h |> layer_flatten() |> layer_dense(10), name = "cnn")
  },
  rnn_branch = function() {
    x <- keras_input(shape = c(NA, 3), name = "seq")
    res <- layer_lstm(x, 4, return_state = TRUE)
    keras_model(x, list(res[[1]], layer_dense(res[[3]], 2)), name = "rnn_branch")
  },
  reused_output = function() {
    x <- keras_input(shape = 4, name = "x")
    h <- layer_dense(x, 4, name = "h")
    keras_model(x, list(h, layer_dense(h, 1)), name = "reused_output")
  }
)

# The reference models of ../shared/keras-reference/models, built in R.
reference_builders <- list(
  func_multi_io = function() {
    tok <- keras_input(shape = NA, dtype = "int32", name = "tok_in")
    num <- keras_input(shape = 16, name = "num_in")
    emb <- layer_embedding(input_dim = 500, output_dim = 16)
    dense <- layer_dense(units = 32, activation = "relu")
    pooled <- tok |> call_layer(layer = emb) |> layer_global_average_pooling_1d()
    h <- layer_concatenate(list(call_layer(dense, num), pooled)) |> layer_dense(32, activation = "gelu")
    keras_model(list(num, tok), list(layer_dense(h, 4, activation = "softmax", name = "cls"),
                                     layer_dense(h, 1, name = "reg")), name = "func_multi_io")
  },
  func_nested = function() {
    x <- keras_input(shape = 8, name = "x")
    y <- keras_input(shape = 8, name = "y")
    inner_seq <- keras_model_sequential(input_shape = 8, name = "inner_seq") |>
      layer_dense(8, activation = "relu") |>
      layer_dense(4)
    i <- keras_input(shape = 4)
    inner_func <- keras_model(i, layer_dense(i, 2, name = "inner_head"), name = "inner_func")
    avg <- layer_average(list(call_layer(inner_seq, x), call_layer(inner_seq, y)))
    keras_model(list(x, y), call_layer(inner_func, avg), name = "func_nested")
  },
  func_shared_layers = function() {
    left <- keras_input(shape = 10, name = "left")
    right <- keras_input(shape = 10, name = "right")
    shared <- layer_dense(units = 16, activation = "relu", name = "shared_dense")
    a <- call_layer(shared, left)
    b <- call_layer(shared, right)
    back <- call_layer(shared, layer_dense(a, 10, name = "back_to_10"))
    keras_model(list(left, right), list(layer_dot(list(a, b), axes = 2, normalize = TRUE), back),
                name = "func_shared_layers")
  }
)

without_shared_ids <- function(text) gsub(', "shared_object_id": [0-9]+', "", text)

# The first difference between two texts, for failure messages.
first_difference <- function(got, want) {
  a <- strsplit(got, "")[[1]]
  b <- strsplit(want, "")[[1]]
  n <- min(length(a), length(b))
  i <- which(a[seq_len(n)] != b[seq_len(n)])[1]
  if (is.na(i)) i <- n
  sprintf("at %d:\n  R:      %s\n  Python: %s", i, substr(got, i - 120, i + 120), substr(want, i - 120, i + 120))
}

# The compiled cases of tools/gen-functional-fixtures.py.
compiled_builders <- list(
  compiled_strings = function() compile(functional_builders$mlp_single(), optimizer = "adam", loss = "mse", metrics = list("mae")),
  compiled_objects = function() {
    model <- functional_builders$mlp_single()
    compile(model, optimizer = optimizer_sgd(learning_rate = 0.05), loss = loss_huber(),
            metrics = list(metric_root_mean_squared_error(), "mse"))
  },
  compiled_per_output_list = function() {
    compile(functional_builders$multi_list(), optimizer = "rmsprop", loss = list("mse", "categorical_crossentropy"),
            metrics = list(list("mae"), list("accuracy")), loss_weights = list(1, 0.5))
  },
  compiled_per_output_dict = function() {
    compile(functional_builders$dict_io(), optimizer = "adam", loss = list(score = "mse", cls = "binary_crossentropy"),
            metrics = list(cls = list("accuracy")), weighted_metrics = list("mse"), loss_weights = list(score = 2, cls = 1))
  },
  compiled_defaults = function() compile(functional_builders$mlp_single()),
  compiled_options = function() {
    compile(functional_builders$mlp_single(), loss = "mae", run_eagerly = TRUE, steps_per_execution = 4,
            jit_compile = FALSE, auto_scale_loss = FALSE)
  }
)
