# keras3's inspection API: count_params(), get_layer(), and summary()/print() in Keras'
# `print_summary` table (keras/src/utils/summary_utils.py), drawn as rich draws it.

#' Count a model's or a layer's parameters
#'
#' The number of scalars in the variables Keras creates when it builds the
#' model or layer (the shape engine works them out from the configs).
#'
#' @param object A model, or a layer of a built model.
#' @return A number.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8) |>
#'   layer_dense(1)
#' count_params(model)
#' count_params(get_layer(model, index = 1))
count_params <- function(object) {
  row <- if (is.environment(kc_env(object))) kc_layer_row(object)
  if (inherits(object, "keras_models") && (is.null(row) || !row$report$built[[row$i]])) {
    report <- kc_model_report(object)
    layers <- names(kc_visible_layers(object))
    i <- match(layers, report$name)
    unbuilt <- if (is.null(report)) rep(TRUE, length(layers)) else !(report$built[i] %in% TRUE)
    if (any(unbuilt)) {
      kc_abort(sprintf("You tried to call `count_params` on model '%s', but it isn't built (layer '%s' is not).",
                       object$get_config()$name, layers[unbuilt][[1L]]), "kerasconfig_error_shape")
    }
    return(sum(report$params[i]))
  }
  if (is.null(row) || !row$report$built[[row$i]]) {
    kc_abort(sprintf(paste("You tried to call `count_params` on layer '%s', but the layer isn't built.",
                           "Add it to a model with an input shape."), kc_layer_name(object)), "kerasconfig_error_shape")
  }
  row$report$params[[row$i]]
}

#' Retrieve a layer of a model
#'
#' @param object A model.
#' @param name The layer's name.
#' @param index The layer's position (1-based, as in keras3), among the
#'   layers `summary()` lists.
#' @return The layer object.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, name = "hidden") |>
#'   layer_dense(1)
#' get_layer(model, "hidden")$output
#' get_layer(model, index = 2)
get_layer <- function(object, name = NULL, index = NULL) {
  if (!inherits(object, "keras_models")) kc_abort("`object` must be a model.", "kerasconfig_error_type")
  if (!xor(is.null(name), is.null(index))) {
    kc_abort("Provide only a layer name or a layer index. Received: both or neither.", "kerasconfig_error_type")
  }
  layers <- kc_visible_layers(object)
  if (!is.null(index)) {
    if (!is.numeric(index) || length(index) != 1L || is.na(index) || index < 1 || index > length(layers)) {
      kc_abort(sprintf("Was asked to retrieve layer at index %s but model only has %d layers.",
                       format(index), length(layers)), "kerasconfig_error_value")
    }
    return(layers[[index]])
  }
  if (!kc_is_string(name)) kc_abort("`name` must be a string.", "kerasconfig_error_type")
  found <- layers[names(layers) == name]
  if (!length(found)) {
    kc_abort(sprintf("No such layer: %s. Existing layers are: %s.", name,
                     paste(sprintf("'%s'", names(layers)), collapse = ", ")), "kerasconfig_error_value")
  }
  found[[1L]]
}

# The layers of `model.layers`: a Sequential model hides its InputLayer, as Keras does.
kc_visible_layers <- function(model) {
  layers <- kc_model_layer_objects(model)
  if (inherits(model, "Sequential")) layers <- layers[!vapply(layers, inherits, TRUE, "InputLayer")]
  layers
}

# One row per visible layer: name, class, output shape text, params, connections, weights.
kc_summary_rows <- function(model) {
  report <- kc_model_report(model)
  layers <- kc_visible_layers(model)
  i <- match(names(layers), report$name)
  known <- !is.na(i)
  built <- if (is.null(report)) known else report$built[i] %in% TRUE
  pick <- function(column, otherwise) ifelse(known, report[[column]][i], otherwise)
  has_variables <- pick("variables", 0L) > 0L
  trainable <- rep(NA, length(layers))
  trainable[has_variables] <- vapply(layers[has_variables], function(l) !isFALSE(l$get_config()$trainable), TRUE)
  connected <- if (inherits(model, "Functional")) {
    vapply(seq_along(layers), function(k) kc_connections(if (known[[k]]) report$connections[[i[[k]]]]), "")
  } else {
    rep(NA_character_, length(layers))
  }
  params <- pick("trainable_params", 0)
  frozen_params <- pick("non_trainable_params", 0)
  bytes <- pick("trainable_bytes", 0)
  frozen_bytes <- pick("non_trainable_bytes", 0)
  # Keras' `layer.trainable = False` makes all the layer's variables non-trainable: a layer frozen
  # after its model was built (or loaded) counts as frozen.
  frozen <- trainable %in% FALSE
  frozen_params[frozen] <- frozen_params[frozen] + params[frozen]
  params[frozen] <- 0
  frozen_bytes[frozen] <- frozen_bytes[frozen] + bytes[frozen]
  bytes[frozen] <- 0
  data.frame(layer = names(layers) %||% character(),
             class = vapply(layers, function(l) kc_class_info(kc_class_of(l))$classname, "", USE.NAMES = FALSE),
             output_shape = pick("output_shape", "?"), params = ifelse(built, pick("params", 0), 0), built = built,
             connected_to = connected, trainable = trainable,
             trainable_params = params, non_trainable_params = frozen_params,
             trainable_bytes = bytes, non_trainable_bytes = frozen_bytes,
             stringsAsFactors = FALSE, row.names = NULL)
}

