#' @include utils.R conditions.R
NULL

# Keras' session settings, which new objects take as their defaults: the default float type and
# image data format (Keras' backend config) and the global dtype policy (Keras' global state,
# which clear_session() resets). As in Keras 3.15.1, the policy is made from floatx the first
# time it is needed and then kept: set_floatx() afterwards no longer changes it.
kc_session <- new.env(parent = emptyenv())
kc_session$floatx <- "float32"
kc_session$image_data_format <- "channels_last"

#' Keras' session settings: float type, image data format, dtype policy
#'
#' New layers, metrics and optimizers take their defaults from these
#' settings, as in Keras: `config_set_floatx("float16")` makes a new
#' `InputLayer`'s and metric's dtype `"float16"` and optimizer learning
#' rates float16 values; the global dtype policy (by default made from the
#' float type the first time a layer needs it, then kept until
#' [clear_session()]) becomes a new layer's `dtype`;
#' `config_set_image_data_format("channels_first")` becomes the
#' `data_format` of new convolution, pooling and image layers. Configs that
#' are read keep what they say.
#'
#' @param value The float type: `"bfloat16"`, `"float16"`, `"float32"` or
#'   `"float64"`.
#' @param data_format `"channels_first"` or `"channels_last"`.
#' @param policy A dtype policy name (`"mixed_float16"`, `"float32"`,
#'   `"int8_from_float32"`, ...) or a dtype policy object ([dtype_policy()]).
#' @return `config_floatx()` and `config_image_data_format()`: a string.
#'   `config_dtype_policy()`: the global dtype policy object. The setters
#'   return `NULL` invisibly.
#' @name config_floatx
#' @examples
#' config_floatx()
#' config_set_floatx("float64")
#' optimizer_sgd()$get_config()$learning_rate
#' config_set_floatx("float32")
#'
#' config_set_dtype_policy("mixed_float16")
#' layer_dense(units = 2)$get_config()$dtype
#' clear_session()
#' config_dtype_policy()
#'
#' config_set_image_data_format("channels_first")
#' layer_conv_2d(filters = 4, kernel_size = 3)$get_config()$data_format
#' config_set_image_data_format("channels_last")
NULL

#' @rdname config_floatx
#' @export
config_floatx <- function() kc_session$floatx

#' @rdname config_floatx
#' @export
config_set_floatx <- function(value) {
  allowed <- c("bfloat16", "float16", "float32", "float64")
  if (!kc_is_string(value) || !value %in% allowed) {
    kc_abort(sprintf("Unknown `floatx` value: %s. Expected one of %s", kc_describe_value(value),
                     paste(sprintf("'%s'", allowed), collapse = ", ")), "kerasconfig_error_value")
  }
  kc_session$floatx <- value
  invisible(NULL)
}

#' @rdname config_floatx
#' @export
config_image_data_format <- function() kc_session$image_data_format

#' @rdname config_floatx
#' @export
config_set_image_data_format <- function(data_format) {
  allowed <- c("channels_first", "channels_last")
  if (!kc_is_string(data_format) || !data_format %in% allowed) {
    kc_abort(sprintf("The `data_format` argument must be one of 'channels_first', 'channels_last'. Received: data_format=%s",
                     kc_describe_value(data_format)), "kerasconfig_error_value")
  }
  kc_session$image_data_format <- data_format
  invisible(NULL)
}

#' @rdname config_floatx
#' @export
config_dtype_policy <- function() {
  policy <- kc_session$dtype_policy
  if (is.null(policy)) {
    policy <- kc_dtype_policy_from_name(kc_session$floatx)
    kc_session$dtype_policy <- policy
  }
  policy
}

#' @rdname config_floatx
#' @export
config_set_dtype_policy <- function(policy) {
  if (kc_is_instance(policy) && inherits(policy, "keras_dtype_policies")) {
    kc_session$dtype_policy <- policy
    return(invisible(NULL))
  }
  if (!kc_is_string(policy)) {
    kc_abort(sprintf(paste("Invalid `policy` argument. Expected the string name of a policy (such as 'mixed_float16')",
                           "or a dtype policy object. Received: %s"), kc_describe(policy)), "kerasconfig_error_value")
  }
  kc_session$dtype_policy <- kc_dtype_policy_from_name(policy)
  invisible(NULL)
}

