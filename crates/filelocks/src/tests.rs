use super::*;

const A: Owner = 1;
const B: Owner = 2;

fn locks(list: &[(Owner, Kind, u64, u64)]) -> Vec<Lock> {
    list.iter()
        .map(|&(owner, kind, start, end)| Lock {
            owner,
            kind,
            start,
            end,
        })
        .collect()
}

#[test]
fn reads_share_and_writes_do_not() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Read), 0, 100);
    assert_eq!(file.conflict(B, Kind::Read, 50, 60), None);
    assert_eq!(
        file.conflict(B, Kind::Write, 50, 60).map(|l| l.owner),
        Some(A)
    );
    assert_eq!(
        file.conflict(B, Kind::Write, 100, 200),
        None,
        "ranges end before their end"
    );
    file.set(B, Some(Kind::Read), 50, 60);
    file.set(A, Some(Kind::Write), 100, 110);
    assert_eq!(
        file.conflict(B, Kind::Read, 105, 106).map(|l| l.kind),
        Some(Kind::Write)
    );
}

#[test]
fn an_owner_never_conflicts_with_itself_and_its_new_lock_replaces_the_old() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Read), 0, 100);
    assert_eq!(file.conflict(A, Kind::Write, 0, 100), None);
    file.set(A, Some(Kind::Write), 40, 60);
    assert_eq!(
        file.iter().copied().collect::<Vec<_>>(),
        locks(&[
            (A, Kind::Read, 0, 40),
            (A, Kind::Write, 40, 60),
            (A, Kind::Read, 60, 100)
        ])
    );
}

#[test]
fn unlocking_the_middle_splits_a_lock_in_two() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Write), 0, END_OF_FILE);
    file.set(A, None, 10, 20);
    assert_eq!(
        file.iter().copied().collect::<Vec<_>>(),
        locks(&[(A, Kind::Write, 0, 10), (A, Kind::Write, 20, END_OF_FILE)])
    );
    assert_eq!(file.conflict(B, Kind::Write, 10, 20), None);
    assert!(file.conflict(B, Kind::Read, 19, 21).is_some());
}

#[test]
fn touching_ranges_of_one_owner_and_kind_merge() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Read), 0, 10);
    file.set(A, Some(Kind::Read), 10, 20);
    file.set(A, Some(Kind::Read), 30, 40);
    file.set(B, Some(Kind::Read), 20, 30);
    assert_eq!(
        file.iter().copied().collect::<Vec<_>>(),
        locks(&[
            (A, Kind::Read, 0, 20),
            (B, Kind::Read, 20, 30),
            (A, Kind::Read, 30, 40)
        ])
    );
}

#[test]
fn release_drops_only_that_owners_locks() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Read), 0, 10);
    file.set(B, Some(Kind::Read), 0, 10);
    assert!(file.release(A));
    assert!(!file.release(A));
    assert_eq!(file.iter().map(|l| l.owner).collect::<Vec<_>>(), [B]);
    assert!(file.release(B));
    assert!(file.is_empty());
}

#[test]
fn an_empty_range_changes_nothing() {
    let mut file = Locks::new();
    file.set(A, Some(Kind::Write), 5, 5);
    assert!(file.is_empty());
}

#[test]
fn flock_ranges_follow_whence_and_sign() {
    assert_eq!(range(0, 10, 5), Some((10, 15)));
    assert_eq!(range(100, -10, 0), Some((90, END_OF_FILE)));
    assert_eq!(range(0, 10, -5), Some((5, 10)));
    assert_eq!(range(0, 3, -5), None, "before byte 0");
    assert_eq!(range(0, -1, 1), None);
    assert_eq!(range(0, i64::MAX, 2), None, "past the largest offset");
}
