#![no_main]
//! A kernel module's ELF and .modinfo.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/lib/modules/6.1.0/kernel/x.ko", data);
});
