//! Client overhead: the generated client (auth, hooks, retry policy armed but not
//! triggered) against a plain `reqwest::Client` sending the identical DELETE to
//! the same loopback server, side by side, in alternating rounds.
//!
//! Run with `cargo xtask bench client` (or `cargo bench -p client-bench`), which
//! tabulates the `BENCH` lines it prints; `cargo xtask bench` runs it with
//! every other figure. Set
//! `BENCH_CALLS` to change the calls per round (default 4,000).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, HeaderValue};

/// CPU time of this process: the sum of its threads' run time in nanoseconds
/// (`/proc/self/task/*/schedstat`, Linux), far finer than the 10 ms ticks of
/// `/proc/self/stat`.
fn cpu_time() -> Duration {
    let mut total = 0u64;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += stat
                .split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(total)
}

struct Sample {
    wall: Duration,
    cpu: Duration,
}

async fn run<F, Fut>(calls: usize, concurrency: usize, call: F) -> Sample
where
    F: Fn() -> Fut + Clone + 'static,
    Fut: std::future::Future<Output = bool> + 'static,
{
    use std::cell::Cell;
    use std::rc::Rc;
    let next = Rc::new(Cell::new(0usize));
    let (cpu0, t0) = (cpu_time(), Instant::now());
    // Each worker is a task of its own, as calls are in a real service: a
    // wake-up polls only the worker it concerns. (Polling every worker on any
    // wake-up, as this bench once did, charged each call the cost of polling
    // all 64 futures, which penalises deeper futures far beyond real use.)
    let set = tokio::task::LocalSet::new();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, call) = (next.clone(), call.clone());
            set.spawn_local(async move {
                while next.replace(next.get() + 1) < calls {
                    assert!(call().await, "the call failed");
                }
            })
        })
        .collect();
    set.run_until(async {
        for worker in workers {
            worker.await.expect("a worker panicked");
        }
    })
    .await;
    Sample {
        wall: t0.elapsed(),
        cpu: cpu_time() - cpu0,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and
    // expects a quick smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 50 } else { 2_000 });
    // Many short rounds, each pairing the two clients back to back: the ratio
    // of each pair cancels the drift of a shared, noisy machine, and the
    // median of the pairs ignores the rounds a neighbour disturbed.
    let rounds = if smoke { 1 } else { 15 };

    let mut server = Command::new(env!("CARGO_BIN_EXE_bench_server"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the loopback server");
    let mut port = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let base = format!("http://127.0.0.1:{}", port.trim());

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let ours = gcore_iam::Client::builder().credential("bench-key").base_url(&base).build().unwrap();
        let plain = reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).build().unwrap();
        let mut auth = HeaderValue::from_static("APIKey bench-key");
        auth.set_sensitive(true);
        let url = std::rc::Rc::new(format!("{base}/iam/v2/clients/42/tokens/7"));
        // The same DELETE through each client.
        let ours_call = {
            let ours = ours.clone();
            move || {
                let ours = ours.clone();
                async move { ours.iam_delete_api_token_v2(42, 7).await.is_ok() }
            }
        };
        let plain_call = {
            let (plain, url, auth) = (plain.clone(), url.clone(), auth.clone());
            move || {
                let (plain, url, auth) = (plain.clone(), url.clone(), auth.clone());
                async move {
                    plain.delete(url.as_str()).header(AUTHORIZATION, auth).timeout(Duration::from_secs(60)).send().await.is_ok_and(|r| r.status() == 204)
                }
            }
        };

        // One client alone, for instruction and allocation counts: run under
        // `valgrind --tool=callgrind` (or dhat) with BENCH_ONLY=ours|plain,
        // BENCH_CONC (default 64) and two BENCH_CALLS values; the difference
        // of the totals divided by the difference of the calls is per call.
        if let Ok(only) = std::env::var("BENCH_ONLY") {
            let concurrency = std::env::var("BENCH_CONC").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
            let sample = if only == "ours" {
                run(concurrency, concurrency, ours_call.clone()).await;
                run(calls, concurrency, ours_call).await
            } else {
                run(concurrency, concurrency, plain_call.clone()).await;
                run(calls, concurrency, plain_call).await
            };
            println!("ONLY {only} c={concurrency} calls={calls} cpu/call {:.2}us", sample.cpu.as_secs_f64() * 1e6 / calls as f64);
            return;
        }
        for concurrency in [1usize, 64] {
            let (mut ours_rps, mut base_rps, mut ours_cpu, mut base_cpu) = (vec![], vec![], vec![], vec![]);
            let (mut rps_ratio, mut cpu_ratio) = (vec![], vec![]);
            for round in 0..=rounds {
                // Alternate which client goes first; round 0 only warms both up.
                let (a, b) = if round % 2 == 0 {
                    let a = run(calls, concurrency, ours_call.clone()).await;
                    (a, run(calls, concurrency, plain_call.clone()).await)
                } else {
                    let b = run(calls, concurrency, plain_call.clone()).await;
                    (run(calls, concurrency, ours_call.clone()).await, b)
                };
                if round == 0 {
                    continue;
                }
                rps_ratio.push(b.wall.as_secs_f64() / a.wall.as_secs_f64());
                cpu_ratio.push(a.cpu.as_secs_f64() / b.cpu.as_secs_f64());
                ours_rps.push(calls as f64 / a.wall.as_secs_f64());
                base_rps.push(calls as f64 / b.wall.as_secs_f64());
                ours_cpu.push(a.cpu.as_secs_f64() * 1e6 / calls as f64);
                base_cpu.push(b.cpu.as_secs_f64() * 1e6 / calls as f64);
            }
            let (o, b) = (median(ours_rps), median(base_rps));
            let (oc, bc) = (median(ours_cpu), median(base_cpu));
            let (rr, cr) = (median(rps_ratio), median(cpu_ratio));
            println!(
                "BENCH {{\"figure\":\"client throughput, concurrency {concurrency} (median of {rounds} paired rounds)\",\"unit\":\"req/s\",\"ours\":{o:.0},\"baseline\":{b:.0},\"ratio\":{rr:.4},\"target\":\">= 0.97\",\"higher_is_better\":true}}"
            );
            println!(
                "BENCH {{\"figure\":\"client CPU per request, concurrency {concurrency} (median of {rounds} paired rounds)\",\"unit\":\"µs\",\"ours\":{oc:.2},\"baseline\":{bc:.2},\"ratio\":{cr:.4},\"target\":\"<= 1.05\",\"higher_is_better\":false}}"
            );
        }
    });
    let _ = server.stdin.take().map(|mut s| s.flush());
    let _ = server.kill();
    let _ = server.wait();
}
