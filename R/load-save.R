# load_model() and save_model(): whole model files, config and weights.

#' Load a model saved by Keras, weights included
#'
#' Reads a `.keras` archive (its `config.json` and `model.weights.h5`, or
#' `model.weights.npz`, Keras' NumPy weights format), a
#' directory holding them, or a legacy tf.keras `.h5` model file (its root
#' attribute `model_config` and group `model_weights`), and returns the model
#' with its weights: see [get_weights()]. No Python is involved; the HDF5
#' file is read by the package's own bounded reader.
#'
#' @param model Path of the file (keras3's name for this argument).
#' @param custom_objects Named list (or list of registered objects) of custom
#'   classes and functions, as for [deserialize_keras_object()].
#' @param compile `FALSE` to drop the model's compile config (optimizer, loss,
#'   metrics) and optimizer variables, as Keras' `compile = False` does.
#' @param safe_mode `FALSE` allows `lambda` deserialization, as in Keras.
#' @return The model.
#' @section Errors:
#' Those of [load_model_config()]; `kerasconfig_error_hdf5` (subclasses
#' `kerasconfig_error_hdf5_corrupt`, `_unsupported`, `_limit`) when the HDF5
#' data is refused; `kerasconfig_error_weights` when the file's weights do not
#' fit the model's variables (the message names the layer);
#' `kerasconfig_error_npz` (subclasses `kerasconfig_error_npz_corrupt`,
#' `_unsupported`, `_limit`) when `model.weights.npz` is refused. Keras
#' writes each object's variables there as a pickled dict, which Keras
#' 3.15.1 itself does not load (it reads npz files with
#' `allow_pickle = False`); kerasconfig reads those pickles without running
#' them, knowing only numpy arrays, dtypes and Keras variables, and refuses
#' anything else (naming it). Every array must hold exactly the bytes its
#' shape declares.
#' @seealso [save_model()], [get_weights()]
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 3, name = "m") |> layer_dense(2, kernel_initializer = "ones")
#' path <- tempfile(fileext = ".keras")
#' save_model(model, path)
#' loaded <- load_model(path)
#' get_weights(loaded)[[1]]
#' unlink(path)
load_model <- function(model, custom_objects = NULL, compile = TRUE, safe_mode = TRUE) {
  filepath <- model
  kc_check_compile(compile)
  kc_check_filepath(filepath)
  if (endsWith(filepath, ".h5") || endsWith(filepath, ".hdf5") ||
      (file.exists(path.expand(filepath)) && !dir.exists(path.expand(filepath)) && kc_is_hdf5_file(path.expand(filepath)))) {
    return(kc_load_h5_model(filepath, custom_objects, compile, safe_mode))
  }
  source <- kc_model_source(filepath, c("config.json", "metadata.json", "model.weights.h5", "model.weights.npz"))
  if (is.null(source$config)) {
    kc_abort(sprintf("Cannot load '%s': the archive has no config.json.", filepath), "kerasconfig_error_archive", file = filepath)
  }
  config <- kc_parse_file_json(source$config, source$config_label, filepath)
  loaded <- with_safe_mode(safe_mode, kc_model_from_config(config, custom_objects, compile, kc_metadata_version(source)))
  weights <- source$weights
  npz <- source$npz
  if (identical(source$kind, "directory")) {
    h5 <- file.path(path.expand(filepath), "model.weights.h5")
    if (file.exists(h5)) weights <- kc_read_file(h5, filepath)
    np <- file.path(path.expand(filepath), "model.weights.npz")
    if (is.null(weights) && file.exists(np)) npz <- kc_read_file(np, filepath)
  }
  if (is.null(weights) && is.null(npz)) {
    kc_abort(sprintf("Cannot load weights from '%s': it has no model.weights.h5 or model.weights.npz.", filepath),
             "kerasconfig_error_archive", file = filepath)
  }
  if (inherits(loaded, "keras_models")) {
    tree <- if (!is.null(weights)) kc_read_hdf5(weights, sprintf("model.weights.h5 in '%s'", filepath), filepath) else
      kc_read_hdf5(npz, sprintf("model.weights.npz in '%s'", filepath), filepath, reader = rs_npz_read)
    kc_assign_weights(loaded, tree, filepath)
    if (!compile) assign(".__optimizer_variables__", list(), envir = kc_env(loaded))
  }
  loaded
}

