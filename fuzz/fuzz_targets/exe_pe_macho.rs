#![no_main]
//! Go build info and cargo-auditable data in PE and Mach-O (thin and universal) files.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::exe_pe_macho(data);
});
