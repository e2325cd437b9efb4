use super::*;
use abi::ipc::MSG_EXCEPT;

#[test]
fn a_key_names_one_object_and_private_always_makes_a_new_one() {
    let mut registry: Registry<u8> = Registry::new();
    let ok = |_: &u8| Ok(());
    assert_eq!(registry.get(42, 0, || Ok(1), ok), Err(Errno::ENOENT));
    let id = registry.get(42, IPC_CREAT, || Ok(1), ok).unwrap();
    assert_eq!(registry.get(42, IPC_CREAT, || Ok(2), ok), Ok(id));
    assert_eq!(registry.get(42, 0, || Ok(2), ok), Ok(id));
    assert_eq!(
        registry.get(42, IPC_CREAT | IPC_EXCL, || Ok(2), ok),
        Err(Errno::EEXIST)
    );
    let private = registry.get(IPC_PRIVATE, 0, || Ok(3), ok).unwrap();
    let another = registry.get(IPC_PRIVATE, 0, || Ok(4), ok).unwrap();
    assert_ne!(private, another);
    assert_eq!(
        registry.get(42, 0, || Ok(0), |_| Err(Errno::EINVAL)),
        Err(Errno::EINVAL)
    );
    assert_eq!(registry.remove(id), Ok(1));
    assert_eq!(registry.find(id).err(), Some(Errno::EINVAL));
    assert_eq!(
        registry.get(42, 0, || Ok(1), ok),
        Err(Errno::ENOENT),
        "a removed key is free"
    );
}

fn queue(kinds: &[i64]) -> Queue {
    let mut queue = Queue::new(1000);
    for &kind in kinds {
        queue.push(Message {
            kind,
            text: alloc::vec![kind as u8; 3],
        });
    }
    queue
}

#[test]
fn receivers_choose_by_type() {
    let queue = queue(&[5, 2, 7, 2]);
    assert_eq!(queue.select(0, 0), Some(0));
    assert_eq!(queue.select(2, 0), Some(1));
    assert_eq!(queue.select(2, MSG_EXCEPT), Some(0));
    assert_eq!(queue.select(9, 0), None);
    assert_eq!(queue.select(-6, 0), Some(1), "the lowest type up to 6 is 2");
    assert_eq!(queue.select(-1, 0), None);
    assert_eq!(queue.select(i64::MIN, 0), Some(1));
    assert_eq!(queue.bytes, 12);
}

#[test]
fn taking_frees_its_bytes_and_capacity_bounds_sending() {
    let mut queue = queue(&[1, 2]);
    let taken = queue.take(1).unwrap();
    assert_eq!(taken.kind, 2);
    assert_eq!(queue.bytes, 3);
    assert!(queue.fits(997));
    assert!(!queue.fits(998));
}

#[test]
fn semop_is_all_or_nothing() {
    let mut values = [1, 0];
    let take_both = [
        SemOp {
            number: 0,
            change: -1,
        },
        SemOp {
            number: 1,
            change: -1,
        },
    ];
    assert_eq!(
        semop(&mut values, &take_both, 100),
        Ok(SemOutcome::Wait {
            number: 1,
            for_zero: false
        })
    );
    assert_eq!(values, [1, 0], "the first operation was not applied alone");
    values[1] = 1;
    assert_eq!(semop(&mut values, &take_both, 100), Ok(SemOutcome::Done));
    assert_eq!(values, [0, 0]);
}

#[test]
fn a_wait_for_zero_waits_while_the_value_is_not() {
    let mut values = [2];
    let zero = [SemOp {
        number: 0,
        change: 0,
    }];
    assert_eq!(
        semop(&mut values, &zero, 100),
        Ok(SemOutcome::Wait {
            number: 0,
            for_zero: true
        })
    );
    values[0] = 0;
    assert_eq!(semop(&mut values, &zero, 100), Ok(SemOutcome::Done));
}

#[test]
fn bad_numbers_and_overflows_are_errors() {
    let mut values = [5];
    assert_eq!(
        semop(
            &mut values,
            &[SemOp {
                number: 1,
                change: 1
            }],
            100
        ),
        Err(Errno::EFBIG)
    );
    assert_eq!(
        semop(
            &mut values,
            &[SemOp {
                number: 0,
                change: 96
            }],
            100
        ),
        Err(Errno::ERANGE)
    );
    assert_eq!(values, [5]);
}

#[test]
fn an_object_removed_under_a_waiter_is_eidrm_not_einval() {
    let mut registry: Registry<u8> = Registry::new();
    let id = registry.get(IPC_PRIVATE, 0, || Ok(1), |_| Ok(())).unwrap();
    let mut seen = false;
    assert_eq!(
        registry.find_again(id + 1, &mut seen).err(),
        Some(Errno::EINVAL)
    );
    assert!(!seen);
    assert_eq!(registry.find_again(id, &mut seen).copied(), Ok(1));
    assert!(seen);
    registry.remove(id).unwrap();
    assert_eq!(registry.find_again(id, &mut seen).err(), Some(Errno::EIDRM));
}
