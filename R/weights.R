# Model weights: where Keras stores each layer's variables in `model.weights.h5`
# (`layers/<snake_case(class)>[_<k>]/<attr>/.../vars/<i>`, as keras/src/saving/saving_lib.py walks
# a model), reading them onto the layer objects, get_weights() / set_weights(), and the values a
# model built in R starts with (its initializers).

# Decoded HDF5 arrays may take at most this many bytes (and never more than the file inflates to).
kc_hdf5_limit <- 2^34

# A weights file read into a tree of groups and arrays: HDF5 (`model.weights.h5`, legacy `.h5`),
# or, with `reader = rs_npz_read`, Keras' model.weights.npz (src/rust/core/src/npz) into the same tree.
kc_read_hdf5 <- function(bytes, label, filepath, reader = rs_hdf5_read) {
  tree <- reader(bytes, kc_hdf5_limit)
  if (inherits(tree, "kc_rust_error")) {
    tree$message <- sprintf("Cannot read %s: %s.", label, tree$message)
    kc_check(tree, file = filepath)
  }
  tree
}

# Keras' naming.to_snake_case().
kc_snake_case <- function(name) {
  name <- gsub("[^[:alnum:]_]+", "", name)
  name <- gsub("(.)([A-Z][a-z]+)", "\\1_\\2", name, perl = TRUE)
  tolower(gsub("([a-z])([A-Z])", "\\1_\\2", name, perl = TRUE))
}

# The attributes through which a layer holds the nested layers of a variable's path (`chain`,
# their names), for the paths of the weights file: RNN layers hold their cell as `cell`,
# Bidirectional its halves as `forward_layer` (its config's `layer`) and `backward_layer`, other
# wrappers their `layer`. Each name is looked up in the config of the layer holding it; a name
# no config holds falls back to Keras' naming of those layers (`lstm_cell`, `forward_lstm`).
kc_saving_attrs <- function(obj, chain) {
  cfg <- if (is.environment(kc_env(obj))) tryCatch(obj$get_config(), error = function(e) NULL)
  cls <- if (is.environment(kc_env(obj))) kc_class_info(kc_class_of(obj))$classname
  vapply(chain, function(child) {
    nested <- NULL
    attr <- NULL
    for (key in c("cell", "layer", "backward_layer", "forward_layer")) {
      x <- if (is.list(cfg)) cfg[[key, exact = TRUE]]
      if (is.environment(kc_env(x))) x <- serialize_keras_object(x)
      if (is.list(x) && identical(x$config$name, child)) {
        nested <- x
        attr <- if (key == "layer" && identical(cls, "Bidirectional")) "forward_layer" else key
        break
      }
    }
    if (is.null(attr)) {
      attr <- if (grepl("_cell(_[0-9]+)?$", child)) "cell" else if (startsWith(child, "forward_")) "forward_layer" else
        if (startsWith(child, "backward_")) "backward_layer" else "layer"
    }
    cfg <<- nested$config
    cls <<- nested$class_name
    attr
  }, "", USE.NAMES = FALSE)
}

# Every place a model keeps variables, in Keras' weights order: a list of slots, each with the
# layer object (`obj`), its name, `key` (the slot's path inside the layer), `path` (in the
# weights file) and `vars` (the shape engine's variables: path, shape, dtype, trainable).
# A model's slots are kept with the report they were made from and made again only when the
# report changes: get_weights() and set_weights() ask for them at every call.
kc_weight_slots <- function(model, prefix = "") {
  report <- kc_required_report(model)
  top <- !nzchar(prefix)
  if (top) {
    cached <- get0(".__weight_slots__", envir = kc_env(model), inherits = FALSE)
    if (!is.null(cached) && identical(cached$report, report)) return(cached$slots)
  }
  slots <- kc_make_weight_slots(model, report, prefix)
  if (top) assign(".__weight_slots__", list(report = report, slots = slots), envir = kc_env(model))
  slots
}

