//! A small, bounded XML element tree for the configuration files.
//!
//! Happytime's `rtsp.cfg` and `onvif.cfg` are plain XML documents: elements,
//! text and the odd attribute (`<stream_uri append_params="0">`), no
//! namespaces, no DTDs. This module turns such a document into an owned
//! [`Element`] tree that remembers the line each element starts on, so the
//! schema code can say "rtsp.cfg:12" when it rejects a value.
//!
//! It is lenient where hand-edited files are sloppy and harmless:
//! - the XML declaration, comments, processing instructions and a DOCTYPE are
//!   skipped, and so is a UTF-8 byte order mark;
//! - a bare `&` that starts no entity (`<password>a&b</password>`) is kept
//!   literally, because passwords are written by people, not by XML tools;
//! - the predefined entities and character references are resolved.
//!
//! It is strict where the file is broken: mismatched or unclosed tags, a
//! second root element, text outside the root, an unknown entity.
//!
//! It is bounded, because a config file is input too: documents over
//! [`MAX_DOCUMENT_BYTES`], nested deeper than [`MAX_DEPTH`] or holding more
//! than [`MAX_ELEMENTS`] elements are refused. Parsing is iterative (an
//! explicit stack, never recursion), so no input can overflow the call stack;
//! the depth bound also keeps the recursive `Drop` of the finished tree
//! shallow.

use std::borrow::Cow;
use std::fmt;

use quick_xml::Reader;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesRef, BytesStart, Event};

/// Largest document accepted, in bytes. Real config files are a few KiB.
pub const MAX_DOCUMENT_BYTES: usize = 4 * 1024 * 1024;

/// Deepest element nesting accepted (the root is depth 1). Happytime's files
/// nest four levels deep at most.
pub const MAX_DEPTH: usize = 32;

/// Most elements accepted in one document. Bounds memory: a tiny `<a/>` still
/// costs an [`Element`] of a hundred bytes or so once parsed.
pub const MAX_ELEMENTS: usize = 100_000;

/// One XML element with its attributes, text and child elements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    /// The tag name as written, prefix included (`config`, `serverport`).
    pub name: String,
    /// Attributes in document order, values unescaped.
    pub attributes: Vec<Attribute>,
    /// All character data directly inside this element (not inside its
    /// children), entities resolved, CDATA included, untrimmed.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// 1-based line of the element's start tag.
    pub line: u32,
}

/// One attribute of an [`Element`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name as written.
    pub name: String,
    /// The attribute value with entities resolved.
    pub value: String,
}

impl Element {
    /// The element's text with surrounding whitespace trimmed: the value of a
    /// leaf element such as `<serverport> 554 </serverport>`.
    pub fn value(&self) -> &str {
        self.text.trim()
    }

    /// The first child element called `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All child elements called `name`, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The value of the attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.value.as_str())
    }
}

/// Why a document could not be read as XML.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// The document is larger than [`MAX_DOCUMENT_BYTES`].
    TooLarge {
        /// Size of the document in bytes.
        size: usize,
        /// The limit it exceeds.
        limit: usize,
    },
    /// The XML is malformed (bad tag, mismatched end tag, bad attribute...).
    Syntax {
        /// Line where the problem starts.
        line: u32,
        /// What the XML parser said.
        message: String,
    },
    /// Elements nest deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Line of the element that went one level too deep.
        line: u32,
        /// The depth limit.
        limit: usize,
    },
    /// The document holds more than [`MAX_ELEMENTS`] elements.
    TooManyElements {
        /// Line of the first element over the limit.
        line: u32,
        /// The element count limit.
        limit: usize,
    },
    /// The document ended inside an element.
    Unclosed {
        /// Line of the unclosed element's start tag.
        line: u32,
        /// Its name.
        name: String,
    },
    /// The document holds no element at all.
    NoRootElement,
    /// A second top-level element follows the root element.
    ExtraRootElement {
        /// Line of the extra element.
        line: u32,
        /// Its name.
        name: String,
    },
    /// Non-whitespace text before or after the root element.
    TextOutsideRoot {
        /// Line where the text starts.
        line: u32,
    },
    /// An entity reference other than the five predefined ones or a
    /// character reference (`&nbsp;` is HTML, not XML).
    UnknownEntity {
        /// Line where the reference appears.
        line: u32,
        /// The entity name between `&` and `;`.
        name: String,
    },
}

