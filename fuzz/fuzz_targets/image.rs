#![no_main]
//! A whole image archive (docker-archive, OCI archive; manifest, index, config JSON).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::scan_archive(data);
});
