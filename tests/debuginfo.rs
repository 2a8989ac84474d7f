//! End-to-end tests of finding debug files.
