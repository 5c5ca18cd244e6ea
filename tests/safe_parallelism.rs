//! Restarting too fast (`restart.safe_parallelism`), against closed forms: at or below the
//! safe number nothing changes; above it the first wave fails its health checks and the
//! restart goes on at the safe number, so it lasts one boot longer than at the safe number.

use blastradius::engine::{Change, Outcome, Simulation};
use blastradius::model::{Model, NodeId};
use blastradius::montecarlo::run_rng;
use blastradius::scenario;
use blastradius::time::{SimDuration, SimTime};
use blastradius::typo::Selector;

type Trace = Vec<(SimTime, NodeId, Change)>;

/// A fleet of `servers` servers that any loss stops, booting `parallelism` at a time in
/// `boot`, with `extra` in its restart table; the command removes one server.
fn fleet(servers: u64, parallelism: u64, boot: &str, extra: &str) -> Model {
    let text = format!(
        "[scenario]\nname = \"pace\"\nhorizon = \"30d\"\n\n\
         [subsystems.fe]\nservers = {servers}\nmin_capacity = {servers}\n\
         restart = {{ parallelism = {parallelism}, boot_time = {boot}{extra} }}\n\n\
         [services.api]\nneeds = [\"fe\"]\n\n\
         [command]\ntarget = \"fe\"\ncount = 1\n"
    );
    scenario::parse("pace.toml", &text).expect("scenario is valid")
}

const TEN_MINUTES: &str = "{ dist = \"constant\", value = \"10m\" }";

fn run(model: &Model, seed: u64) -> (Outcome, Trace) {
    let mut trace = Trace::new();
    let out = Simulation::new(model)
        .run_input(1, Selector::Intended, &mut run_rng(seed, 0), &mut trace)
        .clone();
    (out, trace)
}

#[test]
fn at_or_below_the_safe_number_nothing_changes() {
    // Same trace, same outcome, with any boot-time distribution and seed.
    let boots = [
        TEN_MINUTES,
        "{ dist = \"lognormal\", median = \"3m\", sigma = 0.5 }",
    ];
    for boot in boots {
        for (servers, parallelism) in [(10, 1), (10, 3), (7, 7), (240, 60)] {
            for safe in [parallelism, parallelism + 1, 1000] {
                let plain = fleet(servers, parallelism, boot, "");
                let extra = format!(", safe_parallelism = {safe}");
                let safe_model = fleet(servers, parallelism, boot, &extra);
                for seed in 1..4 {
                    assert_eq!(
                        run(&plain, seed),
                        run(&safe_model, seed),
                        "{servers} servers, {parallelism} at a time, safe {safe}, {boot}"
                    );
                }
            }
        }
    }
}

#[test]
fn above_the_safe_number_the_first_wave_fails_and_the_rest_goes_at_the_safe_pace() {
    // n servers, constant boot t, parallelism P > safe S (and n > S): the first wave of
    // min(n, P) fails after t, then all n boot S at a time: t + ⌈n/S⌉ × t, one boot more
    // than at the safe parallelism, ⌈n/S⌉ × t. n ≤ S: no wave is too wide.
    let t = 600_000u64;
    for n in [1u64, 2, 5, 10, 23] {
        for s in 1..=6u64 {
            for p in (s + 1)..=12 {
                let extra = format!(", safe_parallelism = {s}");
                let (out, trace) = run(&fleet(n, p, TEN_MINUTES, &extra), 1);
                let rounds = n.div_ceil(s);
                let want = if n > s {
                    t + rounds * t
                } else {
                    n.div_ceil(p) * t
                };
                assert_eq!(
                    out.recovery,
                    Some(SimDuration::from_millis(want)),
                    "n {n}, P {p}, S {s}"
                );
                let told: Vec<(u64, SimTime)> = trace
                    .iter()
                    .filter_map(|&(_, _, c)| match c {
                        Change::Overloaded { at_once, until, .. } => Some((at_once, until)),
                        _ => None,
                    })
                    .collect();
                let expected = if n > s {
                    vec![(n.min(p), SimTime::from_millis(t))]
                } else {
                    Vec::new()
                };
                assert_eq!(told, expected, "n {n}, P {p}, S {s}");
                // Slower than at the safe number, never faster.
                let (safe, _) = run(&fleet(n, s, TEN_MINUTES, ""), 1);
                assert!(out.recovery >= safe.recovery, "n {n}, P {p}, S {s}");
            }
        }
    }
}

#[test]
fn with_random_boots_the_failed_wave_lasts_until_its_slowest_boot() {
    // All 8 boot at once and fail; each boots again 2 at a time. Whatever the draws, the
    // retry begins when the slowest boot of the wave is done, and the servers come back
    // after it.
    let boot = "{ dist = \"uniform\", min = \"5m\", max = \"15m\" }";
    let model = fleet(8, 8, boot, ", safe_parallelism = 2");
    for seed in 1..20 {
        let (out, trace) = run(&model, seed);
        let until = trace
            .iter()
            .find_map(|&(_, _, c)| match c {
                Change::Overloaded { at_once, until, .. } => Some((at_once, until)),
                _ => None,
            })
            .expect("the first wave fails");
        assert_eq!(until.0, 8);
        let wave = until.1.since_start();
        assert!(wave >= SimDuration::from_secs(300) && wave <= SimDuration::from_secs(900));
        // Four rounds of 2 after it, each 5 to 15 minutes.
        let r = out.recovery.expect("back").as_millis() - wave.as_millis();
        assert!(
            (4 * 300_000..=4 * 900_000).contains(&r),
            "seed {seed}: {r} ms"
        );
    }
}

#[test]
fn a_bad_safe_parallelism_is_named() {
    let text = "[scenario]\nname = \"x\"\n\n[subsystems.s]\nservers = 2\nmin_capacity = 1\n\
        restart = { parallelism = 1, safe_parallelism = 0, boot_time = { dist = \"constant\", value = \"1m\" } }\n\n\
        [services.api]\nneeds = [\"s\"]\n\n[command]\ntarget = \"s\"\ncount = 1\n";
    let e = scenario::parse("x.toml", text).expect_err("rejected");
    assert_eq!(
        e.to_string(),
        "x.toml:7:49: `subsystems.s.restart.safe_parallelism` is 0; expected a whole number from 1 to 9223372036854775807"
    );
}
