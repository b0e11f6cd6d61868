//! Reading `rtsp.cfg` text into an [`RtspConfig`].
//!
//! Lenient reading, strict reporting (DESIGN.md section 2): unknown elements
//! are warned about and skipped, an empty element keeps the default, and an
//! invalid value of a known element is an error naming file, line, element
//! and value. Entries Happytime itself would drop (a `<user>` without a
//! name, a `<proxy>` without a URL, like the template's placeholder proxy)
//! are dropped with a warning rather than failing the whole file.

use std::collections::HashSet;
use std::num::NonZeroU32;

use super::error::{ConfigError, ConfigWarning, WarningKind};
use super::rtsp::{
    LogLevel, LoopCount, MAX_FILE_CACHE_MB, MAX_PACING_MS, OutputRule, RtspConfig, RuntimeKind,
    UserCredential,
};
use super::section::{FileContext, Section};
use super::values;
use super::xml;
use media::{read_backchannel, read_output_settings};
use sources::{read_proxies, read_pushers};

mod media;
mod sources;

/// The root element of `rtsp.cfg`.
const ROOT: &str = "config";

/// Parses the text of an `rtsp.cfg` file.
///
/// `file` names the file in messages (`rtsp.cfg:3: ...`); the caller reads
/// the file, this function does no I/O. Returns the config and the warnings
/// (in line order) that the caller should log, or the first error.
pub fn parse_rtsp_config(
    text: &str,
    file: &str,
) -> Result<(RtspConfig, Vec<ConfigWarning>), ConfigError> {
    let root = xml::parse_document(text).map_err(|error| ConfigError::Xml {
        file: file.to_owned(),
        error,
    })?;
    let mut cx = FileContext::new(file);
    if root.name != ROOT {
        cx.warn(
            root.line,
            &root.name,
            WarningKind::UnexpectedRoot { expected: ROOT },
        );
    }
    let mut top = Section::root(&root);
    let mut config = RtspConfig::default();
    read_server_settings(&mut top, &mut cx, &mut config)?;
    config.users = read_users(&mut top, &mut cx)?;
    if config.need_auth && config.users.is_empty() {
        cx.warn(
            top.line(),
            ROOT,
            WarningKind::Note(
                "need_auth is on but no <user> is configured: every client will be refused".into(),
            ),
        );
    }
    config.outputs = read_output_rules(&mut top, &mut cx)?;
    let mut suffixes = HashSet::new();
    config.proxies = read_proxies(&mut top, &mut cx, &mut suffixes)?;
    config.pushers = read_pushers(&mut top, &mut cx, &mut suffixes)?;
    config.backchannel = match top.section(&mut cx, "backchannel") {
        Some(section) => Some(read_backchannel(section, &mut cx)?),
        None => None,
    };
    top.finish(&mut cx);
    Ok((config, cx.into_warnings()))
}

/// Overwrites `slot` when the element gave a value.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// The scalar settings directly under `<config>`.
fn read_server_settings(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    config: &mut RtspConfig,
) -> Result<(), ConfigError> {
    config.server_ip = top.value(cx, &["serverip"], values::ip_address)?;
    // Newer Happytime builds write <rtsp_port> and still read <serverport>.
    set(
        &mut config.server_port,
        top.value(cx, &["serverport", "rtsp_port"], values::port)?,
    );
    set(&mut config.loop_nums, read_loop_count(top, cx)?);
    set(
        &mut config.multicast,
        top.value(cx, &["multicast"], values::boolean)?,
    );
    set(
        &mut config.udp_base_port,
        top.value(cx, &["udp_base_port"], values::port)?,
    );
    set(
        &mut config.metadata,
        top.value(cx, &["metadata"], values::boolean)?,
    );
    set(
        &mut config.rtsp_over_http,
        top.value(cx, &["rtsp_over_http"], values::boolean)?,
    );
    set(
        &mut config.http_port,
        top.value(cx, &["http_port"], values::port)?,
    );
    set(
        &mut config.rtsp_over_https,
        top.value(cx, &["rtsp_over_https"], values::boolean)?,
    );
    set(
        &mut config.https_port,
        top.value(cx, &["https_port"], values::port)?,
    );
    // Newer Happytime builds write <https_cert>/<https_key>.
    config.cert_file = top.value(cx, &["cert_file", "https_cert"], any_text)?;
    config.key_file = top.value(cx, &["key_file", "https_key"], any_text)?;
    set(
        &mut config.need_auth,
        top.value(cx, &["need_auth"], values::boolean)?,
    );
    set(
        &mut config.log_enable,
        top.value(cx, &["log_enable"], values::boolean)?,
    );
    set(
        &mut config.log_level,
        top.value(cx, &["log_level"], log_level)?,
    );
    config.runtime = top.value(cx, &["runtime"], |t| {
        RuntimeKind::from_name(t).ok_or("expected smol or glommio")
    })?;
    config.pacing_ms = top.value(cx, &["pacing_ms"], pacing_ms)?;
    config.file_cache_mb = top.value(cx, &["file_cache_mb"], file_cache_mb)?;
    Ok(())
}

