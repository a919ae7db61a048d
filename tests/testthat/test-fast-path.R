# The fast path (src/rust/src/fast) against the R path: for every input, Rust either gives what R
# gives or hands the value back to R (`kc_fallback`). The R path alone is had by replacing the fast
# functions with stubs that always fall back.

fallback_stub <- function(...) structure(list(), class = "kc_fallback")

# Runs `expr` with the R path alone.
with_r_path <- function(expr) {
  ns <- asNamespace("kerasconfig")
  fast <- list(rs_fast_deserialize = ns$rs_fast_deserialize, rs_fast_serialize = ns$rs_fast_serialize,
               rs_fast_model = ns$rs_fast_model)
  for (name in names(fast)) utils::assignInNamespace(name, fallback_stub, "kerasconfig")
  on.exit(for (name in names(fast)) utils::assignInNamespace(name, fast[[name]], "kerasconfig"), add = TRUE)
  expr
}

fast_deserialize <- function(x, custom = NULL, module = NULL, shared = NULL) {
  kerasconfig:::rs_fast_deserialize(x, custom, module, shared, kerasconfig:::kc_builtin_objects,
                                    kerasconfig:::kc_bound_bodies)
}
fast_serialize <- function(x, twice = NULL) kerasconfig:::rs_fast_serialize(x, twice)
is_fallback <- function(x) inherits(x, "kc_fallback")

# Everything R code can observe of a deserialized value, as plain data: instances by class,
# bindings (but `initialize` and `.__args__`, which only R-side construction binds, and
# `get_config`, compared through what it returns) and config; functions by identity when they
# are package or registered objects, else by their code. A layer's link to its model (which
# holds the layer) is described by the model's class and the layer's name there, and active
# bindings by their code, not run.
describe <- function(x) {
  if (kerasconfig:::kc_is_instance(x)) {
    # (A layer or a model is the callable its environment encloses.)
    env <- kerasconfig:::kc_env(x)
    bindings <- setdiff(ls(env, all.names = TRUE), c("initialize", ".__args__", "get_config"))
    values <- lapply(bindings, function(b) {
      if (bindingIsActive(b, env)) return(list(active = deparse(body(activeBindingFunction(b, env)))))
      value <- get(b, envir = env)
      if (b == ".__shape_of__") return(list(model = class(value[[1]]), name = value[[2]]))
      describe(value)
    })
    return(list(class = class(x), bindings = structure(values, names = bindings),
                config = describe(x$get_config())))
  }
  if (is.function(x)) {
    if (inherits(x, "keras_class")) return(list(generator = kerasconfig:::kc_class_info(x)$classname,
                                                id = kerasconfig:::rs_identity(x)))
    # (A shared function is a marked copy, a new object each time.)
    marked <- !is.null(attr(x, "keras_shared_object_id"))
    if (!marked && (inherits(x, "keras_builtin_function") || !is.null(kerasconfig:::rs_registered_name(x)))) {
      return(list(fn = kerasconfig:::rs_identity(x), attrs = attributes(x)))
    }
    return(list(code = deparse(x), attrs = attributes(x)))
  }
  if (is.list(x)) {
    attrs <- attributes(x)
    return(list(attrs = attrs[names(attrs) != "names"], names = names(x), items = lapply(unname(x), describe)))
  }
  x
}

