//! Fuzz target: the scenario parser and validator, then a few simulations of whatever
//! model they accept. Nothing may panic, overflow, hang or run out of memory.
#![no_main]

use blastradius::engine::{Simulation, Unobserved};
use blastradius::montecarlo::run_rng;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = blastradius::scenario::parse("fuzz.toml", text) else {
        return;
    };
    let mut sim = Simulation::new(&model);
    for run in 0..4 {
        sim.run_random(&mut run_rng(1, run), &mut Unobserved);
    }
    if let Some(input) = &model.command.as_typed {
        sim.run_input(
            input.count,
            input.selector,
            &mut run_rng(1, 0),
            &mut Unobserved,
        );
    }
});
