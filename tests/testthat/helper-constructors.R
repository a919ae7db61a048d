# The differential fixtures of tools/gen-constructor-fixtures.py: what Keras 3.15.1 writes for many
# argument sets of every public built-in class, and the comparison of our constructors with it.

kc_fixture_classes <- function() {
  config_from_json(test_path("fixtures", "constructors.json"))
}

# Every integer of an argument value as an R double, as an R user types numbers; object configs
# (named lists) are left as Keras wrote them.
kc_all_doubles <- function(x) {
  if (is.integer(x)) return(as.double(x))
  if (is.list(x) && is.null(names(x))) return(lapply(x, kc_all_doubles))
  x
}

# The config Keras wrote for a case: the class's base config with the case's changed keys, in the
# case's key order.
kc_expected_config <- function(base, outcome) {
  keys <- if (is.null(outcome$keys)) names(base) else unlist(outcome$keys)
  changed <- outcome$config
  out <- lapply(keys, function(k) if (k %in% names(changed)) changed[[k]] else base[[k]])
  names(out) <- keys
  out
}

kc_generator_of <- function(path) {
  parts <- strsplit(path, ".", fixed = TRUE)[[1]][-1]
  Reduce(function(node, p) node[[p]], parts, keras)
}

# One case in one number convention: "match", or a description of the difference.
kc_run_case <- function(cls, case, doubles) {
  args <- c(case$args, cls$required[setdiff(names(cls$required), names(case$args))])
  args <- args[c(names(cls$required)[names(cls$required) %in% names(args)], names(case$args))]
  args <- args[!duplicated(names(args))]
  outcome <- case
  if (doubles) {
    args <- lapply(args, kc_all_doubles)
    if (!is.null(case$double)) outcome <- case$double
  }
  generator <- kc_generator_of(cls$path)
  got <- tryCatch(serialize_keras_object(do.call(generator, args))$config, error = function(e) e)
  if (!is.null(outcome$error)) {
    if (inherits(got, "kerasconfig_error")) return("match")
    return(sprintf("Keras refuses (%s), we %s", outcome$error$message,
                   if (inherits(got, "error")) paste("fail unclassed:", conditionMessage(got)) else "accept"))
  }
  if (inherits(got, "error")) return(paste("we refuse:", conditionMessage(got)))
  want <- config_to_json(kc_expected_config(cls$base, outcome))
  have <- config_to_json(got)
  if (identical(want, have)) "match" else paste0("want ", want, "\n      have ", have)
}

# All cases of all classes that Keras could build: a data frame of class, case index, convention, result.
kc_constructor_results <- function(classes = kc_fixture_classes()) {
  rows <- list()
  for (cls in classes) {
    if (is.null(cls$base)) next
    for (i in seq_along(cls$cases)) {
      for (doubles in c(FALSE, TRUE)) {
        res <- kc_run_case(cls, cls$cases[[i]], doubles)
        rows[[length(rows) + 1L]] <- data.frame(path = cls$path, case = i, doubles = doubles, result = res)
      }
    }
  }
  do.call(rbind, rows)
}
