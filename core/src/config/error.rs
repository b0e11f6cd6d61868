//! What reading a config file can report: errors that stop start-up and
//! warnings that do not.
//!
//! Both name the file and the line, and an element by its path below the
//! root element (`serverport`, `output/video/codec`), so that a message is
//! enough to find and fix the problem.

use std::fmt;

use super::xml::XmlError;

/// Longest value quoted back in a message; longer values are cut with `...`.
const MAX_QUOTED_VALUE: usize = 64;

/// A config file that cannot be used: the server must not start with it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not well-formed XML, or exceeds the reader's bounds.
    Xml {
        /// The file name, as given by the caller.
        file: String,
        /// What is wrong with it.
        error: XmlError,
    },
    /// A known element holds a value it cannot have.
    InvalidValue {
        /// The file name, as given by the caller.
        file: String,
        /// 1-based line of the element.
        line: u32,
        /// Element path below the root, e.g. `output/audio/channels`.
        path: String,
        /// The offending value (trimmed, cut to a readable length).
        value: String,
        /// What was expected instead, e.g. `expected a port number 1-65535`.
        expected: String,
    },
}

impl ConfigError {
    /// Builds an [`ConfigError::InvalidValue`], cutting an overlong value.
    pub(crate) fn invalid(
        file: &str,
        line: u32,
        path: &str,
        value: &str,
        expected: impl Into<String>,
    ) -> Self {
        ConfigError::InvalidValue {
            file: file.to_owned(),
            line,
            path: path.to_owned(),
            value: quotable(value),
            expected: expected.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// `rtsp.cfg:3: <serverport> = "abc": expected a port number 1-65535`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Xml { file, error } => match error.line() {
                Some(line) => write!(f, "{file}:{line}: {error}"),
                None => write!(f, "{file}: {error}"),
            },
            ConfigError::InvalidValue {
                file,
                line,
                path,
                value,
                expected,
            } => write!(f, "{file}:{line}: <{path}> = {value:?}: {expected}"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Something in a config file that was skipped or adjusted; start-up goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file name, as given by the caller.
    pub file: String,
    /// 1-based line of the element concerned.
    pub line: u32,
    /// Element path below the root, e.g. `ipv6_enable` or `proxy/url`.
    pub path: String,
    /// What happened.
    pub kind: WarningKind,
}

/// The kinds of [`ConfigWarning`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WarningKind {
    /// An element this version does not know (newer Happytime builds add
    /// some, such as `ipv6_enable`); it was skipped.
    UnknownElement,
    /// A single-valued element given more than once; the first one counts
    /// (as in Happytime), this one was skipped.
    DuplicateElement {
        /// Line of the occurrence that was used.
        first_line: u32,
    },
    /// A whole entry (a `<user>`, `<proxy>`, `<pusher>`, `<output>`) was
    /// skipped; the text says why.
    EntrySkipped(String),
    /// A value was accepted but means something other than it may seem; the
    /// text says what was done.
    Note(String),
    /// The root element is not the expected one; its content was read anyway.
    UnexpectedRoot {
        /// The root element name the file format uses.
        expected: &'static str,
    },
}

impl fmt::Display for ConfigWarning {
    /// `rtsp.cfg:5: <ipv6_enable>: unknown element, skipped`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: <{}>: ", self.file, self.line, self.path)?;
        match &self.kind {
            WarningKind::UnknownElement => f.write_str("unknown element, skipped"),
            WarningKind::DuplicateElement { first_line } => write!(
                f,
                "given again; the first one (line {first_line}) is used, this one is skipped"
            ),
            WarningKind::EntrySkipped(why) => write!(f, "skipped: {why}"),
            WarningKind::Note(what) => f.write_str(what),
            WarningKind::UnexpectedRoot { expected } => {
                write!(
                    f,
                    "the top-level element should be <{expected}>; read anyway"
                )
            }
        }
    }
}

/// A value cut to [`MAX_QUOTED_VALUE`] characters for quoting in a message.
fn quotable(value: &str) -> String {
    match value.char_indices().nth(MAX_QUOTED_VALUE) {
        Some((cut, _)) => format!("{}...", &value[..cut]),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_value_message() {
        let err = ConfigError::invalid(
            "rtsp.cfg",
            3,
            "serverport",
            "abc",
            "expected a port number 1-65535",
        );
        assert_eq!(
            err.to_string(),
            "rtsp.cfg:3: <serverport> = \"abc\": expected a port number 1-65535"
        );
    }

    #[test]
    fn long_values_are_cut() {
        let err = ConfigError::invalid("f", 1, "p", &"é".repeat(500), "x");
        let ConfigError::InvalidValue { value, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(value.chars().count(), MAX_QUOTED_VALUE + 3);
    }

    #[test]
    fn xml_error_message_names_file_and_line() {
        let err = ConfigError::Xml {
            file: "rtsp.cfg".into(),
            error: XmlError::Unclosed {
                line: 12,
                name: "output".into(),
            },
        };
        assert_eq!(
            err.to_string(),
            "rtsp.cfg:12: malformed XML: <output> is never closed"
        );
    }

    #[test]
    fn warning_message() {
        let warning = ConfigWarning {
            file: "rtsp.cfg".into(),
            line: 5,
            path: "ipv6_enable".into(),
            kind: WarningKind::UnknownElement,
        };
        assert_eq!(
            warning.to_string(),
            "rtsp.cfg:5: <ipv6_enable>: unknown element, skipped"
        );
    }
}
