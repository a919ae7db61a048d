# keras_model(): a Functional model from a graph of symbolic tensors. The graph walk, the layer
# order and the config are Keras 3.15.1's (keras/src/ops/function.py `map_graph`,
# keras/src/models/functional.py `get_config` and `serialize_node`), followed step by step.

#' Make a Functional model from its inputs and outputs
#'
#' @param inputs The model's input tensor(s) (from [keras_input()]): one
#'   tensor, a list, or a named list (a dict, keyed by input name).
#' @param outputs The output tensor(s): one, a list or a named list.
#' @param name The model's name (`functional`, `functional_1`, ... when `NULL`).
#' @param ... `trainable`.
#' @return A Functional model. Its config is what Python Keras writes for the
#'   same graph.
#' @export
#' @examples
#' a <- keras_input(shape = 8, name = "a")
#' b <- keras_input(shape = 4, name = "b")
#' h <- layer_concatenate(list(layer_dense(a, 6), b))
#' model <- keras_model(list(a, b), list(layer_dense(h, 1), layer_dense(h, 3, activation = "softmax")))
#' model
keras_model <- function(inputs = NULL, outputs = NULL, name = NULL, ...) {
  dots <- list(...)
  unknown <- setdiff(names(dots), "trainable")
  if (length(unknown) || (length(dots) && is.null(names(dots)))) {
    kc_abort(sprintf("Unrecognized keyword arguments passed to Functional: %s",
                     paste(sprintf("'%s'", unknown), collapse = ", ")), "kerasconfig_error_unknown_argument")
  }
  if (is.null(inputs) || is.null(outputs)) {
    kc_abort("keras_model() needs `inputs` and `outputs` (symbolic tensors); subclassed models are made with Model().",
             "kerasconfig_error_type")
  }
  flat_in <- kc_flat_tensors(inputs)
  flat_out <- kc_flat_tensors(outputs)
  kc_check_tensor_struct(inputs, flat_in, "inputs")
  kc_check_tensor_struct(outputs, flat_out, "outputs")
  for (t in flat_in) {
    if (!isTRUE(kc_tensor_node(t)$is_input)) {
      kc_abort(sprintf(paste("Every input of a Functional model must come from keras_input(); '%s' is the output",
                             "of layer '%s'."), t$keras_history[[1L]], t$keras_history[[1L]]), "kerasconfig_error_graph")
    }
  }
  if (is.list(inputs) && !inherits(inputs, "keras_tensor") && !is.null(names(inputs))) {
    for (k in names(inputs)) {
      t <- inputs[[k]]
      if (inherits(t, "keras_tensor") && !identical(k, t$keras_history[[1L]])) {
        kc_warn(sprintf(paste("When providing `inputs` as a dict, all keys in the dict must match the names of the",
                              "corresponding tensors. Received key '%s' mapping to a tensor of input '%s'."),
                        k, t$keras_history[[1L]]), "kerasconfig_warning_graph")
      }
    }
  }
  graph <- kc_map_graph(flat_in, flat_out, outputs)
  config <- kc_functional_config(graph, inputs, outputs, name %||% kc_unique_name("functional"),
                                 if (is.null(dots$trainable)) TRUE else isTRUE(dots$trainable))
  cls <- kc_builtin_objects[["keras.src.models.functional.Functional"]]
  model <- kc_model_instance(cls, config)
  assign(".__build_config__", list(input_shape = NULL), envir = kc_env(model))
  assign(".__compile_config__", named_list(), envir = kc_env(model))
  kc_with_shapes(model, list(class_name = "Functional", config = serialize_keras_object(model)$config),
                 kc_model_layer_objects(model))
}

kc_check_tensor_struct <- function(x, flat, what) {
  leaves <- function(v) if (inherits(v, "keras_tensor") || !is.list(v) || is.object(v)) list(v) else unlist(lapply(v, leaves), recursive = FALSE)
  bad <- Filter(function(v) !kc_is_graph_tensor(v), leaves(x))
  if (length(bad) || !length(flat)) {
    kc_abort(sprintf("All `%s` values must be symbolic tensors (from keras_input() and layer calls). Received: %s",
                     what, if (length(bad)) kc_describe(bad[[1L]]) else "nothing"), "kerasconfig_error_type")
  }
}

