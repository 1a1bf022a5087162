#![no_main]
//! An rpm header blob, wrapped as the only record of an NDB database.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let db = sbom_fuzz::ndb_with_blob(data);
    sbom_fuzz::view_collect_bounded("/var/lib/rpm/Packages.db", &db);
});
