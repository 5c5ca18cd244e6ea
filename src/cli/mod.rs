//! The command line: parses arguments, calls the library, and returns an exit code. The
//! only place that prints to the terminal.

/// Writes a line to stderr; a closed or full stderr is no reason to panic or fail.
macro_rules! note {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod files;
pub mod memory;
mod merge;
mod plan;
mod replay;
mod report;
mod shard;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

pub use args::{
    BudgetArgs, Cli, Command, CompareArgs, EstimateArgs, Forced, GenerateArgs, GraphArgs, Method,
    OperateArgs, ReplayArgs, ReportArgs, RunArgs, SweepArgs,
};

use crate::error::Error;
use crate::export::partial::{Job, Source};
use crate::export::{background::Background, csv::RunsCsv, diagram, graph, json, text, AtomicFile};
use crate::model::Model;
use crate::montecarlo::{self, Plan};
use crate::operations::{self, OperationsReport};
use crate::report::Report;
use crate::scenario::{self, BUILTINS};

/// Runs the command line `args` and returns the process exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match dispatch(cli.command.unwrap_or(Command::Run(cli.run))) {
        Ok(()) => 0,
        // A closed pipe (`blastradius … | head`) is the reader's choice, not an error.
        Err(Error::Write { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            note!("error: {e}");
            if let Error::UnknownScenario { name, .. } = &e {
                // `blastradius rn` reads as a scenario named "rn": say which command it
                // looks like.
                let cli = <Cli as clap::CommandFactory>::command();
                let commands: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
                if let Some(c) = crate::scenario::did_you_mean(name, commands) {
                    note!("hint: did you mean the command `blastradius {c}`?");
                }
            }
            e.exit_code()
        }
    }
}

fn dispatch(command: Command) -> Result<(), Error> {
    args::use_threads(command.threads_asked());
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let result = match command {
        Command::Run(args) => run(&args, &mut out),
        Command::Replay(args) => replay::replay(&args, &mut out),
        Command::Operate(args) => operate(&args, &mut out),
        Command::Compare(args) => plan::compare(&args, &mut out),
        Command::Sweep(args) => plan::sweep(&args, &mut out),
        Command::Budget(args) => plan::budget(&args, &mut out),
        Command::Check { scenario } => check(&scenario, &mut out),
        Command::Scenarios => list(&mut out),
        Command::Generate(args) => generate(&args, &mut out),
        Command::Graph(args) => graph_out(&args, &mut out),
        Command::Merge(args) => merge::merge(&args, &mut out),
        Command::Report(args) => report::report(&args),
    };
    result.and_then(|()| out.flush().map_err(stdout_error))
}

fn stdout_error(source: io::Error) -> Error {
    Error::Write {
        path: "-".into(),
        source,
    }
}

fn run(args: &RunArgs, out: &mut dyn Write) -> Result<(), Error> {
    let threads = args.threads()?;
    if let Some(share) = args.sharding.share() {
        return run_shard(args, share, threads, out);
    }
    let model = scenario::load_with(&args.scenario, &args.sets)?;
    let precision = args.precision()?;
    let outputs = [
        ("--csv", args.csv.as_deref()),
        ("--json", args.json.as_deref()),
    ];
    files::check_outputs(&[&args.scenario], &present(&outputs))?;
    if args.method == Method::Strata {
        return plan::run_strata(args, &model, threads, precision, out);
    }
    let plan = Plan {
        runs: args.runs(),
        seed: args.seed,
        threads,
    };
    let mut csv = match &args.csv {
        Some(path) => Some(CsvOutput::create(&model, path)?),
        None => None,
    };
    let stop = stop_on_ctrl_c();
    let bar = start_job(args.runs(), "runs", args.quiet);
    let started = Instant::now();
    // Each worker formats its own runs' rows; they are written here in run order.
    let make = || Box::new(RunsCsv::rows(&model)) as Box<dyn montecarlo::RowFormat>;
    let mut write = |bytes: Vec<u8>| match csv.as_mut() {
        Some(csv) => csv.write(bytes),
        None => Ok(None),
    };
    let rows = args.csv.as_ref().map(|_| montecarlo::Rows {
        make: &make,
        write: &mut write,
    });
    let acc = montecarlo::run(
        &model,
        plan,
        rows,
        &mut |done| bar.set_position(done),
        &stop,
    )?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    // Everything below also runs after Ctrl-C: the runs done are reported and written.
    if let Some(csv) = csv {
        csv.commit()?;
    }
    let report = Report::new(&model, &plan, &acc);
    // Files first: a reader that closes stdout early (`| head`) must not cost them.
    if let Some(path) = &args.json {
        AtomicFile::write_with(path, |w| json::write(w, &report))?;
    }
    text::write_summary(out, &report).map_err(stdout_error)?;
    if !args.quiet {
        note!(
            "{} runs in {elapsed:.2} s on {threads} thread{}: {:.0} runs/s, {:.0} events/s",
            acc.runs,
            if threads == 1 { "" } else { "s" },
            acc.runs as f64 / elapsed,
            acc.events as f64 / elapsed
        );
    }
    if acc.runs < plan.runs {
        return Err(Error::Interrupted {
            done: acc.runs,
            asked: plan.runs,
        });
    }
    Ok(())
}

