#![no_main]
//! A Java archive (nested jars, pom.properties, MANIFEST.MF).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect("/app/lib/x.jar", &sbom_fuzz::with_magic(b"PK\x03\x04", data));
});
