//! The floor under any solver's batch throughput: the cost of producing the output columns alone.
//!
//! Writes placeholder values into the 25 output columns of a batch (6 per point, 19 per
//! equilibrium slot, `slots` = 4), once into freshly allocated columns (what every batch call
//! does: page faults and zeroing included) and once into columns reused from a previous round.
//! Compare the ns/point with the harness's "write-bandwidth bound" (bytes per point / copy
//! bandwidth). A last round fills each column with one value, column after column: the cheapest
//! way to produce these bytes at all. Run: `cargo run --release -p allysweep-core --example write_floor`.

use std::time::Instant;

struct Columns {
    per_point: Vec<Vec<f64>>,
    floats: Vec<Vec<f64>>,
    flags: Vec<Vec<bool>>,
    kind: Vec<i8>,
}

impl Columns {
    fn new(n: usize, slots: usize) -> Self {
        let m = n * slots;
        Columns {
            per_point: (0..6).map(|_| vec![0.0; n]).collect(),
            floats: (0..12).map(|_| vec![0.0; m]).collect(),
            flags: (0..6).map(|_| vec![false; m]).collect(),
            kind: vec![-1; m],
        }
    }

    fn fill(&mut self, n: usize, slots: usize, salt: usize) -> f64 {
        for i in 0..n {
            for c in self.per_point.iter_mut() {
                c[i] = (i + salt) as f64;
            }
            for j in 0..slots {
                let o = i * slots + j;
                self.kind[o] = j as i8;
                for c in self.floats.iter_mut() {
                    c[o] = (i + j + salt) as f64;
                }
                for c in self.flags.iter_mut() {
                    c[o] = (i + salt) % 2 == 0;
                }
            }
        }
        self.floats[3][n * slots - 1] + self.per_point[2][n / 2] + f64::from(self.kind[5])
    }
}

fn main() {
    let (n, slots) = (1_000_000, 4);
    let bytes = 6 * 8 + slots * (1 + 12 * 8 + 6);
    println!("{n} points, {slots} slots, {bytes} bytes per point");
    let mut check = 0.0;
    for round in 0..3 {
        let t = Instant::now();
        let mut fresh = Columns::new(n, slots);
        check += fresh.fill(n, slots, round);
        println!("fresh columns:  {:6.1} ns/point", t.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    let mut reused = Columns::new(n, slots);
    check += reused.fill(n, slots, 0);
    for round in 1..4 {
        let t = Instant::now();
        check += reused.fill(n, slots, round);
        println!("reused columns: {:6.1} ns/point", t.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    // The lowest floor: every column filled with one value, column after column (memset-like).
    for round in 1..4 {
        let t = Instant::now();
        for c in reused.per_point.iter_mut().chain(reused.floats.iter_mut()) {
            c.fill(f64::from(round));
        }
        reused.kind.fill(round as i8);
        for c in reused.flags.iter_mut() {
            c.fill(round % 2 == 0);
        }
        check += reused.floats[3][5];
        println!("memset-like:    {:6.1} ns/point", t.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    println!("(checksum {check})");
}
