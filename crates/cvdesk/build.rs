//! Links the desk's executable with packed relative relocations (DT_RELR) when it is built
//! for the glibc it is built on and that glibc reads them (2.36 and later). The table of
//! addresses the loader fixes at every start then takes a few kilobytes instead of about
//! 2 MB, and so does the memory it stays resident in. A binary built so does not start
//! on an older glibc, which is why a cross build or an older glibc keeps the plain table.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target == host && target.ends_with("-linux-gnu") && glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether this machine's glibc is 2.36 or later, from `getconf GNU_LIBC_VERSION`
/// ("glibc 2.36").
fn glibc_reads_relr() -> bool {
    let Ok(output) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let printed = String::from_utf8_lossy(&output.stdout);
    let Some(version) = printed.trim().strip_prefix("glibc ") else {
        return false;
    };
    let mut parts = version.split('.').map(|part| part.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => (major, minor) >= (2, 36),
        _ => false,
    }
}
