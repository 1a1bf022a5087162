#![no_main]
//! cargo-auditable data in an ELF executable.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect("/usr/bin/app", &sbom_fuzz::with_magic(b"\x7fELF", data));
});
