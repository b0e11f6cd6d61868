//! SOAP 1.2 and SOAP 1.1 envelopes: reading requests, writing responses.
//!
//! Reading is namespace-aware: `<s:Envelope>`, `<soap-env:Envelope>`,
//! `<SOAP-ENV:Envelope>` or a default-namespace `<Envelope>` are all the
//! same thing; only the namespace URI decides the SOAP version. The result
//! is the version, the `Header` (as an element tree) and the first element
//! of the `Body`: the operation.
//!
//! Writing produces one envelope with every common prefix declared on it
//! ([`super::ns::PREFIXES`]), in the SOAP version of the request.

use super::fault::Fault;
use super::ns;
use super::writer::escape;
use super::xml::{self, Element, XmlError, XmlLimits};

/// The SOAP version of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SoapVersion {
    /// SOAP 1.1 (`http://schemas.xmlsoap.org/soap/envelope/`), `text/xml`.
    Soap11,
    /// SOAP 1.2 (`http://www.w3.org/2003/05/soap-envelope`),
    /// `application/soap+xml`: what ONVIF specifies.
    Soap12,
}

impl SoapVersion {
    /// The envelope namespace URI.
    pub fn namespace(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => ns::SOAP11_ENV,
            SoapVersion::Soap12 => ns::SOAP12_ENV,
        }
    }

    /// The version whose envelope namespace is `uri`.
    pub fn from_namespace(uri: &str) -> Option<SoapVersion> {
        match uri {
            ns::SOAP12_ENV => Some(SoapVersion::Soap12),
            ns::SOAP11_ENV => Some(SoapVersion::Soap11),
            _ => None,
        }
    }

    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            SoapVersion::Soap11 => "text/xml; charset=utf-8",
            SoapVersion::Soap12 => "application/soap+xml; charset=utf-8",
        }
    }

    /// A best guess of the version of a request that could not be parsed,
    /// so even the fault about it is in the client's version: SOAP 1.1 when
    /// the content type is `text/xml` or only the 1.1 namespace appears.
    pub fn sniff(body: &[u8], content_type: Option<&str>) -> SoapVersion {
        let contains = |needle: &str| body.windows(needle.len()).any(|w| w == needle.as_bytes());
        let text_xml = content_type.is_some_and(|c| {
            c.trim_start()
                .get(..8)
                .is_some_and(|p| p.eq_ignore_ascii_case("text/xml"))
        });
        if (text_xml || contains(ns::SOAP11_ENV)) && !contains(ns::SOAP12_ENV) {
            SoapVersion::Soap11
        } else {
            SoapVersion::Soap12
        }
    }
}

/// A parsed request envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The SOAP version, from the envelope namespace.
    pub version: SoapVersion,
    /// The `Header` element, when present.
    pub header: Option<Element>,
    /// The first element inside `Body`: the operation and its parameters.
    pub body: Element,
}

impl Envelope {
    /// The first header block `{ns}name`.
    pub fn header_block(&self, ns: &str, name: &str) -> Option<&Element> {
        self.header.as_ref()?.child(ns, name)
    }

    /// `wsa:MessageID`, echoed as `wsa:RelatesTo` in the response.
    pub fn message_id(&self) -> Option<&str> {
        self.header_block(ns::WSA, "MessageID").map(Element::text)
    }

    /// `wsa:Action`.
    pub fn action(&self) -> Option<&str> {
        self.header_block(ns::WSA, "Action").map(Element::text)
    }

    /// `wsa:To`: the address the client posted to, which for event
    /// subscriptions identifies the subscription.
    pub fn to(&self) -> Option<&str> {
        self.header_block(ns::WSA, "To").map(Element::text)
    }
}

/// Why a request is not a usable SOAP envelope.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SoapError {
    /// The XML itself was refused.
    Xml(XmlError),
    /// The root is an `Envelope` of an unknown namespace.
    VersionMismatch,
    /// The root is not an `Envelope` at all.
    NotAnEnvelope,
    /// The envelope has no `Body`.
    NoBody,
    /// The `Body` is empty.
    EmptyBody,
}

impl SoapError {
    /// The fault answering this error: `env:VersionMismatch`, or
    /// `env:Sender/ter:WellFormed` for XML problems, or
    /// `env:Sender/ter:InvalidArgs` for a missing operation.
    pub fn fault(&self) -> Fault {
        match self {
            SoapError::Xml(e) => Fault::well_formed(e.to_string()),
            SoapError::VersionMismatch => Fault::version_mismatch(),
            SoapError::NotAnEnvelope => {
                Fault::well_formed("the root element is not a SOAP Envelope")
            }
            SoapError::NoBody => Fault::invalid_args("the envelope has no Body"),
            SoapError::EmptyBody => Fault::invalid_args("the Body is empty"),
        }
    }
}

impl std::fmt::Display for SoapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SoapError::Xml(e) => e.fmt(f),
            SoapError::VersionMismatch => f.write_str("unknown SOAP envelope namespace"),
            SoapError::NotAnEnvelope => f.write_str("not a SOAP envelope"),
            SoapError::NoBody => f.write_str("no SOAP Body"),
            SoapError::EmptyBody => f.write_str("empty SOAP Body"),
        }
    }
}

impl std::error::Error for SoapError {}

