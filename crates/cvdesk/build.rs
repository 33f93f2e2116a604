//! Two link settings that keep the desk's executable small in memory.
//!
//! Packed relative relocations (DT_RELR), when the desk is built for the glibc it is built
//! on and that glibc reads them (2.36 and later): the table of addresses the loader fixes
//! at every start then takes a few kilobytes instead of about 2 MB, and so does the memory
//! it stays resident in. A binary built so does not start on an older glibc, which is why
//! a cross build or an older glibc keeps the plain table.
//!
//! The code a running desk uses, gathered at the front of the executable (release builds
//! linked by LLD): the kernel maps a program's code up to 64 KiB around each page it runs,
//! so the few megabytes a desk runs, spread over 30 MB of code, kept over half of it
//! resident. `code-order.txt` lists those functions, from a profiled run of the desk
//! (`scripts/code-order`). Names LLD does not find, after a dependency or compiler update,
//! are skipped: a stale list costs memory, never a build.

use std::process::Command;

/// Rust links x86_64 Linux programs with its own LLD from this version on.
const LLD_BY_DEFAULT_SINCE: (u32, u32) = (1, 90);

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=code-order.txt");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target == host && target.ends_with("-linux-gnu") && glibc_reads_relr() {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let release = std::env::var("PROFILE").is_ok_and(|profile| profile == "release");
    let order = std::path::Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("code-order.txt");
    if release
        && target == "x86_64-unknown-linux-gnu"
        && order.is_file()
        && links_with_default_lld()
    {
        println!(
            "cargo:rustc-link-arg-bin=cvdesk=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        println!("cargo:rustc-link-arg-bin=cvdesk=-Wl,--no-warn-symbol-ordering");
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
    major_minor(version).is_some_and(|version| version >= (2, 36))
}

/// Whether the executable is linked by the LLD Rust ships: a compiler recent enough and no
/// linker chosen in Cargo's configuration or the compiler's flags.
fn links_with_default_lld() -> bool {
    if std::env::var_os("RUSTC_LINKER").is_some() {
        return false;
    }
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    if flags.contains("linker") || flags.contains("fuse-ld") {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let Ok(output) = Command::new(rustc).arg("--version").output() else {
        return false;
    };
    // "rustc 1.95.0 (59807616e 2026-04-14)"
    let printed = String::from_utf8_lossy(&output.stdout);
    printed
        .split_whitespace()
        .nth(1)
        .and_then(major_minor)
        .is_some_and(|version| version >= LLD_BY_DEFAULT_SINCE)
}

/// The first two numbers of a dotted version: "2.36" or "1.95.0-nightly".
fn major_minor(version: &str) -> Option<(u32, u32)> {
    let mut parts = version
        .split(['.', '-'])
        .map(|part| part.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}
