//! Criterion micro-benchmarks of the per-point kernels: one point solved by each variant, for
//! the three families of the Python harness (uniform/uniform, two-type, logistic cost).
//!
//! `cargo bench -p allysweep-core` (the end-to-end points/second live in `benches/harness.py`).

use allysweep_core::{CostDist, Method, Params, TypeDist};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;

fn points() -> [(&'static str, Params); 3] {
    let base = Params { k: 0.03, ..Params::default() };
    [
        ("uniform", base),
        ("two_type", Params { theta: TypeDist::TwoPoint { low: 0.2, high: 0.4, prior_high: 0.5 }, k: 0.018, ..base }),
        ("logistic", Params { cost_c: CostDist::Logistic { mu: 0.4, scale: 0.15 }, ..base }),
    ]
}

fn kernels(c: &mut Criterion) {
    let mut group = c.benchmark_group("solve_point");
    for (family, params) in points() {
        let mut methods = vec![Method::Roots, Method::BeliefSpace];
        if family == "uniform" {
            methods.push(Method::ClosedForm);
        }
        for method in methods {
            let name = format!("{method:?}/{family}");
            group.bench_function(name, |b| {
                b.iter_batched(|| params, |p| black_box(method.solve_unchecked(&p, f64::NAN)), BatchSize::SmallInput)
            });
        }
    }
    group.finish();
    let mut slow = c.benchmark_group("qre_point");
    slow.sample_size(10);
    for (family, params) in points() {
        let method = Method::Qre { lam: 1e8 };
        slow.bench_function(family, |b| b.iter(|| black_box(method.solve_unchecked(black_box(&params), f64::NAN))));
    }
    slow.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
