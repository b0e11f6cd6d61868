//! A namespace-aware, bounded XML reader producing a small owned element
//! tree: what the SOAP layer hands to service handlers.
//!
//! Each [`Element`] carries its namespace URI and local name (prefixes are
//! resolved and forgotten: clients use any prefix, or a default namespace,
//! or none), its attributes with their namespaces resolved, its text, its
//! children, and the namespace bindings in scope, so QName-valued text such
//! as a topic expression `tns1:VideoSource/MotionAlarm` or an `xsi:type` can
//! still be resolved ([`Element::resolve_qname`]).
//!
//! The input is a peer's, so it is bounded ([`XmlLimits`]: size, depth,
//! element count, attributes per element, namespace declarations, value
//! length), and hostile constructs are refused outright: any DOCTYPE (so no
//! entity expansion, billion laughs or external entities), and any entity
//! other than the five predefined ones and character references. Parsing is
//! iterative with an explicit stack; no input can panic it or overflow the
//! call stack, and the depth bound keeps the tree's recursive `Drop` shallow.

use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{QName, ResolveResult};
use quick_xml::reader::NsReader;

use super::fault::Fault;
use super::values;

/// Limits on an XML document from a peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XmlLimits {
    /// Largest document, in bytes.
    pub max_bytes: usize,
    /// Deepest nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most elements in the document.
    pub max_elements: usize,
    /// Most attributes (namespace declarations included) on one element.
    pub max_attributes: usize,
    /// Most namespace declarations in the whole document.
    pub max_namespace_decls: usize,
    /// Longest attribute value or element text, in bytes.
    pub max_value_len: usize,
}

impl Default for XmlLimits {
    /// Generous for SOAP requests (a few KiB, depth under 15), tight for
    /// abuse: 1 MiB, depth 40, 20 000 elements, 64 attributes per element,
    /// 512 namespace declarations, 256 KiB per value.
    fn default() -> Self {
        XmlLimits {
            max_bytes: 1024 * 1024,
            max_depth: 40,
            max_elements: 20_000,
            max_attributes: 64,
            max_namespace_decls: 512,
            max_value_len: 256 * 1024,
        }
    }
}

/// Why a document was refused. Positions are byte offsets in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum XmlError {
    /// Larger than [`XmlLimits::max_bytes`].
    TooLarge {
        /// Document size.
        size: usize,
    },
    /// Not UTF-8 (ONVIF messages are UTF-8).
    NotUtf8,
    /// Malformed XML.
    Syntax {
        /// Where.
        at: u64,
        /// What the parser said.
        message: String,
    },
    /// A document type declaration: refused, since it is the door to entity
    /// expansion attacks and SOAP forbids it.
    DocType {
        /// Where.
        at: u64,
    },
    /// An entity reference other than the predefined ones.
    UnknownEntity {
        /// Where.
        at: u64,
        /// The entity name.
        name: String,
    },
    /// A prefix with no namespace declaration in scope.
    UnboundPrefix {
        /// Where.
        at: u64,
        /// The prefix.
        prefix: String,
    },
    /// Nested deeper than [`XmlLimits::max_depth`].
    TooDeep {
        /// Where.
        at: u64,
    },
    /// More than [`XmlLimits::max_elements`] elements.
    TooManyElements {
        /// Where.
        at: u64,
    },
    /// More than [`XmlLimits::max_attributes`] attributes on one element.
    TooManyAttributes {
        /// Where.
        at: u64,
    },
    /// More than [`XmlLimits::max_namespace_decls`] namespace declarations.
    TooManyNamespaces {
        /// Where.
        at: u64,
    },
    /// A value longer than [`XmlLimits::max_value_len`].
    ValueTooLong {
        /// Where.
        at: u64,
    },
    /// No root element.
    NoRoot,
    /// Content after the root element, or text outside it.
    OutsideRoot {
        /// Where.
        at: u64,
    },
    /// The document ended inside an element.
    Unclosed,
}

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            XmlError::TooLarge { size } => write!(f, "document of {size} bytes is too large"),
            XmlError::NotUtf8 => f.write_str("document is not UTF-8"),
            XmlError::Syntax { at, message } => write!(f, "malformed XML at byte {at}: {message}"),
            XmlError::DocType { at } => write!(f, "DOCTYPE not allowed (byte {at})"),
            XmlError::UnknownEntity { at, name } => {
                write!(f, "unknown entity &{name}; at byte {at}")
            }
            XmlError::UnboundPrefix { at, prefix } => {
                write!(f, "undeclared namespace prefix {prefix:?} at byte {at}")
            }
            XmlError::TooDeep { at } => write!(f, "elements nested too deeply at byte {at}"),
            XmlError::TooManyElements { at } => write!(f, "too many elements at byte {at}"),
            XmlError::TooManyAttributes { at } => write!(f, "too many attributes at byte {at}"),
            XmlError::TooManyNamespaces { at } => {
                write!(f, "too many namespace declarations at byte {at}")
            }
            XmlError::ValueTooLong { at } => write!(f, "value too long at byte {at}"),
            XmlError::NoRoot => f.write_str("no root element"),
            XmlError::OutsideRoot { at } => {
                write!(f, "content outside the root element at byte {at}")
            }
            XmlError::Unclosed => f.write_str("document ends inside an element"),
        }
    }
}

