//! Reading `onvif.cfg` text into an [`OnvifConfig`].
//!
//! Lenient reading, strict reporting (DESIGN.md section 2), exactly as for
//! `rtsp.cfg`: unknown elements (newer Happytime builds add `ipv6_enable`,
//! `snapshot`, PTZ, imaging, relay outputs, recordings ...) are warned
//! about and skipped, an empty element keeps the default, and an invalid
//! value of a known element is an error naming file, line, element and
//! value. Entries Happytime itself would drop (a `<user>` without a name)
//! are dropped with a warning.
//!
//! The readers of the shared parts (server settings, `<information>`,
//! `<user>`, `<scope>`, `<event>`, encoder settings) are `pub(crate)`:
//! `onvifrun.cfg` uses the same elements and [`crate::onvif_state`] reads
//! it with them.

use std::collections::HashSet;

use super::error::{ConfigError, ConfigWarning, WarningKind};
use super::onvif::{
    DeviceInformation, EventConfig, MAX_PROFILES, OnvifConfig, OnvifUser, RENEW_INTERVAL_RANGE,
    ScopeConfig, UserLevel, default_profiles, default_scopes,
};
use super::rtsp::LogLevel;
use super::xml::{self, Element};
use crate::onvif_state::validate;

pub(crate) use super::section::{Field, FileContext, Section};
pub(crate) use super::values::{boolean, ip_address, port};
pub(crate) use media::{read_audio_encoder_settings, read_profile, read_video_encoder_settings};

mod media;

/// The root element of `onvif.cfg` and `onvifrun.cfg`.
pub(crate) const ROOT: &str = "config";

/// Parses the text of an `onvif.cfg` file.
///
/// `file` names the file in messages (`onvif.cfg:3: ...`); the caller reads
/// the file, this function does no I/O. Returns the config and the warnings
/// (in line order) that the caller should log, or the first error.
///
/// A file without any `<profile>` gets the default profiles, and one
/// without any `<scope>` the default scopes (both with a warning): a device
/// without them is of no use to ONVIF clients. A file without `<user>` has
/// no users; no credentials are invented.
pub fn parse_onvif_config(
    text: &str,
    file: &str,
) -> Result<(OnvifConfig, Vec<ConfigWarning>), ConfigError> {
    let root = parse_root(text, file)?;
    let mut cx = FileContext::new(file);
    check_root(&root, &mut cx);
    let mut top = Section::root(&root);
    let mut config = OnvifConfig::default();
    read_server_settings(&mut top, &mut cx, &mut config)?;
    if let Some(information) = read_information(&mut top, &mut cx)? {
        config.information = information;
    }
    config.users = read_users(&mut top, &mut cx, true)?;
    if config.server.need_auth && config.users.is_empty() {
        cx.warn(
            top.line(),
            ROOT,
            WarningKind::Note(
                "need_auth is on but no <user> is configured: every client will be refused".into(),
            ),
        );
    }
    config.profiles = read_profiles(&mut top, &root, &mut cx, file)?;
    if config.profiles.is_empty() {
        cx.warn(
            top.line(),
            ROOT,
            WarningKind::Note("no <profile> is configured: the default profiles are used".into()),
        );
        config.profiles = default_profiles();
    }
    config.scopes = read_scopes(&mut top, &root, &mut cx, file)?;
    if config.scopes.is_empty() {
        cx.warn(
            top.line(),
            ROOT,
            WarningKind::Note("no <scope> is configured: the default scopes are used".into()),
        );
        config.scopes = default_scopes();
    }
    if let Some(event) = read_event(&mut top, &mut cx)? {
        config.event = event;
    }
    top.finish(&mut cx);
    Ok((config, cx.into_warnings()))
}

/// The document's root element, or the XML error naming `file`.
pub(crate) fn parse_root(text: &str, file: &str) -> Result<Element, ConfigError> {
    xml::parse_document(text).map_err(|error| ConfigError::Xml {
        file: file.to_owned(),
        error,
    })
}

/// Warns when the root element is not `<config>`.
pub(crate) fn check_root(root: &Element, cx: &mut FileContext<'_>) {
    if root.name != ROOT {
        cx.warn(
            root.line,
            &root.name,
            WarningKind::UnexpectedRoot { expected: ROOT },
        );
    }
}

/// Overwrites `slot` when the element gave a value.
pub(crate) fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// Any non-empty text, as is.
pub(crate) fn any_text(text: &str) -> Result<String, &'static str> {
    Ok(text.to_owned())
}

/// A whole number.
pub(crate) fn whole_number(text: &str) -> Result<u32, &'static str> {
    text.parse().map_err(|_| "expected a whole number")
}

/// The whole number of `field`, checked against `range`.
pub(crate) fn number_in(
    field: &Field<'_>,
    cx: &FileContext<'_>,
    range: std::ops::RangeInclusive<u32>,
    what: &str,
) -> Result<Option<u32>, ConfigError> {
    let expected = || format!("expected {what} {}-{}", range.start(), range.end());
    let Some(text) = Some(field.text()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match text.parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(field.invalid(cx, expected())),
    }
}

