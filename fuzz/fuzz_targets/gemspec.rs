#![no_main]
//! A Ruby gemspec.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/usr/lib/ruby/gems/3.0.0/specifications/x-1.0.gemspec", data);
});
