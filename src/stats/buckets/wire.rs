//! How partial results write a node's histogram (see [`Buckets`]).

use serde::{Deserialize, Serialize};

use super::{coarse, index, Buckets, MAX_LEVEL};

/// The wire form: (bucket, count) pairs, as partial results have always stored them, or
/// at a coarser level, the level and the pairs.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Wire {
    Fine(Vec<(u32, u64)>),
    Coarse { level: u8, buckets: Vec<(u32, u64)> },
}

impl From<Buckets> for Wire {
    fn from(b: Buckets) -> Self {
        let pairs = b.iter().map(|(i, n)| (i as u32, n)).collect();
        match b.level {
            0 => Wire::Fine(pairs),
            level => Wire::Coarse {
                level,
                buckets: pairs,
            },
        }
    }
}

impl TryFrom<Wire> for Buckets {
    type Error = String;

    fn try_from(wire: Wire) -> Result<Self, String> {
        let (level, pairs) = match wire {
            Wire::Fine(pairs) => (0, pairs),
            Wire::Coarse { level, buckets } => (level, buckets),
        };
        if level > MAX_LEVEL {
            return Err(format!("histogram level {level} above {MAX_LEVEL}"));
        }
        let mut b = Buckets {
            level,
            ..Buckets::default()
        };
        let mut last = None;
        for (i, n) in pairs {
            let bucket = u16::try_from(i)
                .ok()
                .filter(|&i| usize::from(i) <= coarse(index(u64::MAX), level))
                .ok_or_else(|| format!("histogram bucket {i} out of range"))?;
            if n == 0 || last.is_some_and(|l| l >= bucket) {
                return Err("histogram buckets out of order or empty".into());
            }
            last = Some(bucket);
            b.push(bucket, n);
        }
        Ok(b)
    }
}
