//! Capacity over time: when 50 %, 90 % and 100 % of a subsystem's servers were back in
//! service for good. The engine keeps each subsystem's servers in service (the sum of its
//! cells') and, on every change of it, the last time it rose to each share; a share it
//! never fell below counts as back at the command's instant, and one it is below when the
//! run ends is not back. The replay's milestones and the Monte Carlo distributions are
//! both read from here, so they agree by construction.
//!
//! The servers in service are those the engine counts: a cell in a cold restart counts
//! none until it serves (its `serve_at` share, or all of its servers at the end when that
//! is the same), then all of them once it is whole; rebooted servers count one by one as
//! each is back. A fleet whose servers come back one by one in a restart is written as
//! cells (one cell per server at the finest).

use crate::time::SimTime;

/// The shares of a subsystem's servers whose return is reported, in percent.
pub const SHARES: [u64; 3] = [50, 90, 100];

/// The shares' names, as reports and files spell them.
pub const SHARE_NAMES: [&str; 3] = ["50%", "90%", "100%"];

/// One subsystem's capacity over a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapacityBack {
    /// Whether it had fewer servers in service than its full count at some time.
    pub lost: bool,
    /// Per share of [`SHARES`], the last time its servers in service rose to that share
    /// (the command's instant for a share it never fell below); `None` if it was below
    /// it when the run ended.
    pub back: [Option<SimTime>; 3],
}

impl Default for CapacityBack {
    fn default() -> Self {
        CapacityBack::START
    }
}

impl CapacityBack {
    /// At the start of a run: nothing lost, every share there from the command's instant.
    pub const START: CapacityBack = CapacityBack {
        lost: false,
        back: [Some(SimTime::ZERO); 3],
    };

    /// Its servers in service changed to `in_service` of `servers` at `now`.
    pub(super) fn changed(&mut self, in_service: u64, servers: u64, now: SimTime) {
        self.lost |= in_service < servers;
        let total = u128::from(in_service);
        for (b, &share) in self.back.iter_mut().zip(&SHARES) {
            let enough = total * 100 >= u128::from(servers) * u128::from(share);
            match (*b, enough) {
                (Some(_), false) => *b = None,
                (None, true) => *b = Some(now),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_back_at_the_last_rise_to_it() {
        let t = SimTime::from_millis;
        let mut c = CapacityBack::default();
        c.changed(9, 10, t(0)); // 90 % left: 50 % and 90 % never fell
        assert_eq!(c.back, [Some(t(0)), Some(t(0)), None]);
        c.changed(0, 10, t(5));
        c.changed(6, 10, t(7));
        c.changed(4, 10, t(8));
        c.changed(9, 10, t(9));
        c.changed(10, 10, t(12));
        assert!(c.lost);
        assert_eq!(c.back, [Some(t(9)), Some(t(9)), Some(t(12))]);
        // Within one instant the last change holds.
        c.changed(0, 10, t(13));
        c.changed(10, 10, t(13));
        assert_eq!(c.back, [Some(t(13)); 3]);
    }
}