kc_h5_attr_text <- function(group, name) {
  a <- group$attrs[[name, exact = TRUE]]
  if (is.null(a) || !is.character(a$value) || length(a$value) != 1L) return(NULL)
  a$value
}

#' Save a model to a `.keras` file, weights included
#'
#' Writes what Keras 3 writes: `metadata.json`, `config.json` and
#' `model.weights.h5` (each layer's variables at
#' `layers/<name>/vars/<i>`, optimizer variables at `optimizer/vars/<i>`),
#' a file Python's `keras.saving.load_model()` loads with the same weights.
#' A model built in R that has no weights yet gets them from its
#' initializers (see [get_weights()]).
#'
#' @param model A model.
#' @param filepath Path of the `.keras` file to write.
#' @param overwrite Replace an existing file?
#' @param zipped Must be `NULL` or `TRUE`: only zipped `.keras` files are written.
#' @param ... Unused; for keras3's signature.
#' @return `filepath`, invisibly.
#' @section Errors:
#' Those of [save_model_config()]; `kerasconfig_error_weights` when a
#' variable's initial value cannot be computed in R;
#' `kerasconfig_error_weights_stale` (naming the layer) when a config edit
#' changed a layer's variables (the units of a Dense) since its weights were
#' read or set: give new ones with [set_weights()]. Edits that do not change
#' variables (learning rate, `trainable`, dropout rate, names) keep the weights.
#' @seealso [load_model()]
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |> layer_dense(1)
#' path <- tempfile(fileext = ".keras")
#' save_model(model, path)
#' unlink(path)
save_model <- function(model, filepath = NULL, overwrite = FALSE, zipped = NULL, ...) {
  if (!is.null(zipped) && !isTRUE(zipped)) kc_abort("Only zipped .keras files are written (`zipped` must be NULL or TRUE).", "kerasconfig_error_type")
  if (is.null(filepath) || !is.character(filepath) || length(filepath) != 1L || !endsWith(filepath, ".keras")) {
    kc_abort("The filepath provided must end in `.keras` (Keras model format).", "kerasconfig_error_file", file = filepath)
  }
  if (!inherits(model, "keras_models")) {
    kc_abort(sprintf("`model` must be a model, not %s.", kc_describe(model)), "kerasconfig_error_type")
  }
  kc_check_stale_weights(model)
  weights <- kc_weights_tree(model)
  # save_model_config() checks the path and writes config and metadata; the weights join them.
  text <- save_model_config(model)
  if (file.exists(filepath) && !isTRUE(overwrite)) {
    kc_abort(sprintf("File '%s' already exists (pass overwrite = TRUE to force save).", filepath),
             "kerasconfig_error_file", file = filepath)
  }
  kc_check_filepath(filepath)
  metadata <- config_to_json(list(keras_version = kc_keras_version, date_saved = format(Sys.time(), "%Y-%m-%d@%H:%M:%S")))
  # The archive is written to the file as it is made, the weights' HDF5 file with it, each
  # float32 weight encoded from the array where R holds it: no copy of either in memory.
  result <- rs_archive_save(enc2native(path.expand(filepath)), c("metadata.json", "config.json", "model.weights.h5"),
                            list(charToRaw(metadata), charToRaw(text), weights))
  if (inherits(result, "kc_rust_error") && identical(result$class, "kerasconfig_error_file")) {
    result$message <- sprintf("Cannot write '%s': %s", filepath, result$message)
  }
  kc_check(result, file = filepath)
  invisible(filepath)
}

