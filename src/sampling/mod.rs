//! The sampling plan: which inputs to simulate, with what weight, on which random streams.
//!
//! The discrete part of a command's fate (the count as typed, the selector, the
//! safeguards' chance outcomes) has exactly computable probabilities. The plan lists each
//! distinct combination as a stratum with its probability; only what follows (what a
//! pattern matches, delays, boot times) is left to simulation.

mod counts;
mod patterns;
mod strata;

pub use counts::{typed_counts, TypedCount};
pub use strata::{downstream, stratum_rng, Strata, Stratum, MAX_ERRORS};
