#![no_main]
//! rpm's rpmdb.sqlite.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/usr/lib/sysimage/rpm/rpmdb.sqlite", data);
});
