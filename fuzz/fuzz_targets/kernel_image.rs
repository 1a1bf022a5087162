#![no_main]
//! A kernel image's boot header and version banner.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/boot/vmlinuz-6.1.0", data);
});
