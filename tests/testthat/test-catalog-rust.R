catalog_symbols <- function() as.data.frame(kerasconfig:::rs_catalog_symbols())

test_that("the symbol table has one row per catalog entry, ids from 0", {
  s <- catalog_symbols()
  # keras_api.json's 454 symbols, then the 84 ops of tools/extra-ops.json (masks', R/ops.R's).
  expect_identical(nrow(s), 538L)
  expect_identical(s$id, 0:537)
  expect_true(all(c("id", "module", "name", "canonical", "kind", "family", "python_path", "is_alias")
                  %in% names(s)))
  expect_setequal(unique(s$kind), c("class", "function"))
})

test_that("an alias row points at its canonical entry", {
  s <- catalog_symbols()
  alias <- s[s$namespace == "keras.layers" & s$name == "Convolution2D", ]
  expect_true(alias$is_alias)
  expect_identical(s$name[s$id == alias$canonical_id], "Conv2D")
})

test_that("an entry comes back as a named list with JSON text for configs and defaults", {
  s <- catalog_symbols()
  e <- kerasconfig:::rs_catalog_entry(s$id[s$namespace == "keras.layers" & s$name == "Dense"])
  expect_identical(e$python_path, "keras.src.layers.core.dense.Dense")
  expect_identical(e$family, "layers")
  expect_identical(e$config_keys[1:3], c("name", "trainable", "dtype"))
  expect_true(is.character(e$default_config) && length(e$default_config) == 1)
  expect_match(e$default_config, '^\\{"name":"dense","trainable":true,')
  units <- Filter(function(p) p$name == "units", e$params)[[1]]
  expect_true(units$required)
  expect_false(units$has_default)
  expect_null(units$default)
  use_bias <- Filter(function(p) p$name == "use_bias", e$params)[[1]]
  expect_identical(use_bias$default, "true")
  expect_identical(e$serialized_as$module, "keras.layers")
  expect_null(e$serialized_as$registered_name)
})

test_that("a function entry has no config and is written with module builtins", {
  s <- catalog_symbols()
  e <- kerasconfig:::rs_catalog_entry(s$id[s$namespace == "keras.activations" & s$name == "relu"])
  expect_identical(e$kind, "function")
  expect_null(e$default_config)
  expect_null(e$bases)
  expect_identical(e$serialized_as, list(module = "builtins", registered_name = "function"))
})

test_that("an id outside the catalog gives NULL", {
  expect_null(kerasconfig:::rs_catalog_entry(-1L))
  expect_null(kerasconfig:::rs_catalog_entry(538L))
  expect_null(kerasconfig:::rs_catalog_entry(.Machine$integer.max))
})
