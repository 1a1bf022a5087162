#![no_main]
//! Bitnami's per-component SPDX documents.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sbom_fuzz::view_collect_bounded("/opt/bitnami/redis/.spdx-redis.spdx", data);
});
