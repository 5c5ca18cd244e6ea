//! blastradius: a discrete-event outage simulator for typo-sized removal events.
//!
//! The layers, each in its own module:
//! - [`scenario`]: reading a scenario (TOML) and reporting errors at their position;
//! - [`model`]: the checked model the engine runs, built once from a scenario;
//! - [`typo`]: the operator's command and how it is mistyped;
//! - [`safeguard`]: what the operator's tool does to stop or limit a wrong removal;
//! - [`engine`]: one run, as a discrete-event simulation with integer time;
//! - [`montecarlo`]: many runs in parallel, deterministic on any thread count;
//! - [`operations`]: periods of routine commands: annual downtime and availability;
//! - [`stats`] and [`report`]: streaming statistics and the summary built from them;
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
