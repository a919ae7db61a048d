# Every reference object file of Python Keras 3.15.1, read and written back, and rebuilt from
# the R constructors.

# Functions Keras writes as layers but cannot read back (the reference README).
layer_functions <- c("Input", "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract")

reference_object_files <- function() {
  dir <- reference_dir("objects")
  files <- list.files(dir, pattern = "\\.json$", recursive = TRUE, full.names = TRUE)
  files[!(basename(dirname(files)) == "layers" & sub("\\.json$", "", basename(files)) %in% layer_functions)]
}

read_text <- function(path) readChar(path, file.size(path), useBytes = TRUE)

# Lambda.json wraps a function registered in Python as Custom>double_it.
local_reference_functions <- function(envir = parent.frame()) {
  local_empty_registry(envir)
  set_custom_objects(list("Custom>double_it" = function(x) 2 * x), clear = FALSE)
}

test_that("every reference object file round-trips byte for byte through R objects", {
  local_reference_functions()
  files <- reference_object_files()
  expect_gt(length(files), 330L)
  for (f in files) {
    txt <- read_text(f)
    obj <- deserialize_keras_object(config_from_json(txt))
    expect_identical(config_to_json(serialize_keras_object(obj)), txt, label = f)
  }
})

test_that("default constructors reproduce the reference files", {
  local_reference_functions()
  files <- reference_object_files()
  checked <- 0L
  for (f in files) {
    parts <- strsplit(basename(dirname(f)), ".", fixed = TRUE)[[1]]
    name <- sub("\\.json$", "", basename(f))
    node <- keras
    for (p in parts) node <- node[[p]]
    obj <- node[[name]]
    expect_false(is.null(obj), label = f)
    if (!inherits(obj, "keras_class")) next
    entry <- kerasconfig:::kc_class_info(obj)$entry
    args <- if (is.null(entry$required_args_used)) list() else deserialize_keras_object(config_from_json(entry$required_args_used))
    txt <- read_text(f)
    # Keras draws seeds it was not given (RandomCrop): pass the one it drew.
    seed <- config_from_json(txt)$config$seed
    if (!is.null(seed) && is.null(args$seed)) args$seed <- seed
    clear_session()
    made <- do.call(obj, args)
    expect_identical(config_to_json(serialize_keras_object(made)), txt, label = f)
    checked <- checked + 1L
  }
  expect_gt(checked, 250L)
})
