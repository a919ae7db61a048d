# Keras built-ins in R. Every class and function of the catalog (src/rust/core/src/catalog) has an R
# object: a class generator (a `keras_class`) or a placeholder function carrying its Keras name.
# R/builtins-generated.R makes them, with keras3-style names and real formals; this file holds
# the machinery. An object learns its catalog entry lazily, on first use, because the Rust
# catalog is not loaded while the package is being built.

# key ("<module>.<canonical name>", as Rust's `builtin_key`) -> R object
kc_builtin_objects <- new.env(parent = emptyenv())

kc_builtin_class <- function(key, signature) {
  env <- new.env(parent = environment(kc_builtin_class))
  env$key <- key
  f <- signature
  # Keras refuses arguments its __init__ does not take: with `...`, kc_builtin_init() says which.
  if (!"..." %in% names(formals(f))) formals(f) <- c(formals(f), alist(... = ))
  body(f) <- quote(kc_builtin_construct(sys.function(), sys.call(), environment()))
  environment(f) <- env
  f <- structure(f, class = "keras_class")
  env$generator <- f
  assign(key, f, envir = kc_builtin_objects)
  f
}

# A keras3-named constructor of a built-in class (`layer_dense`): keras3's formals, and its
# argument transformers (`transforms`: argument -> kind, see kc_keras3_args()) and names
# (`renames`: keras3's name -> Keras'). It shares the class's environment, so its instances are
# the class's, whichever way they were made; .onLoad() re-attaches it after lazy loading.
kc_builtin_front <- function(class, signature, transforms = NULL, renames = NULL) {
  f <- signature
  body(f) <- bquote(kc_builtin_construct(sys.function(), sys.call(), environment(), .(transforms), .(renames)))
  environment(f) <- environment(unclass(class))
  structure(f, class = "keras_class")
}

kc_builtin_function <- function(key, name, signature) {
  f <- signature
  body(f) <- call("kc_builtin_function_called", name)
  environment(f) <- environment(kc_builtin_function)
  f <- structure(f, keras_name = name, class = c("keras_builtin_function", "function"))
  assign(key, f, envir = kc_builtin_objects)
  f
}

kc_builtin_function_called <- function(name) {
  kc_abort(sprintf(paste("`%s` is a Keras built-in function: kerasconfig describes it in configs but does",
                         "not compute it."), name), "kerasconfig_error_not_computable")
}

#' @export
print.keras_builtin_function <- function(x, ...) {
  cat(sprintf("<keras built-in function '%s'>\n", attr(x, "keras_name")))
  invisible(x)
}

# The R object for a resolved built-in: `id` and `key` come from `rs_resolve()`.
kc_builtin_object <- function(id, key) {
  kc_builtin_objects[[key]] %||% kc_builtin_generic(id, key)
}

# Catalog entries with no generated R object (none today; kept so a newer catalog still loads).
kc_builtin_generic <- function(id, key) {
  entry <- rs_catalog_entry(id)
  if (identical(entry$kind, "function")) {
    kc_builtin_function(key, entry$canonical, function(...) NULL)
  } else {
    kc_builtin_class(key, function(...) NULL)
  }
}

