#![no_main]
//! rpm's BerkeleyDB Packages file.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/lib/rpm/Packages", data);
});
