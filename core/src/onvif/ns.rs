//! XML namespaces of ONVIF and the WS-* standards it builds on, and the
//! prefixes every response envelope declares.
//!
//! Requests are matched by namespace URI, never by prefix (clients use any
//! prefix they like, or none). Responses use the fixed prefixes below, all
//! declared once on the `Envelope` element, so a handler can write
//! `tt:Hour` or `ter:NoProfile` anywhere without declaring anything.

macro_rules! namespaces {
    ($( $(#[$doc:meta])* $name:ident = $prefix:literal => $uri:literal; )*) => {
        $( $(#[$doc])* #[doc = concat!("\n\nDeclared as `", $prefix, ":` in responses.")] pub const $name: &str = $uri; )*

        /// Every `(prefix, namespace URI)` pair declared on a response
        /// envelope (besides the SOAP envelope's own prefix `s`).
        pub const PREFIXES: &[(&str, &str)] = &[ $( ($prefix, $uri), )* ];

        /// The `xmlns:` attributes for [`PREFIXES`], each with a leading space.
        pub(crate) const DECLARATIONS: &str =
            concat!( $( " xmlns:", $prefix, "=\"", $uri, "\"", )* );
    };
}

namespaces! {
    /// XML Schema (`xs:` types in `xsi:type` values).
    XS = "xs" => "http://www.w3.org/2001/XMLSchema";
    /// XML Schema instance (`xsi:type`, `xsi:nil`).
    XSI = "xsi" => "http://www.w3.org/2001/XMLSchema-instance";
    /// XML-binary Optimized Packaging media types.
    XMIME = "xmime" => "http://www.w3.org/2005/05/xmlmime";
    /// XOP include (MTOM).
    XOP = "xop" => "http://www.w3.org/2004/08/xop/include";
    /// WS-Addressing 1.0 (`wsa:Action`, `wsa:To`, `wsa:MessageID`, EPRs).
    WSA = "wsa" => "http://www.w3.org/2005/08/addressing";
    /// WS-Security secext (`wsse:Security`, `wsse:UsernameToken`).
    WSSE = "wsse" => "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    /// WS-Security utility (`wsu:Created`).
    WSU = "wsu" => "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    /// WS-BaseNotification (`wsnt:Subscribe`, `wsnt:NotificationMessage`).
    WSNT = "wsnt" => "http://docs.oasis-open.org/wsn/b-2";
    /// WS-Topics (`wstop:TopicSet`).
    WSTOP = "wstop" => "http://docs.oasis-open.org/wsn/t-1";
    /// WS-BaseFaults.
    WSRF_BF = "wsrf-bf" => "http://docs.oasis-open.org/wsrf/bf-2";
    /// WS-Resource (`wsrf-r:ResourceUnknownFault`).
    WSRF_R = "wsrf-r" => "http://docs.oasis-open.org/wsrf/r-2";
    /// WS-Discovery (April 2005), as ONVIF uses it.
    WSD = "d" => "http://schemas.xmlsoap.org/ws/2005/04/discovery";
    /// ONVIF network device types (`dn:NetworkVideoTransmitter`).
    DN = "dn" => "http://www.onvif.org/ver10/network/wsdl";
    /// ONVIF common schema (`tt:`).
    TT = "tt" => "http://www.onvif.org/ver10/schema";
    /// ONVIF fault subcodes (`ter:InvalidArgVal`).
    TER = "ter" => "http://www.onvif.org/ver10/error";
    /// ONVIF topic namespace (`tns1:VideoSource/MotionAlarm`).
    TNS1 = "tns1" => "http://www.onvif.org/ver10/topics";
    /// Device management service.
    TDS = "tds" => "http://www.onvif.org/ver10/device/wsdl";
    /// Media service (ver10).
    TRT = "trt" => "http://www.onvif.org/ver10/media/wsdl";
    /// Media2 service (ver20).
    TR2 = "tr2" => "http://www.onvif.org/ver20/media/wsdl";
    /// Event service.
    TEV = "tev" => "http://www.onvif.org/ver10/events/wsdl";
    /// PTZ service.
    TPTZ = "tptz" => "http://www.onvif.org/ver20/ptz/wsdl";
    /// Imaging service.
    TIMG = "timg" => "http://www.onvif.org/ver20/imaging/wsdl";
    /// Analytics service.
    TAN = "tan" => "http://www.onvif.org/ver20/analytics/wsdl";
    /// Recording control service.
    TRC = "trc" => "http://www.onvif.org/ver10/recording/wsdl";
    /// Recording search service.
    TSE = "tse" => "http://www.onvif.org/ver10/search/wsdl";
    /// Replay control service.
    TRP = "trp" => "http://www.onvif.org/ver10/replay/wsdl";
    /// Device IO service.
    TMD = "tmd" => "http://www.onvif.org/ver10/deviceIO/wsdl";
    /// Access control service.
    TAC = "tac" => "http://www.onvif.org/ver10/accesscontrol/wsdl";
    /// Door control service.
    TDC = "tdc" => "http://www.onvif.org/ver10/doorcontrol/wsdl";
    /// Credential service.
    TCR = "tcr" => "http://www.onvif.org/ver10/credential/wsdl";
    /// Access rules service.
    TAR = "tar" => "http://www.onvif.org/ver10/accessrules/wsdl";
    /// Schedule service.
    TSC = "tsc" => "http://www.onvif.org/ver10/schedule/wsdl";
    /// Thermal service.
    TTH = "tth" => "http://www.onvif.org/ver10/thermal/wsdl";
    /// Receiver service.
    TRV = "trv" => "http://www.onvif.org/ver10/receiver/wsdl";
    /// Provisioning service.
    TPV = "tpv" => "http://www.onvif.org/ver10/provisioning/wsdl";
    /// Advanced security service.
    TAS = "tas" => "http://www.onvif.org/ver10/advancedsecurity/wsdl";
    /// Physical access control common types.
    PT = "pt" => "http://www.onvif.org/ver10/pacs";
    /// Analytics schema types (`axt:` in rule and module descriptions).
    AXT = "axt" => "http://www.onvif.org/ver20/analytics";
}

/// SOAP 1.2 envelope namespace.
pub const SOAP12_ENV: &str = "http://www.w3.org/2003/05/soap-envelope";

/// SOAP 1.1 envelope namespace.
pub const SOAP11_ENV: &str = "http://schemas.xmlsoap.org/soap/envelope/";

/// The prefix responses bind to the envelope namespace.
pub const SOAP_PREFIX: &str = "s";

/// `wsse:Password/@Type` of a digest password.
pub const PASSWORD_DIGEST: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest";

/// `wsse:Password/@Type` of a clear-text password (also the default).
pub const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";

/// The URI a prefix is bound to in responses; `None` for an unknown prefix.
pub fn uri_of_prefix(prefix: &str) -> Option<&'static str> {
    if prefix == "xml" {
        return Some("http://www.w3.org/XML/1998/namespace");
    }
    PREFIXES
        .iter()
        .find(|(p, _)| *p == prefix)
        .map(|(_, uri)| *uri)
}

/// Whether responses declare `prefix` (the envelope's `s` included).
pub fn is_declared_prefix(prefix: &str) -> bool {
    prefix == SOAP_PREFIX || uri_of_prefix(prefix).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique_and_declared() {
        for (i, (p, uri)) in PREFIXES.iter().enumerate() {
            assert!(PREFIXES[i + 1..].iter().all(|(q, _)| q != p), "{p}");
            assert!(DECLARATIONS.contains(&format!(" xmlns:{p}=\"{uri}\"")));
        }
        assert_eq!(uri_of_prefix("ter"), Some(TER));
        assert!(is_declared_prefix("s"));
        assert!(!is_declared_prefix("ns0"));
    }
}