impl std::error::Error for XmlError {}

/// Namespace bindings declared on one element, linked to its parent's.
#[derive(Debug, PartialEq, Eq)]
struct Scope {
    parent: Option<Arc<Scope>>,
    /// `(prefix, uri)`; the default namespace has prefix `""`.
    bindings: Vec<(String, String)>,
}

/// An attribute with its namespace resolved. Namespace declarations
/// (`xmlns`, `xmlns:p`) are not attributes here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// Namespace URI; empty for an unprefixed attribute (which, per XML
    /// Namespaces, is in no namespace).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Value, entities resolved.
    pub value: String,
}

/// An element of a parsed document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Namespace URI; empty when the element is in no namespace.
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Attributes in document order.
    pub attributes: Vec<Attribute>,
    /// The character data directly inside the element (CDATA included),
    /// untrimmed; see [`Element::text`].
    pub raw_text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
    scope: Option<Arc<Scope>>,
}

impl Element {
    /// A new element with no attributes, text, children or bindings; for
    /// tests and for building trees by hand.
    pub fn new(ns: &str, name: &str) -> Element {
        Element {
            ns: ns.to_owned(),
            name: name.to_owned(),
            attributes: Vec::new(),
            raw_text: String::new(),
            children: Vec::new(),
            scope: None,
        }
    }

    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.name == name && self.ns == ns
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child `{ns}name`, in order.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The first child with this local name, whatever its namespace: for
    /// clients that get namespaces wrong (the npm `onvif` package puts
    /// request parameters in the wrong or no namespace).
    pub fn child_by_local_name(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with this local name, whatever its namespace.
    pub fn children_by_local_name<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The child `{ns}name`, or else the first child with that local name
    /// in any namespace: the lookup handlers should use for parameters.
    pub fn param(&self, ns: &str, name: &str) -> Option<&Element> {
        self.child(ns, name)
            .or_else(|| self.child_by_local_name(name))
    }

    /// Like [`Element::param`], but a missing parameter is the
    /// `env:Sender/ter:InvalidArgs` fault that ONVIF prescribes.
    pub fn required(&self, ns: &str, name: &str) -> Result<&Element, Fault> {
        self.param(ns, name)
            .ok_or_else(|| Fault::invalid_args(format!("missing <{name}> in <{}>", self.name)))
    }

    /// The text, trimmed of XML whitespace.
    pub fn text(&self) -> &str {
        self.raw_text.trim_matches([' ', '\t', '\r', '\n'])
    }

    /// The trimmed text of the parameter `name` (see [`Element::param`]).
    pub fn param_text(&self, ns: &str, name: &str) -> Option<&str> {
        self.param(ns, name).map(Element::text)
    }

    /// The value of the unqualified attribute `name` (the usual case:
    /// `token="..."`, `Type="..."`), or else of any attribute with that
    /// local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name && a.ns.is_empty())
            .or_else(|| self.attributes.iter().find(|a| a.name == name))
            .map(|a| a.value.as_str())
    }

