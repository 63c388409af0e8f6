//! Unit tests of the verdict rules: each criterion with a passing case, a failing case and a tie.
use super::*;

fn s(v: &[f64]) -> Vec<Option<f64>> {
    v.iter().copied().map(Some).collect()
}

#[test]
fn a_threshold_passes_fails_and_ties() {
    let pass = threshold(&s(&[0.10, 0.11, 0.12]), 0.15, false, "TR-LV");
    assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
    let fail = threshold(&s(&[0.50, 0.55, 0.60]), 0.15, false, "TR-LV");
    assert_eq!(fail.verdict, Verdict::DoesNotHold, "{}", fail.text());
    // A mean on the goal, with spread: inconclusive, not a pass by rounding.
    let tie = threshold(&s(&[0.10, 0.15, 0.20]), 0.15, false, "TR-LV");
    assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
    // Higher is better: the sides swap.
    let ess = threshold(&s(&[0.9, 0.92, 0.95]), 0.5, true, "ESS");
    assert_eq!(ess.verdict, Verdict::Holds);
}

#[test]
fn few_seeds_are_inconclusive_and_diverged_seeds_fail() {
    let one = threshold(&s(&[0.01]), 0.15, false, "TR-LV");
    assert_eq!(one.verdict, Verdict::Inconclusive);
    assert!(one.reason.contains("(1 seed)") && !one.reason.contains("± 0.000"));
    let div = threshold(&[Some(0.01), None, Some(0.02)], 0.15, false, "TR-LV");
    assert_eq!(div.verdict, Verdict::DoesNotHold, "{}", div.text());
    assert!(div.reason.contains("1 of 3 seeds"));
    assert_eq!(
        threshold(&[], 0.1, false, "x").verdict,
        Verdict::CannotJudge
    );
}

#[test]
fn a_comparison_needs_the_u0_anchor_and_a_difference_beyond_noise() {
    let u0 = [0.35, 0.34, 0.36];
    let names = ("TR-LV", "LV");
    // Better than the others and than u = 0, clearly: holds.
    let pass = better(
        &s(&[0.20, 0.21, 0.19]),
        &s(&[0.60, 0.62, 0.61]),
        &u0,
        false,
        names,
    );
    assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
    // Better than the others but worse than u = 0 (fig2 cpu-long): no method learns.
    let worse = better(
        &s(&[0.70, 0.71, 0.72]),
        &s(&[0.86, 0.87, 0.86]),
        &u0,
        false,
        names,
    );
    assert_eq!(worse.verdict, Verdict::DoesNotHold, "{}", worse.text());
    assert!(worse.reason.contains("does not improve on u = 0"));
    // A tie at the one-component value (fig2 cpu's 0.867 against 0.867): inconclusive.
    let tie = better(
        &s(&[0.20, 0.25, 0.30]),
        &s(&[0.21, 0.26, 0.29]),
        &u0,
        false,
        names,
    );
    assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
    // The other line clearly better: does not hold.
    let lose = better(
        &s(&[0.30, 0.31, 0.29]),
        &s(&[0.10, 0.11, 0.12]),
        &u0,
        false,
        names,
    );
    assert_eq!(lose.verdict, Verdict::DoesNotHold, "{}", lose.text());
    // Higher is better (ESS): the sides swap.
    let ess = better(
        &s(&[0.9, 0.91, 0.92]),
        &s(&[0.5, 0.52, 0.51]),
        &[0.1, 0.1, 0.12],
        true,
        names,
    );
    assert_eq!(ess.verdict, Verdict::Holds, "{}", ess.text());
}

#[test]
fn partly_says_how_many_points_hold() {
    let h = Judged::new(Verdict::Holds, "");
    let f = Judged::new(Verdict::DoesNotHold, "");
    let i = Judged::new(Verdict::Inconclusive, "");
    let c = Judged::new(Verdict::CannotJudge, "");
    let one_of_four = combine(&[h.clone(), f.clone(), f.clone(), i.clone()]);
    assert_eq!(one_of_four.verdict, Verdict::Partly { held: 1, of: 4 });
    assert!(one_of_four.verdict.label().contains("1 of 4"));
    assert_eq!(
        combine(&[h.clone(), h.clone(), c.clone()]).verdict,
        Verdict::Holds
    );
    assert_eq!(
        combine(&[f.clone(), i.clone()]).verdict,
        Verdict::Inconclusive
    );
    assert_eq!(combine(&[f.clone(), f]).verdict, Verdict::DoesNotHold);
    assert_eq!(combine(&[c]).verdict, Verdict::CannotJudge);
}

#[test]
fn welch_matches_a_hand_computed_case() {
    // a = {1, 2, 3}, b = {4, 5, 6}: t = −3/√(2/3) = −3.674, df = 4, P(T ≤ t) = 0.0107.
    let p = welch_below(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]).unwrap();
    assert!((p - 0.0107).abs() < 5e-4, "{p}");
    assert_eq!(welch_below(&[1.0, 1.0], &[1.0, 1.0]), Some(0.5));
    assert_eq!(welch_below(&[1.0], &[2.0, 3.0]), None);
}

