//! RTCP: sender reports, receiver reports and BYE (RFC 3550 section 6).
