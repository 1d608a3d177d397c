//! Finds out which libotr tools this machine has, so that the tests needing
//! them are reported as ignored (with the reason) instead of passing silently:
//!
//! * `cfg(have_libotr)`: libotr 4.x's development files (`pkg-config --exists
//!   libotr`, as the C test programs are compiled with its flags);
//! * `cfg(have_otr_parse)`: libotr's `otr_parse` tool (package libotr5-bin).
//!
//! `OTR_REQUIRE_INTEROP=1` (set by `.ci/run`) turns a missing tool into a build
//! failure, so CI can never pass without running the interop tests.
//! `OTR_ASSUME_NO_LIBOTR=1` pretends nothing is installed (to check the
//! ignored path on a machine that has libotr).

use std::path::Path;
use std::process::Command;

const REQUIRE_VAR: &str = "OTR_REQUIRE_INTEROP";
const ASSUME_NONE_VAR: &str = "OTR_ASSUME_NO_LIBOTR";
const OTR_PARSE: &str = "/usr/bin/otr_parse";
const HEADER: &str = "/usr/include/libotr/proto.h";

fn flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty() && v != "0")
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed={REQUIRE_VAR}");
    println!("cargo::rerun-if-env-changed={ASSUME_NONE_VAR}");
    println!("cargo::rerun-if-env-changed=PKG_CONFIG_PATH");
    // Installing or removing the packages reruns this script.
    println!("cargo::rerun-if-changed={HEADER}");
    println!("cargo::rerun-if-changed={OTR_PARSE}");
    println!("cargo::rustc-check-cfg=cfg(have_libotr)");
    println!("cargo::rustc-check-cfg=cfg(have_otr_parse)");

    let pretend_none = flag(ASSUME_NONE_VAR);
    let libotr = !pretend_none
        && Command::new("pkg-config")
            .args(["--exists", "libotr"])
            .status()
            .is_ok_and(|s| s.success());
    let otr_parse = !pretend_none && Path::new(OTR_PARSE).exists();

    let mut missing = Vec::new();
    if libotr {
        println!("cargo::rustc-cfg=have_libotr");
    } else {
        missing.push("libotr's development files (`pkg-config --exists libotr` failed)");
    }
    if otr_parse {
        println!("cargo::rustc-cfg=have_otr_parse");
    } else {
        missing.push("libotr's otr_parse tool (/usr/bin/otr_parse)");
    }
    if missing.is_empty() {
        return;
    }
    let missing = missing.join(" and ");
    if flag(REQUIRE_VAR) {
        panic!(
            "{REQUIRE_VAR} is set, so the libotr interop tests are mandatory, but {missing} \
             cannot be found{}. Install them: apt-get install libotr5-dev libotr5-bin pkg-config",
            if pretend_none {
                format!(" ({ASSUME_NONE_VAR} is set)")
            } else {
                String::new()
            }
        );
    }
    println!("cargo::warning=not found: {missing}; the libotr interop tests will be ignored");
}