impl XmlError {
    /// The 1-based line the error refers to, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            XmlError::Syntax { line, .. }
            | XmlError::TooDeep { line, .. }
            | XmlError::TooManyElements { line, .. }
            | XmlError::Unclosed { line, .. }
            | XmlError::ExtraRootElement { line, .. }
            | XmlError::TextOutsideRoot { line }
            | XmlError::UnknownEntity { line, .. } => Some(*line),
            XmlError::TooLarge { .. } | XmlError::NoRootElement => None,
        }
    }
}

impl fmt::Display for XmlError {
    /// The message without the line; callers prefix `file:line: `.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooLarge { size, limit } => {
                write!(f, "file is {size} bytes, over the {limit}-byte limit")
            }
            XmlError::Syntax { message, .. } => write!(f, "malformed XML: {message}"),
            XmlError::TooDeep { limit, .. } => {
                write!(f, "elements nested deeper than {limit} levels")
            }
            XmlError::TooManyElements { limit, .. } => {
                write!(f, "more than {limit} elements")
            }
            XmlError::Unclosed { name, .. } => {
                write!(f, "malformed XML: <{name}> is never closed")
            }
            XmlError::NoRootElement => f.write_str("no XML element found"),
            XmlError::ExtraRootElement { name, .. } => {
                write!(f, "malformed XML: second top-level element <{name}>")
            }
            XmlError::TextOutsideRoot { .. } => {
                f.write_str("malformed XML: text outside the top-level element")
            }
            XmlError::UnknownEntity { name, .. } => {
                write!(f, "malformed XML: unknown entity &{name};")
            }
        }
    }
}

impl std::error::Error for XmlError {}

/// Parses a whole document into its root element.
///
/// The text is the file's content already decoded to UTF-8; a leading byte
/// order mark is skipped. See the module documentation for what is accepted.
pub fn parse_document(text: &str) -> Result<Element, XmlError> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(XmlError::TooLarge {
            size: text.len(),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    // Strip the BOM ourselves so byte offsets (and thus lines) refer to `text`.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.allow_dangling_amp = true;
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut lines = LineCounter::new(text);
    let mut tree = TreeBuilder::default();
    loop {
        // Just before an event is read, this is where that event starts.
        let start = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(err) => {
                return Err(XmlError::Syntax {
                    line: lines.line_at(reader.error_position()),
                    message: err.to_string(),
                });
            }
        };
        match event {
            Event::Start(tag) => {
                let line = lines.line_at(start);
                tree.open(start_element(&tag, line)?)?;
            }
            Event::Empty(tag) => {
                let line = lines.line_at(start);
                tree.open(start_element(&tag, line)?)?;
                tree.close();
            }
            // quick-xml has already checked that the name matches.
            Event::End(_) => tree.close(),
            Event::Text(text) => {
                let content = text.decode().map_err(|e| XmlError::Syntax {
                    line: lines.line_at(start),
                    message: e.to_string(),
                })?;
                // Point at the first visible character, not at the newline
                // that ends the previous line.
                let lead = content.len() - content.trim_start().len();
                let line = lines.line_at(start.saturating_add(lead as u64));
                tree.text(&content, line)?;
            }
            Event::CData(cdata) => {
                let line = lines.line_at(start);
                let content = cdata.decode().map_err(|e| XmlError::Syntax {
                    line,
                    message: e.to_string(),
                })?;
                tree.text(&content, line)?;
            }
            Event::GeneralRef(reference) => {
                let line = lines.line_at(start);
                tree.text(&resolve_reference(&reference, line)?, line)?;
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    tree.finish()
}

/// Builds an [`Element`] (without children yet) from a start tag.
fn start_element(tag: &BytesStart<'_>, line: u32) -> Result<Element, XmlError> {
    let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
    let syntax = |problem: String| XmlError::Syntax {
        line,
        message: format!("in the attributes of <{name}>: {problem}"),
    };
    let mut attributes = Vec::new();
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|e| syntax(attribute_problem(&e).to_owned()))?;
        let value = attribute
            .unescape_value()
            .map_err(|e| syntax(e.to_string()))?;
        attributes.push(Attribute {
            name: String::from_utf8_lossy(attribute.key.as_ref()).into_owned(),
            value: value.into_owned(),
        });
    }
    Ok(Element {
        name,
        attributes,
        text: String::new(),
        children: Vec::new(),
        line,
    })
}

/// quick-xml's attribute errors without their byte offset inside the tag,
/// which means nothing to someone reading the file by lines.
fn attribute_problem(error: &AttrError) -> &'static str {
    match error {
        AttrError::ExpectedEq(_) => "an attribute name must be followed by `=`",
        AttrError::ExpectedValue(_) => "`=` must be followed by a value",
        AttrError::UnquotedValue(_) => "an attribute value must be in quotes",
        AttrError::ExpectedQuote(..) => "an attribute value lacks its closing quote",
        AttrError::Duplicated(..) => "an attribute is given twice",
    }
}