# Keras' map_graph: the nodes reachable from the outputs (stopping at the inputs), their depths,
# the layers ordered by decreasing depth then first traversal, and the checks (outputs
# connected to the inputs, unique names).
kc_map_graph <- function(inputs, outputs, structure) {
  input_keys <- vapply(inputs, kc_tensor_key, "")
  finished <- character()
  progress <- character()
  visited <- list()
  op_index <- list()
  ops <- list()
  visit <- function(t) {
    layer <- attr(t, "kc_layer")
    node <- kc_tensor_node(t)
    if (node$key %in% finished) return(invisible())
    if (!isTRUE(node$is_input) && kc_tensor_key(t) %in% input_keys) {
      finished <<- c(finished, node$key)
      return(invisible())
    }
    if (node$key %in% progress) {
      kc_abort(sprintf("Tensor from operation '%s' is part of a cycle.", kc_layer_name(layer)), "kerasconfig_error_graph")
    }
    id <- kc_layer_id(layer)
    if (is.null(op_index[[id]])) {
      op_index[[id]] <<- length(op_index)
      ops[[id]] <<- layer
    }
    progress <<- c(progress, node$key)
    if (!isTRUE(node$is_input)) for (x in node$inputs) visit(x)
    finished <<- c(finished, node$key)
    progress <<- setdiff(progress, node$key)
    visited[[length(visited) + 1L]] <<- node
  }
  paths <- kc_output_paths(structure)
  for (i in seq_along(outputs)) {
    visit(outputs[[i]])
    # Keras: an output whose ancestry reaches an input layer that is not among `inputs`.
    if (!kc_connected(outputs[[i]], input_keys)) {
      kc_abort(sprintf("Output with path `%s` is not connected to `inputs`", paths[[i]]), "kerasconfig_error_graph")
    }
  }
  nodes <- list()
  for (n in visited) nodes[[n$key]] <- n
  node_depth <- list()
  op_depth <- list()
  for (n in rev(visited)) {
    depth <- node_depth[[n$key]] %||% 0
    id <- kc_layer_id(n$layer)
    depth <- max(depth, op_depth[[id]] %||% 0)
    op_depth[[id]] <- depth
    node_depth[[n$key]] <- depth
    if (isTRUE(n$is_input)) next
    for (x in n$inputs) {
      parent <- kc_tensor_node(x)$key
      if (is.null(nodes[[parent]])) next
      node_depth[[parent]] <- max(depth + 1, node_depth[[parent]] %||% 0)
    }
  }
  # Inputs not connected to the outputs are still the model's.
  for (t in inputs) {
    layer <- attr(t, "kc_layer")
    id <- kc_layer_id(layer)
    if (is.null(op_depth[[id]])) {
      op_depth[[id]] <- 0
      op_index[[id]] <- -1
      ops[[id]] <- layer
      node <- kc_tensor_node(t)
      nodes[[node$key]] <- node
    }
  }
  ids <- names(op_depth)
  depth <- unlist(op_depth[ids])
  index <- unlist(op_index[ids])
  ordered <- ids[order(-depth, index)]
  layers <- unname(ops[ordered])
  layer_names <- vapply(layers, kc_layer_name, "")
  dup <- unique(layer_names[duplicated(layer_names)])
  if (length(dup)) {
    kc_abort(sprintf("The name \"%s\" is used %d times in the model. All operation names should be unique.",
                     dup[[1L]], sum(layer_names == dup[[1L]])), "kerasconfig_error_graph")
  }
  list(layers = layers, nodes = names(nodes))
}

# Whether every path back from `t` ends at one of the inputs.
kc_connected <- function(t, input_keys) {
  seen <- character()
  walk <- function(x) {
    if (kc_tensor_key(x) %in% input_keys) return(TRUE)
    node <- kc_tensor_node(x)
    if (isTRUE(node$is_input)) return(FALSE)
    if (node$key %in% seen) return(TRUE)
    seen <<- c(seen, node$key)
    all(vapply(node$inputs, walk, TRUE))
  }
  walk(t)
}

# Keras names an output by its place in the outputs' structure: "" for a single tensor.
kc_output_paths <- function(structure, prefix = character()) {
  if (inherits(structure, "keras_tensor")) return(list(paste(prefix, collapse = "/")))
  structure <- kc_dict_order(structure)
  keys <- if (is.null(names(structure))) as.character(seq_along(structure) - 1L) else names(structure)
  unlist(lapply(seq_along(structure), function(i) kc_output_paths(structure[[i]], c(prefix, keys[[i]]))),
         recursive = FALSE)
}

# Functional.get_config(): every layer with the nodes of this model (re-indexed), then the inputs'
# and outputs' references in their structure.
kc_functional_config <- function(graph, inputs, outputs, name, trainable) {
  own <- graph$nodes
  reindex <- list()
  for (layer in graph$layers) {
    kept <- if (inherits(layer, "Functional")) 1L else 0L
    for (n in kc_layer_nodes(layer)) {
      if (n$key %in% own) {
        reindex[[n$key]] <- kept
        kept <- kept + 1L
      }
    }
  }
  # serialize_node(): a tensor's node index counts only the producing layer's nodes in this model.
  history <- function(t) {
    layer <- attr(t, "kc_layer")
    node <- attr(t, "kc_node")
    earlier <- kc_layer_nodes(layer)[seq_len(node)]
    skipped <- sum(!vapply(earlier, function(n) n$key %in% own, TRUE))
    keras_symbolic_tensor(t$shape, t$dtype, list(kc_layer_name(layer), as.integer(node - skipped), t$keras_history[[3L]]))
  }
  entries <- lapply(graph$layers, function(layer) {
    nodes <- Filter(function(n) n$key %in% own && !isTRUE(n$is_input), kc_layer_nodes(layer))
    inbound <- lapply(nodes, function(n) {
      kwargs <- kc_map_tensors(n$kwargs, history)
      if (!length(kwargs)) kwargs <- named_list()
      list(args = kc_map_tensors(n$args, history), kwargs = kwargs)
    })
    structure(list(layer = layer, name = kc_layer_name(layer), inbound_nodes = inbound),
              class = "keras_functional_layer")
  })
  ref <- function(t) {
    key <- kc_tensor_node(t)$key
    list(kc_layer_name(attr(t, "kc_layer")), reindex[[key]], t$keras_history[[3L]])
  }
  list(name = name, trainable = trainable, layers = entries,
       input_layers = kc_map_tensors(inputs, ref), output_layers = kc_map_tensors(outputs, ref))
}