kc_h5_group <- function(attrs = list(), members = list()) list(kind = "group", attrs = attrs, members = members)

kc_h5_text <- function(x) list(dtype = "str", value = x)

# Inserts `node` at a `/`-separated path, creating groups on the way.
kc_h5_put <- function(tree, path, node) {
  parts <- strsplit(path, "/", fixed = TRUE)[[1]]
  if (length(parts) == 1L) {
    if (is.null(tree$members[[parts]]) || identical(node$kind, "dataset")) tree$members[[parts]] <- node
    else {
      old <- tree$members[[parts]]
      old$attrs[names(node$attrs)] <- node$attrs
      old$members[names(node$members)] <- node$members
      tree$members[[parts]] <- old
    }
    return(tree)
  }
  child <- tree$members[[parts[[1]]]] %||% kc_h5_group()
  tree$members[[parts[[1]]]] <- kc_h5_put(child, paste(parts[-1L], collapse = "/"), node)
  tree
}

# The model.weights.h5 tree Keras writes for `model`.
kc_weights_tree <- function(model, tree = kc_h5_group(), prefix = "") {
  name <- model$get_config()$name %||% "model"
  tree <- kc_h5_put(tree, paste0(prefix, "vars"), kc_h5_group(list(name = kc_h5_text(name))))
  report <- kc_required_report(model)
  objs <- kc_model_layer_objects(model)
  layers <- kc_saved_layers(model, report)
  keys <- kc_layer_keys(vapply(layers, function(l) l$class, ""))
  for (k in seq_along(layers)) {
    l <- layers[[k]]
    key <- keys[[k]]
    obj <- objs[[l$name]]
    if (kc_has_report(obj)) {
      tree <- kc_weights_tree(obj, tree, paste0(prefix, "layers/", key, "/"))
      next
    }
    tree <- kc_h5_put(tree, paste0(prefix, "layers/", key, "/vars"), kc_h5_group(list(name = kc_h5_text(l$name))))
  }
  for (s in if (nzchar(prefix)) list() else kc_weight_slots(model)) {
    values <- kc_slot_values(s)
    chain <- strsplit(s$vars[[1]]$path, "/", fixed = TRUE)[[1]]
    group <- kc_h5_group(list(name = kc_h5_text(chain[[length(chain) - 1L]])))
    for (i in seq_along(s$vars)) {
      group$members[[as.character(i - 1L)]] <- list(kind = "dataset", attrs = list(),
                                                    data = list(dtype = s$vars[[i]]$dtype %||% "float32", value = values[[i]]))
    }
    tree <- kc_h5_put(tree, s$path, group)
  }
  if (!nzchar(prefix) && !is.null(get0(".__compile_config__", envir = kc_env(model), inherits = FALSE)$optimizer)) {
    tree <- kc_h5_put(tree, "optimizer/vars", kc_optimizer_group(model))
  }
  tree
}

kc_optimizer_group <- function(model) {
  cc <- get0(".__compile_config__", envir = kc_env(model), inherits = FALSE)
  opt <- cc$optimizer
  if (is.environment(kc_env(opt))) opt <- serialize_keras_object(opt)
  name <- opt$config$name %||% kc_snake_case(opt$class_name %||% "optimizer")
  stored <- get0(".__optimizer_variables__", envir = kc_env(model), inherits = FALSE)
  if (is.null(stored)) {
    # A new optimizer: iterations, and the learning rate when it is a number (not a schedule).
    stored <- list(list(dtype = "int32", value = 0L))
    lr <- opt$config$learning_rate
    if (is.numeric(lr)) stored[[2]] <- list(dtype = "float32", value = as.double(lr))
  }
  group <- kc_h5_group(list(name = kc_h5_text(name)))
  for (i in seq_along(stored)) {
    group$members[[as.character(i - 1L)]] <- list(kind = "dataset", attrs = list(), data = stored[[i]])
  }
  group
}
