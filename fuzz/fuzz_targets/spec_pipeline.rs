//! Arbitrary bytes through the generator's steps, in the order and with the
//! functions `xtask::pipeline::render` uses. Any panic is a finding: bad input
//! must become an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use xtask::{generate, load, normalize};

fuzz_target!(|data: &[u8]| {
    // The loader's size limit applies to files; inputs here are far smaller.
    let Ok(document) = load::parse(data, "fuzz.yaml") else {
        return;
    };
    let Ok(normalized) = normalize::normalize(document) else {
        return;
    };
    let mut doc = normalized.document;
    if generate::preflight(&doc).is_err() {
        return;
    }
    generate::route_errors_to_runtime(&mut doc);
    let _ = generate::generate(&doc, "fuzz.yaml");
});
