//! A small streaming XML writer for response bodies.
//!
//! Handlers write elements with the prefixes the response envelope declares
//! ([`super::ns::PREFIXES`]: `tds:`, `trt:`, `tt:`, `ter:`...), so they never
//! declare namespaces themselves. The writer escapes every text and
//! attribute value, replaces characters XML cannot carry (NUL and other
//! C0 controls, unpaired surrogates cannot occur in `str`, U+FFFE/U+FFFF)
//! with U+FFFD, and closes elements from a reused stack of open names, so
//! writing allocates nothing beyond the output once warmed up.
//!
//! ```
//! use onvif_rtsp_core::onvif::XmlWriter;
//!
//! let mut w = XmlWriter::new();
//! w.elem("tds:GetHostnameResponse", |w| {
//!     w.elem("tds:HostnameInformation", |w| {
//!         w.leaf("tt:FromDHCP", "false");
//!         w.leaf("tt:Name", "cam<1>");
//!     });
//! });
//! assert_eq!(
//!     w.finish(),
//!     "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>\
//!      <tt:Name>cam&lt;1&gt;</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
//! );
//! ```
//!
//! In debug builds, starting an element whose prefix the envelope does not
//! declare (and no `xmlns:` attribute written earlier declared) panics, so
//! a typo shows up in the first test instead of in an XSD validator.

use std::fmt::{self, Display, Write as _};

use super::ns;

/// The streaming writer. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct XmlWriter {
    buf: String,
    /// Names of the open elements, concatenated, innermost last.
    names: String,
    /// Where each open element's name starts in `names`.
    open: Vec<usize>,
    /// Whether the last start tag is still open (attributes may follow).
    in_start_tag: bool,
    /// Prefixes declared by `xmlns:` attributes written so far.
    extra_prefixes: Vec<String>,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> XmlWriter {
        XmlWriter::default()
    }

    /// An empty writer with room for `bytes` of output.
    pub fn with_capacity(bytes: usize) -> XmlWriter {
        XmlWriter {
            buf: String::with_capacity(bytes),
            ..XmlWriter::default()
        }
    }

    /// Opens `<name`; attributes may follow until content is written.
    pub fn start(&mut self, name: &str) -> &mut Self {
        self.check_prefix(name);
        self.close_start_tag();
        self.buf.push('<');
        self.buf.push_str(name);
        self.open.push(self.names.len());
        self.names.push_str(name);
        self.in_start_tag = true;
        self
    }

    /// Adds an attribute to the element just started. Ignored (and a panic
    /// in debug builds) once the element has content.
    pub fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        if !self.attr_allowed(name) {
            return self;
        }
        self.buf.push(' ');
        self.buf.push_str(name);
        self.buf.push_str("=\"");
        escape_into(&mut self.buf, value, true);
        self.buf.push('"');
        self
    }

    /// Adds an attribute whose value is formatted with `Display` (numbers,
    /// booleans), escaped like any other.
    pub fn attr_display(&mut self, name: &str, value: impl Display) -> &mut Self {
        if !self.attr_allowed(name) {
            return self;
        }
        self.buf.push(' ');
        self.buf.push_str(name);
        self.buf.push_str("=\"");
        let _ = write!(Escaper::new(&mut self.buf, true), "{value}");
        self.buf.push('"');
        self
    }

    /// Writes escaped character data.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.close_start_tag();
        escape_into(&mut self.buf, text, false);
        self
    }

    /// Writes a `Display` value as escaped character data.
    pub fn text_display(&mut self, value: impl Display) -> &mut Self {
        self.close_start_tag();
        let _ = write!(Escaper::new(&mut self.buf, false), "{value}");
        self
    }

    /// Closes the innermost open element (`/>` when it is empty). Does
    /// nothing when no element is open.
    pub fn end(&mut self) -> &mut Self {
        let Some(at) = self.open.pop() else {
            debug_assert!(false, "XmlWriter::end without an open element");
            return self;
        };
        if self.in_start_tag {
            self.buf.push_str("/>");
            self.in_start_tag = false;
        } else {
            self.buf.push_str("</");
            self.buf.push_str(self.names.get(at..).unwrap_or_default());
            self.buf.push('>');
        }
        self.names.truncate(at);
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name);
        self.close_start_tag();
        self.text(text);
        self.end_with_close_tag()
    }

    /// `<name>value</name>` with a `Display` value.
    pub fn leaf_display(&mut self, name: &str, value: impl Display) -> &mut Self {
        self.start(name);
        self.close_start_tag();
        self.text_display(value);
        self.end_with_close_tag()
    }

    /// `<name>` with an `xs:float`/`xs:double` value (`INF`, `NaN` spelled
    /// the XML Schema way).
    pub fn leaf_float(&mut self, name: &str, value: f64) -> &mut Self {
        self.leaf(name, &super::values::format_float(value))
    }

    /// `<name/>`.
    pub fn empty(&mut self, name: &str) -> &mut Self {
        self.start(name).end()
    }

    /// `<name>`, whatever `content` writes, `</name>`.
    pub fn elem(&mut self, name: &str, content: impl FnOnce(&mut XmlWriter)) -> &mut Self {
        let depth = self.open.len();
        self.start(name);
        content(self);
        // Close whatever the closure left open, then this element.
        while self.open.len() > depth {
            self.end();
        }
        self
    }

    /// Appends a trusted, already well-formed XML fragment verbatim.
    pub fn raw(&mut self, xml: &str) -> &mut Self {
        self.close_start_tag();
        self.buf.push_str(xml);
        self
    }

    /// Number of open elements.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// What has been written so far (a start tag may still be open).
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Closes every open element and returns the document fragment.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.end();
        }
        self.buf
    }

    fn end_with_close_tag(&mut self) -> &mut Self {
        self.close_start_tag();
        self.end()
    }

    fn close_start_tag(&mut self) {
        if self.in_start_tag {
            self.buf.push('>');
            self.in_start_tag = false;
        }
    }

    fn attr_allowed(&mut self, name: &str) -> bool {
        if !self.in_start_tag {
            debug_assert!(false, "attribute {name} written after element content");
            return false;
        }
        if let Some(prefix) = name.strip_prefix("xmlns:") {
            self.extra_prefixes.push(prefix.to_owned());
        } else {
            self.check_prefix(name);
        }
        true
    }

    fn check_prefix(&self, name: &str) {
        if cfg!(debug_assertions) {
            if let Some((prefix, _)) = name.split_once(':') {
                debug_assert!(
                    prefix == "xmlns"
                        || ns::is_declared_prefix(prefix)
                        || self.extra_prefixes.iter().any(|p| p == prefix),
                    "prefix {prefix:?} of <{name}> is not declared"
                );
            }
        }
    }
}