# The class info of a built-in, made on first use from its catalog entry.
kc_builtin_info <- function(env) {
  key <- env$key
  res <- kc_check(rs_builtin_lookup(key))
  if (is.null(res)) kc_abort(sprintf("'%s' is not in the catalog.", key), "kerasconfig_error_catalog")
  entry <- rs_catalog_entry(res)
  info <- new.env(parent = emptyenv())
  info$classname <- entry$canonical
  info$module <- entry$serialized_as$module %||% entry$module
  info$registered_name <- entry$serialized_as$registered_name
  info$family <- entry$family
  info$builtin <- TRUE
  info$entry <- entry
  # Where the class stands in Keras' hierarchy (kc_is_layer_class()).
  bases <- c(entry$name, unlist(entry$bases))
  info$is_layer <- "Layer" %in% bases
  info$is_operation <- "Operation" %in% bases
  info$defaults <- if (is.null(entry$default_config)) NULL else kc_as_named(config_from_json(entry$default_config))
  params <- vapply(entry$params, `[[`, "", "name")
  kinds <- vapply(entry$params, `[[`, "", "kind")
  info$params <- params[!kinds %in% c("var_keyword", "var_positional")]
  info$required <- params[vapply(entry$params, function(p) isTRUE(p$required), TRUE)]
  info$accepts_kwargs <- any(kinds == "var_keyword")
  # What Keras' __init__ does to the arguments (src/rust/core/src/catalog/rules.rs).
  info$rules <- rs_builtin_rules(res)
  info$id <- res
  info$methods <- list(
    initialize = function(...) kc_builtin_init(self, list(...)),
    get_config = function() get(".__config__", envir = kc_env(self), inherits = FALSE)
  )
  # Configs from files skip R's argument matching: they are the constructor's arguments already.
  # Models validate and rebuild their layer graphs first.
  info$from_config <- switch(entry$canonical,
    Sequential = kc_sequential_from_config,
    Functional = kc_functional_from_config,
    function(config) kc_instantiate(kc_class_info(cls), config)
  )
  info$fields <- list()
  info$parent <- NULL
  info$env <- environment(kc_builtin_info)
  info$root <- FALSE
  info$s3 <- c(entry$canonical, paste0("keras_", entry$family), "keras_builtin", "keras_object")
  info$own_get_config <- TRUE
  info$has_get_config <- TRUE
  info$generator <- get("generator", envir = env, inherits = FALSE)
  env$info <- info
  info
}

# A call of a built-in constructor: the arguments the caller supplied (not the formals'
# defaults, which only document Keras' defaults) go on top of the default config.
kc_builtin_construct <- function(fn, call, frame, transforms = NULL, renames = NULL) {
  matched <- match.call(fn, call, expand.dots = FALSE, envir = parent.frame(2L))
  # A model passed first is built before this layer, so layers are named in pipe order.
  object <- if ("object" %in% names(matched)) frame$object else NULL
  supplied <- as.character(setdiff(names(matched)[-1L], c("...", "object")))
  args <- mget(supplied, envir = frame)
  dots <- if ("..." %in% names(matched)) eval(quote(list(...)), frame) else list()
  if (length(dots) && (is.null(names(dots)) || any(!nzchar(names(dots))))) {
    kc_abort("Arguments passed in `...` must be named.", "kerasconfig_error_type")
  }
  info <- kc_class_info(fn)
  args <- c(args, dots)
  if (length(transforms)) args <- kc_keras3_args(args, transforms, kc_call_label(call, info))
  if (length(renames)) names(args) <- kc_rename(names(args), renames)
  if (isTRUE(info$builtin)) args <- kc_keras2_arguments(info, args)
  transform <- kc_builtin_arguments[[info$classname]]
  if (!is.null(transform) && isTRUE(info$builtin)) args <- transform(args)
  instance <- kc_instantiate(info, args)
  if (is.null(object)) instance else kc_compose(object, instance)
}

# What a layer constructor does with a model passed first: filled in by the models code.
kc_compose <- function(object, layer) {
  kc_abort(sprintf("Cannot add a layer to %s.", kc_describe(object)), "kerasconfig_error_type")
}

# Keras' base-layer keyword arguments, accepted by every layer. Keras keeps only some of them in
# the config (`activity_regularizer` when set); the input-shape ones describe an input layer.
kc_layer_kwargs <- c("name", "trainable", "dtype", "autocast", "activity_regularizer", "input_dim",
                     "input_shape", "batch_input_shape", "batch_size")
kc_input_kwargs <- c("input_dim", "input_shape", "batch_input_shape", "batch_size")