kc_describe_value <- function(x) if (kc_is_string(x)) x else kc_describe(x)

kc_quantization_modes <- c("int8", "float8", "int4", "gptq", "awq")
kc_float_dtypes <- c("bfloat16", "float16", "float32", "float64")

# A policy from its name, with Keras' checks (dtype_policies.get and DTypePolicy's name parsing):
# "<mode>_from_<source>" names a quantized policy, "mixed_float16"/"mixed_bfloat16" a mixed one,
# anything else must be a dtype.
kc_dtype_policy_from_name <- function(name) {
  if (any(startsWith(name, kc_quantization_modes))) {
    parts <- regmatches(name, regexec("^(int8|float8|int4)_from_(.+)$", name))[[1L]]
    if (!length(parts) || !kc_valid_policy_name(parts[[3L]])) {
      kc_abort(sprintf(paste("Cannot convert `policy` into a valid pair (`mode`, `source_name`) to instantiate",
                             "`QuantizedDTypePolicy`. Received: policy=%s"), name), "kerasconfig_error_value")
    }
    ctor <- if (parts[[2L]] == "float8") dtype_policy_quantized_float_8 else dtype_policy_quantized
    return(ctor(mode = parts[[2L]], source_name = parts[[3L]]))
  }
  if (startsWith(name, "mixed_") && !name %in% c("mixed_float16", "mixed_bfloat16")) {
    kc_abort(sprintf(paste("Cannot convert '%s' to a mixed precision DTypePolicy. Valid policies include",
                           "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as 'float32'."),
                     name), "kerasconfig_error_value")
  }
  if (!kc_valid_policy_name(name)) {
    kc_abort(sprintf("Invalid dtype: %s", name), "kerasconfig_error_value")
  }
  dtype_policy(name = name)
}

# What Keras' standardize_dtype accepts, and the two mixed policies.
kc_valid_policy_name <- function(name) {
  name %in% c("mixed_float16", "mixed_bfloat16", kc_float_dtypes, "uint8", "uint16", "uint32", "uint64", "int8",
              "int16", "int32", "int64", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64",
              "complex128")
}

# The defaults Keras takes from the session for a built-in made from R (`args`: the arguments
# given): the global policy for a layer's or model's dtype policy, floatx for a plain float dtype
# (input layers, metrics), the image data format for a `data_format` Keras standardizes from
# None, and the rounding of numbers Keras stores as variables (learning rates, regularization
# factors; see kc_storage_dtype()).
kc_session_defaults <- function(config, info, args) {
  given <- names(args)
  defaults <- info$defaults
  if (!"dtype" %in% given && "dtype" %in% names(config)) {
    d <- defaults$dtype
    # Only a default that is floatx's policy follows the session; a class's own (Hashing's
    # int64) stays.
    if (is.list(d) && identical(d$class_name, "DTypePolicy") && identical(d$config$name, "float32")) {
      config["dtype"] <- list(config_dtype_policy())
    } else if (identical(d, "float32")) {
      config$dtype <- kc_session$floatx
    }
  }
  if (!"data_format" %in% given && identical(defaults$data_format, "channels_last") &&
      !kc_has_param_default(info, "data_format")) {
    config$data_format <- kc_session$image_data_format
  }
  # DTypePolicy() and the quantized policies name the global policy when given no name.
  if (identical(info$family, "dtype_policies")) {
    for (key in setdiff(intersect(c("name", "source_name"), names(config)), given)) {
      if (kc_param_default_is_null(info, key)) config[[key]] <- kc_policy_name(config_dtype_policy())
    }
  }
  storage <- kc_storage_dtype(info$family)
  if (storage != "float32") {
    keys <- info$rules$float32
    if (identical(info$family, "optimizers")) keys <- union(keys, "learning_rate")
    for (key in intersect(keys, names(config))) {
      value <- if (key %in% given) args[[key]] else kc_param_default(info, key)
      if (is.numeric(value) && length(value) == 1L && !is.object(value)) config[[key]] <- kc_round_floatx(value, storage)
    }
  }
  config
}

