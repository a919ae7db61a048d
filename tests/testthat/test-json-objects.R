# config_to_json() given Keras objects: the text of config_to_json(serialize_keras_object(x)), in one
# native walk for built-ins (rs_json_write_objects()), in two steps otherwise.

# Whether the one-walk path writes `x` (outside a sharing scope), rather than leaving it to R.
written_in_one_walk <- function(x, pretty = FALSE) {
  !inherits(kerasconfig:::rs_json_write_objects(x, pretty, NULL), "kc_fallback")
}

# Both layouts equal the two-step text; returns whether the one-walk path wrote `x`.
expect_same_as_two_steps <- function(x, label) {
  for (pretty in c(FALSE, TRUE)) {
    expect_identical(config_to_json(x, pretty = pretty), config_to_json(serialize_keras_object(x), pretty = pretty),
                     label = sprintf("%s (pretty = %s)", label, pretty))
  }
  one_walk <- written_in_one_walk(x)
  expect_identical(written_in_one_walk(x, pretty = TRUE), one_walk, label = label)
  one_walk
}

test_that("every application model is written from its objects in one walk, as in two steps, in both layouts", {
  apps_dir <- test_path("fixtures", "apps")
  files <- list.files(apps_dir, pattern = "\\.json\\.gz$", full.names = TRUE)
  expect_length(files, 40L)
  for (path in files) {
    con <- gzfile(path, "rb")
    txt <- rawToChar(readBin(con, "raw", 5e7))
    close(con)
    model <- deserialize_keras_object(config_from_json(txt))
    expect_identical(config_to_json(model), txt, label = basename(path))
    expect_true(expect_same_as_two_steps(model, basename(path)), label = basename(path))
    # save_model_config(), in a sharing scope, writes them in one walk too.
    in_scope <- kerasconfig:::rs_json_write_objects(model, FALSE, kerasconfig:::kc_twice_keys)
    expect_identical(in_scope, txt, label = basename(path))
  }
})

test_that("the reference models are written as in two steps; only the one with R classes leaves the walk", {
  register_reference_custom_objects()
  files <- list.files(reference_dir("models"), pattern = "\\.json$", full.names = TRUE)
  expect_length(files, 8L)
  for (path in files) {
    txt <- readChar(path, file.size(path), useBytes = TRUE)
    model <- deserialize_keras_object(config_from_json(txt))
    expect_identical(config_to_json(model), txt, label = basename(path))
    one_walk <- expect_same_as_two_steps(model, basename(path))
    expect_identical(one_walk, basename(path) != "custom_layers_model.json", label = basename(path))
  }
})

test_that("models built in R (Sequential, Functional, shared layers, nested models) are written in one walk, as in two steps", {
  cases <- c(functional_builders, reference_builders)
  for (case in names(cases)) {
    clear_session()
    expect_true(expect_same_as_two_steps(cases[[case]](), case), label = case)
  }
  clear_session()
  seq_model <- keras_model_sequential(input_shape = 4, name = "seq") |> layer_dense(3) |> layer_dense(1)
  expect_true(expect_same_as_two_steps(seq_model, "sequential"))
  inp <- keras_input(shape = 4, name = "x")
  shared <- layer_dense(units = 2L, name = "shared")
  inner <- keras_model(inp, layer_add(list(shared(inp), shared(layer_dense(inp, 4)))), name = "inner")
  x2 <- keras_input(shape = 4, name = "x2")
  outer <- keras_model(x2, layer_dense(inner(x2), 1), name = "outer")
  expect_true(expect_same_as_two_steps(outer, "nested model with a shared layer"))
  expect_true(expect_same_as_two_steps(keras_model_sequential(layers = list(seq_model, layer_dense(units = 2))),
                                       "Sequential holding a Sequential"))
  compiled <- compiled_builders$compiled_objects()
  expect_true(expect_same_as_two_steps(compiled, "compiled model"))
  expect_match(config_to_json(compiled), '"compile_config": {', fixed = TRUE)
})