/// Parses a request envelope within `limits`.
pub fn parse_envelope(document: &[u8], limits: &XmlLimits) -> Result<Envelope, SoapError> {
    let root = xml::parse(document, limits).map_err(SoapError::Xml)?;
    if root.name != "Envelope" {
        return Err(SoapError::NotAnEnvelope);
    }
    let version = SoapVersion::from_namespace(&root.ns).ok_or(SoapError::VersionMismatch)?;
    let env_ns = version.namespace();
    let mut header = None;
    let mut body = None;
    for child in root.children {
        if child.is(env_ns, "Header") && header.is_none() {
            header = Some(child);
        } else if child.is(env_ns, "Body") && body.is_none() {
            body = Some(child);
        }
    }
    let body = body.ok_or(SoapError::NoBody)?;
    let operation = body
        .children
        .into_iter()
        .next()
        .ok_or(SoapError::EmptyBody)?;
    Ok(Envelope {
        version,
        header,
        body: operation,
    })
}

/// A complete response envelope: XML declaration, `Envelope` with every
/// common prefix declared, the optional header content, and the body
/// content (both trusted fragments written with the declared prefixes).
pub fn envelope(version: SoapVersion, header: Option<&str>, body: &str) -> String {
    let mut out = String::with_capacity(2400 + header.map_or(0, str::len) + body.len());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:Envelope xmlns:s=\"");
    out.push_str(version.namespace());
    out.push('"');
    out.push_str(ns::DECLARATIONS);
    out.push('>');
    if let Some(header) = header {
        out.push_str("<s:Header>");
        out.push_str(header);
        out.push_str("</s:Header>");
    }
    out.push_str("<s:Body>");
    out.push_str(body);
    out.push_str("</s:Body></s:Envelope>");
    out
}

/// The WS-Addressing header content of a response: `wsa:Action` and
/// `wsa:RelatesTo` (the request's `wsa:MessageID`); `None` when both are
/// absent.
pub fn addressing_header(action: Option<&str>, relates_to: Option<&str>) -> Option<String> {
    if action.is_none() && relates_to.is_none() {
        return None;
    }
    let mut h = String::new();
    if let Some(action) = action {
        h.push_str("<wsa:Action>");
        h.push_str(&escape(action));
        h.push_str("</wsa:Action>");
    }
    if let Some(id) = relates_to {
        h.push_str("<wsa:RelatesTo>");
        h.push_str(&escape(id));
        h.push_str("</wsa:RelatesTo>");
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Envelope, SoapError> {
        parse_envelope(s.as_bytes(), &XmlLimits::default())
    }

    #[test]
    fn any_prefix_either_version() {
        for (doc, version) in [
            (
                r#"<soap-env:Envelope xmlns:soap-env="http://www.w3.org/2003/05/soap-envelope"><soap-env:Body><ns0:GetHostname xmlns:ns0="http://www.onvif.org/ver10/device/wsdl"/></soap-env:Body></soap-env:Envelope>"#,
                SoapVersion::Soap12,
            ),
            (
                r#"<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope"><Header/><Body><GetHostname xmlns="http://www.onvif.org/ver10/device/wsdl"/></Body></Envelope>"#,
                SoapVersion::Soap12,
            ),
            (
                r#"<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tds="http://www.onvif.org/ver10/device/wsdl"><SOAP-ENV:Body><tds:GetHostname/></SOAP-ENV:Body></SOAP-ENV:Envelope>"#,
                SoapVersion::Soap11,
            ),
        ] {
            let env = parse(doc).unwrap();
            assert_eq!(env.version, version);
            assert!(env.body.is(ns::TDS, "GetHostname"), "{doc}");
        }
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            parse(r#"<e:Envelope xmlns:e="urn:soap3"><e:Body><x/></e:Body></e:Envelope>"#),
            Err(SoapError::VersionMismatch)
        );
        assert_eq!(parse("<html/>"), Err(SoapError::NotAnEnvelope));
        assert_eq!(
            parse(r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"/>"#),
            Err(SoapError::NoBody)
        );
        assert_eq!(
            parse(
                r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body> </s:Body></s:Envelope>"#
            ),
            Err(SoapError::EmptyBody)
        );
        assert!(matches!(parse("<s:Envelope"), Err(SoapError::Xml(_))));
        assert_eq!(
            SoapError::VersionMismatch.fault().code,
            super::super::fault::FaultCode::VersionMismatch
        );
    }

    #[test]
    fn sniffing() {
        assert_eq!(SoapVersion::sniff(b"junk", None), SoapVersion::Soap12);
        assert_eq!(
            SoapVersion::sniff(b"junk", Some("text/xml; charset=utf-8")),
            SoapVersion::Soap11
        );
        assert_eq!(
            SoapVersion::sniff(ns::SOAP11_ENV.as_bytes(), Some("application/soap+xml")),
            SoapVersion::Soap11
        );
    }

    #[test]
    fn envelope_declares_everything() {
        let e = envelope(
            SoapVersion::Soap12,
            addressing_header(Some("urn:a&b"), None).as_deref(),
            "<tds:X/>",
        );
        assert!(e.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""));
        assert!(e.contains(" xmlns:ter=\"http://www.onvif.org/ver10/error\""));
        assert!(e.contains("<s:Header><wsa:Action>urn:a&amp;b</wsa:Action></s:Header><s:Body><tds:X/></s:Body></s:Envelope>"));
        // And it parses back.
        let back = parse_envelope(e.as_bytes(), &XmlLimits::default()).unwrap();
        assert!(back.body.is(ns::TDS, "X"));
        assert_eq!(back.action(), Some("urn:a&b"));
    }
}
