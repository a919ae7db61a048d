# compile(): the compile_config Keras 3.15.1 writes (keras/src/trainers/trainer.py): the
# optimizer as an object, losses and metrics as given (strings stay strings, objects are
# serialized), per-output lists and named lists kept in their structure.

#' Configure a model for training
#'
#' Records what Keras' `Model.compile()` records in the model's
#' `compile_config`. The model is modified in place.
#'
#' @param object A model.
#' @param optimizer An optimizer name (`"adam"`, `"rmsprop"`, ...) or object.
#' @param loss A loss name, loss object or registered function; a list or a
#'   named list of them for models with several outputs.
#' @param metrics Metric names or objects; per output, a list of lists or a
#'   named list.
#' @param ... Unused; must be empty.
#' @param loss_weights Numbers weighting each output's loss (list or named
#'   list).
#' @param weighted_metrics Metrics weighted by sample weights.
#' @param run_eagerly,steps_per_execution,jit_compile,auto_scale_loss As in
#'   Keras: `jit_compile = "auto"` is recorded as `TRUE` unless `run_eagerly`.
#' @return `object`, invisibly.
#' @export
#' @examples
#' model <- keras_model_sequential(input_shape = 4) |> layer_dense(1)
#' compile(model, optimizer = "adam", loss = "mse", metrics = list("mae"))
#' str(get_compile_config(model)$metrics)
compile <- function(object, optimizer = "rmsprop", loss = NULL, metrics = NULL, ..., loss_weights = NULL,
                    weighted_metrics = NULL, run_eagerly = FALSE, steps_per_execution = 1L, jit_compile = "auto",
                    auto_scale_loss = TRUE) {
  if (!inherits(object, "keras_models")) kc_abort("`object` must be a model.", "kerasconfig_error_type")
  dots <- list(...)
  if (length(dots)) {
    kc_abort(sprintf("Unrecognized keyword arguments passed to compile(): %s",
                     paste(sprintf("'%s'", names(dots) %||% ""), collapse = ", ")), "kerasconfig_error_unknown_argument")
  }
  for (flag in list(list("run_eagerly", run_eagerly), list("auto_scale_loss", auto_scale_loss))) {
    if (!isTRUE(flag[[2L]]) && !isFALSE(flag[[2L]])) kc_abort(sprintf("`%s` must be TRUE or FALSE.", flag[[1L]]), "kerasconfig_error_type")
  }
  if (!(identical(jit_compile, "auto") || isTRUE(jit_compile) || isFALSE(jit_compile))) {
    kc_abort("`jit_compile` must be TRUE, FALSE or \"auto\".", "kerasconfig_error_type")
  }
  if (!is.numeric(steps_per_execution) || length(steps_per_execution) != 1L || is.na(steps_per_execution) ||
      steps_per_execution < 1 || steps_per_execution != round(steps_per_execution)) {
    kc_abort("`steps_per_execution` must be a positive whole number.", "kerasconfig_error_type")
  }
  # Keras: "auto" means XLA where the model supports it; never with run_eagerly.
  jit <- if (identical(jit_compile, "auto")) !run_eagerly else isTRUE(jit_compile) && !run_eagerly
  config <- list(
    optimizer = kc_compile_optimizer(optimizer),
    loss = kc_compile_structure(loss, kc_compile_loss, "loss"),
    loss_weights = kc_compile_weights(loss_weights),
    metrics = kc_compile_structure(metrics, kc_compile_metric, "metrics"),
    weighted_metrics = kc_compile_structure(weighted_metrics, kc_compile_metric, "weighted_metrics"),
    run_eagerly = run_eagerly,
    steps_per_execution = as.integer(steps_per_execution),
    jit_compile = jit
  )
  assign(".__compile_config__", config, envir = kc_env(object))
  invisible(object)
}

# Keras' optimizers.get(): a string names a class case-insensitively ("adam" -> Adam).
kc_compile_optimizer <- function(optimizer) {
  if (is.null(optimizer)) return(NULL)
  if (kc_is_instance(optimizer)) {
    if (!inherits(optimizer, "keras_optimizers") && !inherits(optimizer, "Optimizer")) {
      kc_abort(sprintf("Could not interpret optimizer identifier: %s", kc_describe(optimizer)), "kerasconfig_error_value")
    }
    return(optimizer)
  }
  if (kc_is_string(optimizer)) {
    classes <- names(keras$optimizers)
    classes <- classes[vapply(classes, function(n) inherits(keras$optimizers[[n]], "keras_class"), TRUE)]
    hit <- classes[tolower(classes) == tolower(optimizer)]
    if (length(hit)) return(keras$optimizers[[hit[[1L]]]]())
    custom <- kc_check(rs_lookup(optimizer, NULL, NULL))
    if (inherits(custom, "keras_class")) return(custom())
  }
  kc_abort(sprintf("Could not interpret optimizer identifier: %s", kc_describe(optimizer)), "kerasconfig_error_value")
}

