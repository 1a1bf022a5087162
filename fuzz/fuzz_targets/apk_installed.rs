#![no_main]
//! apk's installed database.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/lib/apk/db/installed", data);
});
