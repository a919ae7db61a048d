# keras3's model diagram without Python: the DOT text is Keras' `model_to_dot`, written natively
# by the Rust crate (src/rust/core/src/dot/); Graphviz's `dot` program draws it.

#' Graphviz DOT text of a model
#'
#' The layer graph of a Sequential or Functional model in Graphviz's DOT
#' language, laid out as Keras 3's `keras.utils.model_to_dot()` lays it out:
#' one box per layer (an HTML-like table with the layer's name and class and,
#' as asked, its input and output shapes, output dtype, activation and
#' trainability), an edge for every input of every call of a layer (a shared
#' layer has one box and several incoming edges), and nested models as one box
#' or, with `expand_nested = TRUE`, as dashed clusters whose boxes the edges
#' reach into. The text is what Keras 3.15.1 writes (through pydot), except
#' that graph nodes are named by the layers' paths (`"inner_model/dense"`)
#' where Keras uses memory addresses. No Python and no Graphviz are needed.
#'
#' @param model A Sequential or Functional model, built (a Sequential model
#'   needs an input shape).
#' @param show_shapes Show each layer's input and output shapes.
#' @param show_dtype Show each layer's output dtype.
#' @param show_layer_names Show each layer's name beside its class.
#' @param rankdir Direction of the graph: `"TB"` (top to bottom), `"LR"`,
#'   `"BT"` or `"RL"`.
#' @param expand_nested Draw nested models as clusters of their layers.
#' @param dpi The image resolution, in dots per inch.
#' @param subgraph Return a cluster (`subgraph cluster_<name> { ... }`) to
#'   place inside another graph, rather than a whole graph.
#' @param show_layer_activations Show the activation of layers that have one.
#' @param show_trainable Show whether each layer with weights is trainable.
#' @param splines How edges are drawn: `"ortho"` (right angles), `"curved"`,
#'   `"polyline"`, `"spline"`, `"line"`, ... (Graphviz's `splines`).
#' @param layer_range `NULL` for every layer, or two regular expressions
#'   (keras3's `layer_range`): the layers from the first whose name matches
#'   the first pattern to the last whose name matches the second are drawn,
#'   with the edges between them. Python Keras 3 no longer supports it.
#' @return A string of class `keras_dot`: the DOT text (`cat()` or
#'   `writeLines()` it; Graphviz's `dot -Tpng` draws it).
#' @seealso [plot.keras_models()] draws it.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4, name = "mlp") |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' dot <- model_to_dot(model, show_shapes = TRUE)
#' cat(dot)
model_to_dot <- function(model, show_shapes = FALSE, show_dtype = FALSE, show_layer_names = TRUE, rankdir = "TB",
                         expand_nested = FALSE, dpi = 200L, subgraph = FALSE, show_layer_activations = FALSE,
                         show_trainable = FALSE, splines = "ortho", layer_range = NULL) {
  if (!inherits(model, "keras_models")) {
    kc_abort(sprintf("`model` must be a Sequential or Functional model, not %s.", kc_describe(model)),
             "kerasconfig_error_type")
  }
  flags <- list(show_shapes = show_shapes, show_dtype = show_dtype, show_layer_names = show_layer_names,
                expand_nested = expand_nested, subgraph = subgraph,
                show_layer_activations = show_layer_activations, show_trainable = show_trainable)
  for (arg in names(flags)) {
    if (!(is.logical(flags[[arg]]) && length(flags[[arg]]) == 1L && !is.na(flags[[arg]]))) {
      kc_abort(sprintf("`%s` must be TRUE or FALSE.", arg), "kerasconfig_error_type")
    }
  }
  if (!kc_is_string(rankdir) || !rankdir %in% c("TB", "LR", "BT", "RL")) {
    kc_abort("`rankdir` must be one of \"TB\", \"LR\", \"BT\", \"RL\".", "kerasconfig_error_value")
  }
  if (!is.numeric(dpi) || length(dpi) != 1L || !is.finite(dpi) || dpi <= 0) {
    kc_abort("`dpi` must be a positive number.", "kerasconfig_error_type")
  }
  if (!kc_is_string(splines) || !grepl("^[A-Za-z]+$", splines)) {
    kc_abort("`splines` must be a Graphviz splines value such as \"ortho\", \"curved\", \"polyline\", \"spline\" or \"line\".",
             "kerasconfig_error_value")
  }
  options <- c(flags, list(rankdir = rankdir, splines = splines,
                           dpi = if (dpi == round(dpi)) format(dpi, scientific = FALSE) else as.character(dpi)))
  if (!is.null(layer_range)) options$layer_range <- as.list(kc_layer_range(model, layer_range))
  text <- kc_check(rs_model_to_dot(config_to_json(model),
                                   config_to_json(kc_plot_overrides(model)), config_to_json(options)))
  structure(text, class = "keras_dot")
}

