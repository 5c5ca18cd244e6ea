//! The smallest and largest of some values.

/// The smallest and largest of some values, in 16 bytes (an `Option` takes 24): none when
/// the smallest is above the largest. Written as an `Option`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(into = "Option<(u64, u64)>")]
pub(crate) struct Range {
    min: u64,
    max: u64,
}

impl Range {
    /// No values.
    pub(crate) const NONE: Range = Range {
        min: u64::MAX,
        max: 0,
    };

    /// The one value `v`.
    pub(crate) fn of(v: u64) -> Range {
        Range { min: v, max: v }
    }

    /// (smallest, largest); `None` if there are no values.
    pub(crate) fn get(self) -> Option<(u64, u64)> {
        (self.min <= self.max).then_some((self.min, self.max))
    }

    /// Takes in `other`'s values.
    pub(crate) fn add(&mut self, other: Range) {
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

impl Default for Range {
    fn default() -> Self {
        Range::NONE
    }
}

impl From<Range> for Option<(u64, u64)> {
    fn from(r: Range) -> Self {
        r.get()
    }
}

impl From<Option<(u64, u64)>> for Range {
    fn from(r: Option<(u64, u64)>) -> Self {
        r.map_or(Range::NONE, |(min, max)| Range { min, max })
    }
}
