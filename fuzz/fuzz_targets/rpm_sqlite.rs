#![no_main]
//! rpm's rpmdb.sqlite, and its write-ahead log (`rpmdb.sqlite-wal`).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/usr/lib/sysimage/rpm/rpmdb.sqlite", data);
    sbom_fuzz::view_collect_bounded("/usr/lib/sysimage/rpm/rpmdb.sqlite-wal", data);
});