kc_builtin_init <- function(self, args) {
  info <- kc_builtin_info_of(self)
  defaults <- info$defaults
  if (is.null(defaults)) {
    kc_abort(sprintf("kerasconfig cannot build '%s': Keras gives no default config for it.", info$classname),
             "kerasconfig_error_catalog")
  }
  # Values Keras' __init__ derives from the arguments (src/rust/core/src/catalog/derive.rs).
  args <- kc_builtin_derive(info, args, defaults)
  keys <- names(args)
  accepted <- union(names(defaults), info$params)
  # Base-layer arguments reach Layer.__init__ through **kwargs: a class without them refuses them.
  if (info$family %in% c("layers", "models") && info$accepts_kwargs) accepted <- union(accepted, kc_layer_kwargs)
  if (info$family == "models") accepted <- union(accepted, "build_input_shape")
  unknown <- setdiff(keys, accepted)
  if (length(unknown)) {
    kc_abort(sprintf("Unrecognized keyword arguments passed to %s: %s", info$classname,
                     paste(sprintf("'%s'", unknown), collapse = ", ")), "kerasconfig_error_unknown_argument")
  }
  # A model's constructor arguments (inputs, outputs) are not in its config: its from_config
  # rebuilds them from the layers.
  required <- if (info$family == "models") character() else info$required
  missing_required <- setdiff(required, keys)
  if (length(missing_required)) {
    kc_abort(sprintf("%s is missing required argument(s): %s", info$classname,
                     paste(sprintf("'%s'", missing_required), collapse = ", ")), "kerasconfig_error_missing_argument")
  }
  # Bidirectional's constructor (which from_config runs too) makes the backward half from `layer`
  # when none is given: never the catalog's default one.
  # (`layer` is an object, or the config from_config gives; the halves take the same form.)
  if (identical(info$classname, "Bidirectional") && is.null(args$backward_layer)) {
    layer <- args$layer
    live <- kc_is_instance(layer)
    if (live || (is.list(layer) && is.list(layer$config) && kc_is_string(layer$config$name))) {
      halves <- kc_bidirectional_halves(if (live) serialize_keras_object(layer) else layer)
      args$layer <- if (live) deserialize_keras_object(halves$layer) else halves$layer
      args$backward_layer <- if (live) deserialize_keras_object(halves$backward_layer) else halves$backward_layer
      keys <- names(args)
    }
  }
  config <- kc_builtin_defaults(info, keys)
  if (!"name" %in% keys && "name" %in% names(config) && info$family %in% c("layers", "models")) {
    config$name <- kc_unique_name(config$name)
  }
  # Keras draws a seed when none is given and records it (RandomCrop): so do we.
  if (!"seed" %in% keys && is.numeric(config$seed) && kc_param_default_is_null(info, "seed")) {
    config$seed <- sample.int(.Machine$integer.max, 1L)
  }
  rules <- info$rules
  for (key in keys) {
    if (key %in% kc_input_kwargs && !key %in% c(names(defaults), info$params)) {
      assign(paste0(".__", key, "__"), args[[key]], envir = kc_env(self))
      # Keras' automatic config keeps every argument given (ELU's `input_shape`).
      if (!isTRUE(rules$auto)) next
    }
    # Accepted, not kept (a loss's `dtype`, a layer's `autocast`).
    if (key %in% rules$dropped) next
    value <- kc_builtin_coerce(key, args[[key]], defaults[[key]], info)
    if (is.null(value) && !key %in% names(config)) next
    config <- kc_config_set(config, key, value, rules)
  }
  # Keys defaulting to another given one (`strides` to `pool_size`).
  for (key in names(rules$copies)) {
    from <- rules$copies[[key]]
    if (from %in% keys && is.null(args[[key]])) config <- kc_config_set(config, key, config[[from]], rules)
  }
  if (isTRUE(rules$auto)) config <- kc_auto_config_order(config, info$params, keys)
  config <- kc_session_defaults(config, info, args)
  kc_builtin_check(info, config, keys)
  assign(".__config__", config, envir = kc_env(self))
  # Keras' Trainer.get_compile_config(): {} until the model is compiled, and written all the same.
  if (info$family == "models") assign(".__compile_config__", named_list(), envir = kc_env(self))
  invisible(self)
}

# Keras' automatic config (Operation.get_config(), for classes without their own, `auto` in the
# rules): `name`, the class's parameters in signature order, the other arguments in the order
# given, then the base layer's keys not given (`trainable`, `dtype`).
kc_auto_config_order <- function(config, params, given) {
  keys <- names(config)
  order <- unique(c(intersect("name", keys), intersect(setdiff(params, "name"), keys), intersect(given, keys), keys))
  config[order]
}

