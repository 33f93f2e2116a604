//! security.txt (RFC 9116): reading a file — plain or OpenPGP cleartext-signed — into
//! its fields, linting it against the RFC into findings a person can act on, and
//! writing one from settings. Time comes in as an argument; nothing here reads a clock.

mod expires;
mod finding;
mod generate;
mod langtag;
mod lint;
mod parse;
mod pgp;

pub use finding::{Finding, Report, Severity};
pub use generate::SecurityTxt;
pub use lint::{lint, lint_bytes};
pub use parse::{parse, Document, Field};
