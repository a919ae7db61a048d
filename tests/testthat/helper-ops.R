# The graphs of tools/gen-op-fixtures.py, built in R with keras3's op_*() functions and tensor
# operators. Each builder starts after clear_session() and makes ops in Python's order, so
# generated names agree. R numbers are doubles (Python floats); `3L` is Python's int.
op_outputs <- new.env()

# keras_model(), keeping the output tensors for the tests of their shapes and dtypes.
op_model <- function(inputs, outputs, name) {
  op_outputs$last <- if (inherits(outputs, "keras_tensor")) list(outputs) else outputs
  keras_model(inputs, outputs, name = name)
}

op_builders <- list(
  arithmetic = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    y <- keras_input(shape = c(3, 4), name = "y")
    outs <- list(x + y, x - 2, 2 * x, x / y, 1 / x, x^2, -x, x %/% 2, x %% 3, 2.5 - x, x * 3L,
                 op_add(x, y), op_subtract(x, y), op_multiply(x, 0.5), op_divide(x, y), op_power(x, y),
                 op_maximum(x, 0), op_minimum(x, y), op_floor_divide(x, y), op_mod(x, y), op_negative(x))
    op_model(list(x, y), outs, name = "arithmetic")
  },
  comparisons = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    y <- keras_input(shape = c(3, 4), name = "y")
    gt <- x > y
    lt <- x < 1
    outs <- list(gt, x >= y, lt, x <= 0.5, x == y, 1 == x, x != y, x != 1, 0 < x, 0.5 >= x,
                 gt & lt, gt | lt, !gt, op_logical_and(gt, lt), op_logical_or(gt, lt), op_logical_xor(gt, lt),
                 op_logical_not(lt), op_greater(x, y), op_greater_equal(x, 0), op_less(x, y),
                 op_less_equal(x, y), op_not_equal(x, y))
    op_model(list(x, y), outs, name = "comparisons")
  },
  unary = function() {
    x <- keras_input(shape = 5, name = "x")
    outs <- list(op_abs(x), op_exp(x), op_log(x), op_sqrt(x), op_square(x), op_sign(x), op_floor(x),
                 op_ceil(x), op_round(x), op_round(x, decimals = 2), op_log1p(x), op_expm1(x), op_sin(x),
                 op_cos(x), op_tan(x), op_tanh(x), op_reciprocal(x), op_rsqrt(x), op_erf(x), op_erfinv(x))
    op_model(x, outs, name = "unary")
  },
  activations = function() {
    x <- keras_input(shape = c(2, 6), name = "x")
    outs <- list(op_relu(x), op_relu6(x), op_sigmoid(x), op_softplus(x), op_softsign(x), op_silu(x),
                 op_gelu(x), op_gelu(x, approximate = FALSE), op_elu(x), op_elu(x, alpha = 0.5), op_selu(x),
                 op_leaky_relu(x), op_leaky_relu(x, 0.1), op_hard_sigmoid(x), op_hard_silu(x),
                 op_softmax(x), op_softmax(x, axis = 2), op_log_softmax(x))
    op_model(x, outs, name = "activations")
  },
  reductions = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    b <- keras_input(shape = c(3, 4), dtype = "bool", name = "b")
    amax <- op_argmax(x, axis = -1)
    outs <- list(op_mean(x, axis = 2), op_mean(x), op_sum(x, axis = c(2, 3), keepdims = TRUE), op_max(x, axis = -1),
                 op_min(x, axis = 1, keepdims = TRUE), op_prod(x, axis = 3), op_std(x, axis = 2),
                 op_var(x, axis = -1, keepdims = TRUE), op_any(b, axis = 2), op_all(b), amax,
                 op_argmin(x, axis = 2, zero_indexed = TRUE))
    op_model(list(x, b), outs, name = "reductions")
  },
  reshaping = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    y <- keras_input(shape = c(3, 4), name = "y")
    e <- op_expand_dims(x, 2)
    outs <- list(op_concatenate(list(x, y), axis = 2), op_concatenate(list(x, y)), op_concatenate(list(x, y), axis = -1),
                 op_stack(list(x, y), axis = 2), op_stack(list(x, y)), op_reshape(x, c(NA, 12)), op_reshape(x, c(2, 6, -1)),
                 op_transpose(x, c(1, 3, 2)), op_transpose(x), e, op_expand_dims(x, -1), op_squeeze(e, axis = 2),
                 op_squeeze(e), op_swapaxes(x, 2, 3), op_moveaxis(x, 2, -1), op_tile(x, c(1L, 2L, 1L)),
                 op_broadcast_to(x, c(2, 3, 4)), op_cast(x, "int32"), op_cast(x, "bool"), op_zeros_like(x),
                 op_ones_like(x, "int32"), op_clip(x, 0, 1), op_matmul(x, op_transpose(y, c(1, 3, 2))),
                 op_matmul(op_transpose(x, c(1, 3, 2)), y))
    op_model(list(x, y), outs, name = "reshaping")
  },
  int_dtypes = function() {
    i <- keras_input(shape = 3, dtype = "int32", name = "i")
    outs <- list(i + 1L, i + 1.5, i * i, i / 2L, op_sqrt(i), op_mean(i, axis = 2), op_sum(i), op_negative(i),
                 op_cast(i, "float16"), i > 1L, op_relu(i))
    op_model(i, outs, name = "int_dtypes")
  },
  attention_block = function() {
    tokens <- keras_input(shape = c(8, 16), name = "tokens")
    h <- tokens * op_rsqrt(op_mean(op_square(tokens), axis = -1, keepdims = TRUE) + 1e-6)
    q <- layer_dense(h, 16, name = "query")
    k <- layer_dense(h, 16, name = "key")
    v <- layer_dense(h, 16, name = "value")
    scores <- op_matmul(q, op_transpose(k, c(1, 3, 2))) / 4
    att <- op_matmul(op_softmax(scores, axis = -1), v)
    out <- layer_dense(att, 16, name = "proj") + tokens
    pooled <- op_mean(out, axis = 2)
    op_model(tokens, layer_dense(pooled, 2, activation = "softmax", name = "head"), name = "attention_block")
  },
  preprocess_head = function() {
    img <- keras_input(shape = c(8, 8, 3), name = "img")
    x <- op_cast(img, "float32") / 127.5 - 1
    x <- layer_conv_2d(x, 4, 3, name = "conv")
    x <- op_relu(x)
    x <- op_max(x, axis = c(2, 3))
    op_model(img, layer_dense(x, 1, name = "out"), name = "preprocess_head")
  }
)

