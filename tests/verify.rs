//! End-to-end tests of `kresym verify`.
