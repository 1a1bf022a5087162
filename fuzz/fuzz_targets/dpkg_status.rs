#![no_main]
//! dpkg's status file.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/lib/dpkg/status", data);
});
