#![no_main]
//! Python METADATA and RECORD.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/usr/lib/python3/site-packages/x-1.0.dist-info/METADATA", data);
    sbom_fuzz::view_collect("/usr/lib/python3/site-packages/x-1.0.dist-info/RECORD", data);
});