/// The leaf `name` of `section` as a number in `range`; `None` when missing
/// or empty.
pub(crate) fn read_number(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    names: &[&str],
    range: std::ops::RangeInclusive<u32>,
    what: &str,
) -> Result<Option<u32>, ConfigError> {
    match section.leaf(cx, names) {
        Some(field) => number_in(&field, cx, range, what),
        None => Ok(None),
    }
}

/// `0`-`5` or a level name.
fn log_level(text: &str) -> Result<LogLevel, &'static str> {
    text.parse::<u8>()
        .ok()
        .and_then(LogLevel::from_number)
        .or_else(|| LogLevel::from_name(text))
        .ok_or("expected a log level 0-5 (TRACE, DEBUG, INFO, WARN, ERROR, FATAL)")
}

/// The scalar settings directly under `<config>`.
pub(crate) fn read_server_settings(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    config: &mut OnvifConfig,
) -> Result<(), ConfigError> {
    config.server.server_ip = top.value(cx, &["server_ip"], ip_address)?;
    set(
        &mut config.server.http_enable,
        top.value(cx, &["http_enable"], boolean)?,
    );
    // Older Happytime files say <server_port>.
    set(
        &mut config.server.http_port,
        top.value(cx, &["http_port", "server_port"], port)?,
    );
    set(
        &mut config.server.https_enable,
        top.value(cx, &["https_enable"], boolean)?,
    );
    set(
        &mut config.server.https_port,
        top.value(cx, &["https_port"], port)?,
    );
    config.server.cert_file = top.value(cx, &["cert_file"], any_text)?;
    config.server.key_file = top.value(cx, &["key_file"], any_text)?;
    set(
        &mut config.server.http_max_users,
        read_number(top, cx, &["http_max_users"], 1..=1024, "a connection count")?,
    );
    set(
        &mut config.server.need_auth,
        top.value(cx, &["need_auth"], boolean)?,
    );
    set(
        &mut config.server.log_enable,
        top.value(cx, &["log_enable"], boolean)?,
    );
    set(
        &mut config.server.log_level,
        top.value(cx, &["log_level"], log_level)?,
    );
    if let Some(field) = top.leaf(cx, &["EndpointReference"]) {
        if let Some(epr) = field.parse(cx, any_text)? {
            if !validate::is_endpoint_reference(&epr) {
                return Err(
                    field.invalid(cx, "expected urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx")
                );
            }
            config.endpoint_reference = Some(epr);
        }
    }
    if !config.server.http_enable && !config.server.https_enable {
        cx.warn(
            top.line(),
            ROOT,
            WarningKind::Note(
                "both http_enable and https_enable are 0: the ONVIF server is unreachable".into(),
            ),
        );
    }
    Ok(())
}

