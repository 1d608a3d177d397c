//! Gives the shared library libotr's SONAME, so that clients linked against
//! libotr 4.1.1 (`NEEDED libotr.so.5`) load it unchanged; and tells the tests
//! whether libotr's development files are here (`cfg(have_libotr)`): the C
//! tests compile programs against libotr's headers and compare with the real
//! library, so without it they are reported as ignored, not passed.
//! (`OTR_ASSUME_NO_LIBOTR=1` pretends it is missing.)

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libotr.so.5");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=OTR_ASSUME_NO_LIBOTR");
    println!("cargo::rerun-if-changed=/usr/include/libotr/proto.h");
    println!("cargo::rustc-check-cfg=cfg(have_libotr)");
    let pretend_none =
        std::env::var("OTR_ASSUME_NO_LIBOTR").is_ok_and(|v| !v.is_empty() && v != "0");
    let libotr = !pretend_none
        && std::process::Command::new("pkg-config")
            .args(["--exists", "libotr"])
            .status()
            .is_ok_and(|s| s.success());
    if libotr {
        println!("cargo::rustc-cfg=have_libotr");
    }
}
