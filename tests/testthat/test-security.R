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
