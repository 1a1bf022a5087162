#![no_main]
//! An xz-compressed kernel module (lzma-rs, bounded output).
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/lib/modules/6.1.0/kernel/x.ko.xz", data);
});
