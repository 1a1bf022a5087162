#![no_main]
//! A .NET application's `<app>.deps.json`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/app/MyApp.deps.json", data);
});