kc_make_weight_slots <- function(model, report, prefix) {
  objs <- kc_model_layer_objects(model)
  layers <- kc_saved_layers(model, report)
  keys <- kc_layer_keys(vapply(layers, function(l) l$class, ""))
  slots <- list()
  for (k in seq_along(layers)) {
    l <- layers[[k]]
    obj <- objs[[l$name]]
    base <- paste0(prefix, "layers/", keys[[k]])
    if (kc_has_report(obj)) {
      slots <- c(slots, kc_weight_slots(obj, paste0(base, "/")))
      next
    }
    layer_slots <- list()
    for (v in l$variables) {
      parts <- strsplit(v$path, "/", fixed = TRUE)[[1]]
      chain <- parts[-c(1L, length(parts))]
      sub <- if (length(chain)) paste(c(kc_saving_attrs(obj, chain), "vars"), collapse = "/") else "vars"
      if (is.null(layer_slots[[sub]])) {
        layer_slots[[sub]] <- list(obj = obj, layer = l$name, key = sub, path = paste0(base, "/", sub), vars = list())
      }
      layer_slots[[sub]]$vars <- c(layer_slots[[sub]]$vars, list(v))
    }
    for (s in layer_slots) {
      # A layer stores its trainable variables first (`_trainable_variables + _non_trainable_variables`).
      trainable <- vapply(s$vars, function(v) isTRUE(v$trainable), TRUE)
      s$vars <- c(s$vars[trainable], s$vars[!trainable])
      slots[[length(slots) + 1L]] <- s
    }
  }
  slots
}

# The keys of a model's layers in the weights file, from their classes: `dense`, `dense_1`, ...
# (Keras' snake_case of the class, numbered from the second layer of a class on).
kc_layer_keys <- function(classes) {
  keys <- kc_snake_case(classes)
  used <- integer()
  for (k in seq_along(keys)) {
    key <- keys[[k]]
    used[[key]] <- if (is.na(used[key])) 0L else used[[key]] + 1L
    if (used[[key]] > 0L) keys[[k]] <- paste0(key, "_", used[[key]])
  }
  keys
}

# The layers Keras walks when saving (`model.layers`, which for a Sequential model leaves out its
# InputLayer): each its `name`, `class` and `variables` (the report's `weights` column, read in
# one parse for all layers).
kc_saved_layers <- function(model, report) {
  keep <- seq_along(report$name)
  if (inherits(model, "Sequential")) keep <- keep[report$class[keep] != "InputLayer"]
  texts <- report$weights[keep]
  has <- !is.na(texts) & texts != "[]"
  variables <- rep(list(list()), length(keep))
  if (any(has)) variables[has] <- config_from_json(paste0("[", paste(texts[has], collapse = ","), "]"))
  lapply(seq_along(keep), function(k) {
    list(name = report$name[[keep[[k]]]], class = report$class[[keep[[k]]]], variables = variables[[k]] %||% list())
  })
}

# A nested model that has its own report (or can make one): its weights are walked as a model's.
kc_has_report <- function(obj) {
  is.environment(kc_env(obj)) && inherits(obj, "keras_models") && !is.null(kc_model_report(obj))
}

kc_var_dims <- function(v) as.integer(unlist(v$shape))

kc_array_dims <- function(x) if (is.null(dim(x))) (if (length(x) == 1L) integer() else length(x)) else dim(x)

kc_shape_label <- function(d) sprintf("(%s)", paste0(d, if (length(d) == 1L) "," else "", collapse = ", "))

# The HDF5 group at a `/`-separated path of a tree from rs_hdf5_read(), or NULL.
kc_h5_at <- function(tree, path) {
  for (p in strsplit(path, "/", fixed = TRUE)[[1]]) {
    if (!identical(tree$kind, "group")) return(NULL)
    tree <- tree$members[[p, exact = TRUE]]
    if (is.null(tree)) return(NULL)
  }
  tree
}

