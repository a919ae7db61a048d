# A config is untrusted input: it may only reach registered objects, custom_objects, scope
# objects and catalog built-ins, never R functions by name.

dangerous <- c("system", "system2", "eval", "evalq", "parse", "download.file", "Sys.setenv", "source",
               "base::system", "utils::download.file", "get", "do.call", "library", "file.remove")
modules <- list(NULL, "base", "utils", "<r-namespace:base>", "<r-namespace:utils>", "<r-globalenv>",
                "builtins", "keras", "keras.src", "R_GlobalEnv", ".GlobalEnv")

test_that("no class config reaches an R function by name through class_name, module or registered_name", {
  local_empty_registry()
  for (fn in dangerous) for (module in modules) {
    cfg <- list(module = module, class_name = fn, config = list(command = "touch /tmp/kc-pwned"),
                registered_name = fn)
    expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_class")
    cfg$registered_name <- NULL
    expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_class")
  }
  expect_false(file.exists("/tmp/kc-pwned"))
})

test_that("no function config reaches an R function by name", {
  local_empty_registry()
  for (fn in dangerous) for (module in modules) {
    cfg <- list(module = module, class_name = "function", config = fn, registered_name = "function")
    # A Keras module path is looked up as Keras looks up `module.name`, which reports a class.
    expected <- if (!is.null(module) && startsWith(module, "keras")) "kerasconfig_error_unknown_class" else "kerasconfig_error_unknown_function"
    expect_error(deserialize_keras_object(cfg), class = expected)
  }
})

test_that("strings naming R functions stay strings", {
  local_empty_registry()
  for (fn in dangerous) expect_identical(deserialize_keras_object(fn), fn)
  expect_identical(deserialize_keras_object(list(a = "system", b = list("eval"))), list(a = "system", b = list("eval")))
})

test_that("Sys.setenv cannot be reached through nested configs either", {
  local_empty_registry()
  Sys.unsetenv("KC_PWNED")
  nested <- list(module = "base", class_name = "Sys.setenv", config = list(KC_PWNED = "1"), registered_name = "Sys.setenv")
  outer <- list(layers = list(list(module = "keras.layers", class_name = "Dense", config = list(units = 1L, kernel_initializer = nested),
                                   registered_name = NULL)), other = nested)
  expect_error(deserialize_keras_object(outer), class = "kerasconfig_error_unknown_class")
  expect_error(deserialize_keras_object(list(x = nested)), class = "kerasconfig_error_unknown_class")
  expect_identical(Sys.getenv("KC_PWNED"), "")
})

test_that("even a global-environment object of that name is not reachable", {
  local_empty_registry()
  assign("kc_trap", function(...) stop("reached"), envir = globalenv())
  withr::defer(rm("kc_trap", envir = globalenv()))
  cfg <- list(module = "<r-globalenv>", class_name = "kc_trap", config = list(), registered_name = "kc_trap")
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_class")
})

# Issue 8: "did you mean" was an unbounded cost, computed twice: a 463-byte .keras naming a class
# with 300 KB of one letter took 21 s, 1 MB 86 s. Now no suggestion is looked for past 256
# characters, and messages show the first 100 characters of a name.
test_that("a .keras archive naming a class with a megabyte of text fails at once with a short message", {
  dir <- withr::local_tempdir()
  for (n in c(3e5, 1e6)) {
    config <- sprintf('{"module": "keras.layers", "class_name": "%s", "config": {}, "registered_name": null}',
                      strrep("a", n))
    # Deflated, the archive is about 500 bytes; its CRC comes from the package's own writer.
    stored <- kerasconfig:::rs_archive_write("config.json", list(charToRaw(config)))
    crc <- sum(as.numeric(stored[15:18]) * 256^(0:3))
    path <- zip_write(dir, zip_archive(list(zip_entry("config.json", config, method = 8L, crc = crc))))
    expect_lt(file.size(path), 2000)
    err <- expect_error(load_model_config(path), class = "kerasconfig_error_unknown_class")
    expect_match(conditionMessage(err), sprintf("'keras.layers.%s... (%d characters)'", strrep("a", 87), n + 13),
                 fixed = TRUE)
    expect_lt(nchar(conditionMessage(err)), 2000)
  }
})

test_that("long unknown names without a module, and long near-misses of registered keys, get no suggestion", {
  local_empty_registry()
  long <- strrep("b", 300)
  set_custom_objects(list(x = function(x) x) |> setNames(paste0("P>", long)))
  err <- expect_error(deserialize_keras_object(list(module = NULL, class_name = paste0(long, "c"), config = named_list())),
                      class = "kerasconfig_error_unknown_class")
  expect_no_match(conditionMessage(err), "Did you mean")
  expect_match(conditionMessage(err), sprintf("'%s... (301 characters)'", strrep("b", 100)), fixed = TRUE)
  # Up to 256 characters, a close name is still suggested.
  short <- strrep("b", 200)
  set_custom_objects(list(x = function(x) x) |> setNames(paste0("P>", short)))
  err <- expect_error(deserialize_keras_object(list(module = NULL, class_name = paste0(short, "c"), config = named_list())),
                      class = "kerasconfig_error_unknown_class")
  expect_match(conditionMessage(err), "Did you mean 'P>b", fixed = TRUE)
})

