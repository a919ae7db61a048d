# Runs the testthat suite against the installed package and fails the process on any failure.
library(testthat)
library(kerasconfig)
res <- test_dir("tests/testthat", package = "kerasconfig", load_package = "installed",
                reporter = ProgressReporter$new(show_praise = FALSE), stop_on_failure = TRUE)
