//! blastradius: a discrete-event outage simulator for typo-sized removal events.
//!
//! The layers, each in its own module:
//! - [`scenario`]: reading a scenario (TOML) and reporting errors at their position;
//! - [`model`]: the checked model the engine runs, built once from a scenario;
//! - [`typo`]: the operator's command and how it is mistyped;
//! - [`safeguard`]: what the operator's tool does to stop or limit a wrong removal;
//! - [`sampling`]: the discrete inputs (count as typed, selector, safeguard outcomes) as
//!   strata with exact probabilities, and each one's random streams;
//! - [`engine`]: one run, as a discrete-event simulation with integer time;
//! - [`montecarlo`]: many runs in parallel, deterministic on any thread count;
//! - [`stratified`]: runs by strata, for one scenario or several on common random numbers;
//! - [`operations`]: periods of routine commands: annual downtime and availability;
//! - [`stats`] and [`report`]: streaming statistics (plain, and weighted by strata) and the
//!   summaries built from them;
//! - [`planning`]: sweeps, budgets and runs to a precision, on common random numbers;
//! - [`export`]: one writer per output format;
//! - [`cli`]: the command line, the only part that prints.

pub mod cli;
pub mod engine;
pub mod error;
pub mod export;
pub mod model;
pub mod montecarlo;
pub mod operations;
pub mod planning;
pub mod report;
pub mod safeguard;
pub mod sampling;
pub mod scenario;
pub mod stats;
pub mod stratified;
pub mod time;
pub mod typo;

pub use error::Error;