test_that("loose built-in objects, lists holding objects and objects changed by set_config() are written in one walk", {
  loose <- list(initializer = initializer_glorot_uniform(seed = 1L), regularizer = regularizer_l2(0.01),
                loss = loss_binary_crossentropy(), optimizer = optimizer_adam(learning_rate = 0.01),
                constraint = constraint_maxnorm(max_value = 2.5))
  for (name in names(loose)) expect_true(expect_same_as_two_steps(loose[[name]], name), label = name)
  holder <- list(a = layer_dense(units = 2L, name = "a"), b = list(1, "x", initializer_zeros(), NULL), c = NULL,
                 d = loose$initializer, e = config_from_json("1152921504606846977"))
  expect_true(expect_same_as_two_steps(holder, "a list holding objects"))
  expect_true(expect_same_as_two_steps(list(loose$loss, loose$loss), "one object twice in an unnamed list"))
  changed <- layer_dense(units = 3L, name = "changed")
  set_config(changed, units = 7L, activation = "relu", kernel_regularizer = regularizer_l1(0.5))
  expect_true(expect_same_as_two_steps(changed, "set_config()"))
  expect_match(config_to_json(changed), '"units": 7, "activation": "relu"', fixed = TRUE)
  text <- '{"module": "keras.constraints", "class_name": "MaxNorm", "config": {"max_value": 2.0, "axis": 0}, "registered_name": null}'
  read <- deserialize_keras_object(config_from_json(text = text))
  expect_identical(config_to_json(read), text)
  set_config(read, axis = 1)
  expect_true(expect_same_as_two_steps(read, "set_config() after reading JSON"))
})

test_that("objects that need R are written in two steps: R classes, lambdas, replaced methods", {
  register_reference_custom_objects()
  layer_plain <- Layer("Plain")
  x <- layer_plain(name = "p")
  expect_false(expect_same_as_two_steps(x, "an R class"))
  expect_false(expect_same_as_two_steps(list(layer_dense(units = 1L), x), "a list holding an R class"))
  expect_warning(two <- config_to_json(serialize_keras_object(list(layer_dense(units = 1L, name = "l"), function(x) x))))
  expect_warning(one <- config_to_json(list(layer_dense(units = 1L, name = "l"), function(x) x)))
  expect_identical(one, two)
  expect_match(one, "__lambda__", fixed = TRUE)
  d <- layer_dense(units = 2L, name = "own_method")
  d$get_config <- function() list(name = "own_method", units = 5L)
  expect_false(expect_same_as_two_steps(d, "a replaced get_config()"))
  expect_match(config_to_json(d), '"config": {"name": "own_method", "units": 5}', fixed = TRUE)
})

test_that("an object whose config cannot be written gives the two-step error and path", {
  same_error <- function(x, class) {
    one <- expect_error(config_to_json(x), class = class)
    two <- expect_error(config_to_json(serialize_keras_object(x)), class = class)
    expect_identical(conditionMessage(one), conditionMessage(two))
    expect_identical(one$path, two$path)
    one
  }
  with_units <- function(value) {
    d <- layer_dense(units = 4L, name = "d")
    env <- kerasconfig:::kc_env(d)
    config <- env$.__config__
    config$units <- value
    env$.__config__ <- config
    d
  }
  err <- same_error(with_units(NA_integer_), "kerasconfig_json_error")
  expect_identical(err$path, "config$config$units")
  err <- same_error(list(layers = list(with_units(NA))), "kerasconfig_json_error")
  expect_identical(err$path, "config$layers[[1]]$config$units")
  err <- same_error(with_units(new.env()), "kerasconfig_error_serialize")
  expect_identical(err$path, "obj$config$units")
  # The Python way to write non-finite floats stays: NaN is not an error.
  expect_match(config_to_json(with_units(NaN)), '"units": NaN', fixed = TRUE)
})

test_that("values without instances are written as they are, as before: no serialization", {
  expect_identical(config_to_json(list(a = factor("x"), b = c(n = 1L))), '{"a": "x", "b": 1}')
  expect_error(config_to_json(list(f = function(x) x)), class = "kerasconfig_json_error", regexp = "closure")
  tensor <- keras_symbolic_tensor(list(NULL, 2L))
  expect_identical(config_to_json(list(tensor)), config_to_json(list(unclass(tensor))))
  expect_false(written_in_one_walk(list(tensor)))
  plain <- config_from_json('{"a": [1, 2.5, "x", null, true], "b": {"c": {}}}')
  expect_true(written_in_one_walk(plain))
  expect_identical(config_to_json(plain), '{"a": [1, 2.5, "x", null, true], "b": {"c": {}}}')
})

