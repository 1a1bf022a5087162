#![no_main]
//! An installed npm package.json.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/app/node_modules/x/package.json", data);
});
