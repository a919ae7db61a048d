# Custom layer generators take keras3's `object` first: a tensor (or a list of tensors) calls the
# new layer, a Sequential model gets it added, nothing returns it. The graphs are those of
# tools/gen-custom-layer-fixtures.py (fixtures/custom-layer-graphs.json), where Python registers
# the same classes under "kc>", defined at top level (module "<r-globalenv>").

custom_layer_classes <- function() {
  list(
    scale = register_keras_serializable(Layer("Scale",
      initialize = function(factor = 2, ...) {
        super$initialize(...)
        self$factor <- factor
      },
      get_config = function() {
        config <- super$get_config()
        config$factor <- self$factor
        config
      },
      compute_output_shape = function(input_shape) input_shape,
      parent_env = globalenv()), package = "kc"),
    offset = register_keras_serializable(Layer("Offset",
      initialize = function(offset = 0, ...) {
        super$initialize(...)
        self$offset <- offset
      },
      compute_output_shape = function(input_shape) input_shape,
      parent_env = globalenv()), package = "kc"),
    projection = register_keras_serializable(Layer("Projection",
      initialize = function(units = 2L, ...) {
        super$initialize(...)
        self$units <- units
      },
      build = function(input_shape) {
        self$kernel <- self$add_weight(shape = list(input_shape[[length(input_shape)]], self$units), name = "kernel")
      },
      compute_output_shape = function(input_shape) {
        input_shape[[length(input_shape)]] <- self$units
        input_shape
      },
      get_config = function() {
        config <- super$get_config()
        config$units <- self$units
        config
      },
      parent_env = globalenv()), package = "kc"),
    pair_sum = register_keras_serializable(Layer("PairSum",
      call = function(inputs) inputs[[1]] + inputs[[2]],
      compute_output_shape = function(input_shape) input_shape[[1]],
      parent_env = globalenv()), package = "kc"),
    gate = register_keras_serializable(Layer("Gate",
      call = function(x, gate) x * gate,
      compute_output_shape = function(x_shape, gate_shape) x_shape,
      parent_env = globalenv()), package = "kc"),
    gated_projection = register_keras_serializable(Layer("GatedProjection",
      initialize = function(units = 2L, ...) {
        super$initialize(...)
        self$units <- units
      },
      build = function(x_shape, gate_shape) {
        self$kernel <- self$add_weight(shape = list(x_shape[[2]], self$units), name = "kernel")
        self$gate_kernel <- self$add_weight(shape = list(gate_shape[[2]], self$units), name = "gate_kernel")
      },
      call = function(x, gate) NULL,
      compute_output_shape = function(input_shape) list(input_shape[[1]], self$units),
      parent_env = globalenv()), package = "kc")
  )
}

custom_layer_builders <- list(
  custom_in_functional = function(k) {
    x <- keras_input(shape = 4, name = "x")
    out <- x |> layer_dense(3, name = "hidden") |> k$scale(factor = 3, name = "scale") |> layer_dense(1, name = "out")
    keras_model(x, out, name = "custom_functional")
  },
  custom_auto_config = function(k) {
    x <- keras_input(shape = 4, name = "x")
    keras_model(x, x |> k$offset(offset = 1.5) |> k$offset(offset = -1, name = "back"), name = "custom_auto")
  },
  custom_built = function(k) {
    x <- keras_input(shape = 5, name = "x")
    keras_model(x, k$projection(x, units = 3L, name = "proj"), name = "custom_built")
  },
  custom_list_input = function(k) {
    a <- keras_input(shape = 4, name = "a")
    b <- keras_input(shape = 4, name = "b")
    s <- list(a, b) |> k$pair_sum(name = "pair")
    keras_model(list(a, b), layer_dense(s, 2, name = "out"), name = "custom_list")
  },
  custom_two_arguments = function(k) {
    a <- keras_input(shape = 4, name = "a")
    g <- keras_input(shape = 4, name = "g")
    keras_model(list(a, g), k$gate(list(a, g), name = "gate"), name = "custom_two_args")
  },
  custom_build_shapes_dict = function(k) {
    a <- keras_input(shape = 4, name = "a")
    g <- keras_input(shape = 3, name = "g")
    keras_model(list(a, g), list(a, g) |> k$gated_projection(units = 5L, name = "gp"), name = "custom_shapes_dict")
  },
  custom_shared = function(k) {
    a <- keras_input(shape = 4, name = "a")
    b <- keras_input(shape = 4, name = "b")
    half <- k$scale(factor = 0.5, name = "half")
    keras_model(list(a, b), layer_add(list(call_layer(half, a), call_layer(half, b)), name = "add"), name = "custom_shared")
  },
  custom_in_sequential = function(k) {
    keras_model_sequential(input_shape = 4, name = "custom_sequential") |>
      k$scale(factor = 2, name = "scale") |>
      layer_dense(1, name = "out")
  }
)