/// `<information>`; `None` when absent. Missing or empty children keep
/// our defaults.
pub(crate) fn read_information(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<DeviceInformation>, ConfigError> {
    let Some(mut section) = top.section(cx, "information") else {
        return Ok(None);
    };
    let mut info = DeviceInformation::default();
    let fields: [(&str, &mut String); 5] = [
        ("Manufacturer", &mut info.manufacturer),
        ("Model", &mut info.model),
        ("FirmwareVersion", &mut info.firmware_version),
        ("SerialNumber", &mut info.serial_number),
        ("HardwareId", &mut info.hardware_id),
    ];
    for (name, slot) in fields {
        if let Some(field) = section.leaf(cx, &[name]) {
            if let Some(text) = field.parse(cx, any_text)? {
                if let Err(expected) = validate::check_name(&text, validate::MAX_INFO_LEN) {
                    return Err(field.invalid(cx, expected));
                }
                *slot = text;
            }
        }
    }
    section.finish(cx);
    Ok(Some(info))
}

/// `<user>` entries; nameless and repeated users are skipped with a
/// warning. `default_fixed` is what a missing `<fixed>` means.
pub(crate) fn read_users(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    default_fixed: bool,
) -> Result<Vec<OnvifUser>, ConfigError> {
    let mut users: Vec<OnvifUser> = Vec::new();
    for mut section in top.repeated("user") {
        let username_field = section.leaf(cx, &["username"]);
        let username = match &username_field {
            Some(field) => field.parse(cx, any_text)?,
            None => None,
        };
        let password_field = section.leaf(cx, &["password"]);
        let password = match &password_field {
            Some(field) => field.parse(cx, any_text)?,
            None => None,
        };
        let level = section.value(cx, &["userlevel"], |t| {
            UserLevel::parse(t).ok_or("expected Administrator, Operator, User or Anonymous")
        })?;
        let fixed = section.value(cx, &["fixed"], boolean)?;
        let line = section.line();
        section.finish(cx);
        let (Some(username), Some(username_field)) = (username, username_field) else {
            cx.warn(
                line,
                "user",
                WarningKind::EntrySkipped("no <username>".into()),
            );
            continue;
        };
        if let Err(expected) = validate::check_username(&username) {
            return Err(username_field.invalid(cx, expected));
        }
        let password = password.unwrap_or_default();
        if let (Err(expected), Some(field)) = (validate::check_password(&password), &password_field)
        {
            return Err(field.invalid(cx, expected));
        }
        if users.iter().any(|u| u.username == username) {
            cx.warn(
                line,
                "user",
                WarningKind::EntrySkipped(format!(
                    "user {username:?} is already defined above; the first one counts"
                )),
            );
            continue;
        }
        users.push(OnvifUser {
            username,
            password,
            level: level.unwrap_or_default(),
            fixed: fixed.unwrap_or(default_fixed),
        });
    }
    Ok(users)
}

/// `<profile>` entries, at most [`MAX_PROFILES`].
fn read_profiles(
    top: &mut Section<'_>,
    root: &Element,
    cx: &mut FileContext<'_>,
    file: &str,
) -> Result<Vec<super::onvif::ProfileConfig>, ConfigError> {
    let mut profiles: Vec<super::onvif::ProfileConfig> = Vec::new();
    let mut tokens = HashSet::new();
    let sections = top.repeated("profile");
    for (section, element) in sections.into_iter().zip(root.children_named("profile")) {
        let profile = read_profile(section, element, cx, file)?;
        if profiles.len() == MAX_PROFILES {
            cx.warn(
                element.line,
                "profile",
                WarningKind::EntrySkipped(format!("at most {MAX_PROFILES} profiles are supported")),
            );
            continue;
        }
        if let Some(token) = &profile.token {
            if !tokens.insert(token.clone()) {
                cx.warn(
                    element.line,
                    "profile",
                    WarningKind::EntrySkipped(format!(
                        "token {token:?} is already used by a profile above"
                    )),
                );
                continue;
            }
        }
        profiles.push(profile);
    }
    Ok(profiles)
}

/// `<scope>` entries: `<scope>URI</scope>` (fixed) or Happytime's
/// `<scope><ScopeDef>Fixed|Configurable</ScopeDef><ScopeItem>URI</ScopeItem></scope>`.
/// Empty and repeated scopes are skipped with a warning.
pub(crate) fn read_scopes(
    top: &mut Section<'_>,
    root: &Element,
    cx: &mut FileContext<'_>,
    file: &str,
) -> Result<Vec<ScopeConfig>, ConfigError> {
    let mut scopes: Vec<ScopeConfig> = Vec::new();
    let sections = top.repeated("scope");
    for (mut section, element) in sections.into_iter().zip(root.children_named("scope")) {
        let line = element.line;
        let scope = if element.children.is_empty() {
            section.finish(cx);
            let uri = element.value();
            if uri.is_empty() {
                None
            } else if let Err(expected) = validate::check_scope(uri) {
                return Err(ConfigError::invalid(file, line, "scope", uri, expected));
            } else {
                Some(ScopeConfig::fixed(uri))
            }
        } else {
            let fixed = section.value(cx, &["ScopeDef"], |t| {
                if t.eq_ignore_ascii_case("Fixed") {
                    Ok(true)
                } else if t.eq_ignore_ascii_case("Configurable") {
                    Ok(false)
                } else {
                    Err("expected Fixed or Configurable")
                }
            })?;
            let item = section.leaf(cx, &["ScopeItem"]);
            let uri = match &item {
                Some(field) => field.parse(cx, any_text)?,
                None => None,
            };
            section.finish(cx);
            match (uri, item) {
                (Some(uri), Some(field)) => {
                    if let Err(expected) = validate::check_scope(&uri) {
                        return Err(field.invalid(cx, expected));
                    }
                    Some(ScopeConfig {
                        uri,
                        fixed: fixed.unwrap_or(true),
                    })
                }
                _ => None,
            }
        };
        let Some(scope) = scope else {
            cx.warn(
                line,
                "scope",
                WarningKind::EntrySkipped("empty scope".into()),
            );
            continue;
        };
        if scopes.iter().any(|s| s.uri == scope.uri) {
            cx.warn(
                line,
                "scope",
                WarningKind::EntrySkipped(format!("scope {:?} is already listed above", scope.uri)),
            );
            continue;
        }
        scopes.push(scope);
    }
    Ok(scopes)
}

/// `<event>`; `None` when absent.
pub(crate) fn read_event(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<EventConfig>, ConfigError> {
    let Some(mut section) = top.section(cx, "event") else {
        return Ok(None);
    };
    let mut event = EventConfig::default();
    set(
        &mut event.renew_interval,
        read_number(
            &mut section,
            cx,
            &["renew_interval"],
            RENEW_INTERVAL_RANGE,
            "a number of seconds",
        )?,
    );
    set(
        &mut event.simulate_enable,
        section.value(cx, &["simulate_enable"], boolean)?,
    );
    section.finish(cx);
    Ok(Some(event))
}

/// Warns about attributes of `element` not in `known`.
pub(crate) fn warn_unknown_attributes(
    cx: &mut FileContext<'_>,
    element: &Element,
    path: &str,
    known: &[&str],
) {
    for attribute in &element.attributes {
        if !known.contains(&attribute.name.as_str()) {
            cx.warn(
                element.line,
                path,
                WarningKind::Note(format!("unknown attribute {:?}, ignored", attribute.name)),
            );
        }
    }
}
