//! Checks on the strings the device stores: tokens, names, user names,
//! passwords, scopes, host names. Shared by the config readers and the
//! state's setters, so that anything stored can be written to
//! `onvifrun.cfg` and read back unchanged.
//!
//! Every stored string is free of control characters (XML 1.0 cannot carry
//! most of them) and of surrounding whitespace (the config reader trims
//! element text).

/// Longest token (ONVIF `tt:ReferenceToken` is at most 64 characters).
pub const MAX_TOKEN_LEN: usize = 64;

/// Longest configuration or profile name (ONVIF `tt:Name`).
pub const MAX_NAME_LEN: usize = 64;

/// Longest device information string.
pub const MAX_INFO_LEN: usize = 128;

/// Longest user name (advertised as `MaxUsernameLength`).
pub const MAX_USERNAME_LEN: usize = 32;

/// Longest password (advertised as `MaxPasswordLength`).
pub const MAX_PASSWORD_LEN: usize = 64;

/// Longest scope URI.
pub const MAX_SCOPE_LEN: usize = 256;

/// Longest `stream_uri`.
pub const MAX_STREAM_URI_LEN: usize = 1024;

/// Longest OSD text or image path.
pub const MAX_OSD_TEXT_LEN: usize = 256;

/// `true` when `text` has no control characters and no surrounding
/// whitespace.
fn is_clean(text: &str) -> bool {
    !text.chars().any(char::is_control) && text.trim() == text
}

/// A token: 1-64 characters, clean.
pub(crate) fn check_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() || token.chars().count() > MAX_TOKEN_LEN || !is_clean(token) {
        return Err("expected a token of 1-64 characters without control characters");
    }
    Ok(())
}

/// A name or information string: at most `max` characters, clean (may be
/// empty).
pub(crate) fn check_name(name: &str, max: usize) -> Result<(), &'static str> {
    if name.chars().count() > max {
        return Err("too long");
    }
    if !is_clean(name) {
        return Err("expected text without control characters");
    }
    Ok(())
}

/// A user name: 1-32 characters, clean.
pub(crate) fn check_username(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.chars().count() > MAX_USERNAME_LEN || !is_clean(name) {
        return Err("expected a user name of 1-32 characters without control characters");
    }
    Ok(())
}

/// A password: at most 64 characters, clean (may be empty).
pub(crate) fn check_password(password: &str) -> Result<(), &'static str> {
    if password.chars().count() > MAX_PASSWORD_LEN || !is_clean(password) {
        return Err(
            "expected a password of at most 64 characters, without control characters or surrounding spaces",
        );
    }
    Ok(())
}

/// A scope URI: non-empty, no whitespace at all (scopes travel
/// space-separated in WS-Discovery), at most 256 characters.
pub(crate) fn check_scope(scope: &str) -> Result<(), &'static str> {
    if scope.is_empty()
        || scope.chars().count() > MAX_SCOPE_LEN
        || scope.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err("expected a scope URI of at most 256 characters without spaces");
    }
    Ok(())
}

/// A `stream_uri`: an absolute URL (`rtsp://...`) or a path on our own
/// RTSP server, clean, at most 1024 characters.
pub(crate) fn check_stream_uri(uri: &str) -> Result<(), &'static str> {
    if uri.is_empty() || uri.chars().count() > MAX_STREAM_URI_LEN || !is_clean(uri) {
        return Err("expected an RTSP URL or stream path of at most 1024 characters");
    }
    Ok(())
}

/// `urn:uuid:` and a UUID in the 8-4-4-4-12 hex form.
pub(crate) fn is_endpoint_reference(epr: &str) -> bool {
    let Some(uuid) = epr
        .get(..9)
        .filter(|prefix| prefix.eq_ignore_ascii_case("urn:uuid:"))
        .and_then(|_| epr.get(9..))
    else {
        return false;
    };
    let groups: Vec<&str> = uuid.split('-').collect();
    let lengths = [8, 4, 4, 4, 12];
    groups.len() == lengths.len()
        && groups
            .iter()
            .zip(lengths)
            .all(|(group, len)| group.len() == len && group.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A host name (RFC 1123): dot-separated labels of 1-63 letters, digits
/// and inner hyphens, 253 characters at most. No underscore (the ONVIF
/// test tool checks that `_` is refused).
pub(crate) fn is_hostname(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A DNS name: a host name that is not all digits and dots (which would be
/// a malformed IPv4 address instead).
pub(crate) fn is_dns_name(name: &str) -> bool {
    is_hostname(name) && !name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert!(check_token("ProfileToken_1").is_ok());
        assert!(check_token("with space inside").is_ok());
        assert!(check_token("").is_err());
        assert!(check_token(" lead").is_err());
        assert!(check_token("tab\there").is_err());
        assert!(check_token(&"x".repeat(65)).is_err());
    }

    #[test]
    fn users() {
        assert!(check_username("admin").is_ok());
        assert!(check_username("").is_err());
        assert!(check_username(&"u".repeat(33)).is_err());
        assert!(check_password("").is_ok());
        assert!(check_password("a b").is_ok());
        assert!(check_password(" ab").is_err());
        assert!(check_password("a\nb").is_err());
    }

    #[test]
    fn scopes() {
        assert!(check_scope("onvif://www.onvif.org/name/cam").is_ok());
        assert!(check_scope("onvif://www.onvif.org/name/my cam").is_err());
        assert!(check_scope("").is_err());
    }

    #[test]
    fn endpoint_references() {
        assert!(is_endpoint_reference(
            "urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430c8"
        ));
        assert!(!is_endpoint_reference("urn:uuid:6ba7b810-9dad-41d1-80b4"));
        assert!(!is_endpoint_reference(
            "6ba7b810-9dad-41d1-80b4-00c04fd430c8"
        ));
        assert!(!is_endpoint_reference(
            "urn:uuid:6ba7b810-9dad-41d1-80b4-00c04fd430cg"
        ));
    }

    #[test]
    fn hostnames() {
        assert!(is_hostname("camera-1"));
        assert!(is_hostname("cam.example.com"));
        assert!(!is_hostname("Onvif_test"));
        assert!(!is_hostname("-cam"));
        assert!(!is_hostname(""));
        assert!(!is_hostname("a..b"));
        assert!(is_dns_name("pool.ntp.org"));
        assert!(!is_dns_name("10.1.1"));
    }
}
