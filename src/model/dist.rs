//! Duration distributions (boot times, detection and switch delays): what the scenario
//! says, and a sampler built once from it.

use std::fmt;

use rand::Rng;
use rand_distr::{Distribution, Exp, LogNormal, Uniform};

use crate::time::SimDuration;

/// A random duration: a server's boot time, a detection or switch delay.
#[derive(Clone, Debug)]
pub struct Delay {
    spec: Spec,
    sampler: Sampler,
}

/// The distribution as written, for display.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Spec {
    Constant(SimDuration),
    Uniform(SimDuration, SimDuration),
    Exponential(SimDuration),
    LogNormal(SimDuration, f64),
}

#[derive(Clone, Debug)]
enum Sampler {
    Constant(SimDuration),
    Uniform(Uniform<f64>),
    Exponential(Exp<f64>),
    LogNormal(LogNormal<f64>),
}

impl Delay {
    /// Always `value`.
    pub fn constant(value: SimDuration) -> Self {
        Delay {
            spec: Spec::Constant(value),
            sampler: Sampler::Constant(value),
        }
    }

    /// Uniform on `[min, max]`; `None` if `min > max`.
    pub fn uniform(min: SimDuration, max: SimDuration) -> Option<Self> {
        let sampler = if min == max {
            Sampler::Constant(min)
        } else {
            Sampler::Uniform(Uniform::new_inclusive(min.as_secs_f64(), max.as_secs_f64()).ok()?)
        };
        Some(Delay {
            spec: Spec::Uniform(min, max),
            sampler,
        })
    }

    /// Exponential with this mean (a zero mean is always zero).
    pub fn exponential(mean: SimDuration) -> Option<Self> {
        let sampler = if mean == SimDuration::ZERO {
            Sampler::Constant(mean)
        } else {
            Sampler::Exponential(Exp::new(1.0 / mean.as_secs_f64()).ok()?)
        };
        Some(Delay {
            spec: Spec::Exponential(mean),
            sampler,
        })
    }

    /// Log-normal with this median and shape `sigma` (the standard deviation of the log);
    /// `None` unless the median is positive and sigma finite and non-negative.
    pub fn lognormal(median: SimDuration, sigma: f64) -> Option<Self> {
        if median == SimDuration::ZERO || !sigma.is_finite() || sigma < 0.0 {
            return None;
        }
        let sampler = LogNormal::new(median.as_secs_f64().ln(), sigma).ok()?;
        Some(Delay {
            spec: Spec::LogNormal(median, sigma),
            sampler: Sampler::LogNormal(sampler),
        })
    }

    /// Draws one duration, rounded to the millisecond.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> SimDuration {
        match &self.sampler {
            Sampler::Constant(d) => *d,
            Sampler::Uniform(u) => SimDuration::from_secs_f64(u.sample(rng)),
            Sampler::Exponential(e) => SimDuration::from_secs_f64(e.sample(rng)),
            Sampler::LogNormal(l) => SimDuration::from_secs_f64(l.sample(rng)),
        }
    }

    /// The mean in seconds (for closed-form checks and reports).
    pub fn mean_secs(&self) -> f64 {
        match self.spec {
            Spec::Constant(d) | Spec::Exponential(d) => d.as_secs_f64(),
            Spec::Uniform(a, b) => (a.as_secs_f64() + b.as_secs_f64()) / 2.0,
            Spec::LogNormal(m, s) => m.as_secs_f64() * (s * s / 2.0).exp(),
        }
    }

    /// Whether every draw is the same.
    pub fn is_constant(&self) -> bool {
        matches!(self.sampler, Sampler::Constant(_))
    }
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.spec {
            Spec::Constant(d) => write!(f, "constant {d}"),
            Spec::Uniform(a, b) => write!(f, "uniform {a} to {b}"),
            Spec::Exponential(m) => write!(f, "exponential, mean {m}"),
            Spec::LogNormal(m, s) => write!(f, "lognormal, median {m}, sigma {s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn samples_have_the_stated_mean() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let m = SimDuration::from_secs(300);
        for dist in [
            Delay::exponential(m).unwrap(),
            Delay::uniform(SimDuration::from_secs(200), SimDuration::from_secs(400)).unwrap(),
            Delay::lognormal(m, 0.5).unwrap(),
        ] {
            let n = 200_000;
            let mean = (0..n)
                .map(|_| dist.sample(&mut rng).as_secs_f64())
                .sum::<f64>()
                / n as f64;
            let rel = (mean - dist.mean_secs()).abs() / dist.mean_secs();
            assert!(rel < 0.01, "{dist}: mean {mean} vs {}", dist.mean_secs());
        }
    }

    #[test]
    fn degenerate_parameters() {
        assert!(Delay::lognormal(SimDuration::ZERO, 1.0).is_none());
        assert!(Delay::lognormal(SimDuration::from_secs(1), f64::NAN).is_none());
        assert!(Delay::uniform(SimDuration::from_secs(2), SimDuration::from_secs(1)).is_none());
        assert!(Delay::exponential(SimDuration::ZERO).unwrap().is_constant());
    }
}