test_that("custom layer generators called on tensors, lists and Sequential models give Python's config text", {
  local_empty_registry()
  k <- custom_layer_classes()
  fx <- config_from_json(test_path("fixtures", "custom-layer-graphs.json"))$cases
  expect_setequal(names(fx), names(custom_layer_builders))
  for (case in names(custom_layer_builders)) {
    clear_session()
    got <- without_shared_ids(save_model_config(custom_layer_builders[[case]](k)))
    want <- without_shared_ids(fx[[case]])
    expect(identical(got, want), paste(case, first_difference(got, want)))
  }
})

test_that("a custom layer generator returns the layer when given nothing, NULL or only arguments", {
  local_empty_registry()
  k <- custom_layer_classes()
  expect_s3_class(k$scale(), "Scale")
  expect_s3_class(k$scale(NULL, factor = 4), "Scale")
  layer <- k$scale(factor = 4, name = "s4")
  expect_identical(layer$factor, 4)
  expect_length(kerasconfig:::kc_layer_nodes(layer), 0L)
  # Deserialization calls the generator with the config's elements: no `object` there.
  back <- deserialize_keras_object(serialize_keras_object(layer))
  expect_identical(back$factor, 4)
  expect_identical(back$name, "s4")
})

test_that("a custom layer generator called on a tensor builds the layer and records the call", {
  local_empty_registry()
  k <- custom_layer_classes()
  x <- keras_input(shape = 5, name = "x")
  y <- k$projection(x, units = 3L, name = "p")
  expect_s3_class(y, "keras_tensor")
  expect_identical(y$shape, list(NULL, 3L))
  expect_identical(y$keras_history, list("p", 0L, 0L))
  # A positional argument after `object` is the first of initialize(), as keras3 passes it on.
  z <- k$projection(x, 7L, name = "p7")
  expect_identical(z$shape, list(NULL, 7L))
  expect_identical(count_params(keras_model(x, list(y, z))), 15 + 35)
})

test_that("custom build() and compute_output_shape() get the shapes Keras passes them", {
  local_empty_registry()
  k <- custom_layer_classes()
  a <- keras_input(shape = 4, name = "a")
  g <- keras_input(shape = 3, name = "g")
  # build(x_shape, gate_shape): one shape per call() argument; 4 * 5 + 3 * 5 variables.
  y <- k$gated_projection(list(a, g), units = 5L)
  expect_identical(y$shape, list(NULL, 5L))
  expect_identical(count_params(keras_model(list(a, g), y)), 35)
  # compute_output_shape() with several arguments: each must be `<call argument>_shape`.
  bad <- Layer("BadShapes", call = function(x, gate) NULL, compute_output_shape = function(x_shape, other_shape) x_shape)
  expect_error(bad(list(a, g)), "other_shape", class = "kerasconfig_error_value")
})

test_that("a custom layer generator adds the layer to a Sequential model and returns the model", {
  local_empty_registry()
  k <- custom_layer_classes()
  model <- keras_model_sequential(input_shape = 3)
  out <- k$projection(model, units = 2L, name = "proj")
  expect_identical(out, model)
  expect_identical(get_layer(model, "proj")$output$shape, list(NULL, 2L))
  expect_identical(count_params(model), 6)
})

test_that("a custom layer generator refuses a first argument that is neither tensor, model nor NULL", {
  local_empty_registry()
  k <- custom_layer_classes()
  expect_error(k$scale(3), "`object`", class = "kerasconfig_error_type")
  expect_error(k$scale(list(1, 2)), "by name", class = "kerasconfig_error_type")
  expect_error(k$scale(layer_dense(units = 2)), "Dense", class = "kerasconfig_error_type")
})

test_that("auto-config records the defaults of initialize() as Keras' Operation.__new__ does", {
  # Keras 3.15.1: class Offset(Layer) with __init__(self, offset=0.0, **kwargs) and no get_config:
  # Offset(name="o").get_config() == {"name": "o", "offset": 0.0, "trainable": True, "dtype": ...}
  layer_offset <- Layer("Offset", initialize = function(offset = 0, ...) {
    super$initialize(...)
    self$offset <- offset
  })
  cfg <- layer_offset(name = "o")$get_config()
  expect_identical(names(cfg), c("name", "offset", "trainable", "dtype"))
  expect_identical(cfg$offset, 0)
  # A class without initialize() has Layer.__init__'s: Keras' keys in Keras' order.
  cfg <- Layer("NoInit")(name = "n", trainable = FALSE)$get_config()
  expect_identical(names(cfg), c("name", "activity_regularizer", "trainable", "dtype", "autocast"))
  expect_false(cfg$trainable)
  expect_true(cfg$autocast)
})
