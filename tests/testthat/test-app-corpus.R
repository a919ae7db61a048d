# The keras.applications corpus (tools/gen-app-corpus.py): 40 real networks of 22 KB to 1 MB of
# config each, written by Python Keras 3.15.1 as config.json in a .keras file.
apps_dir <- test_path("fixtures", "apps")
apps_index <- utils::read.delim(file.path(apps_dir, "INDEX.tsv"), colClasses = c("character", rep("numeric", 3), "character"))
read_app <- function(name) {
  con <- gzfile(file.path(apps_dir, paste0(name, ".json.gz")), "rb")
  on.exit(close(con))
  rawToChar(readBin(con, "raw", apps_index$json_bytes[apps_index$name == name] + 1))
}

test_that("the corpus holds every keras.applications network, each text as Python wrote it", {
  expect_identical(nrow(apps_index), 40L)
  expect_setequal(sub("\\.json\\.gz$", "", list.files(apps_dir, pattern = "\\.json\\.gz$")), apps_index$name)
  for (name in apps_index$name) {
    txt <- read_app(name)
    expect_identical(nchar(txt, type = "bytes"), as.integer(apps_index$json_bytes[apps_index$name == name]), label = name)
  }
})

test_that("every application model round-trips through objects byte for byte, shared_object_id included", {
  for (name in apps_index$name) {
    txt <- read_app(name)
    model <- deserialize_keras_object(config_from_json(txt))
    expect_s3_class(model, "Functional")
    expect_identical(config_to_json(serialize_keras_object(model)), txt, label = name)
  }
})

test_that("every application model loads from a config.json file and saves back to Python's text", {
  dir <- withr::local_tempdir()
  for (name in apps_index$name) {
    txt <- read_app(name)
    path <- file.path(dir, "config.json")
    writeChar(txt, path, eos = NULL, useBytes = TRUE)
    model <- load_model_config(path)
    expect_identical(save_model_config(model), txt, label = name)
  }
})

test_that("every application model has the total and trainable parameter counts Keras reports", {
  for (name in apps_index$name) {
    model <- deserialize_keras_object(config_from_json(read_app(name)))
    row <- apps_index[apps_index$name == name, ]
    expect_identical(count_params(model), row$total_params, label = name)
    expect_identical(sum(kc_summary_rows(model)$trainable_params), row$trainable_params, label = name)
  }
})