    /// The value of the attribute `{ns}name`.
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.name == name && a.ns == ns)
            .map(|a| a.value.as_str())
    }

    /// The namespace URI bound to `prefix` (`""` for the default namespace)
    /// where this element stands.
    pub fn lookup_prefix(&self, prefix: &str) -> Option<&str> {
        if prefix == "xml" {
            return Some("http://www.w3.org/XML/1998/namespace");
        }
        let mut scope = self.scope.as_deref();
        while let Some(s) = scope {
            if let Some((_, uri)) = s.bindings.iter().rev().find(|(p, _)| p == prefix) {
                // `xmlns:p=""` undeclares (XML Namespaces 1.1).
                return (!uri.is_empty()).then_some(uri.as_str());
            }
            scope = s.parent.as_deref();
        }
        None
    }

    /// Resolves a QName written in this element's text or attributes
    /// (`tns1:VideoSource`, `xs:string`) to `(namespace URI, local name)`.
    /// An unprefixed name takes the default namespace (or none).
    pub fn resolve_qname<'a>(&'a self, qname: &'a str) -> Option<(&'a str, &'a str)> {
        let qname = qname.trim();
        match qname.split_once(':') {
            Some((prefix, local)) => Some((self.lookup_prefix(prefix)?, local)),
            None => Some((self.lookup_prefix("").unwrap_or(""), qname)),
        }
    }

    /// The text parsed with `FromStr` (integers, enumerations...); a bad
    /// value is the `env:Sender/ter:InvalidArgVal` fault.
    pub fn parse<T: FromStr>(&self) -> Result<T, Fault> {
        self.text().parse().map_err(|_| self.bad_value())
    }

    /// The text as an `xs:boolean`.
    pub fn parse_bool(&self) -> Result<bool, Fault> {
        values::parse_bool(self.text()).ok_or_else(|| self.bad_value())
    }

    /// The text as an `xs:float`/`xs:double`.
    pub fn parse_float(&self) -> Result<f64, Fault> {
        values::parse_float(self.text()).ok_or_else(|| self.bad_value())
    }

    /// The text as a non-negative `xs:duration`.
    pub fn parse_duration(&self) -> Result<Duration, Fault> {
        values::parse_duration(self.text()).ok_or_else(|| self.bad_value())
    }

    /// The text as an `xs:dateTime`.
    pub fn parse_datetime(&self) -> Result<values::DateTime, Fault> {
        values::parse_datetime(self.text()).ok_or_else(|| self.bad_value())
    }

    fn bad_value(&self) -> Fault {
        Fault::invalid_arg_val(format!("invalid value of <{}>", self.name))
    }
}

