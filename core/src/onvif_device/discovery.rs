//! WS-Discovery (multicast 239.255.255.250:3702): Hello, Bye, Probe and
//! Resolve matching.