# What deserializing gives, as data (or the error it raises), how it serializes back, and the
# warnings on the way.
outcome <- function(cfg, ...) {
  clear_session()
  withr::local_seed(42)
  warnings <- character()
  res <- withCallingHandlers(
    tryCatch({
      obj <- deserialize_keras_object(cfg, ...)
      list(object = describe(obj), config = serialize_keras_object(obj))
    }, error = function(e) list(error = class(e), message = conditionMessage(e))),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  c(res, list(warnings = warnings))
}

expect_same_as_r_path <- function(cfg, ..., label = NULL) {
  fast <- outcome(cfg, ...)
  slow <- with_r_path(outcome(cfg, ...))
  expect_identical(fast, slow, label = label)
  invisible(fast)
}

reference_files <- function(folder) {
  list.files(reference_dir(folder), pattern = "\\.json$", recursive = TRUE, full.names = TRUE)
}

register_reference_objects <- function(envir = parent.frame()) {
  if (exists("register_reference_custom_objects", mode = "function")) {
    register_reference_custom_objects(envir)
    return(TRUE)
  }
  local_empty_registry(envir)
  set_custom_objects(list("Custom>double_it" = function(x) 2 * x), clear = FALSE)
  FALSE
}

test_that("every reference object, model and edge file gives what the R path gives", {
  custom <- register_reference_objects()
  files <- c(reference_files("objects"), reference_files("models"), reference_files("edge"))
  if (!custom) files <- files[basename(files) != "custom_layers_model.json"]
  expect_identical(length(files), if (custom) 376L else 375L)
  for (f in files) {
    txt <- readChar(f, file.size(f), useBytes = TRUE)
    cfg <- config_from_json(txt)
    expect_same_as_r_path(cfg, label = f)
  }
})

test_that("the fast path builds every reference built-in object on its own", {
  local_empty_registry()
  set_custom_objects(list("Custom>double_it" = function(x) 2 * x), clear = FALSE)
  files <- reference_files("objects")
  # Functions Keras writes as layers but cannot read back (see test-builtins-reference.R).
  unreadable <- c("Input", "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract")
  files <- files[!(basename(dirname(files)) == "layers" & sub("\\.json$", "", basename(files)) %in% unreadable)]
  written <- 0L
  for (f in files) {
    txt <- readChar(f, file.size(f), useBytes = TRUE)
    obj <- fast_deserialize(config_from_json(txt), shared = new.env())
    expect_false(is_fallback(obj), label = f)
    # And back, natively where it can: Keras' own text, not only what the R path writes.
    out <- fast_serialize(obj)
    if (!is_fallback(out)) {
      expect_identical(config_to_json(out), txt, label = f)
      written <- written + 1L
    }
  }
  # All 337 today: every built-in object the fast path reads it also writes back natively.
  expect_identical(written, length(files))
  # Whole models too, graph checks and all (MobileNetV2: 154 layers).
  model <- config_from_json(reference_text("models", "app_MobileNetV2.json"))
  expect_false(is_fallback(fast_deserialize(model)))
})

test_that("partial configs fill in defaults as the R path does, with fresh nested objects", {
  register_reference_objects()
  files <- reference_files("objects")
  for (f in files) {
    cfg <- config_from_json(readChar(f, file.size(f), useBytes = TRUE))
    inner <- cfg$config
    if (!is.list(inner) || !length(inner)) next
    # Every other key given (the name always, so R does not make one up).
    keep <- names(inner)[seq_along(inner) %% 2 == 1 | names(inner) == "name"]
    cfg$config <- inner[keep]
    expect_same_as_r_path(cfg, label = paste(f, "(partial)"))
  }
  # Defaults holding object configs give a new object each time.
  a <- deserialize_keras_object(list(module = "keras.layers", class_name = "Dense", config = list(name = "a", units = 2)))
  b <- deserialize_keras_object(list(module = "keras.layers", class_name = "Dense", config = list(name = "b", units = 2)))
  expect_false(identical(a$get_config()$kernel_initializer, b$get_config()$kernel_initializer))
  expect_s3_class(a$get_config()$kernel_initializer, "GlorotUniform")
  expect_identical(a$get_config()$units, 2L)
})

test_that("randomly altered reference configs give what the R path gives", {
  local_empty_registry()
  set_custom_objects(list("Custom>double_it" = function(x) 2 * x, K = function(x) x), clear = FALSE)
  files <- reference_files("objects")
  configs <- lapply(files, function(f) config_from_json(readChar(f, file.size(f), useBytes = TRUE)))
  values <- list(NULL, "K", "zeros", "relu", 1L, 2.5, 4, -1, 3e9, TRUE, NA, "float16", list(1L, 2L), list(),
                 setNames(list(), character()), list(a = "K"), c(1, 2), c(a = 1), NaN, Inf, "",
                 structure(3, class = "keras_integer"),
                 list(module = "keras.initializers", class_name = "Ones", config = setNames(list(), character()),
                      registered_name = NULL),
                 list(module = "builtins", class_name = "function", config = "relu", registered_name = "function"),
                 list(module = "builtins", class_name = "function", config = "K", registered_name = "function"),
                 list(class_name = "__tuple__", items = list(1L)))
  keys <- c("units", "activation", "kernel_initializer", "dtype", "name", "bogus", "learning_rate", "axis", "seed",
            "rate", "trainable", "autocast", "input_shape", "kernel_size", "momentum", "use_bias")
  pick <- function(x) x[[sample.int(length(x), 1L)]]
  withr::with_seed(20261128, for (i in 1:300) {
    cfg <- pick(configs)
    if (!is.list(cfg$config)) next
    for (step in seq_len(sample(1:3, 1L))) {
      inner <- cfg$config
      switch(sample(1:5, 1L),
        if (length(inner)) inner[[sample(names(inner), 1L)]] <- NULL,
        inner[sample(keys, 1L)] <- list(pick(values)),
        if (length(inner)) inner[sample(names(inner), 1L)] <- list(pick(values)),
        cfg[sample(c("module", "registered_name", "shared_object_id", "build_config"), 1L)] <- list(pick(values)),
        inner <- inner[sample(names(inner))]
      )
      cfg$config <- inner
    }
    expect_same_as_r_path(list(cfg, list(x = cfg)), label = sprintf("case %d (%s)", i, cfg$class_name))
  })
  with_custom_object_scope(list(relu = function(x) 1, K = function(x) 5), {
    cfg <- configs[[which(basename(files) == "Dense.json")[1]]]
    cfg$config$bias_initializer <- list(a = "K", b = "zeros")
    expect_same_as_r_path(list("K", cfg), custom_objects = list(K = function(x) 3, zeros = function(x) 0))
  })
})

test_that("the fast path builds built-ins, and its instances behave as R-built ones", {
  local_empty_registry()
  cfg <- serialize_keras_object(layer_dense(units = 3, name = "d", activation = "relu"))
  obj <- fast_deserialize(cfg)
  expect_false(is_fallback(obj))
  expect_s3_class(obj, c("kc_callable", "Dense", "keras_layers", "keras_builtin", "keras_object"), exact = TRUE)
  expect_identical(obj$get_config()$units, 3L)
  expect_identical(obj$get_config()$activation, "relu")
  expect_identical(serialize_keras_object(obj), cfg)
  slow <- with_r_path(deserialize_keras_object(cfg))
  expect_identical(describe(obj), describe(slow))
  scrub <- function(lines) gsub("0x[0-9a-f]+", "<address>", lines)
  expect_identical(scrub(capture.output(print(obj))), scrub(capture.output(print(slow))))
  opt <- deserialize_keras_object(serialize_keras_object(optimizer_adam(learning_rate = 0.01)))
  expect_identical(capture.output(print(opt)),
                   with_r_path(capture.output(print(deserialize_keras_object(serialize_keras_object(optimizer_adam(learning_rate = 0.01)))))))
  # The fast path serializes what either path built, as R does.
  expect_identical(fast_serialize(obj), cfg)
  expect_identical(fast_serialize(slow), cfg)
  expect_identical(fast_serialize(list(a = obj, b = list(1L, NULL, "x"))), list(a = cfg, b = list(1L, NULL, "x")))
  # A whole list of layers in one call.
  layers <- fast_deserialize(list(cfg, cfg))
  expect_false(is_fallback(layers))
  expect_false(identical(layers[[1]], layers[[2]]))
})

test_that("coercions match kc_builtin_coerce()", {
  local_empty_registry()
  base <- list(module = "keras.layers", class_name = "Dense", registered_name = NULL)
  cases <- list(
    list(name = "d", units = 4),                       # double -> integer
    list(name = "d", units = 4L, activation = NULL),   # NULL activation -> "linear"
    list(name = "d", units = 4L, activation = list(module = "builtins", class_name = "function",
                                                   config = "relu", registered_name = "function")),
    list(name = "d", units = 4L, activation = "relu")
  )
  for (inner in cases) {
    cfg <- c(base[1:2], list(config = inner), base[3])
    expect_false(is_fallback(fast_deserialize(cfg)))
    expect_same_as_r_path(cfg)
  }
  # Keras keeps lora_alpha only with lora_rank (the Dense(units=4, lora_alpha=3) case of
  # constructors.json writes no lora_alpha): a rule of catalog/derive.rs, which R applies.
  for (alpha in list(2L, NULL)) {
    cfg <- c(base[1:2], list(config = list(name = "d", units = 4L, lora_alpha = alpha)), base[3])
    expect_true(is_fallback(fast_deserialize(cfg)))
    expect_false("lora_alpha" %in% names(deserialize_keras_object(cfg)$get_config()))
  }
  # Keys Keras places (lora_rank after quantization_config) and activation names other than the
  # built-in ones go to R too.
  for (inner in list(list(name = "d", units = 4L, lora_rank = 2L, lora_alpha = 2L),
                     list(name = "d", units = 4L, activation = "relux"))) {
    cfg <- c(base[1:2], list(config = inner), base[3])
    expect_true(is_fallback(fast_deserialize(cfg)))
    expect_same_as_r_path(cfg)
  }
  # Keras refuses a units of 4.5 (Dense(units=4.5) in Keras 3.15.1): the fast path leaves the
  # config to R, which raises Keras' error.
  cfg <- c(base[1:2], list(config = list(name = "d", units = 4.5)), base[3])
  expect_true(is_fallback(fast_deserialize(cfg)))
  expect_error(deserialize_keras_object(cfg), "expected a positive integer. Received: units=4.5",
               class = "kerasconfig_error_value")
  # Keras does not keep `autocast` (rules.json): R drops it, so the fast path leaves it to R.
  cfg <- c(base[1:2], list(config = list(name = "d", units = 4L, autocast = FALSE)), base[3])
  expect_true(is_fallback(fast_deserialize(cfg)))
  expect_false("autocast" %in% names(deserialize_keras_object(cfg)$get_config()))
  expect_identical(fast_deserialize(c(base[1:2], list(config = list(name = "d", units = 4))))$get_config()$units, 4L)
  adam <- list(module = "keras.optimizers", class_name = "Adam", config = list(name = "adam", learning_rate = 0.01),
               registered_name = NULL)
  fast <- fast_deserialize(adam)
  expect_false(is_fallback(fast))
  expect_identical(fast$get_config()$learning_rate, 0.009999999776482582)
  expect_same_as_r_path(adam)
  adam$config$learning_rate <- 1L
  expect_same_as_r_path(adam)
})

test_that("what needs R falls back, and R then gives its result or its error", {
  local_empty_registry()
  dense <- function(...) list(module = "keras.layers", class_name = "Dense", config = list(...), registered_name = NULL)
  layer_plain <- Layer("Plain")
  register_keras_serializable(layer_plain, package = "P")
  custom <- list(module = "m", class_name = "Plain", config = list(name = "p"), registered_name = "P>Plain")
  fall <- list(
    custom = custom,
    inside = list(a = 1, b = list(custom)),
    numpy = list(class_name = "__numpy__", config = list(value = list(1, 2), dtype = "float32")),
    tensor_atomic_shape = list(class_name = "__keras_tensor__", config = list(shape = c(2L, 3L))),
    tuple = list(class_name = "__tuple__", items = list(1L, 2L)),
    lambda = list(class_name = "__lambda__", config = list(value = "x")),
    unknown_key = dense(name = "d", units = 2L, bogus = 1),
    missing_required = dense(name = "d"),
    missing_name = dense(units = 2L),
    input_shape = dense(name = "d", units = 2L, input_shape = list(3L)),
    string_initializer = dense(name = "d", units = 2L, kernel_initializer = "zeros"),
    string_dtype = dense(name = "d", units = 2L, dtype = "float16"),
    tuple_from_number = list(module = "keras.layers", class_name = "Conv2D",
                             config = list(name = "c", filters = 2L, kernel_size = 3L), registered_name = NULL),
    out_of_range = dense(name = "d", units = 3e9),
    unknown_class = list(module = "keras.layers", class_name = "Dense2", config = list(), registered_name = NULL),
    bad_registered_name = list(module = "keras.layers", class_name = "Dense", config = list(name = "d", units = 1L),
                               registered_name = "X>Dense"),
    bad_config = list(module = "keras.layers", class_name = "Dense", config = "units"),
    bad_module = list(module = 1, class_name = "Dense", config = list()),
    unnamed_model = list(module = "keras", class_name = "Sequential", config = list(layers = list()),
                         registered_name = NULL),
    seed_drawn = list(module = "keras.layers", class_name = "RandomCrop",
                      config = list(name = "rc", height = 2L, width = 2L), registered_name = NULL),
    symbol = list(a = quote(b)),
    duplicate_keys = dense(name = "d", units = 1L, units = 2L)
  )
  for (case in names(fall)) {
    expect_true(is_fallback(fast_deserialize(fall[[case]])), label = case)
    expect_same_as_r_path(fall[[case]], label = case)
  }
  expect_error(deserialize_keras_object(fall$unknown_key), class = "kerasconfig_error_unknown_argument")
  expect_error(deserialize_keras_object(list(x = fall$unknown_class)), class = "kerasconfig_error_unknown_class")
  err <- tryCatch(deserialize_keras_object(list(x = fall$unknown_class)), error = identity)
  expect_identical(err$path, "config$x")
  # The levels R does not need are still built natively: the Dense inside is.
  expect_s3_class(deserialize_keras_object(list(custom, dense(name = "d", units = 1L)))[[2]], "Dense")
})

test_that("functions, strings and nested lookups resolve as in R, scope, registry and arguments alike", {
  local_empty_registry()
  f <- function(x) x
  g <- function(x) -x
  register_keras_serializable(f, package = "P")
  relu <- fast_deserialize(list(module = "builtins", class_name = "function", config = "relu",
                                registered_name = "function"))
  expect_identical(relu, keras$activations$relu)
  expect_identical(fast_deserialize(list(module = "builtins", class_name = "function", config = "P>f",
                                         registered_name = "function")), f)
  expect_identical(fast_deserialize(list(a = "P>f", b = "other")), list(a = f, b = "other"))
  # A string inside a built-in's config is looked up in from_config()'s scope: global wins there.
  cfg <- list(module = "keras.layers", class_name = "Dense",
              config = list(name = "d", units = 1L, bias_initializer = list(note = "K")), registered_name = NULL)
  set_custom_objects(list(K = f), clear = FALSE)
  expect_same_as_r_path(cfg)
  expect_same_as_r_path(cfg, custom_objects = list(K = g))
  with_custom_object_scope(list(K = g), expect_same_as_r_path(cfg, custom_objects = list(K = function(x) 0)))
  set_custom_objects(clear = TRUE)
  with_custom_object_scope(list(K = g), {
    expect_same_as_r_path(cfg)
    expect_same_as_r_path(list("K", cfg), custom_objects = list(K = f))
  })
  expect_same_as_r_path(list("K", cfg), custom_objects = list(K = f), module_objects = list(K = g))
  # Bare function names of Keras <= 3.6 find "pkg>name" keys.
  register_keras_serializable(f, name = "halve", package = "Q")
  bare <- list(module = "builtins", class_name = "function", config = "halve", registered_name = "function")
  expect_identical(fast_deserialize(bare), f)
  expect_same_as_r_path(list(bare, cfg))
  # Registered names serialize as keys; built-in functions by their Keras name.
  expect_identical(fast_serialize(list(f, keras$activations$relu)),
                   with_r_path(serialize_keras_object(list(f, keras$activations$relu))))
  expect_true(is_fallback(fast_serialize(list(function(x) x + 1))))
})

test_that("shared objects are shared within a call and recorded only when the fast path succeeds", {
  local_empty_registry()
  init <- list(module = "keras.initializers", class_name = "Zeros", config = setNames(list(), character()),
               registered_name = NULL,
               shared_object_id = 140234567891234)
  two <- list(init, init)
  out <- deserialize_keras_object(two)
  expect_identical(out[[1]], out[[2]])
  expect_identical(serialize_keras_object(out), two)
  expect_same_as_r_path(two)
  shared <- new.env(parent = emptyenv())
  first <- fast_deserialize(two, shared = shared)
  expect_identical(first[[1]], first[[2]])
  expect_identical(ls(shared), "140234567891234")
  # A later call sees what an earlier one recorded.
  again <- fast_deserialize(list(init), shared = shared)
  expect_identical(again[[1]], first[[1]])
  # A walk that falls back records nothing.
  layer_plain <- Layer("Plain")
  register_keras_serializable(layer_plain, package = "P")
  other <- init
  other$shared_object_id <- 7L
  mixed <- list(other, list(module = "m", class_name = "Plain", config = list(name = "p"), registered_name = "P>Plain"))
  fresh <- new.env(parent = emptyenv())
  expect_true(is_fallback(fast_deserialize(mixed, shared = fresh)))
  expect_identical(ls(fresh), character())
  expect_same_as_r_path(mixed)
  # Integer and keras_integer ids name the same object.
  ids <- list(init, init)
  ids[[1]]$shared_object_id <- 12L
  ids[[2]]$shared_object_id <- structure(12, class = "keras_integer")
  res <- deserialize_keras_object(ids)
  expect_identical(res[[1]], res[[2]])
})

test_that("shared functions are marked copies, made natively as R makes them, shared within a call", {
  local_empty_registry()
  set_custom_objects(list("Custom>double_it" = function(x) 2 * x), clear = FALSE)
  fn <- function(name, id) list(module = "builtins", class_name = "function", config = name,
                                registered_name = "function", shared_object_id = id)
  cases <- list(builtin = list(fn("relu", 5L), fn("relu", 5L)),
                custom = list(fn("Custom>double_it", 6L), fn("Custom>double_it", 6L)),
                distinct = list(fn("relu", 5L), fn("Custom>double_it", 6L)),
                in_a_layer = list(module = "keras.layers", class_name = "Activation",
                                  config = list(name = "a", activation = fn("relu", 9L)), registered_name = NULL))
  for (case in names(cases)) {
    shared <- new.env(parent = emptyenv())
    out <- fast_deserialize(cases[[case]], shared = shared)
    expect_false(is_fallback(out), label = case)
    expect_same_as_r_path(cases[[case]], label = case)
  }
  for (case in c("builtin", "custom", "distinct")) {
    expect_identical(serialize_keras_object(deserialize_keras_object(cases[[case]])), cases[[case]], label = case)
  }
  out <- fast_deserialize(cases$builtin, shared = new.env(parent = emptyenv()))
  expect_identical(out[[1]], out[[2]])
  expect_identical(attr(out[[1]], "keras_shared_object_id"), 5L)
  # The marked copy leaves the package's own function unmarked.
  expect_null(attr(deserialize_keras_object("relu"), "keras_shared_object_id"))
})

test_that("serialization falls back for what R writes itself", {
  local_empty_registry()
  layer_plain <- Layer("Plain")
  d <- layer_dense(units = 2, name = "d")
  cases <- list(
    custom = list(layer_plain(name = "p")),
    named_vector = list(c(a = 1, b = 2)),
    array = list(keras_array(matrix(1:4, 2))),
    raw = list(as.raw(1:3)),
    slice = list(keras_slice(1L, 2L, NULL)),
    lambda = list(function(x) x)
  )
  for (case in names(cases)) {
    expect_true(is_fallback(fast_serialize(cases[[case]])), label = case)
    expect_identical(suppressWarnings(serialize_keras_object(cases[[case]])),
                     suppressWarnings(with_r_path(serialize_keras_object(cases[[case]]))), label = case)
  }
  # An instance whose get_config() was replaced is R's.
  e <- layer_dense(units = 2, name = "e")
  e$get_config <- function() list(name = "changed")
  expect_true(is_fallback(fast_serialize(e)))
  expect_identical(serialize_keras_object(e)$config, list(name = "changed"))
  # keras_integer values and build configs pass through; ids are kept.
  cfg <- list(module = "keras.layers", class_name = "Dense",
              config = list(name = "d", units = structure(3, class = "keras_integer")), registered_name = NULL,
              build_config = list(input_shape = list(NULL, 4L)), shared_object_id = 9L)
  obj <- deserialize_keras_object(cfg)
  expect_false(is_fallback(fast_serialize(obj)))
  expect_identical(serialize_keras_object(obj), with_r_path(serialize_keras_object(with_r_path(deserialize_keras_object(cfg)))))
  expect_identical(serialize_keras_object(obj)$build_config, cfg$build_config)
  expect_identical(serialize_keras_object(obj)$shared_object_id, 9L)
})

test_that("a registered built-in class writes its registered name on both paths", {
  local_empty_registry()
  obj <- layer_dropout(rate = 0.5, name = "dr")
  # Instances point at the generator their class info keeps (after lazy loading, a copy of the
  # exported `layer_dropout`, which is a different object to the registry).
  register_keras_serializable(obj$.__class__, name = "MyDropout", package = "P")
  expect_identical(fast_serialize(obj)$registered_name, "P>MyDropout")
  expect_identical(serialize_keras_object(obj), with_r_path(serialize_keras_object(obj)))
  register_keras_serializable(layer_dropout, name = "Other", package = "P")
  expect_identical(serialize_keras_object(obj), with_r_path(serialize_keras_object(obj)))
})

test_that("symbolic tensors and Functional layer entries are native both ways, as R makes them", {
  tensors <- list(
    full = list(class_name = "__keras_tensor__", config = list(shape = list(NULL, 2L), dtype = "float16",
                                                               keras_history = list("inp", 0L, 0L))),
    no_history = list(class_name = "__keras_tensor__", config = list(shape = list(NULL, 2L), dtype = "float32",
                                                                     keras_history = NULL)),
    no_dtype = list(class_name = "__keras_tensor__", config = list(shape = list(4L))),
    null_config = list(class_name = "__keras_tensor__", config = NULL),
    nested = list(args = list(list(class_name = "__keras_tensor__", config = list(shape = list(NULL))))))
  for (case in names(tensors)) {
    expect_false(is_fallback(fast_deserialize(tensors[[case]])), label = case)
    expect_same_as_r_path(tensors[[case]], label = case)
  }
  t <- fast_deserialize(tensors$full)
  expect_false(is_fallback(fast_serialize(t)))
  expect_identical(fast_serialize(t), tensors$full)
  model <- deserialize_keras_object(config_from_json(reference_text("models", "func_multi_io.json")))
  entry <- model$get_config()$layers[[3]]
  expect_s3_class(entry, "keras_functional_layer")
  expect_false(is_fallback(fast_serialize(entry)))
  expect_identical(fast_serialize(entry), with_r_path(serialize_keras_object(entry)))
})

test_that("Sequential and Functional models are built natively, as the R path builds them", {
  register_reference_objects()
  files <- reference_files("models")
  files <- files[basename(files) != "custom_layers_model.json"]
  native <- 0L
  for (f in files) {
    cfg <- config_from_json(readChar(f, file.size(f), useBytes = TRUE))
    fast <- fast_deserialize(cfg, shared = new.env())
    expect_false(is_fallback(fast), label = f)
    native <- native + !is_fallback(fast)
    slow <- with_r_path(deserialize_keras_object(cfg))
    expect_identical(describe(fast), describe(slow), label = f)
    expect_identical(serialize_keras_object(fast), serialize_keras_object(slow), label = f)
    expect_identical(capture.output(summary(fast)), capture.output(summary(slow)), label = f)
    expect_identical(count_params(fast), count_params(slow), label = f)
    # Each layer points at the model that holds it.
    layers <- fast$get_config()$layers
    if (inherits(fast, "Functional")) layers <- lapply(layers, `[[`, "layer")
    for (layer in layers) expect_identical(layer$.__shape_of__[[1]], fast)
  }
  expect_identical(native, length(files))
  # A compile config is deserialized: its optimizer is an object, its loss string kept.
  compiled <- fast_deserialize(config_from_json(reference_text("models", "seq_mlp_compiled.json")))
  expect_true(kerasconfig:::kc_is_instance(compiled$.__compile_config__$optimizer))
  # A native Sequential model without an input layer builds as R's does.
  seq <- serialize_keras_object(keras_model_sequential(name = "s", layers = list(layer_dense(units = 2, name = "d"))))
  fast <- fast_deserialize(seq)
  slow <- with_r_path(deserialize_keras_object(seq))
  expect_false(is_fallback(fast))
  # (Building names the input layer it adds: each from a fresh session.)
  clear_session()
  fast$build(c(NA, 3))
  clear_session()
  slow$build(c(NA, 3))
  expect_identical(serialize_keras_object(fast), serialize_keras_object(slow))
  expect_identical(count_params(fast), 8)
})

test_that("a model whose layers need R is assembled natively from the layers R builds", {
  register_reference_objects()
  cfg <- config_from_json(reference_text("models", "custom_layers_model.json"))
  ns <- asNamespace("kerasconfig")
  native <- 0L
  assemble <- ns$rs_fast_model
  utils::assignInNamespace("rs_fast_model", function(...) {
    out <- assemble(...)
    native <<- native + !is_fallback(out)
    out
  }, "kerasconfig")
  on.exit(utils::assignInNamespace("rs_fast_model", assemble, "kerasconfig"), add = TRUE)
  fast <- deserialize_keras_object(cfg)
  expect_identical(native, 1L)
  slow <- with_r_path(deserialize_keras_object(cfg))
  expect_identical(describe(fast), describe(slow))
  expect_identical(config_to_json(serialize_keras_object(fast)), config_to_json(cfg))
  # A Sequential model holding a custom layer, and one whose names clash (R's error).
  layer_plain <- Layer("Plain")
  register_keras_serializable(layer_plain, package = "P")
  seq <- serialize_keras_object(keras_model_sequential(name = "s", layers = list(layer_plain(name = "p"),
                                                                                 layer_dense(units = 1, name = "d"))))
  native <- 0L
  expect_same_as_r_path(seq)
  expect_identical(native, 1L)
  clash <- seq
  clash$config$layers[[2]]$config$name <- "p"
  out <- expect_same_as_r_path(clash)
  expect_true("kerasconfig_error_graph" %in% out$error)
})

test_that("model configs Keras refuses fall back, and R gives its error", {
  local_empty_registry()
  func <- config_from_json(reference_text("models", "func_shared_layers.json"))
  seq <- config_from_json(reference_text("models", "seq_mlp.json"))
  dup_seq <- seq
  dup_seq$config$layers[[3]]$config$name <- dup_seq$config$layers[[2]]$config$name
  dup_func <- func
  dup_func$config$layers[[3]]$name <- dup_func$config$layers[[2]]$name
  no_inputs <- func
  no_inputs$config$input_layers <- NULL
  bad_output <- func
  bad_output$config$output_layers <- list("nowhere", 0L, 0L)
  late_node <- func
  late_node$config$output_layers <- list(func$config$layers[[2]]$name, 5L, 0L)
  no_name <- func
  no_name$config$layers[[2]]$name <- NULL
  not_layer <- seq
  not_layer$config$layers[[2]] <- serialize_keras_object(initializer_zeros())
  loop <- func
  last <- length(loop$config$layers)
  loop$config$layers[[2]]$inbound_nodes[[1]]$args[[1]]$config$keras_history[[1]] <- loop$config$layers[[last]]$name
  cases <- list(dup_seq = dup_seq, dup_func = dup_func, no_inputs = no_inputs, bad_output = bad_output,
                late_node = late_node, no_name = no_name, not_layer = not_layer, loop = loop)
  for (case in names(cases)) {
    expect_true(is_fallback(fast_deserialize(cases[[case]])), label = case)
    out <- expect_same_as_r_path(cases[[case]], label = case)
    expect_true("kerasconfig_error" %in% out$error, label = case)
  }
  # Objects given by the caller are looked up as R looks them up: the model is R's to build.
  expect_true(is_fallback(fast_deserialize(func, custom = list(K = function(x) x))))
})

test_that("inside a sharing scope the fast path writes R's shared_object_id values exactly", {
  sharing <- kerasconfig:::kc_with_object_sharing
  twice <- kerasconfig:::kc_twice_keys
  # Objects serialized twice by RNN get_config() (LSTM, GRU, SimpleRNN), none for RNN(cell).
  rnn <- keras_model_sequential(input_shape = c(5, 3), input_name = "x", name = "rnn_sharing") |>
    layer_lstm(2, return_sequences = TRUE, kernel_regularizer = "l2", recurrent_constraint = "non_neg", name = "lstm") |>
    layer_gru(2, return_sequences = TRUE, name = "gru") |>
    layer_simple_rnn(2, return_sequences = TRUE, name = "srnn") |>
    layer_rnn(rnn_cell_lstm(2, name = "cell"), return_sequences = TRUE, name = "rnn") |>
    layer_dense(1, name = "out")
  # Objects used by two layers get new ids, skipping the id 1 a loaded object keeps.
  init <- initializer_ones()
  kept <- config_from_json(reference_text("objects", "layers", "Dense.json"))
  kept$config$kernel_initializer$shared_object_id <- 1L
  shared <- list(layer_dense(units = 2, kernel_initializer = init, name = "a"), deserialize_keras_object(kept),
                 layer_dense(units = 3, kernel_initializer = init, name = "b"))
  cases <- list(rnn = rnn, shared = shared,
                convlstm = load_model(test_path("fixtures", "saving", "convlstm_sharing.keras")),
                multi_io = deserialize_keras_object(config_from_json(reference_text("models", "func_multi_io.json"))),
                mobilenet = deserialize_keras_object(config_from_json(reference_text("models", "app_MobileNetV2.json"))))
  for (case in names(cases)) {
    x <- cases[[case]]
    expect_false(is_fallback(sharing(fast_serialize(x, twice))), label = case)
    r_text <- with_r_path(sharing(config_to_json(serialize_keras_object(x))))
    expect_identical(sharing(config_to_json(serialize_keras_object(x))), r_text, label = case)
  }
  # The dtype policy a and b share comes first (2: 1 is kept), then their initializer (3).
  shared_text <- with_r_path(sharing(config_to_json(serialize_keras_object(shared))))
  expect_match(shared_text, '"class_name": "DTypePolicy", "config": \\{"name": "float32"\\}, "registered_name": null, "shared_object_id": 2\\}')
  expect_match(shared_text, '"class_name": "Ones", "config": \\{\\}, "registered_name": null, "shared_object_id": 3\\}')
  expect_match(with_r_path(sharing(config_to_json(serialize_keras_object(rnn)))), '"shared_object_id": 1\\}')
  # A custom object anywhere leaves the whole object to R.
  layer_plain <- Layer("Plain")
  expect_true(is_fallback(sharing(fast_serialize(list(layer_plain(name = "p"), init), twice))))
})