/// Parses a whole document into its root element.
pub fn parse(document: &[u8], limits: &XmlLimits) -> Result<Element, XmlError> {
    if document.len() > limits.max_bytes {
        return Err(XmlError::TooLarge {
            size: document.len(),
        });
    }
    let text = std::str::from_utf8(document).map_err(|_| XmlError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    config.allow_dangling_amp = false;

    let mut builder = Builder {
        limits,
        open: Vec::new(),
        root: None,
        elements: 0,
        namespace_decls: 0,
    };
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| XmlError::Syntax {
            at: reader.error_position(),
            message: e.to_string(),
        })?;
        match event {
            Event::Start(tag) => {
                let element = builder.start(&reader, &tag, at)?;
                builder.open.push(element);
            }
            Event::Empty(tag) => {
                let element = builder.start(&reader, &tag, at)?;
                builder.open.push(element);
                builder.close();
            }
            Event::End(_) => builder.close(),
            Event::Text(t) => {
                let content = t.xml10_content().map_err(|e| XmlError::Syntax {
                    at,
                    message: e.to_string(),
                })?;
                builder.text(&content, at)?;
            }
            Event::CData(c) => {
                let content = c.decode().map_err(|e| XmlError::Syntax {
                    at,
                    message: e.to_string(),
                })?;
                builder.text(&content, at)?;
            }
            Event::GeneralRef(r) => {
                let resolved = resolve_reference(&r, at)?;
                builder.text(&resolved, at)?;
            }
            Event::DocType(_) => return Err(XmlError::DocType { at }),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !builder.open.is_empty() {
        return Err(XmlError::Unclosed);
    }
    builder.root.ok_or(XmlError::NoRoot)
}

fn resolve_reference(r: &BytesRef<'_>, at: u64) -> Result<Cow<'static, str>, XmlError> {
    let syntax = |message: String| XmlError::Syntax { at, message };
    if let Some(ch) = r.resolve_char_ref().map_err(|e| syntax(e.to_string()))? {
        return Ok(Cow::Owned(ch.to_string()));
    }
    let name = r.decode().map_err(|e| syntax(e.to_string()))?;
    quick_xml::escape::resolve_predefined_entity(&name)
        .map(Cow::Borrowed)
        .ok_or_else(|| XmlError::UnknownEntity {
            at,
            name: name.into_owned(),
        })
}

struct Builder<'l> {
    limits: &'l XmlLimits,
    open: Vec<Element>,
    root: Option<Element>,
    elements: usize,
    namespace_decls: usize,
}

impl Builder<'_> {
    /// Builds an element (no children yet) from a start tag, resolving names
    /// with the reader's bindings, which already include this tag's own.
    fn start(
        &mut self,
        reader: &NsReader<&[u8]>,
        tag: &BytesStart<'_>,
        at: u64,
    ) -> Result<Element, XmlError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(XmlError::OutsideRoot { at });
        }
        if self.open.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep { at });
        }
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements { at });
        }
        let syntax = |message: String| XmlError::Syntax { at, message };
        let mut bindings = Vec::new();
        let mut raw_attributes: Vec<(&[u8], String)> = Vec::new();
        for (count, attribute) in tag.attributes().enumerate() {
            if count >= self.limits.max_attributes {
                return Err(XmlError::TooManyAttributes { at });
            }
            let attribute = attribute.map_err(|e| syntax(e.to_string()))?;
            let value = attribute.unescape_value().map_err(|e| match e {
                quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                    _,
                    name,
                )) => XmlError::UnknownEntity { at, name },
                e => syntax(e.to_string()),
            })?;
            if value.len() > self.limits.max_value_len {
                return Err(XmlError::ValueTooLong { at });
            }
            match attribute.key.as_namespace_binding() {
                Some(decl) => {
                    self.namespace_decls += 1;
                    if self.namespace_decls > self.limits.max_namespace_decls {
                        return Err(XmlError::TooManyNamespaces { at });
                    }
                    let prefix = match decl {
                        quick_xml::name::PrefixDeclaration::Default => String::new(),
                        quick_xml::name::PrefixDeclaration::Named(p) => {
                            String::from_utf8_lossy(p).into_owned()
                        }
                    };
                    bindings.push((prefix, value.into_owned()));
                }
                None => raw_attributes.push((attribute.key.into_inner(), value.into_owned())),
            }
        }
        let resolver = reader.resolver();
        let (ns, local) = resolver.resolve_element(tag.name());
        let ns = namespace_of(ns, tag.name(), at)?;
        let mut attributes: Vec<Attribute> = Vec::with_capacity(raw_attributes.len());
        for (key, value) in raw_attributes {
            let (ans, alocal) = resolver.resolve_attribute(QName(key));
            let attribute = Attribute {
                ns: namespace_of(ans, QName(key), at)?,
                name: String::from_utf8_lossy(alocal.as_ref()).into_owned(),
                value,
            };
            // Two prefixes bound to one URI can name one attribute twice.
            if attributes
                .iter()
                .any(|a| a.ns == attribute.ns && a.name == attribute.name)
            {
                return Err(syntax(format!("duplicate attribute {}", attribute.name)));
            }
            attributes.push(attribute);
        }
        let parent_scope = self.open.last().and_then(|p| p.scope.clone());
        let scope = if bindings.is_empty() {
            parent_scope
        } else {
            Some(Arc::new(Scope {
                parent: parent_scope,
                bindings,
            }))
        };
        Ok(Element {
            ns,
            name: String::from_utf8_lossy(local.as_ref()).into_owned(),
            attributes,
            raw_text: String::new(),
            children: Vec::new(),
            scope,
        })
    }

    fn close(&mut self) {
        if let Some(element) = self.open.pop() {
            match self.open.last_mut() {
                Some(parent) => parent.children.push(element),
                None => self.root = Some(element),
            }
        }
    }

    fn text(&mut self, text: &str, at: u64) -> Result<(), XmlError> {
        match self.open.last_mut() {
            Some(element) => {
                if element.raw_text.len() + text.len() > self.limits.max_value_len {
                    return Err(XmlError::ValueTooLong { at });
                }
                element.raw_text.push_str(text);
                Ok(())
            }
            None if text.trim().is_empty() => Ok(()),
            None => Err(XmlError::OutsideRoot { at }),
        }
    }
}

