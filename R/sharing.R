# Shared objects on the way out. Inside `kc_with_object_sharing()` (what saving a model opens,
# as Keras' SharedObjectSavingScope), an instance met more than once in one serialization gets
# `shared_object_id` at every occurrence. Marks are provisional until the top-level call ends,
# because only then is it known whether an object occurred twice.

kc_with_object_sharing <- function(expr) {
  previous <- kc_state$sharing
  kc_state$sharing <- new.env(parent = emptyenv())
  on.exit(kc_state$sharing <- previous, add = TRUE)
  expr
}

kc_sharing_mark <- function(x) {
  counts <- kc_state$sharing
  if (is.null(counts)) return(NULL)
  id <- rs_identity(x)
  key <- sprintf("%.0f", id)
  counts[[key]] <- (counts[[key]] %||% 0L) + 1L
  structure(id, class = "kc_provisional_id")
}

# Turns provisional ids into real ones where the object occurred more than once, and drops the
# others. A no-op outside a sharing scope.
kc_sharing_finish <- function(x) {
  force(x) # the serialization itself, which does the counting
  counts <- kc_state$sharing
  if (is.null(counts) || !length(ls(counts))) return(x)
  on.exit(rm(list = ls(counts), envir = counts), add = TRUE)
  kc_sharing_resolve(x, counts)
}

kc_sharing_resolve <- function(x, counts) {
  if (!is.list(x) || is.object(x)) return(x)
  id <- x[["shared_object_id", exact = TRUE]]
  if (inherits(id, "kc_provisional_id")) {
    if (counts[[sprintf("%.0f", id)]] > 1L) {
      x$shared_object_id <- structure(unclass(id), class = "keras_integer")
    } else {
      x$shared_object_id <- NULL
    }
  }
  for (i in seq_along(x)) if (is.list(x[[i]])) x[i] <- list(kc_sharing_resolve(x[[i]], counts))
  x
}
