# Reading configs under session settings: Keras 3.15.1 fills what a config omits from the session
# (tools/gen-session-read-fixtures.py, fixtures/session-read.json), on every route of
# deserialize_keras_object() (Rust's fast path and R's).

test_that("configs read under each session setting write back what Keras writes", {
  fx <- config_from_json(test_path("fixtures", "session-read.json"))
  on.exit({
    clear_session()
    config_set_floatx("float32")
    config_set_image_data_format("channels_last")
  })
  routes <- list(plain = NULL, general = list(unused = function(x) x))
  for (setting in names(fx$read)) {
    s <- fx$settings[[setting]]
    # Each route starts a session, as the Python script does once per setting (generated names).
    for (route in names(routes)) {
      clear_session()
      config_set_floatx(if (is.null(s$floatx)) "float32" else s$floatx)
      config_set_image_data_format(if (is.null(s$image_data_format)) "channels_last" else s$image_data_format)
      if (!is.null(s$dtype_policy)) config_set_dtype_policy(s$dtype_policy)
      for (name in names(fx$configs)) {
        want <- fx$read[[setting]][[name]]
        obj <- deserialize_keras_object(fx$configs[[name]], custom_objects = routes[[route]])
        got <- config_to_json(serialize_keras_object(obj))
        expect(identical(got, want), paste(setting, name, route, first_difference(got, want)))
      }
    }
  }
})

test_that("the fast path is used only while every session setting is Keras' default", {
  on.exit({
    clear_session()
    config_set_floatx("float32")
  })
  clear_session()
  expect_true(kerasconfig:::kc_session_is_default())
  config_set_floatx("float16")
  expect_false(kerasconfig:::kc_session_is_default())
  config_set_floatx("float32")
  config_set_dtype_policy("mixed_bfloat16")
  expect_false(kerasconfig:::kc_session_is_default())
  clear_session()
  expect_true(kerasconfig:::kc_session_is_default())
})

test_that("a global dtype policy renamed in place by set_config() is what the next read uses", {
  on.exit(clear_session(), add = TRUE)
  policy <- keras$dtype_policies$DTypePolicy("float32")
  config_set_dtype_policy(policy)
  cfg <- list(module = "keras.layers", class_name = "Dense", config = list(units = 2L, name = "d"),
              registered_name = NULL)
  expect_identical(serialize_keras_object(deserialize_keras_object(cfg))$config$dtype$config$name, "float32")
  set_config(policy, name = "mixed_float16")
  expect_identical(serialize_keras_object(deserialize_keras_object(cfg))$config$dtype$config$name, "mixed_float16")
})
