#![no_main]
//! An npm package-lock.json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/app/package-lock.json", data);
});
