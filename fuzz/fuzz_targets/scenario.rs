//! Fuzz target: the scenario parser and validator, then a few simulations of whatever
//! model they accept, their statistics recorded both alone and as a worker sharing a
//! total does (the two must agree). Nothing may panic, overflow, hang or run out of
//! memory.
#![no_main]

use blastradius::engine::{Simulation, Unobserved};
use blastradius::montecarlo::run_rng;
use blastradius::stats::{Accumulator, Scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = blastradius::scenario::parse("fuzz.toml", text) else {
        return;
    };
    let mut sim = Simulation::new(&model);
    let (mut alone, mut total) = (Accumulator::new(&model), Accumulator::new(&model));
    total.sharing(|shared| {
        let (mut worker, mut scratch) = (Accumulator::default(), Scratch::default());
        for run in 0..4 {
            let o = sim.run_random(&mut run_rng(1, run), &mut Unobserved);
            alone.record(&model, o, run);
            worker.record_run(&model, o, run);
            shared.record_nodes(&model, o, &mut scratch);
        }
        worker.drain_shared(shared);
    });
    assert!(alone == total, "a shared total differs from the runs recorded alone");
    if let Some(input) = &model.command.as_typed {
        sim.run_input(
            input.count,
            input.selector,
            &mut run_rng(1, 0),
            &mut Unobserved,
        );
    }
});
