# keras3's config-level model verbs: get_config()/from_config(), pop_layer(), freeze_weights()/
# unfreeze_weights() and clone_model(), with Keras 3.15.1's semantics (keras/src/models/
# sequential.py `pop`, keras/src/layers/layer.py `trainable`, keras/src/models/cloning.py).

#' Layer and model configuration
#'
#' `get_config()` gives the config of a layer, model or other Keras object:
#' what Keras' `get_config()` gives, nested objects serialized, with the
#' object's class in the attribute `"__class__"`. `from_config()` makes a new
#' object of that class from such a config (without weights, as Keras does).
#'
#' @param object A Keras object (a layer, a model, an optimizer, ...).
#' @param config A config from `get_config()`.
#' @param custom_objects A named list of classes and functions the config
#'   needs (see [deserialize_keras_object()]).
#' @return `get_config()`: a named list with attribute `"__class__"`.
#'   `from_config()`: the new object.
#' @export
#' @examples
#' layer <- layer_dense(units = 3, activation = "relu", name = "d")
#' config <- get_config(layer)
#' config$units
#' config$units <- 5L
#' from_config(config)$get_config()$units
get_config <- function(object) {
  if (!kc_is_instance(object)) {
    kc_abort(sprintf("get_config() takes a Keras object (a layer, a model, ...), not %s.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  config <- serialize_keras_object(object)$config
  attr(config, "__class__") <- kc_class_of(object)
  config
}

#' @rdname get_config
#' @export
from_config <- function(config, custom_objects = NULL) {
  cls <- attr(config, "__class__", exact = TRUE)
  if (!inherits(cls, "keras_class")) {
    kc_abort(paste("`config` has no \"__class__\" attribute naming its class: pass what get_config() returns",
                   "(or use deserialize_keras_object() with a full config)."), "kerasconfig_error_type")
  }
  if (!is.list(config) || (length(config) && is.null(names(config)))) {
    kc_abort("`config` must be a named list, as get_config() returns.", "kerasconfig_error_type")
  }
  info <- kc_class_info(cls)
  attr(config, "__class__") <- NULL
  full <- list(module = info$module, class_name = info$classname, config = config,
               registered_name = rs_registered_name(cls) %||% (if (isTRUE(info$builtin)) info$registered_name else info$classname))
  # The class itself is known: a class defined in R needs no registration to come back.
  if (!isTRUE(info$builtin) && is.null(rs_registered_name(cls))) {
    custom_objects <- c(stats::setNames(list(cls), info$classname), custom_objects)
  }
  obj <- deserialize_keras_object(full, custom_objects = custom_objects)
  # A model always has a compile config in Keras (empty until compiled); a Functional model is
  # built as it is made.
  if (inherits(obj, "keras_models") && is.null(obj[[".__compile_config__"]])) {
    assign(".__compile_config__", named_list(), envir = kc_env(obj))
  }
  if (inherits(obj, "Functional") && is.null(obj[[".__build_config__"]])) {
    assign(".__build_config__", list(input_shape = NULL), envir = kc_env(obj))
  }
  obj
}

# Layers and models: built-in ones, and instances of Layer() and Model() classes.
# A layer or a model: an instance of a class that descends from Keras' Layer (by its class
# chain, never by the S3 class an instance carries).
kc_is_layer <- function(x) {
  if (!kc_is_instance(x)) return(FALSE)
  cls <- kc_class_of(x)
  inherits(cls, "keras_class") && kc_is_callable_info(kc_class_info(cls))
}

# ---- pop_layer ---------------------------------------------------------------------------------

#' Remove the last layer of a Sequential model
#'
#' As Keras' `Sequential.pop()`: the last layer (the input layer too, when it
#' is the only one left) is removed and the model rebuilt from its input
#' layer when it has one and `rebuild` is `TRUE`.
#'
#' @param object A Sequential model (modified in place).
#' @param rebuild Whether to rebuild the model after removing the layer.
#' @return The removed layer.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8) |>
#'   layer_dense(1, name = "head")
#' pop_layer(model)
#' model
pop_layer <- function(object, rebuild = TRUE) {
  if (!inherits(object, "Sequential")) {
    kc_abort(sprintf("pop_layer() removes the last layer of a Sequential model, not of %s.", kc_describe(object)),
             "kerasconfig_error_type")
  }
  if (!is.logical(rebuild) || length(rebuild) != 1L || is.na(rebuild)) {
    kc_abort("`rebuild` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  config <- get(".__config__", envir = kc_env(object))
  n <- length(config$layers)
  if (!n) {
    kc_abort(sprintf("Sequential model '%s' has no layers to remove.", config$name), "kerasconfig_error_value")
  }
  layer <- config$layers[[n]]
  config$layers[[n]] <- NULL
  # Keras: no longer built; the build config it had stays.
  config["build_input_shape"] <- NULL
  assign(".__config__", config, envir = kc_env(object))
  if (rebuild && n > 2L && inherits(config$layers[[1L]], "InputLayer")) kc_build_sequential(object)
  layer
}

# ---- freeze_weights / unfreeze_weights -----------------------------------------------------------

#' Freeze and unfreeze weights
#'
#' keras3's `freeze_weights()` and `unfreeze_weights()`: set `trainable` on
#' a model or layer (and, as Keras' `trainable` setter does, on every layer
#' inside it), or on a range or selection of a model's layers. `from` and
#' `to` are inclusive; the model's other layers get the opposite value.
#' The configs show it: each layer's `trainable`.
#'
#' @param object A model or layer (modified in place).
#' @param from,to A layer, a layer name, or a 1-based index in the model's
#'   layers (negative: counted from the end).
#' @param which Layer names, positions, layers, a logical vector with one
#'   element per layer, or a function of a layer returning `TRUE`/`FALSE`.
#' @return `object`, invisibly.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, name = "a") |>
#'   layer_dense(8, name = "b") |>
#'   layer_dense(1, name = "c")
#' freeze_weights(model, to = "b")
#' vapply(model$get_config()$layers[-1], function(l) l$get_config()$trainable, TRUE)
#' unfreeze_weights(model)
#' freeze_weights(model, which = function(layer) layer$get_config()$name == "c")
freeze_weights <- function(object, from = NULL, to = NULL, which = NULL) {
  kc_freeze(object, from, to, which, FALSE)
}

#' @rdname freeze_weights
#' @export
unfreeze_weights <- function(object, from = NULL, to = NULL, which = NULL) {
  kc_freeze(object, from, to, which, TRUE)
}

kc_freeze <- function(object, from, to, which, trainable) {
  if (!kc_is_layer(object)) {
    kc_abort(sprintf("Only layers and models have weights to freeze; got %s.", kc_describe(object)), "kerasconfig_error_type")
  }
  if (!is.null(which) && (!is.null(from) || !is.null(to))) {
    kc_abort("Both `which` and `from`/`to` can not be supplied.", "kerasconfig_error_type")
  }
  selective <- !is.null(which) || !is.null(from) || !is.null(to)
  if (!selective) {
    kc_set_trainable(object, trainable)
    return(invisible(object))
  }
  if (!inherits(object, "keras_models")) {
    kc_abort("`from`, `to` and `which` select layers of a model; a layer is frozen or unfrozen whole.",
             "kerasconfig_error_type")
  }
  layers <- kc_visible_layers(object)
  kc_set_trainable(object, TRUE)
  selected <- if (!is.null(which)) kc_which_layers(layers, which) else {
    first <- if (is.null(from)) 1L else kc_layer_position(layers, from, "from")
    last <- if (is.null(to)) length(layers) else kc_layer_position(layers, to, "to")
    seq_along(layers) >= first & seq_along(layers) <= last
  }
  for (i in seq_along(layers)) kc_set_trainable(layers[[i]], if (selected[[i]]) trainable else !trainable)
  invisible(object)
}

# Keras' `trainable` setter: the object's own value, then every layer it tracks (a model's
# layers, a wrapper's wrapped layers, layers a custom layer holds in its fields).
kc_set_trainable <- function(object, value) {
  if (inherits(object, "keras_builtin")) {
    config <- get(".__config__", envir = kc_env(object))
    if ("trainable" %in% names(config)) {
      config$trainable <- value
      assign(".__config__", config, envir = kc_env(object))
    }
    children <- config
  } else {
    if (exists("trainable", envir = kc_env(object), inherits = FALSE)) assign("trainable", value, envir = kc_env(object))
    children <- mget(setdiff(ls(kc_env(object), all.names = FALSE), "trainable"), envir = kc_env(object))
  }
  for (child in kc_tracked_layers(children)) kc_set_trainable(child, value)
  invisible(object)
}

kc_tracked_layers <- function(values) {
  out <- list()
  for (v in values) {
    if (inherits(v, "keras_functional_layer")) v <- v$layer
    if (kc_is_layer(v)) {
      out[[length(out) + 1L]] <- v
    } else if (is.list(v) && !is.object(v)) {
      out <- c(out, kc_tracked_layers(v))
    }
  }
  out
}

# A layer given as itself, its name or its 1-based (or negative) index: its position.
kc_layer_position <- function(layers, x, what) {
  n <- length(layers)
  if (kc_is_instance(x)) {
    pos <- which(vapply(layers, identical, TRUE, x))
    if (!length(pos)) kc_abort(sprintf("`%s`: the layer '%s' is not in the model.", what, kc_layer_name(x)), "kerasconfig_error_value")
    return(pos[[1L]])
  }
  if (kc_is_string(x)) {
    pos <- match(x, names(layers))
    if (is.na(pos)) {
      kc_abort(sprintf("`%s`: no such layer: '%s'. Existing layers are: %s.", what, x,
                       paste(sprintf("'%s'", names(layers)), collapse = ", ")), "kerasconfig_error_value")
    }
    return(pos)
  }
  if (is.numeric(x) && length(x) == 1L && !is.na(x) && x == round(x)) {
    pos <- if (x < 0) n + x + 1 else x
    if (pos < 1 || pos > n) {
      kc_abort(sprintf("`%s` = %s is out of range: the model has %d layers.", what, format(x), n), "kerasconfig_error_value")
    }
    return(as.integer(pos))
  }
  kc_abort(sprintf("`%s` must be a layer, a layer name or a layer index; got %s.", what, kc_describe(x)),
           "kerasconfig_error_type")
}

kc_which_layers <- function(layers, which) {
  n <- length(layers)
  if (is.function(which) && !kc_is_instance(which)) {
    which <- lapply(layers, which)
    if (!all(vapply(which, function(w) is.logical(w) && length(w) == 1L && !is.na(w), TRUE))) {
      kc_abort("A `which` function must return TRUE or FALSE for each layer.", "kerasconfig_error_type")
    }
    which <- unlist(which)
  }
  if (is.logical(which)) {
    if (length(which) != n || anyNA(which)) {
      kc_abort(sprintf("A logical `which` must have one TRUE/FALSE per layer (%d); it has %d.", n, length(which)),
               "kerasconfig_error_value")
    }
    return(which)
  }
  items <- if (kc_is_instance(which)) list(which) else as.list(which)
  selected <- rep(FALSE, n)
  for (x in items) selected[[kc_layer_position(layers, x, "which")]] <- TRUE
  selected
}

# ---- clone_model -------------------------------------------------------------------------------

#' Clone a Functional or Sequential model
#'
#' As Keras' `clone_model()`: new layers (by default each layer's
#' `from_config(get_config())`, so without weights), the same graph, the
#' same names; a compiled model's clone is compiled the same way.
#'
#' @param model A model.
#' @param input_tensors Optional input tensor(s) (from [keras_input()]) to
#'   build the clone on, in the structure of the model's inputs.
#' @param clone_function A function of a layer returning the layer to use in
#'   the clone (not called on input layers).
#' @param call_function A function `(layer, ...)` calling a cloned layer on
#'   its inputs (Functional models), by default [call_layer()].
#' @param recursive Whether nested Sequential and Functional models are
#'   cloned with `clone_model()` (else with `clone_function`).
#' @param ... Not used (keras3 compatibility).
#' @return The new model.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4, name = "m") |>
#'   layer_dense(8, name = "hidden") |>
#'   layer_dense(1, name = "out")
#' twin <- clone_model(model)
#' identical(save_model_config(twin), save_model_config(model))
#' wider <- clone_model(model, clone_function = function(layer) {
#'   config <- get_config(layer)
#'   if (config$name == "hidden") config$units <- 16L
#'   from_config(config)
#' })
#' count_params(wider)
clone_model <- function(model, input_tensors = NULL, clone_function = NULL, call_function = NULL,
                        recursive = FALSE, ...) {
  if (!kc_is_instance(model) || !inherits(model, "keras_models")) {
    kc_abort(sprintf("clone_model() takes a model, not %s.", kc_describe(model)), "kerasconfig_error_type")
  }
  for (f in list(clone_function = clone_function, call_function = call_function)) {
    if (!is.null(f) && !is.function(f)) kc_abort("`clone_function` and `call_function` must be functions.", "kerasconfig_error_type")
  }
  if (!is.logical(recursive) || length(recursive) != 1L || is.na(recursive)) {
    kc_abort("`recursive` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  kc_clone_model(model, input_tensors, clone_function, call_function, recursive, new.env(parent = emptyenv()))
}

kc_clone_model <- function(model, input_tensors, clone_function, call_function, recursive, cache) {
  wrapped <- function(layer) {
    key <- kc_layer_id(layer)
    if (!is.null(cache[[key]])) return(cache[[key]])
    clone <- if (recursive && inherits(layer, c("Sequential", "Functional"))) {
      kc_clone_model(layer, NULL, clone_function, call_function, TRUE, cache)
    } else if (is.null(clone_function)) {
      kc_clone_layer(layer)
    } else {
      clone_function(layer)
    }
    if (!kc_is_layer(clone) && !(kc_is_instance(clone) && inherits(layer, "keras_ops"))) {
      kc_abort(sprintf("`clone_function` must return a layer; for layer '%s' it returned %s.", kc_layer_name(layer),
                       kc_describe(clone)), "kerasconfig_error_type")
    }
    assign(key, clone, envir = cache)
    clone
  }
  clone <- if (inherits(model, "Sequential")) {
    if (!is.null(call_function)) {
      kc_abort("Argument `call_function` is only supported for Functional models.", "kerasconfig_error_value")
    }
    kc_clone_sequential(model, wrapped, input_tensors)
  } else if (inherits(model, "Functional")) {
    kc_clone_functional(model, wrapped, input_tensors, call_function)
  } else {
    if (!is.null(clone_function) || !is.null(input_tensors) || !is.null(call_function)) {
      kc_abort(sprintf(paste("Arguments `clone_function`, `call_function` and `input_tensors` are only supported for",
                             "Sequential and Functional models; '%s' is neither."), kc_class_info(kc_class_of(model))$classname),
               "kerasconfig_error_value")
    }
    kc_clone_layer(model)
  }
  compiled <- model[[".__compile_config__"]]
  if (length(compiled)) assign(".__compile_config__", deserialize_keras_object(serialize_keras_object(compiled)), envir = kc_env(clone))
  clone
}

# Keras' default clone: `layer.__class__.from_config(layer.get_config())`, a new unbuilt layer.
kc_clone_layer <- function(layer) from_config(get_config(layer))

kc_clone_sequential <- function(model, clone_layer, input_tensors) {
  config <- get(".__config__", envir = kc_env(model))
  layers <- config$layers
  first <- if (length(layers)) layers[[1L]] else NULL
  has_input <- inherits(first, "InputLayer")
  body <- lapply(if (has_input) layers[-1L] else layers, clone_layer)
  clone <- keras_model_sequential(name = config$name, trainable = config$trainable %||% TRUE)
  input <- if (has_input) first$get_config()
  if (!is.null(input_tensors)) {
    if (is.list(input_tensors) && !inherits(input_tensors, "keras_tensor")) {
      if (length(input_tensors) != 1L) kc_abort("Argument `input_tensors` must contain a single tensor.", "kerasconfig_error_value")
      input_tensors <- input_tensors[[1L]]
    }
    if (!inherits(input_tensors, "keras_tensor")) {
      kc_abort(sprintf("Argument `input_tensors` must be a symbolic tensor. Received: %s", kc_describe(input_tensors)),
               "kerasconfig_error_value")
    }
    input <- list(batch_shape = input_tensors$shape, dtype = input_tensors$dtype, name = input$name,
                  optional = input$optional %||% FALSE)
  }
  if (!is.null(input)) {
    args <- list(batch_shape = input$batch_shape, dtype = input$dtype, name = input$name)
    if (isTRUE(input$optional)) args$optional <- TRUE
    kc_compose(clone, do.call(layer_input_layer, Filter(Negate(is.null), args)))
  }
  for (layer in body) kc_compose(clone, layer)
  clone
}

# Keras' _clone_functional_model: new inputs (or the given ones), then every node of the graph
# replayed with the cloned layers, in an order where each node's inputs exist.
kc_clone_functional <- function(model, clone_layer, input_tensors, call_function, config = model$get_config()) {
  entries <- config$layers
  names(entries) <- vapply(entries, `[[`, "", "name")
  produced <- new.env(parent = emptyenv())
  put <- function(name, node, outputs) assign(sprintf("%s#%d", name, node), outputs, envir = produced)
  refs_in <- config$input_layers
  single_in <- kc_is_ref(refs_in)
  input_refs <- if (single_in) list(refs_in) else refs_in
  if (is.null(input_tensors)) {
    new_inputs <- lapply(input_refs, function(ref) {
      c <- entries[[ref[[1L]]]]$layer$get_config()
      args <- list(batch_shape = c$batch_shape, dtype = c$dtype, name = c$name)
      do.call(keras_input, Filter(Negate(is.null), args))
    })
  } else {
    flat <- kc_flat_tensors(input_tensors)
    if (length(flat) != length(input_refs) || !all(vapply(flat, kc_is_graph_tensor, TRUE))) {
      kc_abort(sprintf("`input_tensors` must have the same structure as the model's inputs (%d tensor(s) from keras_input()).",
                       length(input_refs)), "kerasconfig_error_value")
    }
    new_inputs <- flat
  }
  names(new_inputs) <- names(input_refs)
  for (i in seq_along(input_refs)) put(input_refs[[i]][[1L]], 0L, list(new_inputs[[i]]))
  # Nodes to replay: every inbound node of every non-input layer.
  pending <- list()
  for (e in entries) {
    if (inherits(e$layer, "InputLayer")) next
    for (k in seq_along(e$inbound_nodes)) pending[[length(pending) + 1L]] <- list(entry = e, node = k)
  }
  clones <- list()
  lookup <- function(t) {
    h <- t$keras_history
    out <- get0(sprintf("%s#%d", h[[1L]], as.integer(h[[2L]])), envir = produced, inherits = FALSE)
    if (is.null(out)) return(NULL)
    out[[as.integer(h[[3L]]) + 1L]]
  }
  ready <- function(node) all(vapply(kc_flat_tensors(node), function(t) !is.null(lookup(t)), TRUE))
  while (length(pending)) {
    done <- FALSE
    for (i in seq_along(pending)) {
      p <- pending[[i]]
      node <- p$entry$inbound_nodes[[p$node]]
      if (!is.list(node) || !all(c("args", "kwargs") %in% names(node))) {
        kc_abort(sprintf("clone_model() cannot replay the nodes of layer '%s': they are not in Keras 3's format.", p$entry$name),
                 "kerasconfig_error_unsupported")
      }
      if (!ready(node)) next
      name <- p$entry$name
      layer <- clones[[name]] %||% clone_layer(p$entry$layer)
      clones[[name]] <- layer
      args <- kc_map_tensors(node$args, lookup)
      kwargs <- kc_map_tensors(node$kwargs, lookup)
      out <- if (inherits(layer, "keras_ops")) {
        # An operation node (a mask computation): called on the new tensors as Keras calls it.
        kc_replay_op(layer, p$entry$layer, p$node, args)
      } else if (is.null(call_function)) {
        kc_call_layer(layer, args, if (length(kwargs)) kwargs else named_list())
      } else {
        do.call(call_function, c(list(layer), args, kwargs))
      }
      # A model's own node 0 is its inputs: its calls count from 1 (Keras' node indices).
      first_node <- if (inherits(p$entry$layer, "Functional")) 1L else 0L
      put(name, p$node - 1L + first_node, if (inherits(out, "keras_tensor")) list(out) else kc_flat_tensors(out))
      pending[[i]] <- NULL
      done <- TRUE
      break
    }
    if (!done) kc_abort("clone_model(): the model's graph has nodes whose inputs are never produced.", "kerasconfig_error_graph")
  }
  outputs <- kc_map_refs(config$output_layers, function(ref) {
    t <- lookup(keras_symbolic_tensor(list(), "float32", ref))
    if (is.null(t)) kc_abort(sprintf("clone_model(): output '%s' was not produced.", ref[[1L]]), "kerasconfig_error_graph")
    t
  })
  inputs <- if (!is.null(input_tensors)) input_tensors else if (single_in) new_inputs[[1L]] else new_inputs
  keras_model(inputs, outputs, name = config$name)
}

# input_layers / output_layers: one reference, a list or a named list of them, mapped with `f`.
kc_map_refs <- function(x, f) if (kc_is_ref(x)) f(x) else lapply(x, kc_map_refs, f = f)

# An operation of the graph called again in a clone: its output is what it gave in the original
# (R-built graphs know it), or, for the ops masks use, what the op computes.
kc_replay_op <- function(op, original, node, args) {
  classname <- kc_class_info(kc_class_of(op))$classname
  config <- op$get_config()
  nodes <- Filter(function(n) !isTRUE(n$is_input), kc_layer_nodes(original))
  known <- if (node <= length(nodes)) nodes[[node]]$outputs[[1L]]
  first <- kc_flat_tensors(args)[[1L]]
  shape <- switch(classname,
    NotEqual = , ZerosLike = , OnesLike = first$shape,
    LogicalOr = kc_broadcast_shape(args[[1L]]$shape, args[[2L]]$shape),
    ExpandDims = c(first$shape, list(1L)),
    Any = if (isTRUE(config$keepdims)) first$shape else utils::head(first$shape, -1L),
    known$shape
  )
  if (is.null(shape) && is.null(known)) {
    kc_abort(sprintf("clone_model() cannot call operation '%s' (%s) again: its output shape is unknown.",
                     kc_layer_name(op), classname), "kerasconfig_error_unsupported")
  }
  dtype <- known$dtype %||% "bool"
  out <- kc_tensor(op, length(kc_layer_nodes(op)), 0L, shape, dtype)
  kc_add_node(op, list(args = args, kwargs = named_list(), inputs = kc_flat_tensors(args), outputs = list(out),
                       is_input = FALSE))
  out
}
