//! Vulnerability formats, pure and without I/O: every parser here is strict, every
//! refusal says what is wrong, and nothing here knows about reports or HTTP.

pub mod cvss;
pub mod cwe;
pub mod securitytxt;
