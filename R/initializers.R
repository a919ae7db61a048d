# Initial values for the variables of a model built in R, as Keras' initializers create them at
# build (keras/src/initializers): constants exact, random ones from the same distributions drawn
# with R's RNG (a `seed` in the initializer's config draws from that seed, leaving R's stream as it was).

# The config of the (sub)layer holding a slot's variables: wrappers' layers are nested configs;
# RNN cells share their layer's config unless it has a `cell` entry.
kc_slot_config <- function(slot) {
  cfg <- if (is.environment(kc_env(slot$obj))) slot$obj$get_config() else list()
  for (attr in head(strsplit(slot$key, "/", fixed = TRUE)[[1]], -1L)) {
    nested <- switch(attr,
      forward_layer = , layer = cfg$layer,
      backward_layer = cfg$backward_layer %||% cfg$layer,
      cell = cfg$cell
    )
    if (!is.null(nested)) {
      if (is.environment(kc_env(nested))) nested <- serialize_keras_object(nested)
      cfg <- nested$config %||% nested
    }
  }
  cfg
}

kc_initial_value <- function(v, slot) {
  cfg <- kc_slot_config(slot)
  parts <- strsplit(v$path, "/", fixed = TRUE)[[1]]
  name <- parts[[length(parts)]]
  # Where Keras takes the initial value from: a key of the layer's config, or an initializer
  # its code names (the shape engine knows which, src/rust/core/src/shape).
  init <- v$init$spec %||% cfg[[v$init$key %||% paste0(name, "_initializer")]]
  if (is.null(init)) {
    kc_abort(sprintf("No initializer is known for variable '%s' of layer '%s': pass its weights with set_weights().",
                     v$path, slot$layer), "kerasconfig_error_weights")
  }
  dims <- kc_var_dims(v)
  if (name == "bias" && isTRUE(cfg$unit_forget_bias) && length(dims) == 1L && dims %% 4L == 0L) {
    units <- dims %/% 4L
    return(array(c(kc_draw(init, units), rep(1, units), kc_draw(init, 2L * units)), dim = dims))
  }
  kc_draw(init, dims, v$path)
}

kc_fans <- function(dims) {
  n <- length(dims)
  if (n == 0L) return(c(1, 1))
  if (n == 1L) return(c(dims, dims))
  if (n == 2L) return(as.double(dims))
  receptive <- prod(dims[seq_len(n - 2L)])
  c(dims[[n - 1L]] * receptive, dims[[n]] * receptive)
}

# Values of shape `dims` from an initializer (a live object, a config, or a name).
kc_draw <- function(init, dims, what = "a variable") {
  spec <- if (is.character(init)) list(class_name = init, config = list()) else
    if (is.environment(kc_env(init))) serialize_keras_object(init) else init
  class <- sub("^.*>", "", spec$class_name %||% "")
  cfg <- spec$config %||% list()
  n <- prod(dims)
  shape <- function(x) if (length(dims) >= 1L) array(x, dim = dims) else x
  vs <- function(scale, mode, distribution) {
    fans <- kc_fans(dims)
    scale <- scale / max(1, switch(mode, fan_in = fans[[1]], fan_out = fans[[2]], (fans[[1]] + fans[[2]]) / 2))
    switch(distribution,
      truncated_normal = kc_truncated(n, 0, sqrt(scale) / 0.87962566103423978),
      untruncated_normal = , normal = stats::rnorm(n, 0, sqrt(scale)),
      stats::runif(n, -sqrt(3 * scale), sqrt(3 * scale))
    )
  }
  draw <- function() switch(kc_snake_case(class),
    zeros = rep(0, n), ones = rep(1, n),
    constant = rep(as.double(cfg$value %||% 0), n),
    random_uniform = stats::runif(n, cfg$minval %||% -0.05, cfg$maxval %||% 0.05),
    random_normal = stats::rnorm(n, cfg$mean %||% 0, cfg$stddev %||% 0.05),
    truncated_normal = kc_truncated(n, cfg$mean %||% 0, cfg$stddev %||% 0.05),
    variance_scaling = vs(cfg$scale %||% 1, cfg$mode %||% "fan_in", cfg$distribution %||% "truncated_normal"),
    glorot_uniform = vs(1, "fan_avg", "uniform"), glorot_normal = vs(1, "fan_avg", "truncated_normal"),
    he_uniform = vs(2, "fan_in", "uniform"), he_normal = vs(2, "fan_in", "truncated_normal"),
    lecun_uniform = vs(1, "fan_in", "uniform"), lecun_normal = vs(1, "fan_in", "truncated_normal"),
    orthogonal = kc_orthogonal(dims, cfg$gain %||% 1),
    identity = {
      if (length(dims) != 2L) kc_abort("Identity initializers need a 2-D variable.", "kerasconfig_error_weights")
      m <- diag(cfg$gain %||% 1, dims[[1]], dims[[2]])
      as.vector(m)
    },
    kc_abort(sprintf("Initializer '%s' of %s cannot be computed in R: pass the weights with set_weights().",
                     spec$class_name, what), "kerasconfig_error_weights")
  )
  seed <- cfg$seed
  values <- if (is.numeric(seed) && length(seed) == 1L) kc_with_seed(seed, draw()) else draw()
  # float32, as Keras stores them.
  values <- rs_round_f32(as.double(values))
  shape(values)
}

kc_with_seed <- function(seed, expr) {
  old <- get0(".Random.seed", envir = globalenv(), inherits = FALSE)
  on.exit(if (is.null(old)) rm(".Random.seed", envir = globalenv()) else assign(".Random.seed", old, envir = globalenv()))
  set.seed(seed)
  expr
}

# Normal draws re-drawn until within two standard deviations, as truncated_normal does.
kc_truncated <- function(n, mean, sd) {
  x <- stats::rnorm(n)
  bad <- abs(x) > 2
  while (any(bad)) {
    x[bad] <- stats::rnorm(sum(bad))
    bad <- abs(x) > 2
  }
  mean + sd * x
}

kc_orthogonal <- function(dims, gain) {
  if (length(dims) < 2L) kc_abort("Orthogonal initializers need a variable of 2 or more dimensions.", "kerasconfig_error_weights")
  cols <- dims[[length(dims)]]
  rows <- prod(dims) / cols
  a <- matrix(stats::rnorm(rows * cols), max(rows, cols), min(rows, cols))
  qr <- qr(a)
  q <- qr.Q(qr) %*% diag(sign(diag(qr.R(qr))), ncol(a))
  if (rows < cols) q <- t(q)
  m <- gain * q[seq_len(rows), seq_len(cols), drop = FALSE]
  # Keras reshapes the (rows, cols) matrix in row-major order.
  cvec <- as.vector(t(m))
  if (length(dims) == 2L) return(as.vector(m))
  as.vector(aperm(array(cvec, rev(dims)), rev(seq_along(dims))))
}