# The dtype numbers Keras stores in variables end up in, by family, as Keras 3.15.1 writes them
# (tools/gen-session-fixtures.py): an optimizer's learning rate is a floatx variable; a
# regularizer's factor is float16 under float16, unrounded under bfloat16, float32 otherwise.
kc_storage_dtype <- function(family) {
  floatx <- kc_session$floatx
  switch(family %||% "",
    optimizers = floatx,
    regularizers = switch(floatx, float16 = "float16", bfloat16 = "float64", "float32"),
    "float32"
  )
}

# Whether Keras' signature gives `name` a default other than None (a parameter taken from
# **kwargs has none).
kc_has_param_default <- function(info, name) {
  for (p in info$entry$params) {
    if (identical(p$name, name)) return(isTRUE(p$has_default) && !identical(p$default, "null"))
  }
  FALSE
}

# Whether every session setting is Keras' default. Rust's fast path reads configs with the
# defaults built in; under other settings deserialization takes R's path, which fills what a
# config omits from the session, as Keras does.
kc_session_is_default <- function() {
  policy <- kc_session$dtype_policy
  identical(kc_session$floatx, "float32") && identical(kc_session$image_data_format, "channels_last") &&
    (is.null(policy) || kc_is_float32_policy(policy))
}

# Whether `policy` is named "float32", asked at every level of every deserialization: the last
# policy found so is remembered with its config, and answers again while that config is the same
# (set_config() may rename a policy in place).
kc_is_float32_policy <- function(policy) {
  config <- get0(".__config__", envir = kc_env(policy), inherits = FALSE)
  seen <- kc_session$float32_policy
  if (!is.null(config) && identical(policy, seen$policy) && identical(config, seen$config)) return(TRUE)
  if (!identical(kc_policy_name(policy), "float32")) return(FALSE)
  kc_session$float32_policy <- list(policy = policy, config = config)
  TRUE
}

kc_policy_name <- function(policy) {
  config <- policy$get_config()
  config$name %||% paste0(config$mode, "_from_", config$source_name)
}

kc_param_default <- function(info, name) {
  for (p in info$entry$params) {
    if (identical(p$name, name) && isTRUE(p$has_default)) return(config_from_json(p$default))
  }
  NULL
}

# A number as a floatx variable holds it: float32, float16 or bfloat16 rounding (to nearest,
# ties to even), float64 unchanged.
kc_round_floatx <- function(x, dtype = kc_session$floatx) {
  switch(dtype,
    float64 = as.double(x),
    float32 = kc_float32(x),
    float16 = kc_round_binary(x, 10L, -14L, 65504),
    bfloat16 = kc_round_binary(x, 7L, -126L, 3.3895313892515355e38)
  )
}

kc_round_binary <- function(x, mantissa, min_exp, max) {
  x <- as.double(x)
  if (!is.finite(x) || x == 0) return(x)
  e <- max(floor(log2(abs(x))), min_exp)
  ulp <- 2^(e - mantissa)
  y <- round(x / ulp) * ulp
  if (abs(y) > max) sign(y) * Inf else y
}

#' Reset Keras' session state
#'
#' As Keras' `clear_session()`: generated layer names start again (`dense`,
#' `dense_1`, ...) and the global dtype policy is forgotten (the next one is
#' made from [config_floatx()]). The float type and image data format are
#' kept, as in Keras.
#'
#' @param free_memory Whether to run R's garbage collector too (on recent
#'   allocations, which is quick).
#' @return `NULL`, invisibly.
#' @export
#' @examples
#' clear_session()
#' layer_dense(units = 1)$get_config()$name
#' layer_dense(units = 1)$get_config()$name
#' clear_session(free_memory = FALSE)
#' layer_dense(units = 1)$get_config()$name
clear_session <- function(free_memory = TRUE) {
  if (!is.logical(free_memory) || length(free_memory) != 1L || is.na(free_memory)) {
    kc_abort("`free_memory` must be TRUE or FALSE.", "kerasconfig_error_type")
  }
  rm(list = ls(kc_names, all.names = TRUE), envir = kc_names)
  kc_session$dtype_policy <- NULL
  # R frees unreachable objects by itself; a young-generation collection returns what the session
  # dropped now, in about a millisecond (a full one costs tens of milliseconds per call).
  if (free_memory) gc(verbose = FALSE, full = FALSE)
  invisible(NULL)
}
