#![no_main]
//! A distroless status.d record.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/lib/dpkg/status.d/base", data);
});