#' @export
print.keras_dot <- function(x, ...) {
  cat(x)
  invisible(x)
}

# What R's custom layers said of their shapes (the engine's overrides of the models' reports),
# for the model and the models nested in it that have such layers, by path ("", "inner",
# "inner/deeper"). Rust's engine builds each model drawn with them.
kc_plot_overrides <- function(model, path = "") {
  out <- named_list()
  overrides <- attr(kc_model_report(model), "overrides")
  if (length(overrides)) out <- c(out, structure(list(overrides), names = path))
  layers <- kc_model_layer_objects(model)
  for (name in names(layers)) {
    if (inherits(layers[[name]], "keras_models")) {
      out <- c(out, kc_plot_overrides(layers[[name]], if (nzchar(path)) paste0(path, "/", name) else name))
    }
  }
  out
}

# keras3's `layer_range`: from the first layer whose name matches the first pattern to the last
# that matches the second (patterns anchored at the start, as Python's re.match), among
# `model$layers`. Returns the names of the layers in range.
kc_layer_range <- function(model, layer_range) {
  if (!is.character(layer_range) && !is.list(layer_range) || length(layer_range) != 2L ||
      !all(vapply(layer_range, kc_is_string, TRUE))) {
    kc_abort("`layer_range` must be two strings: the first and last layer names (or patterns).", "kerasconfig_error_type")
  }
  names <- names(kc_visible_layers(model))
  match <- function(p) which(grepl(paste0("^(?:", p, ")"), names, perl = TRUE))
  lower <- tryCatch(match(layer_range[[1L]]), error = function(e) integer())
  upper <- tryCatch(match(layer_range[[2L]]), error = function(e) integer())
  if (!length(lower) || !length(upper)) {
    kc_abort(sprintf("`layer_range` (\"%s\", \"%s\") does not match the layer names of model '%s': %s.",
                     layer_range[[1L]], layer_range[[2L]], model$get_config()$name,
                     paste(sprintf("'%s'", names), collapse = ", ")), "kerasconfig_error_value")
  }
  bounds <- if (min(lower) > max(upper)) c(min(upper), max(lower)) else c(min(lower), max(upper))
  names[seq(bounds[[1L]], bounds[[2L]])]
}

