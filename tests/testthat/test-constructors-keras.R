# Our constructors against Keras 3.15.1 itself: tests/testthat/fixtures/constructors.json holds what
# Keras wrote (or refused) for 2954 argument sets of 273 public built-in classes
# (tools/gen-constructor-fixtures.py). Each case runs twice: numbers as the fixture types them (R
# integers for Python ints), and every number as an R double, as an R user types them.

# Classes with at least one case that still differs from Keras, each with the reason. The test
# fails when a class outside this list differs, and when a class in it no longer does (remove it).
kc_constructor_exceptions <- c(
  # Keras validates argument values in __init__ and we do not yet: we build what it refuses.
  validation = c(
    "keras.layers.ActivityRegularization", "keras.layers.AutoContrast", "keras.layers.CategoryEncoding",
    "keras.layers.Conv1DTranspose", "keras.layers.Conv2DTranspose", "keras.layers.Conv3DTranspose",
    "keras.layers.CutMix", "keras.layers.Discretization", "keras.layers.Dropout", "keras.layers.Embedding",
    "keras.layers.Equalization", "keras.layers.GroupQueryAttention", "keras.layers.InputLayer",
    "keras.layers.MultiHeadAttention", "keras.layers.Normalization", "keras.layers.Permute",
    "keras.layers.Pipeline", "keras.layers.RandomBrightness", "keras.layers.RandomColorDegeneration",
    "keras.layers.RandomColorJitter", "keras.layers.RandomElasticTransform", "keras.layers.RandomErasing",
    "keras.layers.RandomGaussianBlur", "keras.layers.RandomPerspective", "keras.layers.RandomPosterization",
    "keras.layers.RandomSaturation", "keras.layers.RandomSharpness", "keras.layers.RandomZoom",
    "keras.layers.Reshape", "keras.layers.STFTSpectrogram", "keras.layers.SpatialDropout1D",
    "keras.layers.SpatialDropout2D", "keras.layers.SpatialDropout3D", "keras.optimizers.OptimizerMap",
    "keras.optimizers.schedules.PiecewiseConstantDecay", "keras.metrics.BinaryIoU", "keras.metrics.F1Score",
    "keras.metrics.FBetaScore", "keras.metrics.IoU", "keras.metrics.OneHotIoU",
    "keras.regularizers.OrthogonalRegularizer", "keras.dtype_policies.AWQDTypePolicy",
    "keras.dtype_policies.DTypePolicy", "keras.dtype_policies.DTypePolicyMap",
    "keras.dtype_policies.FloatDTypePolicy", "keras.dtype_policies.GPTQDTypePolicy",
    "keras.dtype_policies.Int4DTypePolicy", "keras.dtype_policies.QuantizedDTypePolicy",
    "keras.dtype_policies.QuantizedFloat8DTypePolicy", "keras.layers.InputSpec"
  ),
  # Derived values Keras computes that no rule of rules.json models yet: factor ranges
  # (RandomInvert [0, f], RandomShear [-f, f], AugMix, RandAugment, Solarization), AUC's
  # num_thresholds from thresholds, MelSpectrogram's max_freq, VarianceScaling's distribution names,
  # BatchNormalization's renorm_clipping.
  derived = c(
    "keras.layers.AugMix", "keras.layers.RandAugment", "keras.layers.RandomInvert", "keras.layers.RandomShear",
    "keras.layers.Solarization", "keras.metrics.AUC", "keras.layers.MelSpectrogram",
    "keras.initializers.VarianceScaling", "keras.layers.BatchNormalization"
  ),
  # Optional keys Keras places differently per argument combination (activity_regularizer in
  # classes whose get_config() builds the dict in another order; lora_alpha kept only with
  # lora_rank; input_shape kept by Identity/ELU/Layer), and nested objects Keras rebuilds
  # (Bidirectional's backward layer, MultiOptimizer's map).
  key_order = c(
    "keras.layers.Conv1D", "keras.layers.Conv2D", "keras.layers.Conv3D", "keras.layers.SimpleRNN", "keras.layers.ELU",
    "keras.layers.Identity", "keras.layers.Layer", "keras.layers.Dense",
    "keras.layers.EinsumDense", "keras.layers.Bidirectional", "keras.optimizers.MultiOptimizer"
  )
)