# ---- traps --------------------------------------------------------------------------------------
# Functions and classes that count their calls, planted where R code would look names up: the
# global environment, a package namespace (traced in place), and the frame that calls
# deserialize_keras_object(). No config field may reach them.

trap_name <- "kc_trap"
trap_class_name <- "KcTrapLayer"

trap_configs <- function(name, class_name) {
  dense <- function(...) list(module = "keras.layers", class_name = "Dense",
                              config = list(name = "d", units = 1L, ...), registered_name = NULL)
  cls <- function(module = NULL, registered_name = class_name, inner = list()) {
    list(module = module, class_name = class_name, config = inner, registered_name = registered_name)
  }
  fun <- function(module = "builtins") list(module = module, class_name = "function", config = name, registered_name = "function")
  list(
    # (config, the exact error class, or NA for a value that loads with the name kept as data)
    list(cls(), "kerasconfig_error_unknown_class"),
    list(cls("<r-globalenv>"), "kerasconfig_error_unknown_class"),
    list(cls("<r-namespace:utils>"), "kerasconfig_error_unknown_class"),
    list(cls("utils"), "kerasconfig_error_unknown_class"),
    list(cls(registered_name = NULL), "kerasconfig_error_unknown_class"),
    list(cls(registered_name = paste0("Custom>", class_name)), "kerasconfig_error_unknown_class"),
    list(list(module = "keras.layers", class_name = "Dense", config = list(units = 1L), registered_name = name),
         "kerasconfig_error_registered_name"),
    list(list(module = name, class_name = "Dense", config = list(name = "d", units = 1L), registered_name = NULL),
         "kerasconfig_error_unknown_class"),
    list(fun(), "kerasconfig_error_unknown_function"),
    list(fun("<r-globalenv>"), "kerasconfig_error_unknown_function"),
    list(fun("utils"), "kerasconfig_error_unknown_function"),
    list(dense(kernel_initializer = cls("keras.initializers")), "kerasconfig_error_unknown_class"),
    list(dense(activation = fun()), "kerasconfig_error_unknown_function"),
    # Keras' activations.get() refuses a name that is not an activation, registered or custom.
    list(dense(activation = name), "kerasconfig_error_value"),
    list(dense(kernel_initializer = name), "kerasconfig_error_unknown_class"),
    list(list(a = list(name, list(b = name)), c = name), NA),
    list(c(dense(), list(shared_object_id = name)), "kerasconfig_error_config"),
    list(list(class_name = "__tuple__", items = list(cls())), "kerasconfig_error_unknown_class"),
    list(list(class_name = "__slice__", config = list(start = cls(), stop = NULL, step = NULL)),
         "kerasconfig_error_unknown_class"),
    list(list(class_name = "__lambda__", config = list(value = paste0(name, "()"), language = "R")),
         "kerasconfig_error_unsafe"),
    list(list(class_name = "__keras_tensor__", config = list(shape = list(name), dtype = name,
                                                            keras_history = list(name, 0L, 0L))), NA),
    list(list(module = "keras", class_name = "Sequential", registered_name = NULL,
              config = list(name = "s", layers = list(cls("keras.layers"))), NULL), "kerasconfig_error_unknown_class"),
    list(list(module = "keras", class_name = "Sequential", registered_name = NULL,
              config = list(name = "s", layers = list()), compile_config = list(optimizer = name, loss = fun())),
         "kerasconfig_error_unknown_function"),
    list(list(module = "keras", class_name = "Sequential", registered_name = NULL,
              config = list(name = "s", layers = list()), compile_config = list(optimizer = name, loss = name),
              build_config = list(input_shape = name)), NA)
  )
}

test_that("trap functions and classes in the global environment, a namespace and the calling frame are never reached", {
  local_empty_registry()
  hits <- new.env()
  hits$n <- 0L
  trap <- function(...) {
    hits$n <- hits$n + 1L
    stop("trap reached")
  }
  trap_class <- Layer(trap_class_name, initialize = function(...) trap())
  assign(trap_name, trap, envir = globalenv())
  assign(trap_class_name, trap_class, envir = globalenv())
  withr::defer(rm(list = c(trap_name, trap_class_name), envir = globalenv()))
  # A namespace function traced in place to count its calls: configs name it as `toTitleCase`.
  suppressMessages(trace("toTitleCase", tracer = function() hits$n <- hits$n + 1L, where = asNamespace("tools"),
                         print = FALSE))
  withr::defer(suppressMessages(untrace("toTitleCase", where = asNamespace("tools"))))

  in_frame <- function(config) {
    kc_trap <- trap
    KcTrapLayer <- trap_class
    toTitleCase <- trap
    deserialize_keras_object(config)
  }
  n <- 0L
  for (names in list(c(trap_name, trap_class_name), c("toTitleCase", "toTitleCase"), c("tools::toTitleCase", "tools::toTitleCase"))) {
    for (case in trap_configs(names[[1]], names[[2]])) {
      config <- case[[1]]
      if (is.na(case[[2]])) {
        expect_no_error(in_frame(config))
      } else {
        expect_error(in_frame(config), class = case[[2]])
      }
      n <- n + 1L
    }
  }
  expect_identical(n, 72L)
  expect_identical(hits$n, 0L)
  # The traps work: calling them counts.
  expect_error(trap(), "trap reached")
  tools::toTitleCase("a")
  expect_identical(hits$n, 2L)
})
