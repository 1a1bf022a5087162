#![no_main]
//! Composer's `vendor/composer/installed.json` (both layouts).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/www/app/vendor/composer/installed.json", data);
});
