`%||%` <- function(x, y) if (is.null(x)) y else x

named_list <- function(...) {
  x <- list(...)
  if (is.null(names(x))) names(x) <- character(length(x))
  x
}

# Keras' `to_snake_case`.
kc_snake_case <- function(name) {
  name <- gsub("[^[:alnum:]_]+", "", name)
  name <- gsub("(.)([A-Z][a-z]+)", "\\1_\\2", name)
  tolower(gsub("([a-z])([A-Z])", "\\1_\\2", name))
}

kc_names <- new.env(parent = emptyenv())

# Keras' `auto_name`: "dense", then "dense_1", "dense_2", ... per prefix and session.
kc_unique_name <- function(prefix) {
  n <- kc_names[[prefix]] %||% 0L
  kc_names[[prefix]] <- n + 1L
  if (n == 0L) prefix else paste0(prefix, "_", n)
}

# A double as Keras stores it in float32 and writes it back widened (0.01 -> 0.009999999776482582).
kc_float32 <- function(x) readBin(writeBin(as.double(x), raw(), size = 4L), "double", size = 4L)

kc_is_string <- function(x) is.character(x) && length(x) == 1L && !is.na(x)
