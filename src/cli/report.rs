//! `report`: the scenario estimated by strata (and its variants, compared on common random
//! numbers), the input as typed replayed, and all of it written as one HTML file.

use super::plan::{self, estimating, finished};
use super::replay::simulate;
use super::{present, ReportArgs};
use crate::error::Error;
use crate::export::{csv, html, json, timeline::Replay, AtomicFile};
use crate::model::Model;
use crate::report::{distribution, CompareReport, StrataReport};
use crate::safeguard::Fates;
use crate::scenario;
use crate::stratified;

/// Writes the report `args` ask for; says where on stderr unless quiet.
pub(super) fn report(args: &ReportArgs) -> Result<(), Error> {
    let e = &args.estimate;
    let options = e.options()?;
    let mut scenarios = vec![args.scenario.clone()];
    scenarios.extend(args.compare.iter().cloned());
    let inputs: Vec<&str> = scenarios.iter().map(String::as_str).collect();
    let outputs = [
        ("--output", Some(args.output.as_path())),
        ("--csv", e.csv.as_deref()),
        ("--json", e.json.as_deref()),
    ];
    super::files::check_outputs(&inputs, &present(&outputs))?;
    let (models, names, _) = plan::models(&scenarios, &args.variants, &args.sets)?;
    let refs: Vec<&Model> = models.iter().collect();
    let paired = estimating(e, |progress, stop| {
        if refs.len() > 1 {
            stratified::run_paired(&refs, options, progress, stop)
        } else {
            stratified::run_variants(&refs, options, progress, stop)
        }
    })?;
    let (model, est) = (&models[0], &paired.variants[0]);
    let report = StrataReport::new(model, est, options.seed);
    let compare = (refs.len() > 1).then(|| CompareReport::new(&refs, &names, &paired, e.seed));
    match &compare {
        Some(c) => {
            plan::Outputs::of(e).write(|w| csv::write_compare(w, c), |w| json::write(w, c))?
        }
        None => plan::Outputs::of(e).write(
            |w| csv::write_strata(w, model, est),
            |w| json::write(w, &report),
        )?,
    }
    let recovery = distribution::recovery_given_outage(est);
    let downtime: Vec<(String, Vec<distribution::Bin>)> = distribution::facing_services(model)
        .map(|(id, n)| {
            (
                n.name.clone(),
                distribution::downtime_given_unavailable(est, id),
            )
        })
        .filter(|(_, bins)| !bins.is_empty())
        .collect();
    let (_, text) = scenario::text_with(&args.scenario, &args.sets)?;
    let notes = scenario::notes(&text);
    let typed = model.command.as_typed.clone();
    let run = typed
        .as_ref()
        .map(|input| simulate(model, input, Fates::default(), e.seed));
    let replay = typed
        .as_ref()
        .zip(run.as_ref())
        .map(|(input, (outcome, changes))| Replay {
            model,
            input,
            outcome,
            changes,
        });
    let generator = format!("blastradius {}", env!("CARGO_PKG_VERSION"));
    let page = html::Page {
        model,
        notes: &notes,
        report: &report,
        recovery: &recovery,
        downtime: &downtime,
        replay,
        compare: compare.as_ref(),
        generator: &generator,
    };
    AtomicFile::write_with(&args.output, |w| html::write(w, &page))?;
    if !e.quiet {
        note!("report written to {}", args.output.display());
    }
    finished(e, est.complete, report.runs)
}
