//! Criterion harness over the contenders of `jwtkeep_bench::groups()`.
//! Run: `cd bench && cargo bench --bench jwt && python3 report.py`.

use criterion::{criterion_group, criterion_main, Criterion};

fn all(c: &mut Criterion) {
    for group in jwtkeep_bench::groups() {
        let mut g = c.benchmark_group(&group.name);
        for (name, mut op) in group.members {
            g.bench_function(name, |b| b.iter(&mut op));
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = all
}
criterion_main!(benches);