/// Resolves `&name;` or `&#N;` to its text.
fn resolve_reference(reference: &BytesRef<'_>, line: u32) -> Result<Cow<'static, str>, XmlError> {
    let syntax = |message: String| XmlError::Syntax { line, message };
    if let Some(ch) = reference
        .resolve_char_ref()
        .map_err(|e| syntax(e.to_string()))?
    {
        return Ok(Cow::Owned(ch.to_string()));
    }
    let name = reference.decode().map_err(|e| syntax(e.to_string()))?;
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(text) => Ok(Cow::Borrowed(text)),
        None => Err(XmlError::UnknownEntity {
            line,
            name: name.into_owned(),
        }),
    }
}

/// Assembles the tree from start/end/text events with an explicit stack.
#[derive(Default)]
struct TreeBuilder {
    /// Open elements, outermost first.
    open: Vec<Element>,
    /// The root, once closed.
    root: Option<Element>,
    /// Elements seen so far, for [`MAX_ELEMENTS`].
    count: usize,
}

impl TreeBuilder {
    fn open(&mut self, element: Element) -> Result<(), XmlError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(XmlError::ExtraRootElement {
                line: element.line,
                name: element.name,
            });
        }
        if self.open.len() >= MAX_DEPTH {
            return Err(XmlError::TooDeep {
                line: element.line,
                limit: MAX_DEPTH,
            });
        }
        self.count += 1;
        if self.count > MAX_ELEMENTS {
            return Err(XmlError::TooManyElements {
                line: element.line,
                limit: MAX_ELEMENTS,
            });
        }
        self.open.push(element);
        Ok(())
    }

    fn close(&mut self) {
        // An unmatched end tag never gets here: quick-xml reports it first.
        if let Some(element) = self.open.pop() {
            match self.open.last_mut() {
                Some(parent) => parent.children.push(element),
                None => self.root = Some(element),
            }
        }
    }

    fn text(&mut self, text: &str, line: u32) -> Result<(), XmlError> {
        match self.open.last_mut() {
            Some(element) => element.text.push_str(text),
            None if text.trim().is_empty() => {}
            None => return Err(XmlError::TextOutsideRoot { line }),
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Element, XmlError> {
        // Name the innermost unclosed element: that is where a truncated or
        // half-edited file went wrong.
        if let Some(element) = self.open.pop() {
            return Err(XmlError::Unclosed {
                line: element.line,
                name: element.name,
            });
        }
        self.root.ok_or(XmlError::NoRootElement)
    }
}

/// Turns byte offsets into 1-based line numbers. Offsets mostly grow, so it
/// counts forward from the last answer: linear in the document overall.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u32,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: u64) -> u32 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let newlines = self.text[self.offset..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.line = self
            .line
            .saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.offset = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_text_attributes_and_lines() {
        let doc = "<?xml version=\"1.0\"?>\n<config>\n  <a>1</a>\n  <b x=\"&lt;y&gt;\">\n    <c/>\n  </b>\n</config>\n";
        let root = parse_document(doc).unwrap();
        assert_eq!(root.name, "config");
        assert_eq!(root.line, 2);
        assert_eq!(root.children.len(), 2);
        let a = root.child("a").unwrap();
        assert_eq!((a.value(), a.line), ("1", 3));
        let b = root.child("b").unwrap();
        assert_eq!(b.attribute("x"), Some("<y>"));
        assert_eq!(b.line, 4);
        assert_eq!(b.child("c").unwrap().line, 5);
        assert_eq!(b.value(), "");
    }

    #[test]
    fn bom_comments_entities_and_cdata() {
        let doc = "\u{feff}<!-- top -->\n<r><!-- inside --><p>a&amp;b&#65;&#x42; &c<![CDATA[<x>]]></p></r>";
        let root = parse_document(doc).unwrap();
        assert_eq!(root.child("p").unwrap().value(), "a&bAB &c<x>");
        assert_eq!(root.line, 2);
    }

    #[test]
    fn repeated_children_keep_order() {
        let root = parse_document("<r><u>1</u><v/><u>2</u></r>").unwrap();
        let values: Vec<_> = root.children_named("u").map(Element::value).collect();
        assert_eq!(values, ["1", "2"]);
    }

    #[test]
    fn mismatched_end_tag_names_the_line() {
        let err = parse_document("<r>\n<a>\n</b>\n</r>").unwrap_err();
        assert!(matches!(err, XmlError::Syntax { line: 3, .. }), "{err:?}");
    }

    #[test]
    fn unclosed_element_names_its_line() {
        let err = parse_document("<r>\n  <a>1</a>\n  <b>\n").unwrap_err();
        assert_eq!(
            err,
            XmlError::Unclosed {
                line: 3,
                name: "b".into()
            }
        );
    }

    #[test]
    fn broken_tag_names_the_line() {
        let err = parse_document("<r>\n<a>1</a>\n<b 1</b>\n</r>").unwrap_err();
        assert_eq!(err.line(), Some(3), "{err:?}");
    }

    #[test]
    fn unknown_entity_is_an_error() {
        let err = parse_document("<r>\n<a>&nbsp;</a></r>").unwrap_err();
        assert_eq!(
            err,
            XmlError::UnknownEntity {
                line: 2,
                name: "nbsp".into()
            }
        );
    }

    #[test]
    fn document_structure_errors() {
        assert_eq!(parse_document("  \n"), Err(XmlError::NoRootElement));
        assert_eq!(
            parse_document("<!-- only a comment -->"),
            Err(XmlError::NoRootElement)
        );
        assert_eq!(
            parse_document("<a/>\n<b/>"),
            Err(XmlError::ExtraRootElement {
                line: 2,
                name: "b".into()
            })
        );
        assert_eq!(
            parse_document("<a/>\n\n junk"),
            Err(XmlError::TextOutsideRoot { line: 3 })
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_recursion() {
        let depth = 10_000;
        let doc = format!("{}{}", "<a>\n".repeat(depth), "</a>".repeat(depth));
        let err = parse_document(&doc).unwrap_err();
        assert_eq!(
            err,
            XmlError::TooDeep {
                line: MAX_DEPTH as u32 + 1,
                limit: MAX_DEPTH
            }
        );
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse_document(&ok).is_ok());
    }

    #[test]
    fn huge_documents_are_refused() {
        let doc = format!("<a>{}</a>", " ".repeat(MAX_DOCUMENT_BYTES));
        assert!(matches!(
            parse_document(&doc),
            Err(XmlError::TooLarge { .. })
        ));
    }

    #[test]
    fn too_many_elements_are_refused() {
        let doc = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS));
        assert!(matches!(
            parse_document(&doc),
            Err(XmlError::TooManyElements { .. })
        ));
    }
}