# Per-output structure: one value, a list (by output position) or a named list (by output name),
# lists of metrics inside. NULL stays NULL.
kc_compile_structure <- function(x, check, what) {
  if (is.null(x)) return(NULL)
  if (is.character(x) && length(x) > 1L) x <- as.list(x)
  if (is.list(x) && !is.object(x)) {
    out <- lapply(x, kc_compile_structure, check = check, what = what)
    if (!is.null(names(x))) names(out) <- names(x)
    return(out)
  }
  check(x)
}

kc_compile_weights <- function(x) {
  if (is.null(x)) return(NULL)
  if (is.numeric(x) && length(x) == 1L && is.null(names(x))) return(as.double(x))
  if (!is.numeric(x) && !is.list(x)) kc_abort("`loss_weights` must be numbers, a list or a named list of them.", "kerasconfig_error_type")
  out <- lapply(as.list(x), function(w) {
    if (!is.numeric(w) || length(w) != 1L || is.na(w)) kc_abort("`loss_weights` must hold numbers.", "kerasconfig_error_type")
    as.double(w)
  })
  out
}

# Names keras.losses.get() and keras.metrics.get() accept (their ALL_OBJECTS_DICT in Keras 3.15.1,
# printed by tools/gen-functional-fixtures.py's author from keras.src.losses/metrics).
kc_loss_names <- c(
  "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
  "CategoricalFocalCrossentropy", "CategoricalHinge", "Circle", "CosineSimilarity", "Dice", "Hinge", "Huber",
  "KLD", "KLDivergence", "LogCosh", "Loss", "LossFunctionWrapper", "MAE", "MAPE", "MSE", "MSLE",
  "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError",
  "Poisson", "SparseCategoricalCrossentropy", "SquaredHinge", "Tversky", "bce", "binary_crossentropy",
  "binary_focal_crossentropy", "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_hinge",
  "circle", "cosine_similarity", "ctc", "dice", "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae",
  "mape", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
  "mean_squared_logarithmic_error", "mse", "msle", "poisson", "sparse_categorical_crossentropy",
  "squared_hinge", "tversky"
)
kc_metric_names <- c(
  "AUC", "Accuracy", "BCE", "BinaryAccuracy", "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy",
  "CategoricalCrossentropy", "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "F1Score",
  "FBetaScore", "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "MAE",
  "MAPE", "MSE", "MSLE", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU",
  "MeanMetricWrapper", "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "OneHotIoU",
  "OneHotMeanIoU", "PearsonCorrelation", "Poisson", "Precision", "PrecisionAtRecall", "R2Score", "Recall",
  "RecallAtPrecision", "RootMeanSquaredError", "SensitivityAtSpecificity", "SparseCategoricalAccuracy",
  "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SpecificityAtSensitivity",
  "SquaredHinge", "Sum", "TopKCategoricalAccuracy", "TrueNegatives", "TruePositives", "accuracy", "auc",
  "bce", "binary_accuracy", "binary_crossentropy", "binary_io_u", "categorical_accuracy",
  "categorical_crossentropy", "categorical_hinge", "concordance_correlation", "cosine_similarity", "f1_score",
  "f_beta_score", "false_negatives", "false_positives", "hinge", "io_u", "kl_divergence", "log_cosh_error",
  "mae", "mape", "mean", "mean_absolute_error", "mean_absolute_percentage_error", "mean_io_u",
  "mean_metric_wrapper", "mean_squared_error", "mean_squared_logarithmic_error", "metric", "mse", "msle",
  "one_hot_io_u", "one_hot_mean_io_u", "pearson_correlation", "poisson", "precision", "precision_at_recall",
  "r2_score", "recall", "recall_at_precision", "root_mean_squared_error", "sensitivity_at_specificity",
  "sparse_categorical_accuracy", "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy",
  "specificity_at_sensitivity", "squared_hinge", "sum", "top_k_categorical_accuracy", "true_negatives",
  "true_positives",
  # compile_utils.get_metric() resolves these against the loss.
  "acc", "crossentropy", "ce"
)

kc_compile_loss <- function(x) kc_compile_entry(x, kc_loss_names, "keras_losses", "loss")
kc_compile_metric <- function(x) kc_compile_entry(x, kc_metric_names, "keras_metrics", "metric")

kc_compile_entry <- function(x, known, family, what) {
  if (kc_is_string(x)) {
    if (x %in% known || !is.null(kc_check(rs_lookup(x, NULL, NULL)))) return(x)
    kc_abort(sprintf("Could not interpret %s identifier: %s", what, x), "kerasconfig_error_value")
  }
  if (kc_is_instance(x) || inherits(x, "keras_builtin_function")) return(x)
  if (is.function(x)) {
    if (is.null(kc_check(rs_registered_name(x)))) {
      kc_abort(sprintf(paste("An R function used as a %s must be registered first:",
                             "register_keras_serializable(fn, package = \"MyPkg\")."), what), "kerasconfig_error_value")
    }
    return(x)
  }
  kc_abort(sprintf("Could not interpret %s identifier: %s", what, kc_describe(x)), "kerasconfig_error_value")
}
