//! Vulnerability formats, pure and without I/O: every parser here is strict, every
//! refusal says what is wrong, and nothing here knows about reports or HTTP.

pub mod atom;
#[cfg(feature = "conformance")]
pub mod conformance;
pub mod cpe;
pub mod csaf;
pub mod cve_id;
pub mod cve_record;
pub mod cvss;
pub mod cvss_json;
pub mod cwe;
pub mod inbound_mail;
pub mod json_number;
pub mod osv;
pub mod purl;
pub mod redaction;
pub mod sarif;
pub mod securitytxt;
mod text;
pub mod timestamp;
pub mod tlp;