# `args` with the values Keras' __init__ derives from them (src/rust/core/src/catalog/derive.rs);
# `base`: the values of the arguments not given.
kc_builtin_derive <- function(info, args, base) {
  if (!info$rules$derive) return(args)
  kc_check(rs_builtin_derive(info$id, args, base)) %||% args
}

# Keras' own argument checks (src/rust/core/src/catalog/checks.rs) on the config the object would
# write; `given`: the names of the arguments given.
kc_builtin_check <- function(info, config, given) {
  invisible(kc_check(rs_builtin_check(info$id, config, as.character(given))))
}

# `config[key] <- list(value)`, placed where Keras' get_config() puts it: a new key, or a key of
# the default config Keras moves when it is set (Conv1D's `activity_regularizer`, after `dtype`).
kc_config_set <- function(config, key, value, rules) {
  if (!key %in% names(rules$after) || (key %in% names(config) && is.null(value))) {
    config[key] <- list(value)
    return(config)
  }
  config[[key]] <- NULL
  after <- rules$after[[key]]
  at <- if (is.null(after)) 0L else match(after, names(config), nomatch = length(config))
  new <- list(value)
  names(new) <- key
  append(config, new, after = at)
}

# A key Keras places when it is set (`rules$after`), set to `NULL`: back where the default config
# has it (Conv1D's `activity_regularizer`), or gone when the default config has none (Dense's
# `lora_rank`), as Keras' get_config() writes it.
kc_config_unset <- function(config, key, default_keys) {
  config[[key]] <- NULL
  at <- match(key, default_keys)
  if (is.na(at)) return(config)
  before <- intersect(default_keys[seq_len(at - 1L)], names(config))
  new <- list(NULL)
  names(new) <- key
  append(config, new, after = if (length(before)) match(before[length(before)], names(config)) else 0L)
}

kc_builtin_info_of <- function(self) {
  info <- kc_class_info(kc_class_of(self))
  while (!isTRUE(info$builtin)) info <- info$parent
  info
}

# A value as Keras stores it for `key`, judged by the default config's value there.
kc_builtin_coerce <- function(key, value, default, info) {
  # Object configs, and lists of them (a Sequential's layers), become live objects.
  if (is.list(value) && !is.object(value)) value <- kc_deserialize_within(value)
  if (is.null(value)) {
    if (kc_is_activation_key(key) && is.character(default)) return("linear")
    return(NULL)
  }
  slot <- kc_object_slot(key, default)
  if (!is.null(slot) && is.character(value) && length(value) == 1L) {
    return(kc_builtin_by_name(slot, value))
  }
  if (kc_is_activation_key(key)) {
    if (inherits(value, "keras_builtin_function")) return(attr(value, "keras_name"))
    if (is.character(value) && length(value) == 1L) kc_check_activation_name(value)
    return(value)
  }
  rules <- info$rules
  if (key %in% rules$float32 && is.numeric(value) && length(value) == 1L) return(kc_float32(value))
  if (key %in% rules$int) value <- kc_as_integers(value)
  if (!is.null(rules$pairs[[key]])) return(kc_pairs(value, rules$pairs[[key]]))
  if (is.numeric(value) && !is.object(value)) return(kc_like_rule(value, rules$fill[[key]]))
  value
}

# Whole numbers (in vectors and unnamed lists too) as integers: an integer parameter's value.
kc_as_integers <- function(value) {
  if (is.double(value) && !is.object(value) && all(is.na(value) | (is.finite(value) & value == round(value) &
                                                                       abs(value) <= .Machine$integer.max))) {
    return(if (anyNA(value)) value else as.integer(value))
  }
  if (is.list(value) && !is.object(value) && is.null(names(value))) return(lapply(value, kc_as_integers))
  value
}

kc_is_activation_key <- function(key) key == "activation" || endsWith(key, "_activation")

# Keras' activations.get(): a name is a built-in activation or a registered/custom/scoped object.
kc_check_activation_name <- function(name) {
  if (rs_is_activation_name(name) || !is.null(kc_check(rs_lookup(name, NULL, NULL)))) return(invisible())
  kc_abort(sprintf("Could not interpret activation function identifier: %s", name), "kerasconfig_error_value")
}

