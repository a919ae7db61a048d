//! Archive errors and how entry names appear in them, shared by the R glue and the fuzz target,
//! which includes the reader by path.

/// Why an archive was refused (or could not be written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entry name quoted for a message, with control characters and quotes escaped.
pub fn show(name: &str) -> String {
    const MAX: usize = 200;
    let mut shown: String = name.chars().take(MAX).flat_map(char::escape_debug).collect();
    if name.chars().count() > MAX {
        shown.push_str("...");
    }
    format!("'{shown}'")
}
