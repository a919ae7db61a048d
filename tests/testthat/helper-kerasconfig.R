# An empty registry for one test; the previous one comes back afterwards.
local_empty_registry <- function(envir = parent.frame()) {
  old <- set_custom_objects(clear = TRUE)
  withr::defer(set_custom_objects(old), envir = envir)
  invisible(old)
}

# The reference data of Python Keras 3.15.1, or a skip.
reference_dir <- function(...) {
  ref <- Sys.getenv("KERASCONFIG_REFERENCE")
  testthat::skip_if(!nzchar(ref) || !dir.exists(ref), "Keras reference data not available")
  file.path(ref, ...)
}

reference_text <- function(...) {
  path <- reference_dir(...)
  readChar(path, file.size(path), useBytes = TRUE)
}
