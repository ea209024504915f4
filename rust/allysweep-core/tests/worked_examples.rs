//! MODEL.md §10 worked examples, to 1e-9, straight from the spec's table.

use allysweep_core::{solve, Equilibrium, Kind, Params, TypeDist};

const TOL: f64 = 1e-9;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOL
}

fn with_k(k: f64) -> Params {
    Params { k, ..Params::default() }
}

fn find(eqs: &[Equilibrium], kind: Kind) -> Equilibrium {
    *eqs.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("no {kind:?} in {eqs:#?}"))
}

#[test]
fn e1_honest_cutpoint() {
    let sol = solve(&with_k(0.075), f64::NAN).expect("valid");
    let eqs = sol.equilibria();
    assert_eq!(eqs.len(), 2, "{eqs:#?}");
    let e = find(&eqs, Kind::CutpointHonest);
    assert!(close(e.cutpoint, 0.35) && close(e.prob_alliance, 0.65) && close(e.belief_alliance, 1.0));
    assert!(close(e.prob_challenge_alliance, 0.2) && close(e.prob_challenge_no_alliance, 0.6));
    assert!(close(e.prob_war, 0.34) && close(e.prob_renege, 0.0));
    assert!(e.flags.stable && e.selected);
    let pool = find(&eqs, Kind::PoolNoAlliance);
    assert!(!pool.flags.ic_ok && !pool.flags.d1_ok);
    assert!(
        close(pool.belief_no_alliance, 0.5) && close(pool.prob_challenge_no_alliance, 0.4) && close(pool.prob_war, 0.4)
    );
}

#[test]
fn e2_bluff_cutpoint_and_ranges() {
    let sol = solve(&with_k(0.03), 0.2).expect("valid");
    let eqs = sol.equilibria();
    assert_eq!(eqs.len(), 2, "{eqs:#?}");
    let e = find(&eqs, Kind::CutpointBluff);
    assert!(close(e.cutpoint, 41.0 / 195.0), "{}", e.cutpoint);
    assert!(close(e.prob_alliance, 154.0 / 195.0) && close(e.belief_alliance, 39.0 / 44.0));
    assert!(close(e.prob_challenge_alliance, 27.0 / 110.0) && close(e.prob_challenge_no_alliance, 0.6));
    assert!(close(e.prob_war, 0.32) && close(e.prob_renege, 5.0 / 44.0));
    assert!(e.flags.stable && e.selected);
    assert!(close(e.range_lo_alliance, 26.85 / 44.0) && close(e.range_hi_alliance, 0.6 + 0.4 * 39.0 / 44.0));
    assert!(close(e.range_lo_no_alliance, 0.3) && close(e.range_hi_no_alliance, 0.6));
    let pool = find(&eqs, Kind::PoolNoAlliance);
    assert!(!pool.flags.ic_ok && !pool.flags.d1_ok);
}

#[test]
fn e3_pooling_passes_ic_fails_d1() {
    let sol = solve(&with_k(0.0072), f64::NAN).expect("valid");
    let eqs = sol.equilibria();
    let e = find(&eqs, Kind::CutpointBluff);
    assert!(close(e.cutpoint, 0.125) && close(e.prob_alliance, 0.875) && close(e.belief_alliance, 0.8));
    assert!(close(e.prob_challenge_alliance, 0.28) && close(e.prob_war, 0.32) && close(e.prob_renege, 0.2));
    let pool = find(&eqs, Kind::PoolNoAlliance);
    assert!(pool.flags.ic_ok && !pool.flags.d1_ok);
}

fn two_type(k: f64) -> Params {
    Params { k, theta: TypeDist::TwoPoint { low: 0.2, high: 0.4, prior_high: 0.5 }, ..Params::default() }
}

#[test]
fn t1_separating() {
    let eqs = solve(&two_type(0.05), f64::NAN).expect("valid").equilibria();
    let e = find(&eqs, Kind::Separating);
    assert!(
        close(e.prob_alliance, 0.5)
            && close(e.prob_challenge_alliance, 0.2)
            && close(e.prob_challenge_no_alliance, 0.6)
    );
    assert!(close(e.prob_war, 0.4) && close(e.prob_renege, 0.0));
}

#[test]
fn t2_hybrid() {
    let eqs = solve(&two_type(0.018), f64::NAN).expect("valid").equilibria();
    let e = find(&eqs, Kind::Hybrid);
    assert!(close(e.prob_challenge_alliance, 0.3) && close(e.belief_alliance, 0.75));
    assert!(close(e.prob_alliance, 2.0 / 3.0) && close(e.prob_war, 0.4) && close(e.prob_renege, 0.25));
    let pool = find(&eqs, Kind::PoolNoAlliance);
    assert!(pool.flags.ic_ok && !pool.flags.d1_ok);
}

#[test]
fn invalid_parameter_is_named() {
    let err = solve(&Params { p: 1.2, ..Params::default() }, f64::NAN).expect_err("p out of range");
    let msg = err.to_string();
    assert!(msg.contains("`p`") && msg.contains("1.2") && msg.contains("0 < p < 1"), "{msg}");
}