# Selecting, sorting, splitting and contracting ops, and subsetting (R/ops-select.R). keras3 turns
# 1-based index tensors into `op_where(i > 0, i - 1, i)`, which the Python side writes as
# py_index(); `x[...]` passes its key as written, op_subset() applies R's rules.
op_builders <- c(op_builders, list(
  products = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    y <- keras_input(shape = c(4, 5), name = "y")
    v <- keras_input(shape = 4, name = "v")
    z <- keras_input(shape = list(NULL, 4), name = "z")
    outs <- list(op_dot(x, y), op_dot(x, v), op_dot(z, y), op_einsum("bij,bjk->bik", x, y), op_einsum("bij,bkj", x, x),
                 op_einsum("...j->...", x), op_einsum("bij->bji", z), op_einsum("bi,bi->b", v, v))
    op_model(list(x, y, v, z), outs, name = "products")
  },
  indexing = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    i <- keras_input(shape = 2, dtype = "int32", name = "i")
    j <- keras_input(shape = c(3, 1), dtype = "int32", name = "j")
    outs <- list(op_take(x, i, axis = 2), op_take(x, i, axis = -1, zero_indexed = TRUE), op_take(x, i),
                 op_take(x, 2, axis = 3), op_take_along_axis(x, j, axis = 2),
                 op_take_along_axis(x, j, axis = -1, zero_indexed = TRUE),
                 op_take(x, op_argmax(x, axis = -1, zero_indexed = TRUE), axis = 2, zero_indexed = TRUE))
    op_model(list(x, i, j), outs, name = "indexing")
  },
  where_one_hot = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    y <- keras_input(shape = c(3, 4), name = "y")
    k <- keras_input(shape = c(3, 4), dtype = "int32", name = "k")
    n <- keras_input(shape = 3, dtype = "int32", name = "n")
    outs <- list(op_where(x > 0, x, 0), op_where(x > y, x, y), op_where(x > 0, k, 0L), op_where(x > 0, k, 0.5),
                 op_where(x > 0, 1, y), op_one_hot(n, 5), op_one_hot(n, 4, axis = 2, zero_indexed = TRUE),
                 op_one_hot(n, 3, dtype = "int32", zero_indexed = TRUE))
    op_model(list(x, y, k, n), outs, name = "where_one_hot")
  },
  sorting = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    b <- keras_input(shape = c(3, 4), dtype = "bool", name = "b")
    top <- op_top_k(x, 2)
    outs <- c(list(op_cumsum(x, axis = 2), op_cumsum(x), op_cumprod(x, axis = -1), op_cumsum(b, axis = 1),
                   op_cumprod(x, axis = 2, dtype = "float16"), op_sort(x), op_sort(x, axis = 2), op_argsort(x),
                   op_argsort(x, axis = 2, zero_indexed = TRUE)),
              top, op_top_k(x, 3, sorted = FALSE, zero_indexed = TRUE))
    op_model(list(x, b), outs, name = "sorting")
  },
  splitting = function() {
    x <- keras_input(shape = c(6, 4), name = "x")
    z <- keras_input(shape = list(NULL, 4), name = "z")
    halves <- op_split(x, 2, axis = 2)
    outs <- c(halves, op_split(x, c(2, 5), axis = 2), op_split(x, 2, axis = -1), op_split(z, 3, axis = 2))
    outs <- c(outs, list(layer_dense(halves[[2]], 2, name = "dense")))
    op_model(list(x, z), outs, name = "splitting")
  },
  subsetting = function() {
    x <- keras_input(shape = c(3, 4), name = "x")
    outs <- list(x[, 1:3], x[, 2], x[, -1], x[.., 1], x[, NULL], x[2], x[, NA:2], x[, 1:3:2],
                 op_subset(x, , 2), op_subset(x, , -1), op_subset(x, , 1:2), op_subset(x, , 2:3),
                 op_subset(x, , , 2:-1), op_subset(x, .., 1), op_subset(x, NULL), op_subset(x, , c(1, 3)),
                 op_subset(x, , NA:2), op_subset(x, 2))
    op_model(x, outs, name = "subsetting")
  },
  gather_head = function() {
    tokens <- keras_input(shape = c(5, 8), name = "tokens")
    h <- layer_dense(tokens, 8, name = "encode")
    last <- h[, -1]
    parts <- op_split(h, array(2), axis = 2)
    pooled <- op_einsum("btd,bd->bt", parts[[2]], last)
    probs <- op_softmax(layer_dense(last, 6, name = "classes"))
    top <- op_top_k(probs, 3)
    op_model(tokens, list(top[[1]], top[[2]], pooled, op_squeeze(parts[[1]], axis = 2)), name = "gather_head")
  }
))
