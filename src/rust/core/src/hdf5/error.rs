//! HDF5 errors, shared by the R glue and the fuzz target, which includes the reader and writer by
//! path.

/// What kind of problem made a file unreadable; the R seam turns it into a condition subclass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Not HDF5, truncated, or a structure that contradicts itself (sizes beyond the file, cycles).
    Corrupt,
    /// Valid HDF5 that uses a feature this reader does not implement (named in the message).
    Unsupported,
    /// Within the format, but beyond a limit (objects, depth, bytes to allocate).
    Limit,
}

/// Why a file was refused (or could not be written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

impl Error {
    pub fn corrupt(message: impl Into<String>) -> Self {
        Error { kind: Kind::Corrupt, message: message.into() }
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Error { kind: Kind::Unsupported, message: message.into() }
    }
    pub fn limit(message: impl Into<String>) -> Self {
        Error { kind: Kind::Limit, message: message.into() }
    }
    /// The same error, with the object path where it happened in front.
    pub fn at(mut self, path: &str) -> Self {
        if !path.is_empty() && !self.message.starts_with("at '") {
            self.message = format!("at '{}': {}", shown(path), self.message);
        }
        self
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A path or name quoted for a message, control characters escaped, long ones cut.
pub fn shown(name: &str) -> String {
    const MAX: usize = 200;
    let mut s: String = name.chars().take(MAX).flat_map(char::escape_debug).collect();
    if name.chars().count() > MAX {
        s.push_str("...");
    }
    s
}
