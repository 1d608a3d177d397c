//! Gives the shared library libotr's SONAME, so that clients linked against
//! libotr 4.1.1 (`NEEDED libotr.so.5`) load it unchanged.

fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libotr.so.5");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
