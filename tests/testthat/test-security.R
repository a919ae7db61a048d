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
    expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error")
    cfg$registered_name <- NULL
    expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error")
  }
  expect_false(file.exists("/tmp/kc-pwned"))
})

test_that("no function config reaches an R function by name", {
  local_empty_registry()
  for (fn in dangerous) for (module in modules) {
    cfg <- list(module = module, class_name = "function", config = fn, registered_name = "function")
    expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error")
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
  outer <- list(layers = list(list(module = "keras.layers", class_name = "Dense", config = list(kernel_initializer = nested),
                                   registered_name = NULL)), other = nested)
  expect_error(deserialize_keras_object(outer), class = "kerasconfig_error")
  expect_error(deserialize_keras_object(list(x = nested)), class = "kerasconfig_error")
  expect_identical(Sys.getenv("KC_PWNED"), "")
})

test_that("even a global-environment object of that name is not reachable", {
  local_empty_registry()
  assign("kc_trap", function(...) stop("reached"), envir = globalenv())
  withr::defer(rm("kc_trap", envir = globalenv()))
  cfg <- list(module = "<r-globalenv>", class_name = "kc_trap", config = list(), registered_name = "kc_trap")
  expect_error(deserialize_keras_object(cfg), class = "kerasconfig_error_unknown_class")
})