#' Plot a model
#'
#' Draws a model's layer graph, as keras3's `plot()` does, without Python: the
#' DOT text of [model_to_dot()] drawn by Graphviz's `dot` program, to a file
#' when `to_file` is given, else on the current graphics device.
#'
#' @section Requirements: Graphviz (<https://graphviz.org/download/>):
#'   `sudo apt install graphviz` on Debian and Ubuntu, `brew install graphviz`
#'   on macOS. Without it `plot()` stops with an error of class
#'   `kerasconfig_error_graphviz`; [model_to_dot()] still works. Drawing on a
#'   graphics device also needs the `png` package.
#'
#' @param x A Sequential or Functional model.
#' @inheritParams model_to_dot
#' @param ... Further arguments of [model_to_dot()] (`splines`, `subgraph`).
#' @param show_trainable Show whether each layer with weights is trainable;
#'   `NA` shows it when the model has non-trainable weights.
#' @param to_file The file to write; its extension is the format (`png` when
#'   it has none; `svg`, `pdf`, `jpg` and Graphviz's other formats). `NULL`
#'   draws on the current graphics device.
#' @return `NULL`, invisibly.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4, name = "mlp") |>
#'   layer_dense(8, activation = "relu") |>
#'   layer_dense(1)
#' if (nzchar(Sys.which("dot"))) {
#'   file <- tempfile(fileext = ".png")
#'   plot(model, show_shapes = TRUE, to_file = file)
#'   file.size(file)
#' }
plot.keras_models <- function(x, show_shapes = FALSE, show_dtype = FALSE, show_layer_names = FALSE, ...,
                              rankdir = "TB", expand_nested = FALSE, dpi = getOption("keras.plot.model.dpi", 200L),
                              layer_range = NULL, show_layer_activations = FALSE, show_trainable = NA,
                              to_file = NULL) {
  if (identical(show_trainable, NA)) show_trainable <- kc_has_frozen_weights(x)
  dot <- model_to_dot(x, show_shapes = show_shapes, show_dtype = show_dtype, show_layer_names = show_layer_names,
                      rankdir = rankdir, expand_nested = expand_nested, dpi = dpi,
                      show_layer_activations = show_layer_activations, show_trainable = show_trainable,
                      layer_range = layer_range, ...)
  if (!is.null(to_file) && !kc_is_string(to_file)) kc_abort("`to_file` must be a file name.", "kerasconfig_error_type")
  file <- to_file %||% tempfile(paste0("keras_", x$get_config()$name), fileext = ".png")
  format <- if (grepl("\\.[[:alnum:]]+$", file)) tolower(sub(".*\\.", "", file)) else "png"
  if (is.null(to_file) && !requireNamespace("png", quietly = TRUE)) {
    kc_abort(paste("Drawing a model on a graphics device needs the 'png' package: install.packages(\"png\"),",
                   "or give `to_file` to write the picture to a file."), "kerasconfig_error_dependency")
  }
  kc_graphviz(dot, format, file)
  if (!is.null(to_file)) return(invisible())
  on.exit(unlink(file), add = TRUE)
  img <- png::readPNG(file, native = TRUE)
  graphics::plot.new()
  graphics::plot.window(xlim = c(0, ncol(img)), ylim = c(0, nrow(img)), asp = 1, yaxs = "i", xaxs = "i")
  graphics::rasterImage(img, 0, 0, ncol(img), nrow(img), interpolate = TRUE)
  invisible()
}

# Keras' `model.non_trainable_weights` is not empty (frozen layers, BatchNormalization's moving
# statistics).
kc_has_frozen_weights <- function(model) {
  report <- kc_model_report(model)
  vars <- unlist(lapply(seq_along(report$name), function(i) {
    lapply(kc_report_layer(report, i)$variables, function(v) isTRUE(v$trainable))
  }))
  any(!vars)
}

# Graphviz's `dot` program (the option `kerasconfig.graphviz_dot` names another), or a classed error.
kc_graphviz_program <- function() {
  dot <- getOption("kerasconfig.graphviz_dot", Sys.which("dot"))
  if (!kc_is_string(dot) || !nzchar(dot) || !file.exists(dot)) {
    kc_abort(paste0("plot() needs Graphviz's `dot` program, which was not found. Install Graphviz ",
                    "(https://graphviz.org/download/): `sudo apt install graphviz` on Debian and Ubuntu, ",
                    "`brew install graphviz` on macOS. model_to_dot() works without it."),
             "kerasconfig_error_graphviz")
  }
  unname(dot)
}

# Draws DOT text to `file` in `format`, within a time limit (a huge graph cannot hang R).
kc_graphviz <- function(dot, format, file) {
  program <- kc_graphviz_program()
  if (!grepl("^[a-z0-9_:]+$", format)) {
    kc_abort(sprintf("'%s' is not a Graphviz output format.", format), "kerasconfig_error_value")
  }
  input <- tempfile(fileext = ".dot")
  on.exit(unlink(input), add = TRUE)
  writeLines(dot, input, useBytes = TRUE)
  timeout <- getOption("kerasconfig.graphviz_timeout", 60)
  out <- suppressWarnings(system2(program, c(paste0("-T", format), "-o", shQuote(file), shQuote(input)),
                                  stdout = TRUE, stderr = TRUE, timeout = timeout))
  status <- attr(out, "status") %||% 0L
  if (status != 0L || !file.exists(file)) {
    kc_abort(sprintf("Graphviz could not draw the model to '%s' (format '%s'): %s", file, format,
                     if (status == 124L) sprintf("it took longer than %s seconds.", timeout)
                     else paste(out, collapse = "\n")), "kerasconfig_error_graphviz")
  }
  invisible(file)
}
