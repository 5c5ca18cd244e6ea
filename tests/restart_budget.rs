//! The restart budget against hand-computed answers: a subsystem has one pool of
//! `parallelism` boot slots and one validation throughput whatever its number of cells,
//! granted to cells first come, first served; servers removed from a cell while it serves
//! partially are not brought back by its restart.

use blastradius::engine::{Change, Outcome, Phase, Simulation};
use blastradius::model::{Model, NodeId};
use blastradius::montecarlo::run_rng;
use blastradius::scenario;
use blastradius::time::SimTime;
use blastradius::typo::Selector;

type Trace = Vec<(SimTime, NodeId, Change)>;

/// A subsystem `store` (its keys in `store`, constant boot time `boot`) behind a service
/// `api`, and a command removing `count` of its servers, with `safeguards` if not empty.
fn model(store: &str, boot: &str, count: u64, safeguards: &str) -> Model {
    let text = format!(
        "[scenario]\nname = \"budget\"\nhorizon = \"1d\"\n\n\
         [subsystems.store]\n{store}\n\
         restart.boot_time = {{ dist = \"constant\", value = \"{boot}\" }}\n\n\
         [services.api]\nneeds = [\"store\"]\n\n\
         [command]\ntarget = \"store\"\ncount = {count}\n\n\
         [command.safeguards]\n{safeguards}\n"
    );
    scenario::parse("budget.toml", &text).expect("scenario is valid")
}

/// A rate limit of `servers` per `per` that monitoring never stops within the horizon.
fn rate_limit(servers: u64, per: &str) -> String {
    format!(
        "rate_limit = {{ servers = {servers}, per = \"{per}\", \
         detection = {{ dist = \"constant\", value = \"2d\" }} }}"
    )
}

/// One run of the intended command, with every state change.
fn run(model: &Model) -> (Outcome, Trace) {
    let mut trace = Trace::new();
    let mut sim = Simulation::new(model);
    let count = model.command.count;
    let out = sim
        .run_input(count, Selector::Intended, &mut run_rng(1, 0), &mut trace)
        .clone();
    (out, trace)
}

fn hours(h: u64) -> SimTime {
    SimTime::from_millis(h * 3_600_000)
}

/// When each cell of `node` reached `phase`, in cell order of arrival.
fn reached(trace: &Trace, node: NodeId, phase: Phase) -> Vec<(Option<u32>, SimTime)> {
    trace
        .iter()
        .filter_map(|&(t, id, change)| match change {
            Change::Phase { cell, to, .. } if id == node && to == phase => Some((cell, t)),
            _ => None,
        })
        .collect()
}

#[test]
fn splitting_a_fleet_into_cells_never_restarts_it_faster_than_its_budget() {
    // 4 servers, 2 boot at once, 1 h each, all 4 removed: two waves of boots, 2 h, however
    // the fleet is split (before the fix, 4 cells booted all four at once: 1 h).
    for cells in [1, 2, 4] {
        let store =
            format!("servers = 4\nmin_capacity = 4\ncells = {cells}\nrestart.parallelism = 2");
        let m = model(&store, "1h", 4, "");
        let (out, _) = run(&m);
        assert_eq!(
            out.recovery.map(|r| r.as_millis()),
            Some(7_200_000),
            "cells = {cells}"
        );
    }
}

#[test]
fn capacity_freed_by_one_cell_goes_to_the_next() {
    // 2 cells of 10 servers, 10 boot at once, 2 h each. The rate limit removes cell 0 at
    // 0 h and cell 1 at 1 h. Cell 0 holds all 10 slots until 2 h; cell 1 boots then and is
    // back at 4 h (before the fix it kept half the budget it got at 1 h: back at 5 h, with
    // 15 servers booting at once between 1 h and 2 h).
    let store = "servers = 20\nmin_capacity = 20\ncells = 2\nrestart.parallelism = 10";
    let m = model(store, "2h", 20, &rate_limit(10, "1h"));
    let store = m.find("store").unwrap();
    let (out, trace) = run(&m);
    assert_eq!(
        reached(&trace, store, Phase::Down),
        [(Some(0), hours(0)), (Some(1), hours(1))]
    );
    assert_eq!(
        reached(&trace, store, Phase::Recovered),
        [(Some(0), hours(2)), (Some(1), hours(4))]
    );
    assert_eq!(out.recovery.map(|r| r.as_millis()), Some(4 * 3_600_000));
    // What each cell got of the budget, as the replay tells it.
    let windows: Vec<_> = trace
        .iter()
        .filter_map(|&(_, _, c)| match c {
            Change::Scheduled { cell, start, end } => Some((cell, start, end)),
            _ => None,
        })
        .collect();
    assert_eq!(
        windows,
        [(Some(0), hours(0), hours(2)), (Some(1), hours(2), hours(4))]
    );
}

#[test]
fn cells_validate_one_after_another_at_the_full_throughput() {
    // 4 cells of 1 server, all boot at once in 1 h; 4 TB at 1 GB/s: each cell's 1 TB takes
    // 1000 s at the full rate, one cell after another: back at 1 h + 1000, 2000, 3000 and
    // 4000 s. The last is back when the undivided fleet would be (1 h + 4000 s).
    let store = "servers = 4\nmin_capacity = 4\ncells = 4\n\
                 validation = { metadata = \"4 TB\", throughput = \"1 GB/s\" }\n\
                 restart.parallelism = 4";
    let m = model(store, "1h", 4, "");
    let store = m.find("store").unwrap();
    let (out, trace) = run(&m);
    let back: Vec<u64> = reached(&trace, store, Phase::Recovered)
        .iter()
        .map(|&(_, t)| t.as_millis())
        .collect();
    let h = 3_600_000;
    assert_eq!(
        back,
        [h + 1_000_000, h + 2_000_000, h + 3_000_000, h + 4_000_000]
    );
    assert_eq!(out.recovery.map(|r| r.as_millis()), Some(h + 4_000_000));
}

#[test]
fn servers_removed_while_serving_partially_stay_removed() {
    // The rate limit removes 8 of 10 servers at 0 h (2 left, below the minimum of 5: a cold
    // restart) and the other 2 at 9 h. The restart boots one server at a time, 1 h each:
    // the subsystem serves again with 8 back (8 h) and would be whole at 10 h. The 2 removed
    // at 9 h, while it serves partially, leave 6 of 8, above the minimum, so it keeps
    // restarting, and at 10 h it has 8 servers, not 10: degraded, not recovered.
    let store = "servers = 10\nmin_capacity = 5\nserve_at = 8\nrestart.parallelism = 1";
    let m = model(store, "1h", 10, &rate_limit(8, "9h"));
    let store = m.find("store").unwrap();
    let (out, trace) = run(&m);
    let phases: Vec<(SimTime, Phase, u64, u64)> = trace
        .iter()
        .filter_map(|&(t, id, c)| match c {
            Change::Phase {
                to,
                capacity,
                removed,
                ..
            } if id == store => Some((t, to, capacity, removed)),
            _ => None,
        })
        .collect();
    assert_eq!(
        phases,
        [
            (hours(0), Phase::Down, 0, 8),
            (hours(0), Phase::Restarting, 0, 0),
            (hours(8), Phase::ServingPartially, 8, 0),
            (hours(9), Phase::ServingPartially, 6, 2),
            (hours(10), Phase::Degraded, 8, 0),
        ]
    );
    assert_eq!(out.servers_removed, 10);
    assert_eq!(out.recovery.map(|r| r.as_millis()), Some(10 * 3_600_000));
}