/// Any non-empty text, as is.
pub(super) fn any_text(text: &str) -> Result<String, &'static str> {
    Ok(text.to_owned())
}

/// `<pacing_ms>`: whole milliseconds, `0`-[`MAX_PACING_MS`].
fn pacing_ms(text: &str) -> Result<u16, &'static str> {
    match text.parse::<u16>() {
        Ok(ms) if ms <= MAX_PACING_MS => Ok(ms),
        _ => Err("expected milliseconds 0-1000 (0 = each frame at its own time)"),
    }
}

/// `<file_cache_mb>`: whole MiB, 1-[`MAX_FILE_CACHE_MB`].
fn file_cache_mb(text: &str) -> Result<u32, &'static str> {
    match text.parse::<u32>() {
        Ok(mb) if (1..=MAX_FILE_CACHE_MB).contains(&mb) => Ok(mb),
        _ => Err("expected MiB 1-1048576"),
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

/// `<loop_nums>`: `-1` = forever, `N >= 1` = N times, `0` = once (warned).
fn read_loop_count(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<LoopCount>, ConfigError> {
    let Some(field) = top.leaf(cx, &["loop_nums"]) else {
        return Ok(None);
    };
    let Some(count) = field.parse(cx, |t| {
        t.parse::<i64>()
            .map_err(|_| "expected -1 (loop forever) or a play count of 1 or more")
    })?
    else {
        return Ok(None);
    };
    match count {
        -1 => Ok(Some(LoopCount::Forever)),
        0 => {
            field.warn(
                cx,
                WarningKind::Note("0 plays media files once, as 1 does".into()),
            );
            Ok(Some(LoopCount::ONCE))
        }
        n => u32::try_from(n)
            .ok()
            .and_then(NonZeroU32::new)
            .map(|n| Some(LoopCount::Times(n)))
            .ok_or_else(|| {
                field.invalid(
                    cx,
                    "expected -1 (loop forever) or a play count of 1 or more",
                )
            }),
    }
}

/// `<user>` entries; nameless and repeated users are skipped with a warning.
fn read_users(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Vec<UserCredential>, ConfigError> {
    let mut users: Vec<UserCredential> = Vec::new();
    for mut section in top.repeated("user") {
        let username = section.value(cx, &["username"], any_text)?;
        let password = section.value(cx, &["password"], any_text)?;
        let line = section.line();
        section.finish(cx);
        let Some(username) = username else {
            cx.warn(
                line,
                "user",
                WarningKind::EntrySkipped("no <username>".into()),
            );
            continue;
        };
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
        users.push(UserCredential {
            username,
            password: password.unwrap_or_default(),
        });
    }
    Ok(users)
}

/// `<output>` rules, in order; rules after a catch-all are warned about.
fn read_output_rules(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Vec<OutputRule>, ConfigError> {
    let mut rules = Vec::new();
    let mut catch_all_line = None;
    for mut section in top.repeated("output") {
        let url = section.value(cx, &["url"], any_text)?;
        let settings = read_output_settings(&mut section, cx)?;
        let line = section.line();
        section.finish(cx);
        if let Some(first) = catch_all_line {
            cx.warn(
                line,
                "output",
                WarningKind::Note(format!(
                    "never used: the <output> without <url> on line {first} matches every stream first"
                )),
            );
        } else if url.is_none() {
            catch_all_line = Some(line);
        }
        rules.push(OutputRule {
            url,
            video: settings.video,
            audio: settings.audio,
        });
    }
    Ok(rules)
}