test_that("inside an object-sharing scope objects are written in one walk with the scope's ids, as in two steps", {
  in_scope <- function(x) kerasconfig:::kc_with_object_sharing(config_to_json(x))
  two_steps_in_scope <- function(x) kerasconfig:::kc_with_object_sharing(config_to_json(serialize_keras_object(x)))
  one_walk_in_scope <- function(x) {
    !inherits(kerasconfig:::rs_json_write_objects(x, FALSE, kerasconfig:::kc_twice_keys), "kc_fallback")
  }
  dense <- layer_dense(units = 2L, name = "twice")
  holder <- list(dense, list(dense, initializer_ones()))
  expect_true(one_walk_in_scope(holder))
  expect_identical(in_scope(holder), two_steps_in_scope(holder))
  expect_match(in_scope(holder), '"registered_name": null, "shared_object_id": 1}, [{', fixed = TRUE)
  expect_false(grepl("shared_object_id", config_to_json(holder), fixed = TRUE))
  # An LSTM serializes its cell's initializers twice (kc_twice_keys): they get ids.
  lstm <- layer_lstm(units = 3L, name = "lstm")
  expect_true(one_walk_in_scope(lstm))
  expect_identical(in_scope(lstm), two_steps_in_scope(lstm))
  expect_match(in_scope(lstm), "shared_object_id", fixed = TRUE)
  clear_session()
  shared <- functional_builders$shared_layer()
  expect_true(one_walk_in_scope(shared))
  expect_identical(in_scope(shared), two_steps_in_scope(shared))
  expect_identical(save_model_config(shared), two_steps_in_scope(shared))
  # Kept ids (from a loaded config) are written as they are, and new ids avoid them.
  txt <- reference_text("models", "func_shared_layers.json")
  loaded <- deserialize_keras_object(config_from_json(txt))
  expect_true(one_walk_in_scope(loaded))
  expect_identical(in_scope(loaded), txt)
  expect_identical(in_scope(list(loaded, dense, dense)), two_steps_in_scope(list(loaded, dense, dense)))
  # R's own rules (its walk, then kc_sharing_finish()) give the same ids to objects met three
  # times and to what they hold.
  r_only_in_scope <- function(x) kerasconfig:::kc_with_object_sharing({
    state <- kerasconfig:::kc_state
    state$sharing_busy <- TRUE
    on.exit(state$sharing_busy <- FALSE)
    config_to_json(kerasconfig:::kc_sharing_finish(kerasconfig:::kc_serialize(x, "obj")))
  })
  ones <- initializer_ones()
  inner <- layer_dense(units = 1L, name = "inner", kernel_initializer = ones)
  thrice <- list(inner, list(inner, layer_dense(units = 2L, name = "other")), inner, ones, lstm, lstm)
  expect_true(one_walk_in_scope(thrice))
  expect_identical(in_scope(thrice), r_only_in_scope(thrice))
  expect_identical(in_scope(loaded), r_only_in_scope(loaded))
  # Objects that need R take the two steps in the scope too.
  register_reference_custom_objects()
  custom <- deserialize_keras_object(config_from_json(reference_text("models", "custom_layers_model.json")))
  expect_false(one_walk_in_scope(custom))
  expect_identical(in_scope(custom), two_steps_in_scope(custom))
})

test_that("objects nested deeper than the writer allows fail as in two steps", {
  deep <- layer_dense(units = 1L, name = "deep")
  for (i in 1:100) deep <- list(deep)
  one <- expect_error(config_to_json(deep), class = "kerasconfig_error")
  two <- expect_error(config_to_json(serialize_keras_object(deep)), class = "kerasconfig_error")
  expect_identical(class(one), class(two))
  expect_identical(conditionMessage(one), conditionMessage(two))
})

test_that("a refused value sharing its lists many times over fails at once: the search for objects does not walk every path", {
  # 2^40 paths through 41 lists: the plain writer fails at the first NA, and the search for
  # instances that follows must not walk every path either.
  shared <- list(NA)
  for (i in 1:40) shared <- list(shared, shared)
  elapsed <- system.time(err <- expect_error(config_to_json(shared), class = "kerasconfig_json_error"))[["elapsed"]]
  expect_identical(err$path, paste0("config", strrep("[[1]]", 41L)))
  expect_lt(elapsed, 5)
  # A list met first deep down is searched again from higher up, where more of it is in reach.
  dense <- layer_dense(units = 1L, name = "reached")
  inner <- list(dense)
  for (i in 1:98) inner <- list(inner)
  holder <- list(list(inner), inner)
  expect_true(kerasconfig:::rs_holds_instance(holder))
  expect_false(kerasconfig:::rs_holds_instance(list(list(list(inner)), list(list(inner)))))
})

test_that("an object holding a list shared many times over is serialized and refused at once, in a sharing scope too", {
  # 2^40 paths through 41 lists, inside a layer's config: the one walk refuses the NA at once; the
  # two steps it falls back to must not walk every path while serializing either.
  shared <- list(NA)
  for (i in 1:40) shared <- list(shared, shared)
  dense <- layer_dense(units = 1L, name = "holder")
  env <- kerasconfig:::kc_env(dense)
  assign(".__config__", c(get(".__config__", envir = env), list(extra = shared)), envir = env)
  elapsed <- system.time({
    err <- expect_error(config_to_json(dense), class = "kerasconfig_json_error")
    expect_error(save_model_config(dense), class = "kerasconfig_json_error")
    config <- serialize_keras_object(dense)
  })[["elapsed"]]
  expect_identical(err$path, paste0("config$config$extra", strrep("[[1]]", 41L)))
  expect_identical(config$config$extra, shared)
  expect_lt(elapsed, 5)
})
