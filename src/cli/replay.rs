//! `replay`: one run as a timeline, of the input as typed, a given input, or a run of a
//! batch that a summary names (`--run ID`).

use std::io::Write;

use super::{stdout_error, Forced, ReplayArgs};
use crate::engine::{Change, Outcome, Simulation, Unobserved};
use crate::error::Error;
use crate::export::timeline::Replay;
use crate::model::{Model, NodeId};
use crate::montecarlo::run_rng;
use crate::safeguard::Fates;
use crate::scenario;
use crate::time::SimTime;
use crate::typo::TypedInput;

pub(super) fn replay(args: &ReplayArgs, out: &mut dyn Write) -> Result<(), Error> {
    let model = scenario::load_with(&args.scenario, &args.sets)?;
    if let Some(id) = &args.run {
        let (input, outcome, changes) = replay_run(&model, id, args)?;
        let replay = Replay {
            model: &model,
            input: &input,
            outcome: &outcome,
            changes: &changes,
        };
        return if args.json {
            replay.write_json(out)
        } else {
            replay.write_text(out)
        }
        .map_err(stdout_error);
    }
    let input = match (&args.input, &model.command.as_typed) {
        (Some(text), _) => {
            model
                .command
                .parse_input(text)
                .map_err(|expected| Error::InvalidOption {
                    option: "--input",
                    value: text.clone(),
                    expected,
                })?
        }
        (None, Some(typed)) => typed.clone(),
        (None, None) => return Err(Error::Unsupported {
            scenario: model.origin.clone(),
            what:
                "has no [command.as_typed]: give the input to replay with --input COUNT[@SELECTOR]"
                    .into(),
        }),
    };
    let fates = args.safeguards.map(Forced::fates).unwrap_or_default();
    let (outcome, changes) = simulate(&model, &input, fates, args.seed);
    let replay = Replay {
        model: &model,
        input: &input,
        outcome: &outcome,
        changes: &changes,
    };
    if args.json {
        replay.write_json(out)
    } else {
        replay.write_text(out)
    }
    .map_err(stdout_error)?;
    // The observer must not change the run: the same run unobserved gives the same outcome.
    debug_assert_eq!(
        &outcome,
        Simulation::new(&model).run_fated(
            input.count,
            input.selector,
            fates,
            &mut run_rng(args.seed, 0),
            &mut Unobserved
        )
    );
    Ok(())
}

/// Run `id` of a batch of `model` with `args.seed`: `INPUT:RUN` of an estimate by strata
/// (on the input's own stream), or the index of a plain run (which draws its input).
fn replay_run(model: &Model, id: &str, args: &ReplayArgs) -> Result<Recorded, Error> {
    let invalid = |expected: String| Error::InvalidOption {
        option: "--run",
        value: id.to_string(),
        expected,
    };
    let mut sim = Simulation::new(model);
    let mut changes = Vec::new();
    match id.split_once(':') {
        Some((h, r)) => {
            let strata = crate::sampling::Strata::new(model, args.max_errors);
            let n = strata.strata.len();
            let expected = || format!("INPUT:RUN with INPUT below {n} and RUN a run's index");
            let (Ok(h), Ok(r)) = (h.trim().parse::<usize>(), r.trim().parse::<u64>()) else {
                return Err(invalid(expected()));
            };
            let s = strata.strata.get(h).ok_or_else(|| invalid(expected()))?;
            let mut rng = crate::sampling::stratum_rng(args.seed, s.key, r);
            let outcome = sim
                .run_fated(s.count.count, s.selector, s.fates, &mut rng, &mut changes)
                .clone();
            let input = TypedInput {
                count_text: s.count.text.clone(),
                count: s.count.count,
                selector: s.selector,
            };
            Ok((input, outcome, changes))
        }
        None => {
            let k: u64 = id
                .trim()
                .parse()
                .map_err(|_| invalid("a run's index (plain), or INPUT:RUN (by strata)".into()))?;
            let outcome = sim
                .run_random(&mut run_rng(args.seed, k), &mut changes)
                .clone();
            let input = TypedInput {
                count_text: sim.typed_digits(),
                count: outcome.count_typed,
                selector: outcome.selector.unwrap_or(crate::typo::Selector::Intended),
            };
            Ok((input, outcome, changes))
        }
    }
}

/// A run recorded for a replay: what was typed, what it did, and every change.
type Recorded = (TypedInput, Outcome, Vec<(SimTime, NodeId, Change)>);

/// One run of `input` with the safeguards' chances fallen as `fates` says (the rest
/// drawn), on stream 0 of `seed`: its outcome and every state change.
pub(super) fn simulate(
    model: &Model,
    input: &TypedInput,
    fates: Fates,
    seed: u64,
) -> (Outcome, Vec<(SimTime, NodeId, Change)>) {
    let mut changes = Vec::new();
    let outcome = Simulation::new(model)
        .run_fated(
            input.count,
            input.selector,
            fates,
            &mut run_rng(seed, 0),
            &mut changes,
        )
        .clone();
    (outcome, changes)
}
