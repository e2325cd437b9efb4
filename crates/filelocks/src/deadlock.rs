//! Deadlock detection for record locks: does going to sleep close a cycle of waiters?
//!
//! Process A holds byte 0 and sleeps in `F_SETLKW` until B lets go of byte 1; if B now asks
//! for byte 0 and sleeps too, neither will ever wake. POSIX lets the kernel refuse the second
//! request with `EDEADLK` instead, and Linux does. The kernel knows enough to see it coming:
//! every sleeping owner waits for exactly one other owner (the holder of the first lock it
//! found in its way), so the waiters form a *waits-for graph* in which each node has at most
//! one outgoing edge. Before an owner sleeps, it follows the edges from the holder it is about
//! to wait for: if they lead back to itself, the new edge would close a cycle. Because every
//! sleeper checked before its own edge went in, the graph never holds a cycle, and the walk
//! always ends.
//!
//! Only record locks of processes take part, as on Linux (`posix_locks_deadlock` in
//! `fs/locks.c`): `flock` locks, owned by open file descriptions that any number of processes
//! may share, say nothing about who is waiting for whom, and neither do Linux's
//! open-file-description (OFD) record locks. The walk gives up after
//! [`DEADLOCK_SEARCH_LIMIT`] owners and lets the caller sleep, as Linux's does: the one-edge
//! assumption fails when several threads of one process wait at once, and a bound keeps a
//! search under the lock table's lock short whatever the graph looks like.

use super::Owner;

/// One owner asleep until another's lock goes: an edge of the waits-for graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wait {
    /// The owner asleep (a process).
    pub owner: Owner,
    /// The owner of the lock in its way.
    pub blocker: Owner,
}

/// How many owners past the one in the way a search compares with the caller before it gives
/// up. Linux's `MAX_DEADLK_ITERATIONS` is 10, and its loop makes one comparison more than that
/// before it stops; the same reach here keeps the two kernels' answers the same.
pub const DEADLOCK_SEARCH_LIMIT: usize = 11;

/// Whether `owner` would deadlock by sleeping until `blocker`'s lock goes: whether, following
/// from `blocker` whom each owner waits for (`waits_for`, `None` for an owner that is not
/// waiting), the chain comes back to `owner` within [`DEADLOCK_SEARCH_LIMIT`] steps.
pub fn would_deadlock(
    owner: Owner,
    blocker: Owner,
    waits_for: impl Fn(Owner) -> Option<Owner>,
) -> bool {
    let mut holder = blocker;
    for _ in 0..DEADLOCK_SEARCH_LIMIT {
        match waits_for(holder) {
            None => return false,
            Some(next) if next == owner => return true,
            Some(next) => holder = next,
        }
    }
    false
}

/// The owner `owner` waits for according to `waits` (the first of its waits, if several of its
/// threads sleep): the `waits_for` of [`would_deadlock`] over a list of edges.
pub fn waited_for<'a>(waits: impl IntoIterator<Item = &'a Wait>, owner: Owner) -> Option<Owner> {
    waits
        .into_iter()
        .find(|w| w.owner == owner)
        .map(|w| w.blocker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// A chain of waits: each owner in `owners` waits for the next.
    fn chain(owners: &[Owner]) -> Vec<Wait> {
        owners
            .windows(2)
            .map(|pair| Wait {
                owner: pair[0],
                blocker: pair[1],
            })
            .collect()
    }

    fn deadlocks(waits: &[Wait], owner: Owner, blocker: Owner) -> bool {
        would_deadlock(owner, blocker, |o| waited_for(waits, o))
    }

    #[test]
    fn two_owners_each_waiting_for_the_other_deadlock() {
        // B sleeps until A's lock goes; A now asks for one of B's.
        let waits = chain(&[2, 1]);
        assert!(deadlocks(&waits, 1, 2));
    }

    #[test]
    fn a_holder_that_is_not_waiting_is_no_deadlock() {
        assert!(!deadlocks(&[], 1, 2));
        // B waits for C, who waits for nobody.
        assert!(!deadlocks(&chain(&[2, 3]), 1, 2));
    }

    #[test]
    fn a_longer_cycle_is_found_through_every_owner() {
        // B waits for C, C for D, D for A: A asking for B's lock closes the cycle.
        let waits = chain(&[2, 3, 4, 1]);
        assert!(deadlocks(&waits, 1, 2));
        // A cycle that does not pass through the caller is not the caller's deadlock (and
        // cannot exist: its last member would have been refused).
        assert!(!deadlocks(&waits, 5, 2));
    }

    #[test]
    fn the_search_stops_where_linuxs_does() {
        // The caller is 0; the holder in its way is 1. With 1 -> 2 -> ... -> n -> 0, the caller
        // is the n-th owner the search compares.
        let reaching_back_after = |n: u64| {
            let mut owners: Vec<Owner> = (1..=n).collect();
            owners.push(0);
            chain(&owners)
        };
        let limit = DEADLOCK_SEARCH_LIMIT as u64;
        assert!(deadlocks(&reaching_back_after(limit), 0, 1));
        assert!(!deadlocks(&reaching_back_after(limit + 1), 0, 1));
    }

    #[test]
    fn the_first_wait_of_an_owner_is_the_one_followed() {
        // Two threads of process 2 sleep: one until 3's lock goes, one until 1's.
        let waits = [
            Wait {
                owner: 2,
                blocker: 3,
            },
            Wait {
                owner: 2,
                blocker: 1,
            },
        ];
        assert_eq!(waited_for(&waits, 2), Some(3));
        assert!(!deadlocks(&waits, 1, 2));
    }
}