# Which Keras module a string in this slot names: initializers, regularizers, constraints, or a
# dtype policy; NULL for other slots.
kc_object_slot <- function(key, default) {
  if (endsWith(key, "initializer")) return("keras.initializers")
  if (endsWith(key, "regularizer")) return("keras.regularizers")
  if (endsWith(key, "constraint")) return("keras.constraints")
  if (key == "dtype" && is.list(default)) return("dtype_policy")
  NULL
}

kc_builtin_by_name <- function(slot, name) {
  custom <- kc_check(rs_lookup(name, NULL, NULL))
  if (!is.null(custom)) return(if (inherits(custom, "keras_class")) custom() else custom)
  config <- if (slot == "dtype_policy") {
    list(module = "keras", class_name = "DTypePolicy", config = list(name = name), registered_name = NULL)
  } else {
    list(module = slot, class_name = name, config = named_list(), registered_name = NULL)
  }
  deserialize_keras_object(config)
}

# A single number fills a tuple of `fill` where Keras' standardize_tuple does; vectors become lists.
kc_like_rule <- function(value, fill) {
  if (!is.null(fill) && length(value) == 1L) return(as.list(rep(value, fill)))
  if (length(value) > 1L) return(as.list(value))
  value
}

# Keras' Cropping2D/3D and ZeroPadding2D/3D: one number stands for n (before, after) pairs; n
# entries give one pair each, a number meaning the same on both sides.
kc_pairs <- function(value, n) {
  if (is.object(value) || !(is.numeric(value) || is.list(value)) || !is.null(names(value))) return(value)
  if (is.numeric(value) && length(value) == 1L) value <- rep(value, n)
  if (length(value) != n) return(value)
  lapply(as.list(value), function(v) if (is.numeric(v) && length(v) == 1L) list(v, v) else kc_like_rule(v, NULL))
}

# The `keras` object: the generated tree of keys, with each key replaced by its R object.
kc_builtin_tree <- function(tree) {
  lapply(tree, function(node) if (is.list(node)) kc_builtin_tree(node) else kc_builtin_objects[[node]])
}

# What some Keras constructors do with objects among their arguments, as Keras 3.15.1 writes it.
# Only for arguments given from R: configs read from files hold the results already.
kc_builtin_arguments <- list(
  # Keras' MultiOptimizer.__init__ gives its loss_scale_factor (None included) to every optimizer
  # of its map and to the default one, changing those objects in place.
  MultiOptimizer = function(args) {
    map <- args$optimizer_map
    if (is.list(map) && !is.object(map)) map <- args$optimizer_map <- kc_deserialize_within(map)
    if (!kc_is_instance(map)) return(args)
    config <- map$get_config()
    inner <- c(if (is.list(config$optimizer_map)) unname(config$optimizer_map), list(config$default_optimizer))
    done <- list()
    for (opt in inner) {
      if (kc_is_instance(opt) && inherits(opt, "keras_builtin") && !any(vapply(done, identical, NA, opt))) {
        set_config(opt, loss_scale_factor = args$loss_scale_factor)
        done <- c(done, list(opt))
      }
    }
    args
  },
  # Keras' RNN.__init__: a list of cells runs as one StackedRNNCells.
  RNN = function(args) {
    cell <- args$cell
    if (is.list(cell) && !is.object(cell) && is.null(names(cell)) && length(cell) &&
        all(vapply(cell, kc_is_instance, TRUE))) {
      args$cell <- kc_builtin_objects[["keras.layers.StackedRNNCells"]](cells = cell)
    }
    args
  }
)

kc_param_default_is_null <- function(info, name) {
  # Defaults arrive as JSON text.
  for (p in info$entry$params) if (identical(p$name, name)) return(isTRUE(p$has_default) && identical(p$default, "null"))
  FALSE
}

# The default config for the keys not given: nested object configs in it (a Dense layer's
# GlorotUniform) become fresh live objects, as Keras builds them.
kc_builtin_defaults <- function(info, given) {
  config <- info$defaults
  for (key in setdiff(names(config), given)) {
    value <- config[[key]]
    if (is.list(value) && !is.null(names(value)) && all(c("class_name", "config") %in% names(value))) {
      config[key] <- list(deserialize_keras_object(value))
    }
  }
  config
}