# The datasets `0`, `1`, ... of a `vars` group, as list(dtype, value).
kc_h5_vars <- function(group) {
  if (is.null(group)) return(list())
  m <- group$members
  idx <- suppressWarnings(as.integer(names(m)))
  m <- m[!is.na(idx)][order(idx[!is.na(idx)])]
  lapply(m, function(d) d$data)
}

# Puts the weights of `tree` (a model.weights.h5) onto the layers of `model`, checking counts and shapes.
kc_assign_weights <- function(model, tree, filepath) {
  for (s in kc_weight_slots(model)) {
    stored <- kc_h5_vars(kc_h5_at(tree, s$path))
    if (length(stored) != length(s$vars)) {
      kc_abort(sprintf("Layer '%s' expected %d variables, but received %d variables during loading (at '%s' in '%s').",
                       s$layer, length(s$vars), length(stored), s$path, filepath),
               "kerasconfig_error_weights", file = filepath)
    }
    values <- Map(function(v, a) {
      if (!identical(kc_array_dims(a$value), kc_var_dims(v))) {
        kc_abort(sprintf("Variable '%s' has shape %s, but the file holds %s (at '%s' in '%s').", v$path,
                         kc_shape_label(kc_var_dims(v)), kc_shape_label(kc_array_dims(a$value)), s$path, filepath),
                 "kerasconfig_error_weights", file = filepath)
      }
      a$value
    }, s$vars, stored)
    kc_store_values(s, unname(values))
  }
  opt <- kc_h5_vars(kc_h5_at(tree, "optimizer/vars"))
  assign(".__optimizer_variables__", opt, envir = kc_env(model))
  invisible(model)
}

kc_store_values <- function(slot, values) {
  if (!is.environment(kc_env(slot$obj))) return(invisible())
  current <- get0(".__weight_values__", envir = kc_env(slot$obj), inherits = FALSE) %||% list()
  current[[slot$key]] <- values
  assign(".__weight_values__", current, envir = kc_env(slot$obj))
}

# The values of a slot: stored ones, or new ones from the initializers.
kc_slot_values <- function(slot) {
  stored <- if (is.environment(kc_env(slot$obj))) get0(".__weight_values__", envir = kc_env(slot$obj), inherits = FALSE)[[slot$key]]
  if (length(stored) == length(slot$vars)) return(stored)
  values <- lapply(slot$vars, kc_initial_value, slot = slot)
  kc_store_values(slot, values)
  values
}

