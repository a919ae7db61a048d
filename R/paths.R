# Paths inside a config, written as R code that reaches the element: config$layers[[3]]$config.

kc_path_key <- function(path, key) {
  # A key that is not valid text is shown escaped (make.names() cannot read it).
  if (Encoding(key) == "bytes" || !validUTF8(key)) return(paste0(path, "[[\"", encodeString(key), "\"]]"))
  if (identical(make.names(key), key)) paste0(path, "$", key) else paste0(path, "$`", key, "`")
}

kc_path_index <- function(path, i) paste0(path, "[[", i, "]]")

# A config for an error message: as JSON when the codec can write it, cut to a readable length.
kc_format_config <- function(x, limit = 800L) {
  text <- tryCatch(config_to_json(x), error = function(e) {
    # deparse() fails on strings that are not valid in their encoding.
    tryCatch(paste(deparse(x, nlines = 20L), collapse = " "), error = function(e) "(a config that cannot be shown)")
  })
  if (nchar(text) > limit) paste0(substr(text, 1L, limit), " ...") else text
}
