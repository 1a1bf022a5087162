#![no_main]
//! Arbitrary bytes as the one layer of an OCI layout: the tar walk, whiteouts, links.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::scan_layer(data);
});
