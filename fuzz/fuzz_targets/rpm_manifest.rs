#![no_main]
//! CBL-Mariner's container-manifest-2.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/lib/rpmmanifest/container-manifest-2", data);
});
