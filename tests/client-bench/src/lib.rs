//! Nothing to import: this package holds the client-overhead benchmark
//! (`benches/client_overhead.rs`) and its loopback server
//! (`src/bin/bench_server.rs`). Run it with `cargo xtask bench client`.