fn namespace_of(result: ResolveResult<'_>, name: QName<'_>, at: u64) -> Result<String, XmlError> {
    match result {
        ResolveResult::Bound(ns) => Ok(String::from_utf8_lossy(ns.0).into_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(_) => Err(XmlError::UnboundPrefix {
            at,
            prefix: name
                .prefix()
                .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                .unwrap_or_default(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Result<Element, XmlError> {
        parse(s.as_bytes(), &XmlLimits::default())
    }

    #[test]
    fn namespaces_any_prefix_and_default() {
        let root = doc(r#"<?xml version="1.0"?>
            <a:Root xmlns:a="urn:a" xmlns="urn:d" a:x="1" y="2">
              <Child>t&amp;&#65;<![CDATA[<c>]]></Child>
              <b:Other xmlns:b="urn:b" xmlns="">
                <Plain/>
                <Q>b:Thing</Q>
              </b:Other>
            </a:Root>"#)
        .unwrap();
        assert!(root.is("urn:a", "Root"));
        assert_eq!(root.attr_ns("urn:a", "x"), Some("1"));
        assert_eq!(root.attr("y"), Some("2"));
        assert_eq!(root.attr("x"), Some("1"));
        let child = root.child("urn:d", "Child").unwrap();
        assert_eq!(child.text(), "t&A<c>");
        let other = root.child("urn:b", "Other").unwrap();
        assert!(other.child("", "Plain").is_some());
        let q = other.child("", "Q").unwrap();
        assert_eq!(q.resolve_qname(q.text()), Some(("urn:b", "Thing")));
        assert_eq!(q.resolve_qname("Thing"), Some(("", "Thing")));
        assert_eq!(child.resolve_qname("Thing"), Some(("urn:d", "Thing")));
        assert_eq!(q.resolve_qname("zz:Thing"), None);
        assert_eq!(root.param_text("urn:wrong", "Child"), Some("t&A<c>"));
        assert!(root.required("urn:d", "Missing").is_err());
    }

    #[test]
    fn hostile_documents_are_refused() {
        let laughs = r#"<?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
            <lolz>&lol2;</lolz>"#;
        assert!(matches!(doc(laughs), Err(XmlError::DocType { .. })));
        assert!(matches!(
            doc("<a>&ext;</a>"),
            Err(XmlError::UnknownEntity { .. })
        ));
        assert!(matches!(
            doc("<a b=\"&ext;\"/>"),
            Err(XmlError::UnknownEntity { .. })
        ));
        let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
        assert!(matches!(
            doc(&deep),
            Err(XmlError::TooLarge { .. }) | Err(XmlError::TooDeep { .. })
        ));
        let deep = format!("{}{}", "<a>".repeat(41), "</a>".repeat(41));
        assert!(matches!(doc(&deep), Err(XmlError::TooDeep { .. })));
        let attrs: String = (0..1000).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(matches!(
            doc(&format!("<a{attrs}/>")),
            Err(XmlError::TooManyAttributes { .. })
        ));
        let decls: String = (0..40).map(|i| format!(" xmlns:p{i}=\"u\"")).collect();
        let many_scopes = format!("<r>{}</r>", format!("<a{decls}/>").repeat(20));
        assert!(matches!(
            doc(&many_scopes),
            Err(XmlError::TooManyNamespaces { .. })
        ));
        let huge = format!("<a b=\"{}\"/>", "x".repeat(300_000));
        assert!(matches!(doc(&huge), Err(XmlError::ValueTooLong { .. })));
        let huge = format!("<a>{}</a>", "x".repeat(2 * 1024 * 1024));
        assert!(matches!(doc(&huge), Err(XmlError::TooLarge { .. })));
        let many = format!("<r>{}</r>", "<a/>".repeat(30_000));
        assert!(matches!(doc(&many), Err(XmlError::TooManyElements { .. })));
        assert!(matches!(doc("<p:a/>"), Err(XmlError::UnboundPrefix { .. })));
        assert!(matches!(
            doc("<a p:b=\"1\"/>"),
            Err(XmlError::UnboundPrefix { .. })
        ));
        assert!(matches!(
            doc("<a xmlns:x=\"u\" xmlns:y=\"u\" x:b=\"1\" y:b=\"2\"/>"),
            Err(XmlError::Syntax { .. })
        ));
        assert!(matches!(
            doc("<a b=\"1\" b=\"2\"/>"),
            Err(XmlError::Syntax { .. })
        ));
        assert!(matches!(doc("<a></b>"), Err(XmlError::Syntax { .. })));
        assert!(matches!(
            doc("<a>"),
            Err(XmlError::Unclosed) | Err(XmlError::Syntax { .. })
        ));
        assert!(matches!(doc("<a/><b/>"), Err(XmlError::OutsideRoot { .. })));
        assert!(matches!(doc("x<a/>"), Err(XmlError::OutsideRoot { .. })));
        assert!(matches!(doc(""), Err(XmlError::NoRoot)));
        assert!(matches!(
            parse(b"<a>\xff</a>", &XmlLimits::default()),
            Err(XmlError::NotUtf8)
        ));
    }

    #[test]
    fn typed_values_fault_on_bad_input() {
        let root =
            doc("<r><n> 42 </n><b>true</b><d>PT1M</d><t>2024-01-01T00:00:00Z</t><f>0.5</f></r>")
                .unwrap();
        let get = |n| root.child("", n).unwrap();
        assert_eq!(get("n").parse::<u32>().unwrap(), 42);
        assert!(get("b").parse_bool().unwrap());
        assert_eq!(get("d").parse_duration().unwrap(), Duration::from_secs(60));
        assert_eq!(get("t").parse_datetime().unwrap().unix_secs, 1_704_067_200);
        assert_eq!(get("f").parse_float().unwrap(), 0.5);
        let fault = get("b").parse::<u32>().unwrap_err();
        assert_eq!(fault.subcodes, &["ter:InvalidArgVal"]);
    }

    #[test]
    fn never_panics_on_mutated_documents() {
        let seed = r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><a:X xmlns:a="u" a:b="1">t&amp;<![CDATA[c]]><!--c--></a:X></s:Body></s:Envelope>"#;
        let mut rng = crate::rng::Rng::new(11);
        for _ in 0..3000 {
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(bytes.len() as u64) as usize;
                match rng.below(3) {
                    0 => {
                        let alphabet = b"<>&;:\"'=/!?x \xc3";
                        bytes[i] = alphabet[rng.below(alphabet.len() as u64) as usize];
                    }
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes.insert(i, b"<>&;:\"x"[rng.below(7) as usize]),
                }
            }
            let _ = parse(&bytes, &XmlLimits::default());
        }
    }
}