#[test]
fn a_named_anchor_and_a_plain_comparison() {
    let names = ("TR-SOCM", "SOCM");
    // No anchor needed (target evaluations): fewer, clearly.
    let pass = compare(
        &s(&[100.0, 110.0, 105.0]),
        &s(&[400.0, 420.0, 390.0]),
        false,
        names,
    );
    assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
    let fail = compare(
        &s(&[400.0, 420.0, 390.0]),
        &s(&[100.0, 110.0, 105.0]),
        false,
        names,
    );
    assert_eq!(fail.verdict, Verdict::DoesNotHold, "{}", fail.text());
    let tie = compare(
        &s(&[100.0, 200.0, 150.0]),
        &s(&[110.0, 190.0, 160.0]),
        false,
        names,
    );
    assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
    // The anchor's name appears in the reason.
    let init = [1.0, 1.0, 1.0];
    let worse = better_than_anchor(
        &s(&[1.2, 1.3, 1.25]),
        &s(&[2.0, 2.1, 2.2]),
        (&init, "the initial model"),
        false,
        names,
    );
    assert_eq!(worse.verdict, Verdict::DoesNotHold);
    assert!(
        worse
            .reason
            .contains("does not improve on the initial model"),
        "{}",
        worse.text()
    );
}

#[test]
fn consistency_is_an_f_test_of_the_variances() {
    let names = ("TR-LV", "TPS-DPS");
    // Paper-like spreads (4 against 28 points) over 6 seeds: holds.
    let tight = s(&[61.0, 57.0, 65.0, 60.0, 63.0, 58.0]);
    let loose = s(&[10.0, 70.0, 40.0, 5.0, 75.0, 38.0]);
    let pass = less_spread(&tight, &loose, names);
    assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
    let fail = less_spread(&loose, &tight, names);
    assert_eq!(fail.verdict, Verdict::DoesNotHold, "{}", fail.text());
    // table1's case: std 0.33 against 0.63 over 3 seeds (F = 3.7 < 19): inconclusive.
    let a = s(&[1.0, 1.33, 1.66]);
    let b = s(&[1.0, 1.63, 2.26]);
    let tie = less_spread(&a, &b, names);
    assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
    // F(2, 2) upper 5 % point is 19: a ratio of 19.5 passes, 18.5 does not.
    let p = variance_below(
        &[0.0, 1.0, 2.0],
        &[0.0, 19.5f64.sqrt(), 2.0 * 19.5f64.sqrt()],
    )
    .unwrap();
    assert!(p < 0.05, "{p}");
    let p = variance_below(
        &[0.0, 1.0, 2.0],
        &[0.0, 18.5f64.sqrt(), 2.0 * 18.5f64.sqrt()],
    )
    .unwrap();
    assert!(p > 0.05, "{p}");
}

#[test]
fn all_of_needs_every_part() {
    let h = Judged::new(Verdict::Holds, "a");
    let f = Judged::new(Verdict::DoesNotHold, "b");
    let i = Judged::new(Verdict::Inconclusive, "c");
    assert_eq!(all_of(&[h.clone(), h.clone()]).verdict, Verdict::Holds);
    let fail = all_of(&[h.clone(), f, i.clone()]);
    assert_eq!(
        (fail.verdict, fail.reason.as_str()),
        (Verdict::DoesNotHold, "b")
    );
    assert_eq!(all_of(&[h, i]).verdict, Verdict::Inconclusive);
    assert_eq!(all_of(&[]).verdict, Verdict::CannotJudge);
}

#[test]
fn every_seed_means_every_seed_of_at_least_three() {
    let t = Some(true);
    let f = Some(false);
    assert_eq!(every_seed(&[t, t, t], "F").verdict, Verdict::Holds);
    assert_eq!(every_seed(&[t, f, t], "F").verdict, Verdict::DoesNotHold);
    assert_eq!(every_seed(&[t, None, t], "F").verdict, Verdict::DoesNotHold);
    // Two seeds that both meet it: a tie with chance, inconclusive.
    assert_eq!(every_seed(&[t, t], "F").verdict, Verdict::Inconclusive);
}

#[test]
fn within_is_two_one_sided_tests() {
    let pass = within(&s(&[0.01, -0.02, 0.03]), -0.1, 0.1, "Δ");
    assert_eq!(pass.verdict, Verdict::Holds, "{}", pass.text());
    let fail = within(&s(&[0.30, 0.32, 0.31]), -0.1, 0.1, "Δ");
    assert_eq!(fail.verdict, Verdict::DoesNotHold, "{}", fail.text());
    let tie = within(&s(&[0.0, 0.1, 0.2]), -0.1, 0.1, "Δ");
    assert_eq!(tie.verdict, Verdict::Inconclusive, "{}", tie.text());
}
