//! Benchmark support: the RTSP load generator.
