//! Matching a stream name against an `<output><url>` pattern.
//!
//! The rules are documented on `RtspConfig::output_for`.

/// Live source kinds a bare keyword pattern stands for, with every numbered
/// (`videodevice2`) or named (`videodevice=HD Camera`) instance.
const SOURCE_KEYWORDS: [&str; 4] = ["screenlive", "videodevice", "audiodevice", "window"];

/// Whether the rule pattern `pattern` (`None`: no `<url>`) applies to `stream`.
pub(crate) fn url_matches(pattern: Option<&str>, stream: &str) -> bool {
    let Some(pattern) = pattern else {
        return true;
    };
    let pattern = pattern.trim().trim_start_matches('/');
    let stream = stream.trim_start_matches('/').trim_end_matches('/');
    if pattern.is_empty() || pattern == "*" {
        return true;
    }
    if let Some(extension) = pattern.strip_prefix("*.") {
        return has_extension(stream, extension);
    }
    if SOURCE_KEYWORDS.contains(&pattern) {
        return is_source_of_kind(stream, pattern);
    }
    stream == pattern || stream.rsplit('/').next() == Some(pattern)
}

/// `name` ends in `.extension` (any case) after a non-empty stem.
fn has_extension(name: &str, extension: &str) -> bool {
    if extension.is_empty() || name.len() <= extension.len() + 1 {
        return false;
    }
    let dot = name.len() - extension.len() - 1;
    name.as_bytes()[dot] == b'.'
        && name
            .get(dot + 1..)
            .is_some_and(|tail| tail.eq_ignore_ascii_case(extension))
}

/// `name` is `keyword`, `keyword<digits>` or `keyword=<anything>`, the
/// keyword in any case (as the server reads device stream names).
fn is_source_of_kind(name: &str, keyword: &str) -> bool {
    let Some(rest) = name
        .get(..keyword.len())
        .filter(|head| head.eq_ignore_ascii_case(keyword))
        .map(|_| &name[keyword.len()..])
    else {
        return false;
    };
    rest.is_empty() || rest.starts_with('=') || rest.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_pattern_matches_everything() {
        assert!(url_matches(None, "anything.mkv"));
        assert!(url_matches(Some(""), "screenlive"));
        assert!(url_matches(Some("*"), "a/b.mp4"));
    }

    #[test]
    fn extensions_ignore_case() {
        assert!(url_matches(Some("*.mp4"), "test.mp4"));
        assert!(url_matches(Some("*.mp4"), "TEST.MP4"));
        assert!(url_matches(Some("*.MP4"), "dir/test.mp4"));
        assert!(!url_matches(Some("*.mp4"), "test.mp4.bak"));
        assert!(!url_matches(Some("*.mp4"), "testmp4"));
        assert!(!url_matches(Some("*.mp4"), ".mp4"));
        assert!(!url_matches(Some("*.mp4"), "screenlive"));
        // A multi-byte character right before the extension must not panic.
        assert!(!url_matches(Some("*.mp4"), "éémp4"));
        assert!(url_matches(Some("*.tar.gz"), "x.tar.gz"));
    }

    #[test]
    fn source_keywords_cover_numbered_and_named_instances() {
        assert!(url_matches(Some("screenlive"), "screenlive"));
        assert!(url_matches(Some("screenlive"), "screenlive1"));
        assert!(url_matches(Some("screenlive"), "ScreenLive1"));
        assert!(!url_matches(Some("window"), "wé"));
        assert!(!url_matches(Some("screenlive"), "screenlive_x"));
        assert!(url_matches(Some("videodevice"), "videodevice2"));
        assert!(url_matches(Some("videodevice"), "videodevice=HD Camera"));
        assert!(!url_matches(Some("videodevice"), "audiodevice"));
        assert!(url_matches(Some("audiodevice"), "audiodevice1"));
        assert!(url_matches(Some("window"), "window=Untitled - Notepad"));
        assert!(!url_matches(Some("window"), "windows.mp4"));
    }

    #[test]
    fn specific_instances_match_exactly() {
        assert!(url_matches(Some("videodevice1"), "videodevice1"));
        assert!(!url_matches(Some("videodevice1"), "videodevice"));
        assert!(!url_matches(Some("videodevice1"), "videodevice12"));
    }

    #[test]
    fn file_names_match_exactly_or_by_last_segment() {
        assert!(url_matches(Some("sample.flv"), "sample.flv"));
        assert!(url_matches(Some("sample.flv"), "/sample.flv"));
        assert!(url_matches(Some("sample.flv"), "movies/sample.flv"));
        assert!(url_matches(Some("movies/sample.flv"), "movies/sample.flv"));
        assert!(!url_matches(Some("sample.flv"), "Sample.flv"));
        assert!(!url_matches(Some("sample.flv"), "sample.flv.bak"));
        assert!(!url_matches(Some("sample.flv"), "xsample.flv"));
    }
}