# "Connected to": every input tensor of every call, `layer[node][tensor]`.
kc_connections <- function(refs) {
  if (!length(refs)) "-" else paste(refs, collapse = ", ")
}

#' Summaries of models
#'
#' `summary()` (and `print()`) of a model prints Keras' table: each layer's
#' name and class, output shape, parameter count and, for Functional models,
#' the layers it reads; then the total, trainable and non-trainable parameter
#' counts with their sizes. A Sequential model's input layer is not listed (as
#' in Keras). A `Trainable` column appears when some layers are frozen.
#'
#' @param object,x A model.
#' @param line_length Total width of the table (Keras' default, at most the
#'   console width less 4).
#' @param positions Relative or absolute column end positions.
#' @param show_trainable Show the `Trainable` column: `NA` shows it when some
#'   layer is frozen.
#' @param compact Leave out the lines between rows.
#' @param ... Unused.
#' @return `summary()`: invisibly, a data frame with one row per layer
#'   (`layer`, `class`, `output_shape`, `params`, `connected_to`, `trainable`, ...).
#' @name model_summary
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' summary(model)
NULL

#' @rdname model_summary
#' @export
summary.keras_models <- function(object, line_length = NULL, positions = NULL, show_trainable = NA,
                                 compact = FALSE, ...) {
  text <- kc_format_summary(object, line_length, positions, show_trainable, compact)
  cat(text, sep = "\n")
  invisible(structure(kc_summary_rows(object), model_name = object$get_config()$name))
}

#' @rdname model_summary
#' @export
print.keras_models <- function(x, ...) {
  summary(x, ...)
  compile <- x[[".__compile_config__"]]
  if (length(compile)) {
    show <- function(v) if (kc_is_instance(v)) kc_class_info(kc_class_of(v))$classname else paste(format(v), collapse = ", ")
    parts <- vapply(intersect(c("optimizer", "loss", "metrics"), names(compile)), function(k) {
      v <- compile[[k]]
      sprintf("%s: %s", k, if (is.list(v) && !is.object(v)) paste(vapply(v, show, ""), collapse = ", ") else show(v))
    }, "")
    cat("Compiled with", paste(parts, collapse = "; "), "\n")
  }
  invisible(x)
}

