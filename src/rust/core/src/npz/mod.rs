//! Keras' NumPy weights format (`model.weights.npz`, `saving_lib.NpzIOStore`): a zip of `.npy`
//! members, one per saveable object (`layers/dense.npy`, `optimizer.npy`, `__root__.npy`), each a
//! 0-d object array whose element is the pickled dict of that object's variables (`{"0": ...}`).
//! Read in plain Rust, bounded: `.npy` headers are parsed (`npy`), and the pickles by an
//! interpreter that knows only the few constructors those dicts are made of and runs nothing
//! (`pickle`). Every array holds exactly the bytes its header declares, so nothing allocates
//! more than the file holds (Keras' own guard only compares declared and compressed sizes).
//! The result is the tree the HDF5 reader gives for `model.weights.h5` (`<path>/vars/<i>`), so
//! that weights load the same way from both. The R seam is the package crate's `npz::rnpz`.

pub mod npy;
pub mod pickle;

#[cfg(test)]
mod tests;

use crate::archive::read::read as unzip;
use crate::hdf5::tree::{Dataset, Group, Node};
use crate::hdf5::{Error, Kind};

/// An `.npz` archive read into the weights tree: each member `<path>.npy` (a pickled dict of
/// variables) becomes the group `<path>/vars` with datasets `0`, `1`, ...; `__root__` is the
/// root's `vars`. `limit` bounds the bytes members inflate to.
pub fn read(bytes: &[u8], limit: u64) -> Result<Group, Error> {
    let listing =
        unzip(bytes, &[], limit).map_err(|e| Error::corrupt(format!("not a readable npz archive: {}", e.0)))?;
    let names: Vec<&str> = listing.names.iter().map(String::as_str).collect();
    let archive =
        unzip(bytes, &names, limit).map_err(|e| Error::corrupt(format!("not a readable npz archive: {}", e.0)))?;
    let mut root = Group::default();
    for (name, data) in &archive.members {
        let Some(key) = name.strip_suffix(".npy") else {
            return Err(Error::corrupt("a member that is not an .npy array").at(name));
        };
        let vars = variables(data).map_err(|e| e.at(name))?;
        let path = if key == "__root__" { "vars".to_owned() } else { format!("{key}/vars") };
        insert(&mut root, &path, vars).map_err(|e| e.at(name))?;
    }
    Ok(root)
}

/// The variables one member holds, as a group of datasets named by their keys.
fn variables(data: &[u8]) -> Result<Group, Error> {
    let npy = npy::parse(data)?;
    let npy::Content::Object(pickled) = npy.content else {
        return Err(Error::unsupported(
            "a plain array; Keras' npz weights hold each object's variables as a dict (a 0-d object array)",
        ));
    };
    if !npy.shape.is_empty() {
        return Err(Error::unsupported("an object array of more than one element"));
    }
    let dict = pickle::variables_dict(pickled)?;
    let mut group = Group::default();
    for (key, array) in dict {
        if group.member(&key).is_some() {
            return Err(Error::corrupt(format!("variable '{}' twice", crate::hdf5::error::shown(&key))));
        }
        group.members.push((key, Node::Dataset(Dataset { attrs: vec![], data: array })));
    }
    Ok(group)
}

/// Puts `group` at a `/`-separated path, making the groups on the way.
fn insert(root: &mut Group, path: &str, group: Group) -> Result<(), Error> {
    const MAX_DEPTH: usize = 64;
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > MAX_DEPTH || parts.iter().any(|p| p.is_empty()) {
        return Err(Error { kind: Kind::Corrupt, message: "a member name that is not a path of objects".into() });
    }
    let mut node = root;
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let pos = match node.members.iter().position(|(n, _)| n == part) {
            Some(_) if last => {
                return Err(Error::corrupt(format!("two members for '{}'", crate::hdf5::error::shown(path))))
            }
            Some(p) => p,
            None => {
                node.members.push((part.to_string(), Node::Group(Group::default())));
                node.members.len() - 1
            }
        };
        if last {
            node.members[pos].1 = Node::Group(group);
            return Ok(());
        }
        node = match &mut node.members[pos].1 {
            Node::Group(g) => g,
            Node::Dataset(_) => return Err(Error::corrupt("a member under a variable")),
        };
    }
    Ok(())
}
