//! What the run came to, after the timeline: the servers removed and the cascade's depth,
//! the data lost, when each fleet that lost servers had them back, and when everything was.

use std::io::{self, Write};

use super::{Replay, SHARES};
use crate::export::loss;
use crate::export::text::duration;
use crate::time::SimTime;
use crate::typo::Action;

impl Replay<'_> {
    /// Writes the totals of the run.
    pub(super) fn write_totals<W: Write + ?Sized>(&self, w: &mut W) -> io::Result<()> {
        let m = self.model;
        let o = self.outcome;
        writeln!(
            w,
            "servers {}: {}; cascade depth: {}",
            match m.command.action {
                Action::Remove => "removed",
                Action::Reboot => "rebooted",
            },
            o.servers_removed,
            o.cascade_depth
        )?;
        loss::summary(w, m, self.changes)?;
        let backs = self.capacity_back();
        for (id, node) in m.reported() {
            let Some(&back) = backs.get(&id) else {
                continue;
            };
            let at = |t: Option<SimTime>| match t {
                Some(t) if t == SimTime::ZERO => "never below".to_string(),
                Some(t) => format!("at {t}"),
                None => "not by the horizon".to_string(),
            };
            let shares: Vec<String> = SHARES
                .iter()
                .zip(back)
                .map(|(&share, t)| format!("{share} {}", at(t)))
                .collect();
            writeln!(w, "{} servers back: {}", node.name, shares.join(", "))?;
        }
        match o.recovery {
            Some(r) => writeln!(
                w,
                "everything back after {} (at {})",
                duration(r.as_secs_f64()),
                m.start_clock.at(SimTime::ZERO + r)
            )?,
            None if o.horizon_hit => {
                writeln!(w, "not everything was back by the horizon ({})", m.horizon)?
            }
            None => writeln!(w, "nothing became unavailable")?,
        }
        Ok(())
    }
}
