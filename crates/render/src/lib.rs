//! Render parsed and symbolized kernel reports.
