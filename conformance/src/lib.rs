//! Conformance harness: a seeded network simulator and helpers for black-box tests.
