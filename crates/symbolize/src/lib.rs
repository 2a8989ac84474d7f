//! Symbolize kernel stack frames against vmlinux and module DWARF.
