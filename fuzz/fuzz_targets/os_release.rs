#![no_main]
//! os-release (key=value) and the one-line release files.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect("/etc/os-release", data);
    sbom_fuzz::view_collect("/etc/redhat-release", data);
});
