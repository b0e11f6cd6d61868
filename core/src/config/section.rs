//! Walking an element tree against a schema, leniently.
//!
//! A [`Section`] wraps one element whose children are settings. The schema
//! code asks it for the children it knows (`leaf`, `value`, `section`,
//! `repeated`); [`Section::finish`] then warns about every child nobody asked
//! for, so unknown elements are reported by name and line without each
//! reader listing what it does not know. Single-valued settings given twice
//! are warned about too, and the first occurrence counts, as in Happytime.
//! Shared by every config file format.

use super::error::{ConfigError, ConfigWarning, WarningKind};
use super::xml::Element;

/// One file being read: its name (for messages) and the warnings so far.
pub(crate) struct FileContext<'f> {
    file: &'f str,
    warnings: Vec<ConfigWarning>,
}

impl<'f> FileContext<'f> {
    pub(crate) fn new(file: &'f str) -> Self {
        FileContext {
            file,
            warnings: Vec::new(),
        }
    }

    pub(crate) fn warn(&mut self, line: u32, path: &str, kind: WarningKind) {
        self.warnings.push(ConfigWarning {
            file: self.file.to_owned(),
            line,
            path: path.to_owned(),
            kind,
        });
    }

    /// The warnings in line order (unknown elements are found last, when a
    /// section finishes, but read best in file order).
    pub(crate) fn into_warnings(mut self) -> Vec<ConfigWarning> {
        self.warnings.sort_by_key(|w| w.line);
        self.warnings
    }
}

/// The path of `name` below `parent`; the root's path is empty.
fn child_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}/{name}")
    }
}

/// An element whose children are settings.
pub(crate) struct Section<'a> {
    element: &'a Element,
    path: String,
    /// Which children the schema has claimed, by index.
    claimed: Vec<bool>,
}

impl<'a> Section<'a> {
    /// The root element; its children's paths start below it.
    pub(crate) fn root(element: &'a Element) -> Self {
        Self::new(element, String::new())
    }

    fn new(element: &'a Element, path: String) -> Self {
        Section {
            element,
            path,
            claimed: vec![false; element.children.len()],
        }
    }

    /// Line of this section's start tag.
    pub(crate) fn line(&self) -> u32 {
        self.element.line
    }

    /// Claims the first child called one of `names` (a name and its
    /// aliases) and warns about, and skips, any later ones.
    fn claim_single(&mut self, cx: &mut FileContext<'_>, names: &[&str]) -> Option<&'a Element> {
        let mut first: Option<&'a Element> = None;
        for (index, child) in self.element.children.iter().enumerate() {
            if !names.contains(&child.name.as_str()) {
                continue;
            }
            self.claimed[index] = true;
            match first {
                None => first = Some(child),
                Some(used) => cx.warn(
                    child.line,
                    &child_path(&self.path, &child.name),
                    WarningKind::DuplicateElement {
                        first_line: used.line,
                    },
                ),
            }
        }
        first
    }

    /// The single-valued leaf setting called one of `names`, if present.
    /// Child elements inside a leaf are warned about as unknown.
    pub(crate) fn leaf(&mut self, cx: &mut FileContext<'_>, names: &[&str]) -> Option<Field<'a>> {
        let element = self.claim_single(cx, names)?;
        let field = Field {
            element,
            path: child_path(&self.path, &element.name),
        };
        for child in &element.children {
            cx.warn(
                child.line,
                &child_path(&field.path, &child.name),
                WarningKind::UnknownElement,
            );
        }
        Some(field)
    }

    /// The parsed value of the leaf called one of `names`: `None` when the
    /// leaf is missing or empty (use the default), an error when its value
    /// does not parse.
    pub(crate) fn value<T>(
        &mut self,
        cx: &mut FileContext<'_>,
        names: &[&str],
        parse: fn(&str) -> Result<T, &'static str>,
    ) -> Result<Option<T>, ConfigError> {
        match self.leaf(cx, names) {
            Some(field) => field.parse(cx, parse),
            None => Ok(None),
        }
    }

    /// The single sub-section called `name`, if present.
    pub(crate) fn section(&mut self, cx: &mut FileContext<'_>, name: &str) -> Option<Section<'a>> {
        let element = self.claim_single(cx, &[name])?;
        Some(Section::new(element, child_path(&self.path, name)))
    }

    /// Every child called `name` (a repeatable entry), in document order.
    pub(crate) fn repeated(&mut self, name: &str) -> Vec<Section<'a>> {
        let mut sections = Vec::new();
        for (index, child) in self.element.children.iter().enumerate() {
            if child.name == name {
                self.claimed[index] = true;
                sections.push(Section::new(child, child_path(&self.path, name)));
            }
        }
        sections
    }

    /// Warns about every child the schema did not claim.
    pub(crate) fn finish(self, cx: &mut FileContext<'_>) {
        for (child, claimed) in self.element.children.iter().zip(self.claimed) {
            if !claimed {
                cx.warn(
                    child.line,
                    &child_path(&self.path, &child.name),
                    WarningKind::UnknownElement,
                );
            }
        }
    }
}

/// A leaf setting: an element whose text is a value.
pub(crate) struct Field<'a> {
    element: &'a Element,
    path: String,
}

impl Field<'_> {
    /// The trimmed text.
    pub(crate) fn text(&self) -> &str {
        self.element.value()
    }

    /// Line of the element.
    pub(crate) fn line(&self) -> u32 {
        self.element.line
    }

    /// The text parsed by `parse`; `None` when empty.
    pub(crate) fn parse<T>(
        &self,
        cx: &FileContext<'_>,
        parse: fn(&str) -> Result<T, &'static str>,
    ) -> Result<Option<T>, ConfigError> {
        let text = self.text();
        if text.is_empty() {
            return Ok(None);
        }
        parse(text)
            .map(Some)
            .map_err(|expected| self.invalid(cx, expected))
    }

    /// An invalid-value error about this field.
    pub(crate) fn invalid(&self, cx: &FileContext<'_>, expected: impl Into<String>) -> ConfigError {
        ConfigError::invalid(cx.file, self.line(), &self.path, self.text(), expected)
    }

    /// Warns about this field.
    pub(crate) fn warn(&self, cx: &mut FileContext<'_>, kind: WarningKind) {
        cx.warn(self.line(), &self.path, kind);
    }
}
