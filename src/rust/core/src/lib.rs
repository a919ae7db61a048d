//! kerasconfig's logic, without R: the JSON codec (Python's `json.dumps` byte for byte), the catalog
//! of Keras built-ins and the rules of their `__init__`, the registry, scopes and resolution, the
//! shape engine, Functional graphs, `model_to_dot`, and the readers and writers of `.keras` archives,
//! HDF5 and npz weights. Each module has its own tests; none knows R. The package crate (`..`) is
//! the R glue: it converts R values and calls what is exported here.
//!
//! The modules are private and this file is the crate's whole public surface, so that the compiler
//! reports whatever nothing uses.

mod archive;
mod bycontent;
mod callsig;
mod catalog;
mod codec;
mod dot;
mod graph;
mod hdf5;
mod npz;
mod registry;
mod resolve;
mod scope;
mod shape;
mod suggest;
#[cfg(test)]
mod testing;

// The JSON codec: a parser feeding a `Sink`, a printer driven by a `Source`.
pub use bycontent::ByContent;
pub use codec::read::{parse as parse_json, Sink};
pub use codec::write::{is_integer_text, to_json, OutOfMemory, Printer, Source, TooDeep};
pub use codec::MAX_DEPTH;

// Built-ins: the catalog, the rules of their `__init__`, their `call()` signatures.
pub use callsig::signature as call_signature;
pub use catalog::checks::{first_failure, Val};
pub use catalog::derive::{derive, Change, Refusal};
pub use catalog::rules::{rules_for, Rules};
pub use catalog::{by_id, catalog, is_activation_name, Entry};

// Custom objects and resolution.
pub use registry::{Id, Registered, Registry};
pub use resolve::{resolve, resolve_suggesting, Kind, Request, Resolved, Sources};
pub use scope::{Objects, ScopeStack};

// Models: shapes and variables, Functional graphs, DOT.
pub use dot::{model_to_dot, Options as DotOptions, Reports};
pub use graph::{check_endpoint, resolve as resolve_graph, Ref};
pub use shape::{
    build_model, built_at_init, layer_updates, nested_layer, shape_text, updates, BuildConfig, Built, Init,
    LayerReport, ModelReport, Nested, Overrides, Shapes, Variable,
};

// Files: `.keras` (zip) archives, HDF5 and npz weights, read into one tree.
pub use archive::read::read_borrowed as read_archive;
pub use archive::write::{
    size as archive_size, size_of as archive_size_of, write_into as write_archive_into, write_to as write_archive_to,
    Content as ArchiveContent, StreamError as ArchiveStreamError,
};
pub use archive::{show as show_entry, Error as ArchiveError};
pub use hdf5::order::{permute, permute_cloned};
pub use hdf5::read::{read as read_hdf5, Limits as Hdf5Limits};
pub use hdf5::tree::{Array, Dataset, Dtype, Group, Node, Values};
pub use hdf5::write::{write_pieces as write_hdf5_pieces, write_with as write_hdf5_with, Piece as Hdf5Piece};
pub use hdf5::Kind as ErrorKind;
pub use npz::read as read_npz;
