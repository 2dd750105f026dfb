//! How warden's release build is linked (docs/linking.md).
//!
//! A 10,000-file `warden check` executes about 1.9 MB of the 10 MB of machine code, spread
//! over the whole executable; the kernel maps 64 KiB around each first touch, so nearly all
//! of it became resident and each page was a page fault. `link/hot-code.ld` gathers the
//! functions a check runs (and the constants it reads) in front. Relative relocations are
//! packed (RELR) where the glibc allows. Both are passed only where rustc links with the
//! lld it ships: x86_64 Linux with glibc, rust-lld in the toolchain, no linker chosen by
//! the user.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=link/hot-code.ld");
    for var in [
        "WARDEN_HOT_CODE",
        "WARDEN_LINK_MAP",
        "RUSTC_LINKER",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    if !links_with_rust_lld() {
        return;
    }
    // scripts/symbol-order.sh asks for the link map, to see where each function landed.
    if let Ok(map) = std::env::var("WARDEN_LINK_MAP") {
        println!("cargo:rustc-link-arg-bin=warden=-Xlinker");
        println!("cargo:rustc-link-arg-bin=warden=-Map={map}");
    }
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let hot_code = match std::env::var("WARDEN_HOT_CODE") {
        Ok(value) if value == "none" => None,
        Ok(path) => Some(PathBuf::from(path)),
        Err(_) if release => Some(
            Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
                .join("link/hot-code.ld"),
        ),
        Err(_) => None,
    };
    if let Some(script) = hot_code.filter(|script| script.is_file()) {
        // `-Xlinker` passes the path whole; `-Wl,` would split it at any comma.
        println!("cargo:rustc-link-arg-bin=warden=-Xlinker");
        println!(
            "cargo:rustc-link-arg-bin=warden=--script={}",
            script.display()
        );
    }
    // 20,000 relative relocations as RELA entries are 470 KB that the dynamic loader
    // reads whole at every start; packed as RELR they are a few KB. The loader must know
    // RELR (glibc 2.36), so only where the glibc building it does: a binary built there
    // then names the requirement (`GLIBC_ABI_DT_RELR`) and an older glibc refuses it
    // with that name instead of misrunning it. The manylinux wheels build on glibc 2.17.
    if release && host_glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bin=warden=-Wl,-z,pack-relative-relocs");
    }
}

/// The glibc of the machine building (for x86_64-unknown-linux-gnu, also the target's).
fn host_glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(output) = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
    else {
        return false;
    };
    // "glibc 2.36"
    let text = String::from_utf8_lossy(&output.stdout);
    let mut version = text.trim().trim_start_matches("glibc ").split('.');
    let mut part = || version.next().and_then(|p| p.parse::<u32>().ok());
    matches!((part(), part()), (Some(a), Some(b)) if (a, b) >= (major, minor))
}

/// rustc links x86_64-unknown-linux-gnu with the lld it ships (since Rust 1.90), unless a
/// linker is configured or the toolchain was built without rust-lld (some distributions).
fn links_with_rust_lld() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("TARGET") != "x86_64-unknown-linux-gnu"
        || !var("RUSTC_LINKER").is_empty()
        || !var("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_empty()
        || var("CARGO_ENCODED_RUSTFLAGS").contains("link")
    {
        return false;
    }
    let Ok(output) = std::process::Command::new(var("RUSTC"))
        .args(["--print", "sysroot"])
        .output()
    else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&output.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/gcc-ld/ld.lld")
        .is_file()
}