# Keras' print_summary, drawn as rich draws its table (HEAVY_HEAD box, lines between rows).
kc_format_summary <- function(model, line_length = NULL, positions = NULL, show_trainable = NA, compact = FALSE) {
  rows <- kc_summary_rows(model)
  functional <- inherits(model, "Functional") && !kc_sequential_like(model)
  if (is.na(show_trainable)) show_trainable <- any(rows$trainable %in% FALSE)
  if (functional) {
    default <- 108; positions <- positions %||% c(0.3, 0.56, 0.74, 1.0)
    header <- c("Layer (type)", "Output Shape", "Param #", "Connected to")
    align <- c("left", "left", "right", "left")
  } else {
    default <- 88; positions <- positions %||% c(0.45, 0.80, 1.0)
    header <- c("Layer (type)", "Output Shape", "Param #")
    align <- c("left", "left", "right")
  }
  if (show_trainable) {
    default <- default + 12
    positions <- c(positions * 0.9, 1.0)
    header <- c(header, "Trainable")
    align <- c(align, "center")
  }
  line_length <- line_length %||% min(default, getOption("width", 80L) - 4L)
  if (all(positions <= 1)) positions <- floor(positions * line_length)
  widths <- diff(c(0, positions))
  if (any(widths < 4)) kc_abort("Insufficient console width to print summary.", "kerasconfig_error_value")
  # rich: each column's width plus padding, shrunk evenly to fit the table width and borders.
  widths <- kc_ratio_reduce(sum(widths + 2) - (line_length - length(widths) - 1), widths + 2) - 2
  cells <- lapply(seq_len(nrow(rows)), function(i) {
    r <- rows[i, ]
    fields <- c(sprintf("%s (%s)", r$layer, r$class), r$output_shape,
                if (r$built) kc_comma(r$params) else "0 (unbuilt)")
    if (functional) fields <- c(fields, r$connected_to)
    if (show_trainable) fields <- c(fields, if (is.na(r$trainable)) "-" else if (r$trainable) "Y" else "N")
    fields
  })
  bar <- function(l, m, r, fill) paste0(l, paste(strrep(fill, widths + 2), collapse = m), r)
  draw <- function(fields) {
    wrapped <- lapply(seq_along(fields), function(j) kc_wrap(fields[[j]], widths[[j]]))
    height <- max(lengths(wrapped))
    vapply(seq_len(height), function(k) {
      parts <- vapply(seq_along(wrapped), function(j) {
        text <- if (k <= length(wrapped[[j]])) wrapped[[j]][[k]] else ""
        paste0(" ", kc_justify(text, widths[[j]], align[[j]]), " ")
      }, "")
      paste0("\u2502", paste(parts, collapse = "\u2502"), "\u2502")
    }, "")
  }
  head <- sub("^\u2502(.*)\u2502$", "\u2503\\1\u2503", gsub("\u2502", "\u2503", draw(header)))
  out <- c(sprintf("Model: \"%s\"", model$get_config()$name), bar("\u250f", "\u2533", "\u2513", "\u2501"), head,
           bar("\u2521", "\u2547", "\u2529", "\u2501"))
  for (i in seq_along(cells)) {
    if (i > 1L && !compact) out <- c(out, bar("\u251c", "\u253c", "\u2524", "\u2500"))
    out <- c(out, draw(cells[[i]]))
  }
  out <- c(out, bar("\u2514", "\u2534", "\u2518", "\u2500"))
  trainable <- sum(rows$trainable_params); frozen <- sum(rows$non_trainable_params)
  tb <- sum(rows$trainable_bytes); fb <- sum(rows$non_trainable_bytes)
  c(out,
    sprintf(" Total params: %s (%s)", kc_comma(trainable + frozen), kc_memory_size(tb + fb)),
    sprintf(" Trainable params: %s (%s)", kc_comma(trainable), kc_memory_size(tb)),
    sprintf(" Non-trainable params: %s (%s)", kc_comma(frozen), kc_memory_size(fb)))
}

# Keras prints a Functional model whose graph is a chain like a Sequential one.
kc_sequential_like <- function(model) {
  report <- kc_model_report(model)
  if (is.null(report)) return(FALSE)
  refs <- unlist(report$connections)
  sum(report$class == "InputLayer") <= 1L && all(lengths(report$connections) <= 1L) && !anyDuplicated(refs)
}

# rich's ratio_reduce with equal ratios: `excess` taken from the widths in turn, rounding half
# to even as Python does.
kc_ratio_reduce <- function(excess, widths) {
  if (excess <= 0) return(widths)
  remaining <- excess
  ratio <- length(widths)
  for (i in seq_along(widths)) {
    d <- min(widths[[i]], round(remaining / ratio))
    widths[[i]] <- widths[[i]] - d
    remaining <- remaining - d
    ratio <- ratio - 1
  }
  widths
}

kc_comma <- function(x) formatC(x, format = "d", big.mark = ",")

kc_memory_size <- function(bytes) {
  for (unit in c("B", "KB", "MB", "GB", "TB")) {
    if (bytes / 1024 < 1) return(sprintf("%.2f %s", bytes, unit))
    bytes <- bytes / 1024
  }
  sprintf("%.2f %s", bytes, "PB")
}

# rich's word wrap: greedy over words with their trailing spaces; a word longer than the width
# gets its own line, cut with an ellipsis.
kc_wrap <- function(text, width) {
  words <- regmatches(text, gregexpr("\\S+\\s*", text))[[1L]]
  if (!length(words)) return("")
  lines <- character()
  line <- ""
  for (w in words) {
    bare <- sub("\\s+$", "", w)
    if (nchar(line) + nchar(bare) <= width) {
      line <- paste0(line, w)
    } else {
      if (nzchar(line)) lines <- c(lines, line)
      line <- w
    }
  }
  lines <- sub("\\s+$", "", c(lines, line))
  vapply(lines, function(l) if (nchar(l) > width) paste0(substr(l, 1L, width - 1L), "\u2026") else l, "",
         USE.NAMES = FALSE)
}

kc_justify <- function(text, width, align) {
  pad <- width - nchar(text)
  switch(align,
    right = paste0(strrep(" ", pad), text),
    center = paste0(strrep(" ", pad %/% 2), text, strrep(" ", pad - pad %/% 2)),
    paste0(text, strrep(" ", pad))
  )
}
