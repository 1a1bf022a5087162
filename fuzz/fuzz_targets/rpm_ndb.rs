#![no_main]
//! rpm's NDB Packages.db (SUSE).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/var/lib/rpm/Packages.db", data);
});
