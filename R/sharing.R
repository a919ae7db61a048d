# Shared objects on the way out. Inside `kc_with_object_sharing()` (what saving a model opens,
# as Keras' SharedObjectSavingScope), an instance met more than once in one serialization gets
# `shared_object_id` at every occurrence. Marks are provisional until the top-level call ends,
# because only then is it known whether an object occurred twice. Ids only need to be equal
# within a file: they are 1, 2, ... in order of first occurrence (never an address), skipping
# the ids that loaded objects keep.

kc_with_object_sharing <- function(expr) {
  previous <- kc_state$sharing
  kc_state$sharing <- kc_sharing_state()
  on.exit(kc_state$sharing <- previous, add = TRUE)
  expr
}

# How often each instance occurred (by address), and the ids loaded objects keep.
kc_sharing_state <- function() {
  list2env(list(counts = new.env(parent = emptyenv()), taken = new.env(parent = emptyenv())), parent = emptyenv())
}

kc_sharing_mark <- function(x) {
  state <- kc_state$sharing
  if (is.null(state)) return(NULL)
  key <- sprintf("%.0f", rs_identity(kc_env(x)))
  state$counts[[key]] <- (state$counts[[key]] %||% 0L) + 1L
  structure(key, class = "kc_provisional_id")
}

# An id an object kept from the config it was loaded from, written as is: new ids avoid it.
kc_sharing_keep <- function(id) {
  state <- kc_state$sharing
  if (!is.null(id) && !is.null(state)) assign(kc_shared_id_text(id), TRUE, envir = state$taken)
  id
}

# Turns provisional ids into real ones where the object occurred more than once, and drops the
# others. A no-op outside a sharing scope.
kc_sharing_finish <- function(x) {
  force(x) # the serialization itself, which does the counting
  state <- kc_state$sharing
  if (is.null(state)) return(x)
  on.exit({
    state$counts <- new.env(parent = emptyenv())
    state$taken <- new.env(parent = emptyenv())
  }, add = TRUE)
  if (!length(ls(state$counts))) return(x)
  state$ids <- new.env(parent = emptyenv())
  state$last <- 0L
  kc_sharing_resolve(x, state)
}

kc_sharing_resolve <- function(x, state) {
  if (!is.list(x) || is.object(x)) return(x)
  key <- x[["shared_object_id", exact = TRUE]]
  if (inherits(key, "kc_provisional_id")) {
    if (state$counts[[key]] > 1L) {
      if (is.null(state$ids[[key]])) {
        repeat {
          state$last <- state$last + 1L
          if (is.null(state$taken[[as.character(state$last)]])) break
        }
        state$ids[[key]] <- state$last
      }
      x$shared_object_id <- state$ids[[key]]
    } else {
      x$shared_object_id <- NULL
    }
  }
  for (i in seq_along(x)) if (is.list(x[[i]])) x[i] <- list(kc_sharing_resolve(x[[i]], state))
  x
}
