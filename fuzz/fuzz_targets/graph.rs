//! Fuzz target: large generated graphs. The input bytes are not a scenario but the choices
//! that build one: how many subsystems (up to 5,000) and services (up to 20,000), what each
//! needs (`needs`, `needs_any`, `restart_after`, sometimes an unknown name or a cycle),
//! capacities, cells, diagnosis and failing boots, the command (a removal or a reboot), its
//! typo model and safeguards. The generated text is checked; whatever is accepted is
//! simulated (four plain runs) and its input strata are enumerated. Nothing may panic, overflow, hang, or use memory beyond what the size
//! warrants: large inputs must be checked in linear time.
#![no_main]

use std::fmt::Write;

use blastradius::engine::{Simulation, Unobserved};
use blastradius::montecarlo::run_rng;
use blastradius::sampling::Strata;
use libfuzzer_sys::fuzz_target;

/// Reads choices from the input, then zeros once it is used up.
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }
    /// A number in `0..n` (`n` ≥ 1).
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.u16()) % n
    }
}

fn scenario(c: &mut Choices) -> String {
    let subsystems = 1 + c.below(5_000);
    let services = c.below(20_000);
    let mut t = String::from("[scenario]\nname = \"generated\"\nhorizon = \"2d\"\n\n");
    // A few bytes describe a pattern that repeats over the many nodes, so that a short
    // input still makes a large, varied graph.
    let pattern: Vec<u8> = (0..16).map(|_| c.byte()).collect();
    let at = |i: usize, k: usize| pattern[(i * 7 + k) % pattern.len()] as usize;
    let name = |i: usize| format!("x{i}");
    for i in 0..subsystems {
        let servers = 1 + at(i, 0) % 40;
        let min = 1 + at(i, 1) % servers;
        let _ = writeln!(t, "[subsystems.{}]", name(i));
        let _ = writeln!(t, "servers = {servers}\nmin_capacity = {min}");
        // Sometimes a diagnosis before the restart, and boots that fail for a small crew.
        let extra = match at(i, 15) % 4 {
            0 => format!(", begins_after = {{ dist = \"constant\", value = \"{}m\" }}", at(i, 3) % 90),
            1 => format!(
                ", boot_failures = {{ probability = 0.{}, crew = {}, manual = {{ dist = \"exponential\", mean = \"{}m\" }} }}",
                at(i, 14) % 10,
                1 + at(i, 13) % 4,
                1 + at(i, 12) % 60
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            t,
            "restart = {{ parallelism = {}, boot_time = {{ dist = \"exponential\", mean = \"{}m\" }}{extra} }}",
            1 + at(i, 2) % 8,
            1 + at(i, 3) % 30
        );
        if at(i, 4) % 5 == 0 && servers > 1 {
            let _ = writeln!(t, "cells = {}", 1 + at(i, 5) % servers);
        }
        let needs: Vec<String> = (0..at(i, 6) % 3)
            .map(|k| {
                // Mostly earlier subsystems (a layered graph); sometimes a later one (a
                // possible cycle) or a name that does not exist.
                let j = (i + at(i, 7 + k)) % subsystems;
                match at(i, 9 + k) % 50 {
                    0 => format!("\"missing{j}\""),
                    1..=3 => format!("\"{}\"", name(j)),
                    _ => format!("\"{}\"", name(i.saturating_sub(1 + at(i, 7 + k) % 8))),
                }
            })
            .filter(|n| *n != format!("\"{}\"", name(i)))
            .collect();
        if !needs.is_empty() {
            let key = if at(i, 10) % 4 == 0 { "restart_after" } else { "needs" };
            let _ = writeln!(t, "{key} = [{}]", needs.join(", "));
        }
        t.push('\n');
    }
    for s in 0..services {
        let a = name((s * 31 + at(s, 11)) % subsystems);
        let b = name((s * 17 + at(s, 12)) % subsystems);
        let _ = writeln!(t, "[services.svc{s}]");
        match at(s, 13) % 4 {
            0 => {
                let _ = writeln!(t, "needs_any = [\"{a}\", \"{b}\"]");
            }
            1 if s > 0 => {
                let _ = writeln!(t, "needs = [\"svc{}\"]", s - 1);
            }
            _ => {
                let _ = writeln!(t, "needs = [\"{a}\"]");
            }
        }
        if at(s, 14) % 3 == 0 {
            t.push_str("internal = true\n");
        }
        t.push('\n');
    }
    let target = name(c.below(subsystems));
    let _ = writeln!(t, "[command]\ntarget = \"{target}\"\ncount = {}", c.below(100));
    if c.byte() % 3 == 0 {
        t.push_str("action = \"reboot\"\n");
    }
    if c.byte() % 2 == 0 {
        let _ = writeln!(
            t,
            "\n[command.number_typos]\nper_keystroke = 0.0{}",
            1 + c.byte() % 9
        );
    }
    if c.byte() % 2 == 0 {
        let hit = name(c.below(subsystems));
        let _ = writeln!(
            t,
            "\n[command.target_typos]\nprobability = 0.1\n\n[[command.target_typos.matches]]\n\
             name = \"pattern\"\neach = {{ {hit} = \"{}%\" }}",
            1 + c.byte() % 99
        );
    }
    if c.byte() % 2 == 0 {
        let _ = writeln!(
            t,
            "\n[command.safeguards]\nmin_capacity_guard = {{ mode = \"clip\", fails = 0.{} }}",
            c.byte() % 10
        );
    }
    t
}

fuzz_target!(|data: &[u8]| {
    let text = scenario(&mut Choices(data));
    let Ok(model) = blastradius::scenario::parse("generated.toml", &text) else {
        return;
    };
    let mut sim = Simulation::new(&model);
    for run in 0..4 {
        sim.run_random(&mut run_rng(1, run), &mut Unobserved);
    }
    let _ = Strata::new(&model, 2);
});
