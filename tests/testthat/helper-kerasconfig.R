# An empty registry for one test; the previous one comes back afterwards.
local_empty_registry <- function(envir = parent.frame()) {
  old <- set_custom_objects(clear = TRUE)
  withr::defer(set_custom_objects(old), envir = envir)
  invisible(old)
}

# The reference data of Python Keras 3.15.1, or a skip. In CI (`CI=true`, outside R CMD check)
# its absence is a failure: a suite that silently loses half its expectations must not pass.
reference_dir <- function(...) {
  ref <- Sys.getenv("KERASCONFIG_REFERENCE")
  if (!nzchar(ref) || !dir.exists(ref)) {
    in_ci <- identical(Sys.getenv("CI"), "true") && !nzchar(Sys.getenv("_R_CHECK_PACKAGE_NAME_"))
    if (in_ci) testthat::fail(sprintf("Keras reference data missing in CI (KERASCONFIG_REFERENCE = '%s').", ref))
    testthat::skip("Keras reference data not available")
  }
  file.path(ref, ...)
}

reference_text <- function(...) {
  path <- reference_dir(...)
  readChar(path, file.size(path), useBytes = TRUE)
}