kc_slots_of <- function(object) {
  if (inherits(object, "keras_models")) return(kc_weight_slots(kc_refresh_variables(object)))
  if (!kc_is_instance(object) || !kc_is_layer(object)) {
    kc_abort(sprintf("get_weights() and set_weights() take a model or a layer, not %s.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  # A layer of a model: the slots of its model's report that hold it (its variables, then those
  # of the layers it wraps, as Keras' Layer.weights lists them).
  at <- get0(".__shape_of__", envir = kc_env(object), inherits = FALSE)
  if (is.null(at)) {
    # Keras: a layer that was never built has no weights yet.
    if (!isTRUE(get0(".__kc_built__", envir = kc_env(object), inherits = FALSE))) return(list())
    kc_abort(sprintf(paste("Layer '%s' is not part of a model: kerasconfig knows a layer's variables through its model.",
                           "Make one with keras_model() or keras_model_sequential() first."), kc_layer_name(object)),
             "kerasconfig_error_weights")
  }
  slots <- kc_weight_slots(kc_refresh_variables(at[[1L]]))
  Filter(function(s) identical(kc_env(s$obj), kc_env(object)), slots)
}

#' Get and set the weights of a model or a layer
#'
#' `get_weights()` returns the values of a model's variables as R arrays, in
#' Keras' `model.weights` order (each layer's trainable variables, then its
#' non-trainable ones, layer after layer); `set_weights()` replaces them.
#' Given a layer of a model (`get_layer(model, "dense")`), they do the same
#' for that layer's variables (those of the layers it wraps included), as
#' Keras' `layer.get_weights()`; a layer never built has none.
#' Arrays have the variable's shape as `dim` (`a[i, j]` is Python's
#' `a[i-1, j-1]`); float32 values are exact in doubles. A model loaded with
#' [load_model()] has the file's weights; a model built in R gets its
#' initial weights from its initializers (zeros, ones and constants exact,
#' random ones drawn with R's RNG: use [set.seed()]).
#'
#' @param object A model, or a layer of a model.
#' @param trainable `NA` for all weights, `TRUE` for the trainable ones only,
#'   `FALSE` for the non-trainable ones.
#' @param weights A list of arrays, one per variable, shapes as
#'   `get_weights()` returns them.
#' @return `get_weights()`: an unnamed list of arrays. `set_weights()`:
#'   `object`, invisibly.
#' @section Errors:
#' `kerasconfig_error_weights` when `weights` has the wrong number of arrays
#' or an array has the wrong shape (the message names the variable), or when
#' a built layer belongs to no model (its variables are known through its
#' model); `kerasconfig_error_type` for an object that is neither.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 3) |> layer_dense(2, kernel_initializer = "ones")
#' w <- get_weights(model)
#' w[[1]]
#' w[[2]] <- c(0.5, -0.5)
#' set_weights(model, w)
#' get_weights(model)[[2]]
#' dense <- get_layer(model, index = 1)
#' get_weights(dense)[[2]]
get_weights <- function(object, trainable = NA) {
  if (!(length(trainable) == 1L && is.logical(trainable))) {
    kc_abort("`trainable` must be NA, TRUE or FALSE.", "kerasconfig_error_type")
  }
  out <- lapply(kc_slots_of(object), function(s) {
    values <- kc_slot_values(s)
    if (is.na(trainable)) return(values)
    values[vapply(s$vars, function(v) identical(isTRUE(v$trainable), trainable), TRUE)]
  })
  unname(do.call(c, out) %||% list())
}

#' @rdname get_weights
#' @export
set_weights <- function(object, weights) {
  slots <- kc_slots_of(object)
  n <- sum(lengths(lapply(slots, function(s) s$vars)))
  if (!is.list(weights) || length(weights) != n) {
    given <- if (is.list(weights)) length(weights) else 0L
    if (inherits(object, "keras_models")) {
      kc_abort(sprintf("You called `set_weights(weights)` on a model with %d variables, but the provided weights list has %d elements.",
                       n, given), "kerasconfig_error_weights")
    }
    kc_abort(sprintf("You called `set_weights(weights)` on layer '%s' with a weight list of length %d, but the layer was expecting %d weights.",
                     kc_layer_name(object), given, n), "kerasconfig_error_weights")
  }
  i <- 0L
  staged <- list()
  for (s in slots) {
    values <- lapply(s$vars, function(v) {
      i <<- i + 1L
      w <- weights[[i]]
      if (!is.numeric(w) && !is.logical(w)) {
        kc_abort(sprintf("Weight %d (variable '%s') must be a numeric array.", i, v$path), "kerasconfig_error_weights")
      }
      want <- kc_var_dims(v)
      if (!identical(kc_array_dims(w), want) && !(length(want) <= 1L && length(w) == prod(want) && is.null(dim(w)))) {
        kc_abort(sprintf("Variable '%s' has shape %s, but weight %d has shape %s.", v$path, kc_shape_label(want), i,
                         kc_shape_label(kc_array_dims(w))), "kerasconfig_error_weights")
      }
      # Kept as given (not copied) when it is already what is stored: doubles with the dims.
      if (is.double(w) && identical(attributes(w), if (length(want)) list(dim = want))) return(w)
      w <- array(as.double(w), dim = if (length(want)) want)
      if (!length(want)) w <- as.vector(w)
      w
    })
    staged[[length(staged) + 1L]] <- list(slot = s, values = values)
  }
  for (x in staged) kc_store_values(x$slot, x$values)
  invisible(object)
}
