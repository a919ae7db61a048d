#' kerasconfig: Keras 3 object serialization for R, without Python
#'
#' Turns R objects into Keras 3 configs and back, with the registry of custom
#' objects, custom-object scopes and safe mode that Keras uses, and the
#' signatures of the keras3 package's serialization functions.
#'
#' @keywords internal
"_PACKAGE"

# `self`, `super` and `cls` are bound in the environments methods run in (see class.R).
utils::globalVariables(c("self", "super", "cls"))
