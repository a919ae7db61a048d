# Classed conditions. Every error a user can cause is a `kerasconfig_error` with a specific
# subclass, so callers can catch exactly what they mean to.

kc_abort <- function(message, class, ..., call = NULL) {
  cnd <- structure(
    class = c(class, "kerasconfig_error", "error", "condition"),
    list(message = paste(message, collapse = "\n"), call = call, ...)
  )
  stop(cnd)
}

kc_warn <- function(message, class) {
  cnd <- structure(
    class = c(class, "kerasconfig_warning", "warning", "condition"),
    list(message = message, call = NULL)
  )
  warning(cnd)
}

# The codec recurses up to 100 levels on R's C stack: refuse to start without room for that,
# rather than let a caller deep in its own recursion overflow the stack.
kc_check_stack <- function() {
  info <- Cstack_info()
  room <- info[["size"]] - info[["current"]]
  if (!is.na(room) && room < 2e6) {
    kc_abort("Not enough C stack left to read or write JSON here (called from too deep a recursion).",
             "kerasconfig_error_stack")
  }
}

# Rust hands back failures as data (a `kc_rust_error` list) so they arrive classed.
kc_check <- function(x, ...) {
  if (inherits(x, "kc_rust_error")) {
    fields <- unclass(x)
    extra <- fields[setdiff(names(fields), c("message", "class"))]
    do.call(kc_abort, c(list(fields$message, fields$class), extra, list(...)))
  }
  x
}
