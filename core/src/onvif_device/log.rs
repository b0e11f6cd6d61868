//! The device's own logs, as GetSystemLog returns them: the latest requests
//! (access log) and the latest configuration changes (system log).
//!
//! Kept in memory and bounded, like a camera's RAM log: a client that
//! floods the device pushes old lines out, never grows memory. Not
//! persisted; the server's log file keeps the full history.

use std::collections::VecDeque;

use crate::onvif::access::AccessClass;
use crate::onvif::security::TokenProblem;
use crate::onvif::values::format_datetime;
use crate::onvif::{AccessRecord, AccessResult, AuthMethod, DenialReason};

/// Lines of the access log kept.
pub const ACCESS_LINES: usize = 256;
/// Lines of the configuration-change log kept.
pub const CHANGE_LINES: usize = 128;

/// The latest requests and configuration changes.
#[derive(Clone, Debug, Default)]
pub struct DeviceLog {
    access: VecDeque<String>,
    changes: VecDeque<String>,
}

impl DeviceLog {
    /// Records a request the endpoint refused or ran; one that changed the
    /// device (`WRITE_SYSTEM`, `UNRECOVERABLE`, `ACTUATE`, answered
    /// without a fault) goes to the change log too.
    pub fn record(&mut self, record: &AccessRecord<'_>) {
        let time = format_datetime(record.device_time);
        let ip = record.peer;
        let op = record.operation;
        let who = record
            .principal
            .and_then(|p| p.username.as_deref())
            .unwrap_or("anonymous");
        let line = match (record.result, record.principal) {
            (AccessResult::Refused(reason), _) => {
                format!("{time} access: {op} from {ip} refused: {}", denial(reason))
            }
            (result, Some(p)) => format!(
                "{time} access: {op} from {ip} as {who} ({}, {}){}",
                p.level.as_str(),
                method(p.method),
                if result == AccessResult::Faulted {
                    ": fault"
                } else {
                    ""
                }
            ),
            (_, None) => format!("{time} access: {op} from {ip}"),
        };
        push(&mut self.access, line, ACCESS_LINES);
        let changes_device = matches!(
            record.access,
            AccessClass::WriteSystem | AccessClass::Unrecoverable | AccessClass::Actuate
        );
        if record.result == AccessResult::Answered && changes_device {
            let line = format!("{time} change: {op} by {who} from {ip}");
            push(&mut self.changes, line, CHANGE_LINES);
        }
    }

    /// The access log, oldest first.
    pub fn access(&self) -> impl Iterator<Item = &str> {
        self.access.iter().map(String::as_str)
    }

    /// The configuration changes, oldest first.
    pub fn changes(&self) -> impl Iterator<Item = &str> {
        self.changes.iter().map(String::as_str)
    }
}

fn push(lines: &mut VecDeque<String>, line: String, limit: usize) {
    if lines.len() == limit {
        lines.pop_front();
    }
    lines.push_back(line);
}

/// How a request was authenticated, for the logs.
pub(crate) fn method(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::None => "no credentials",
        AuthMethod::Disabled => "authentication off",
        AuthMethod::HttpDigest => "HTTP Digest",
        AuthMethod::HttpBasic => "HTTP Basic",
        AuthMethod::UsernameToken => "WS-UsernameToken",
    }
}

fn denial(reason: DenialReason) -> &'static str {
    match reason {
        DenialReason::Missing => "no credentials",
        DenialReason::BadHttpCredentials => "wrong HTTP credentials",
        DenialReason::BadToken(TokenProblem::Malformed) => "malformed UsernameToken",
        DenialReason::BadToken(TokenProblem::UnknownUser) => "unknown user",
        DenialReason::BadToken(TokenProblem::WrongPassword) => "wrong password",
        DenialReason::BadToken(TokenProblem::Stale) => {
            "UsernameToken Created out of the time window"
        }
        DenialReason::BadToken(TokenProblem::Replayed) => "UsernameToken nonce replayed",
        DenialReason::Forbidden => "user level too low",
        DenialReason::Throttled => "too many failed attempts",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::Principal;
    use crate::onvif::access::UserLevel;
    use std::time::Duration;

    fn record<'a>(
        op: &'a str,
        access: AccessClass,
        principal: Option<&'a Principal>,
        result: AccessResult,
    ) -> AccessRecord<'a> {
        AccessRecord {
            device_time: Duration::from_secs(1_709_208_001),
            peer: "192.0.2.50".parse().unwrap(),
            operation: op,
            access,
            principal,
            result,
        }
    }

    #[test]
    fn keeps_the_latest_lines_only() {
        let mut log = DeviceLog::default();
        for _ in 0..ACCESS_LINES + 10 {
            log.record(&record(
                "GetProfiles",
                AccessClass::ReadMedia,
                None,
                AccessResult::Answered,
            ));
        }
        log.record(&record(
            "GetUsers",
            AccessClass::ReadSystemSecret,
            None,
            AccessResult::Refused(DenialReason::Missing),
        ));
        assert_eq!(log.access().count(), ACCESS_LINES);
        assert_eq!(
            log.access().last(),
            Some("2024-02-29T12:00:01Z access: GetUsers from 192.0.2.50 refused: no credentials")
        );
    }

    #[test]
    fn only_changes_answered_without_fault_reach_the_change_log() {
        let admin = Principal {
            username: Some("admin".into()),
            level: UserLevel::Administrator,
            method: AuthMethod::HttpDigest,
        };
        let mut log = DeviceLog::default();
        log.record(&record(
            "SetHostname",
            AccessClass::WriteSystem,
            Some(&admin),
            AccessResult::Answered,
        ));
        log.record(&record(
            "SetHostname",
            AccessClass::WriteSystem,
            Some(&admin),
            AccessResult::Faulted,
        ));
        log.record(&record(
            "SetHostname",
            AccessClass::WriteSystem,
            None,
            AccessResult::Refused(DenialReason::Forbidden),
        ));
        log.record(&record(
            "GetHostname",
            AccessClass::PreAuth,
            None,
            AccessResult::Answered,
        ));
        assert_eq!(
            log.changes().collect::<Vec<_>>(),
            ["2024-02-29T12:00:01Z change: SetHostname by admin from 192.0.2.50"]
        );
        assert_eq!(
            log.access().take(3).collect::<Vec<_>>(),
            [
                "2024-02-29T12:00:01Z access: SetHostname from 192.0.2.50 as admin (Administrator, HTTP Digest)",
                "2024-02-29T12:00:01Z access: SetHostname from 192.0.2.50 as admin (Administrator, HTTP Digest): fault",
                "2024-02-29T12:00:01Z access: SetHostname from 192.0.2.50 refused: user level too low",
            ]
        );
    }
}
