#![no_main]
//! Bitnami's legacy components file.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/opt/bitnami/.bitnami_components.json", data);
});
