//! The stream sources of `rtsp.cfg`: `<proxy>` and `<pusher>` entries.

use std::collections::HashSet;

use super::any_text;
use super::media::{AudioFields, read_audio, read_optional_output};
use crate::config::error::{ConfigError, WarningKind};
use crate::config::rtsp::{
    ProxyConfig, ProxyTransfer, PusherAudio, PusherConfig, PusherTransfer, PusherTransferMode,
};
use crate::config::section::{FileContext, Section};
use crate::config::values;

/// A `<suffix>` as a path: without leading slashes; `None` when empty.
fn read_suffix(
    section: &mut Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<String>, ConfigError> {
    Ok(section
        .value(cx, &["suffix"], any_text)?
        .map(|s| s.trim_start_matches('/').to_owned())
        .filter(|s| !s.is_empty()))
}

/// Records `suffix` as taken; warns and returns `false` when it already is.
fn claim_suffix(
    suffixes: &mut HashSet<String>,
    suffix: &str,
    cx: &mut FileContext<'_>,
    line: u32,
    entry: &str,
) -> bool {
    if suffixes.insert(suffix.to_owned()) {
        return true;
    }
    cx.warn(
        line,
        entry,
        WarningKind::EntrySkipped(format!(
            "suffix {suffix:?} is already used by a proxy or pusher above"
        )),
    );
    false
}

fn proxy_transfer(text: &str) -> Result<ProxyTransfer, &'static str> {
    let is = |name: &str| text.eq_ignore_ascii_case(name);
    if is("TCP") {
        Ok(ProxyTransfer::Tcp)
    } else if is("UDP") {
        Ok(ProxyTransfer::Udp)
    } else if is("MULTICAST") {
        Ok(ProxyTransfer::Multicast)
    } else {
        Err("expected TCP, UDP or MULTICAST")
    }
}

/// A source URL: `scheme://...` (rtsp, rtmp, srt, http...).
fn source_url(text: &str) -> Result<String, &'static str> {
    const EXPECTED: &str = "expected a stream URL such as rtsp://host/path";
    let (scheme, rest) = text.split_once("://").ok_or(EXPECTED)?;
    let scheme_ok = !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if scheme_ok && !rest.is_empty() {
        Ok(text.to_owned())
    } else {
        Err(EXPECTED)
    }
}

/// `<proxy>` entries; those without suffix or URL are skipped with a warning.
pub(super) fn read_proxies(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    suffixes: &mut HashSet<String>,
) -> Result<Vec<ProxyConfig>, ConfigError> {
    let mut proxies = Vec::new();
    for mut section in top.repeated("proxy") {
        let suffix = read_suffix(&mut section, cx)?;
        let url = section.value(cx, &["url"], source_url)?;
        let user = section.value(cx, &["user"], any_text)?;
        let pass = section.value(cx, &["pass"], any_text)?;
        let transfer = section
            .value(cx, &["transfer"], proxy_transfer)?
            .unwrap_or_default();
        let ondemand = section
            .value(cx, &["ondemand"], values::boolean)?
            .unwrap_or(false);
        let output = read_optional_output(&mut section, cx)?;
        let line = section.line();
        section.finish(cx);
        let (Some(suffix), Some(url)) = (suffix, url) else {
            cx.warn(
                line,
                "proxy",
                WarningKind::EntrySkipped("a proxy needs both <suffix> and <url>".into()),
            );
            continue;
        };
        if !claim_suffix(suffixes, &suffix, cx, line, "proxy") {
            continue;
        }
        proxies.push(ProxyConfig {
            suffix,
            url,
            user,
            pass,
            transfer,
            ondemand,
            output,
        });
    }
    Ok(proxies)
}

fn pusher_mode(text: &str) -> Result<PusherTransferMode, &'static str> {
    let is = |name: &str| text.eq_ignore_ascii_case(name);
    if is("TCP") {
        Ok(PusherTransferMode::Tcp)
    } else if is("UDP") {
        Ok(PusherTransferMode::Udp)
    } else if is("RTSP") {
        Ok(PusherTransferMode::Rtsp)
    } else {
        Err("expected TCP, UDP or RTSP")
    }
}

/// `<pusher>` entries; those without a suffix are skipped with a warning.
pub(super) fn read_pushers(
    top: &mut Section<'_>,
    cx: &mut FileContext<'_>,
    suffixes: &mut HashSet<String>,
) -> Result<Vec<PusherConfig>, ConfigError> {
    let mut pushers = Vec::new();
    for mut section in top.repeated("pusher") {
        let suffix = read_suffix(&mut section, cx)?;
        let video = match section.section(cx, "video") {
            Some(mut video) => {
                let codec = video.value(cx, &["codec"], values::video_codec)?;
                video.finish(cx);
                codec
            }
            None => None,
        };
        let audio = match section.section(cx, "audio") {
            Some(audio) => read_pusher_audio(audio, cx)?,
            None => None,
        };
        let transfer = match section.section(cx, "transfer") {
            Some(transfer) => read_pusher_transfer(transfer, cx)?,
            None => PusherTransfer::default(),
        };
        let output = read_optional_output(&mut section, cx)?;
        let line = section.line();
        section.finish(cx);
        let Some(suffix) = suffix else {
            cx.warn(
                line,
                "pusher",
                WarningKind::EntrySkipped("a pusher needs a <suffix>".into()),
            );
            continue;
        };
        if !claim_suffix(suffixes, &suffix, cx, line, "pusher") {
            continue;
        }
        pushers.push(PusherConfig {
            suffix,
            video,
            audio,
            transfer,
            output,
        });
    }
    Ok(pushers)
}

/// `<pusher><audio>`: `None` without a codec (a rate alone says nothing).
fn read_pusher_audio(
    section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<Option<PusherAudio>, ConfigError> {
    let line = section.line();
    let audio = read_audio(section, cx, AudioFields::Format)?;
    match audio.codec {
        Some(codec) => Ok(Some(PusherAudio {
            codec,
            sample_rate: audio.sample_rate,
            channels: audio.channels,
        })),
        None => {
            if audio.sample_rate.is_some() || audio.channels.is_some() {
                cx.warn(
                    line,
                    "pusher/audio",
                    WarningKind::Note("no <codec>, so the pusher carries no audio".into()),
                );
            }
            Ok(None)
        }
    }
}

fn read_pusher_transfer(
    mut section: Section<'_>,
    cx: &mut FileContext<'_>,
) -> Result<PusherTransfer, ConfigError> {
    let transfer = PusherTransfer {
        mode: section
            .value(cx, &["mode"], pusher_mode)?
            .unwrap_or_default(),
        ip: section.value(cx, &["ip"], values::ip_address)?,
        vport: section
            .value(cx, &["vport"], values::optional_port)?
            .flatten(),
        aport: section
            .value(cx, &["aport"], values::optional_port)?
            .flatten(),
    };
    section.finish(cx);
    Ok(transfer)
}
