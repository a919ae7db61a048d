# Weights after config edits. A model remembers the variables its config had when its weights
# were read or made; an edit through set_config() (units of a Dense) may change them. Edits that
# do not (learning rate, trainable, dropout rate, names) keep the weights; an edit that does
# leaves weights that no longer fit, which save_model() refuses, naming the layer, until new ones
# are given with set_weights().

# The model's variables as its current config makes them.
# The engine's report is a function of the config's JSON text: a report made from the text the
# config has now is kept (get_weights() and set_weights() refresh at every call), unless custom
# layers answered for themselves in it (their R methods may answer otherwise now).
kc_refresh_variables <- function(model) {
  current <- get0(".__shape_report__", envir = kc_env(model), inherits = FALSE)
  if (!is.null(current)) {
    text <- tryCatch(config_to_json(model), kerasconfig_error = function(e) NULL)
    if (!is.null(text) && identical(attr(current, "kc_text"), text) && !length(attr(current, "overrides"))) {
      return(invisible(model))
    }
    report <- tryCatch(kc_shape_report(model, text), kerasconfig_error = function(e) NULL)
    if (!is.null(report)) {
      attr(report, "kc_text") <- text
      kc_apply_report(model, report)
    }
  }
  invisible(model)
}

# Refuses weights held for variables whose shape has changed since.
kc_check_stale_weights <- function(model) {
  kc_refresh_variables(model)
  for (s in kc_weight_slots(model)) {
    stored <- if (is.environment(kc_env(s$obj))) get0(".__weight_values__", envir = kc_env(s$obj), inherits = FALSE)[[s$key]]
    if (is.null(stored)) next
    fits <- length(stored) == length(s$vars) &&
      all(mapply(function(v, a) identical(kc_array_dims(a), kc_var_dims(v)), s$vars, stored))
    if (!fits) {
      kc_abort(sprintf(paste("Layer '%s' was edited so that its variables changed (%s), and its weights no longer fit them.",
                             "Give the model new weights with set_weights() before saving."),
                       s$layer, paste(vapply(s$vars, function(v) sprintf("'%s' %s", v$path, kc_shape_label(kc_var_dims(v))), ""),
                                      collapse = ", ")),
               c("kerasconfig_error_weights_stale", "kerasconfig_error_weights"), layer = s$layer)
    }
  }
  invisible(model)
}
