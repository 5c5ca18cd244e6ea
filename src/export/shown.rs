//! Which nodes a summary's tables show. A model of tens of thousands of nodes would bury
//! its summary under a line per node (and take a noticeable time to print), so past
//! [`LIMIT`] nodes a table shows the [`LIMIT`] that fared worst, in the model's order,
//! and says how many it left out: every node is in the JSON.

use std::collections::HashSet;
use std::io::{self, Write};

/// The most nodes a summary's table shows.
pub const LIMIT: usize = 40;

/// The nodes a summary shows.
pub struct Shown<'a> {
    /// `None`: all of them.
    only: Option<HashSet<&'a str>>,
    /// How many nodes are left out.
    pub left_out: usize,
}

impl<'a> Shown<'a> {
    /// Every node when there are at most [`LIMIT`]; else the [`LIMIT`] with the largest
    /// `badness` (compared as a pair, the first number first; on a tie, the earlier in
    /// the model).
    pub fn worst(nodes: impl Iterator<Item = (&'a str, [f64; 2])>) -> Self {
        let mut nodes: Vec<_> = nodes.collect();
        if nodes.len() <= LIMIT {
            return Self {
                only: None,
                left_out: 0,
            };
        }
        let left_out = nodes.len() - LIMIT;
        // A stable sort keeps the model's order among equals.
        nodes.sort_by(|a, b| {
            let (a, b) = (a.1, b.1);
            b[0].total_cmp(&a[0]).then(b[1].total_cmp(&a[1]))
        });
        nodes.truncate(LIMIT);
        Self {
            only: Some(nodes.into_iter().map(|(name, _)| name).collect()),
            left_out,
        }
    }

    /// Whether the node called `name` is shown.
    pub fn contains(&self, name: &str) -> bool {
        self.only.as_ref().map_or(true, |only| only.contains(name))
    }

    /// The widest of the `names` shown, and at least `min`: a table's first column.
    pub fn width<'n>(&self, names: impl Iterator<Item = &'n String>, min: usize) -> usize {
        let shown = names.filter(|n| self.contains(n)).map(|n| n.len());
        shown.max().unwrap_or(0).max(min)
    }

    /// After a table that left `n` of its rows' `noun`s out: a line that says so and
    /// why (`what`), under 100 columns.
    pub fn write_left_out<W: Write + ?Sized>(
        w: &mut W,
        n: usize,
        noun: &str,
        what: &str,
    ) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        let s = if n == 1 { "" } else { "s" };
        writeln!(w, "… {n} more {noun}{s} {what} (--json FILE has them all)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_model_shows_every_node() {
        let names: Vec<String> = (0..LIMIT).map(|i| format!("n{i}")).collect();
        let shown = Shown::worst(names.iter().map(|n| (n.as_str(), [0.0, 0.0])));
        assert_eq!(shown.left_out, 0);
        assert!(names.iter().all(|n| shown.contains(n)));
    }

    #[test]
    fn a_big_model_shows_the_worst_nodes_earlier_ones_first_on_a_tie() {
        let names: Vec<String> = (0..LIMIT + 10).map(|i| format!("n{i}")).collect();
        // n45 is the worst by the first number, n46 by the second among those tied on
        // it; everyone else ties, so the earliest fill the rest.
        let badness = |i: usize| match i {
            45 => [0.5, 0.0],
            46 => [0.1, 9.0],
            _ => [0.1, 1.0],
        };
        let shown = Shown::worst(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| (n.as_str(), badness(i))),
        );
        assert_eq!(shown.left_out, 10);
        let kept: Vec<usize> = (0..names.len())
            .filter(|&i| shown.contains(&names[i]))
            .collect();
        let mut expected: Vec<usize> = (0..LIMIT - 2).collect();
        expected.extend([45, 46]);
        assert_eq!(kept, expected);
        let mut out = Vec::new();
        Shown::write_left_out(&mut out, 10, "node", "less often unavailable").unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "… 10 more nodes less often unavailable (--json FILE has them all)\n"
        );
    }
}