/// Whether `c` may appear in an XML 1.0 document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends `s` escaped for text (`attr` false) or a double-quoted attribute.
pub(crate) fn escape_into(out: &mut String, s: &str, attr: bool) {
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let replacement = match c {
            '&' => "&amp;",
            '<' => "&lt;",
            '>' => "&gt;",
            '"' if attr => "&quot;",
            '\t' if attr => "&#9;",
            '\n' if attr => "&#10;",
            '\r' => "&#13;",
            c if !is_xml_char(c) => "\u{FFFD}",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(replacement);
        last = i + c.len_utf8();
    }
    out.push_str(&s[last..]);
}

/// Escapes a string for XML text; a convenience for building fragments.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s, true);
    out
}

/// A `fmt::Write` that escapes as it appends.
struct Escaper<'a> {
    out: &'a mut String,
    attr: bool,
}

impl<'a> Escaper<'a> {
    fn new(out: &'a mut String, attr: bool) -> Self {
        Escaper { out, attr }
    }
}

impl fmt::Write for Escaper<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escape_into(self.out, s, self.attr);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_attributes_and_escaping() {
        let mut w = XmlWriter::new();
        w.start("tt:Profile")
            .attr("token", "a\"b<&>\n")
            .attr_display("fixed", true);
        w.leaf("tt:Name", "x & y\u{0}z\r");
        w.leaf_display("tt:Width", 1280);
        w.leaf_float("tt:Quality", f64::INFINITY);
        w.empty("tt:Empty");
        w.start("tt:WithAttr").attr("Name", "n").end();
        w.end();
        assert_eq!(
            w.finish(),
            "<tt:Profile token=\"a&quot;b&lt;&amp;&gt;&#10;\" fixed=\"true\">\
             <tt:Name>x &amp; y\u{FFFD}z&#13;</tt:Name><tt:Width>1280</tt:Width>\
             <tt:Quality>INF</tt:Quality><tt:Empty/><tt:WithAttr Name=\"n\"/></tt:Profile>"
        );
    }

    #[test]
    fn elem_closes_what_the_closure_left_open() {
        let mut w = XmlWriter::new();
        w.elem("tds:A", |w| {
            w.start("tt:B").text("\u{1F600}");
        });
        w.start("tt:C");
        assert_eq!(w.depth(), 1);
        assert_eq!(w.finish(), "<tds:A><tt:B>\u{1F600}</tt:B></tds:A><tt:C/>");
    }

    #[test]
    fn declared_extra_prefix_is_accepted() {
        let mut w = XmlWriter::new();
        w.start("tt:X").attr("xmlns:foo", "urn:foo");
        w.empty("foo:Bar");
        assert_eq!(w.finish(), "<tt:X xmlns:foo=\"urn:foo\"><foo:Bar/></tt:X>");
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "not declared")]
    fn undeclared_prefix_panics_in_debug() {
        XmlWriter::new().start("ns0:Oops");
    }
}