/// `run --shard I/N --partial FILE [--pilot PILOT]`.
fn run_shard(
    args: &RunArgs,
    share: montecarlo::Share,
    threads: usize,
    out: &mut dyn Write,
) -> Result<(), Error> {
    if args.precision()?.is_some() {
        return Err(Error::InvalidOption {
            option: "--shard",
            value: format!("{}/{}", share.index, share.count),
            expected: "no --precision with it: shards run a fixed number of runs".into(),
        });
    }
    let (origin, text) = scenario::text_with(&args.scenario, &args.sets)?;
    let work = shard::Work {
        job: match args.method {
            Method::Plain => Job::Plain,
            Method::Strata => Job::Strata,
        },
        scenarios: vec![Source { origin, text }],
        options: crate::stratified::Options {
            runs: args.runs(),
            seed: args.seed,
            threads,
            max_errors: args.max_errors,
        },
        quiet: args.quiet,
        outputs: plan::Outputs {
            csv: args.csv.as_deref(),
            json: args.json.as_deref(),
        },
    };
    shard::run(work, share, &args.sharding, &[&args.scenario], out)
}

/// The per-run CSV, written by a thread of its own to a temporary file and renamed into
/// place when committed.
struct CsvOutput {
    file: Background,
}

impl CsvOutput {
    /// The file with its header written.
    fn create(model: &Model, path: &Path) -> Result<Self, Error> {
        let mut file = AtomicFile::create(path)?;
        RunsCsv::header(model)
            .and_then(|header| file.write_all(&header))
            .map_err(|e| write_error(path, e))?;
        Ok(CsvOutput {
            file: Background::start(file)?,
        })
    }

    /// Queues rows; gives back an emptied buffer, if one is free.
    fn write(&mut self, rows: Vec<u8>) -> Result<Option<Vec<u8>>, Error> {
        self.file.write(rows)
    }

    fn commit(self) -> Result<(), Error> {
        self.file.finish()?.commit()
    }
}

fn write_error(path: &Path, source: io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// A flag that the first Ctrl-C raises (the batch then stops after the pieces being run and
/// reports what it did); a second Ctrl-C ends the process at once.
fn stop_on_ctrl_c() -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    // Without a handler (one was set already), Ctrl-C keeps its default: end the process.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    stop
}

fn operate(args: &OperateArgs, out: &mut dyn Write) -> Result<(), Error> {
    let threads = args.threads()?;
    let model = scenario::load_with(&args.scenario, &args.sets)?;
    files::check_outputs(
        &[&args.scenario],
        &present(&[("--json", args.json.as_deref())]),
    )?;
    let Some(ops) = model.operations.clone() else {
        return Err(Error::Unsupported {
            scenario: model.origin.clone(),
            what: "has no [operations] table: operate needs commands_per_day and period".into(),
        });
    };
    let plan = Plan {
        runs: args.periods,
        seed: args.seed,
        threads,
    };
    let stop = stop_on_ctrl_c();
    let bar = start_job(args.periods, "periods", args.quiet);
    let started = Instant::now();
    let tally = operations::run(
        &model,
        &ops,
        plan,
        &mut |done| bar.set_position(done),
        &stop,
    )?;
    bar.finish_and_clear();
    let report = OperationsReport::new(&model, &ops, &plan, &tally);
    if let Some(path) = &args.json {
        AtomicFile::write_with(path, |w| json::write(w, &report))?;
    }
    text::write_operations(out, &report).map_err(stdout_error)?;
    if !args.quiet {
        note!(
            "{} periods in {:.2} s",
            tally.periods,
            started.elapsed().as_secs_f64()
        );
    }
    if tally.periods < plan.runs {
        return Err(Error::Interrupted {
            done: tally.periods,
            asked: plan.runs,
        });
    }
    Ok(())
}

/// As a long job of `total` `unit`s (runs, periods) starts: gives the memory reading the
/// scenario freed back to the system ([`memory::give_back`]), and makes the job's
/// progress bar on stderr, when it is a terminal.
fn start_job(total: u64, unit: &str, quiet: bool) -> ProgressBar {
    memory::give_back();
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let template = format!("{{bar:40}} {{human_pos}}/{{human_len}} {unit}  {{rate}}  ETA {{eta}}");
    let style = ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        // Whole units a second with thousands apart: `5,123,456/s`, not `5123456.0654/s`.
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", thousands(state.per_sec() as u64));
            },
        );
    bar.set_style(style);
    bar
}

/// `n` with a comma every three digits.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn check(spec: &str, out: &mut dyn Write) -> Result<(), Error> {
    let model = scenario::load(spec)?;
    graph::write(out, &model).map_err(stdout_error)
}

fn graph_out(args: &GraphArgs, out: &mut dyn Write) -> Result<(), Error> {
    let model = scenario::load_with(&args.scenario, &args.sets)?;
    let format = args.format.into();
    match &args.output {
        Some(path) => {
            files::check_outputs(&[&args.scenario], &[("--output", path)])?;
            AtomicFile::write_with(path, |w| diagram::write(w, &model, format))
        }
        None => diagram::write(out, &model, format).map_err(stdout_error),
    }
}

fn generate(args: &GenerateArgs, out: &mut dyn Write) -> Result<(), Error> {
    let text = scenario::generate(args.shape());
    match &args.output {
        Some(path) => {
            files::check_outputs(&[], &[("--output", path)])?;
            AtomicFile::write_with(path, |w| w.write_all(text.as_bytes()))
        }
        None => out.write_all(text.as_bytes()).map_err(stdout_error),
    }
}

fn list(out: &mut dyn Write) -> Result<(), Error> {
    for b in BUILTINS {
        let width = BUILTINS.iter().map(|b| b.name.len()).max().unwrap_or(0);
        writeln!(out, "{:width$}  {}", b.name, b.summary).map_err(stdout_error)?;
    }
    Ok(())
}

/// The outputs asked for, of those an option can name.
fn present<'a>(outputs: &[(&'static str, Option<&'a Path>)]) -> Vec<(&'static str, &'a Path)> {
    outputs
        .iter()
        .filter_map(|&(option, path)| Some((option, path?)))
        .collect()
}
