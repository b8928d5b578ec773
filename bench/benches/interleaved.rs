//! Paired, interleaved measurement of the same contenders as `benches/jwt.rs`,
//! for machines whose speed drifts during a run (shared virtual machines):
//! each round runs one short batch of every contender back to back, in a
//! rotating order, and each ratio is taken within a round before the median
//! over rounds is reported. Drift slower than a round cancels out.
//!
//! Run: `cd bench && cargo bench --bench interleaved` (optional arguments:
//! rounds, default 60; words naming the operations to run, e.g. `verify`
//! or `RS256`). Prints a Markdown table.

use std::time::{Duration, Instant};

/// Each batch runs about this long.
const BATCH: Duration = Duration::from_millis(4);

fn time_batch(op: &mut dyn FnMut(), iters: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed().as_nanos() as f64 / iters as f64
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn quartiles(values: &mut [f64]) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    (values[values.len() / 4], values[values.len() * 3 / 4])
}

fn fmt_time(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.0} ns")
    }
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(60);
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a.parse::<usize>().is_err() && !a.starts_with('-'))
        .collect();
    println!("| operation | jwtkeep | jsonwebtoken | jwt-simple | raw primitive | jwtkeep vs jsonwebtoken | jwtkeep vs jwt-simple | jwtkeep vs primitive |");
    println!("|---|---|---|---|---|---|---|---|");
    for mut group in jwtkeep_bench::groups() {
        if !only.is_empty() && !only.iter().any(|w| group.name.contains(w.as_str())) {
            continue;
        }
        let n = group.members.len();
        // Calibrate: iterations per batch, after a warm-up.
        let iters: Vec<u64> = group
            .members
            .iter_mut()
            .map(|(_, op)| {
                let mut k = 1u64;
                loop {
                    let start = Instant::now();
                    for _ in 0..k {
                        op();
                    }
                    if start.elapsed() >= BATCH / 4 {
                        let per = start.elapsed().as_nanos() as f64 / k as f64;
                        break ((BATCH.as_nanos() as f64 / per) as u64).max(1);
                    }
                    k *= 2;
                }
            })
            .collect();
        let mut times = vec![Vec::with_capacity(rounds); n];
        for round in 0..rounds {
            for step in 0..n {
                let i = (round + step) % n;
                let t = time_batch(&mut *group.members[i].1, iters[i]);
                times[i].push(t);
            }
        }
        // Ratio of each peer's time to jwtkeep's, paired within each round.
        // Peers to two decimals; the floor to three, since its target (0.95×)
        // is a question of the third.
        let cell = |i: Option<usize>, times: &[Vec<f64>], digits: usize| -> (String, String) {
            let Some(i) = i else {
                return ("—".into(), "—".into());
            };
            let mut ratios: Vec<f64> = (0..rounds).map(|r| times[i][r] / times[0][r]).collect();
            let mut own = times[i].clone();
            let (q1, q3) = quartiles(&mut ratios.clone());
            (
                fmt_time(median(&mut own)),
                format!(
                    "{:.digits$}× ({q1:.digits$}–{q3:.digits$})",
                    median(&mut ratios)
                ),
            )
        };
        let find = |name: &str| group.members.iter().position(|(m, _)| m.starts_with(name));
        let (jk, _) = cell(Some(0), &times, 2);
        let (jwt, r_jwt) = cell(find("jsonwebtoken"), &times, 2);
        let (js, r_js) = cell(find("jwt-simple"), &times, 2);
        let (raw, r_raw) = cell(find("raw"), &times, 3);
        println!(
            "| {} | {jk} | {jwt} | {js} | {raw} | {r_jwt} | {r_js} | {r_raw} |",
            group.name
        );
    }
}