test_that("constructors write Keras' own config for every argument set, with R integers and with doubles", {
  results <- kc_constructor_results()
  expect_gt(nrow(results), 5000L)
  failing <- unique(results$path[results$result != "match"])
  unexpected <- setdiff(failing, kc_constructor_exceptions)
  first <- vapply(unexpected, function(p) {
    r <- results[results$path == p & results$result != "match", ][1L, ]
    sprintf("%s case %d%s: %s", p, r$case, if (r$doubles) " (doubles)" else "", r$result)
  }, "")
  expect(length(unexpected) == 0L, paste(c("Classes differing from Keras:", first), collapse = "\n"))
  stale <- setdiff(kc_constructor_exceptions, failing)
  expect(length(stale) == 0L, paste("Exceptions that now match Keras (remove them):", paste(stale, collapse = ", ")))
  # The convention does not matter any more: integers and doubles fail in the same classes.
  expect_setequal(unique(results$path[results$result != "match" & results$doubles]),
                  unique(results$path[results$result != "match" & !results$doubles]))
})

test_that("the cases issue 9 names write what Keras writes", {
  json <- function(x) config_to_json(serialize_keras_object(x)$config)
  expect_match(json(keras$layers$MaxPooling1D(pool_size = 3)), '"pool_size": [3], "padding": "valid", "strides": [3]',
               fixed = TRUE)
  expect_match(json(keras$regularizers$L1(l1 = 0.001)), "0.0010000000474974513", fixed = TRUE)
  expect_false(grepl("dtype", json(keras$losses$MeanSquaredError(dtype = "float16"))))
  expect_match(json(initializer_glorot_uniform(seed = 1)), '"seed": 1,', fixed = TRUE)
  expect_match(json(keras$constraints$MaxNorm(max_value = 2)), '"max_value": 2.0', fixed = TRUE)
  expect_match(json(layer_dense(units = 3, activity_regularizer = "l2")),
               '"dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "activity_regularizer"',
               fixed = TRUE)
  expect_error(keras$layers$InputLayer(), class = "kerasconfig_error_missing_argument")
})

test_that("a float read from JSON stays a float, also after set_config()", {
  text <- '{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}, "registered_name": null}'
  obj <- deserialize_keras_object(config_from_json(text = text))
  expect_identical(config_to_json(serialize_keras_object(obj)), text)
  set_config(obj, axis = 1)
  expect_match(config_to_json(serialize_keras_object(obj)), '"max_value": 2.0, "axis": 1', fixed = TRUE)
})

test_that("one number, or one per dimension, becomes the pairs and tuples Keras stores, from R vectors too", {
  json <- function(x, key) config_to_json(serialize_keras_object(x)$config[[key]])
  # Keras 3.15.1: Cropping2D(cropping=(1, 2)), ZeroPadding3D(padding=(1, (2, 3), 4)),
  # Conv2DTranspose(2, 4, strides=3, output_padding=1).
  expect_identical(json(keras$layers$Cropping2D(cropping = c(1, 2)), "cropping"), "[[1, 1], [2, 2]]")
  expect_identical(json(layer_cropping_3d(cropping = 1), "cropping"), "[[1, 1], [1, 1], [1, 1]]")
  expect_identical(json(keras$layers$ZeroPadding3D(padding = list(1, c(2, 3), 4)), "padding"),
                   "[[1, 1], [2, 3], [4, 4]]")
  expect_identical(json(keras$layers$Conv2DTranspose(2, 4, strides = 3, output_padding = 1), "output_padding"),
                   "[1, 1]")
})
