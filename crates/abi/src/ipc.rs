//! System V IPC: message queues and semaphore sets, as Linux numbers and lays them out
//! (`linux/ipc.h`, `linux/msg.h`, `linux/sem.h`, and the x86_64 `msqid64_ds` and `semid64_ds`);
//! checked against Debian's headers by this crate's tests.

/// The key that always makes a new object, found by no one else.
pub const IPC_PRIVATE: i32 = 0;
/// `*get` flag: make the object if no object has the key.
pub const IPC_CREAT: u32 = 0o1000;
/// `*get` flag, with `IPC_CREAT`: fail with `EEXIST` if one has.
pub const IPC_EXCL: u32 = 0o2000;
/// Operation flag: fail with `EAGAIN` (`ENOMSG` for `msgrcv`) instead of waiting.
pub const IPC_NOWAIT: u32 = 0o4000;
/// `*ctl`: remove the object; waiters fail with `EIDRM`.
pub const IPC_RMID: u32 = 0;
/// `*ctl`: change the owner, mode (and a queue's size).
pub const IPC_SET: u32 = 1;
/// `*ctl`: the object's state.
pub const IPC_STAT: u32 = 2;
/// Set in `*ctl` commands by C libraries to ask for the 64-bit structures (the only ones here).
pub const IPC_64: u32 = 0x100;

/// `msgrcv` flag: take a message longer than the buffer, cut to fit (else `E2BIG`).
pub const MSG_NOERROR: u32 = 0o10000;
/// `msgrcv` flag, with a type above 0: take the first message of any *other* type.
pub const MSG_EXCEPT: u32 = 0o20000;
/// The longest message text (Linux's default `msgmax`).
pub const MSGMAX: usize = 8192;
/// The most bytes a queue holds by default (Linux's `msgmnb`).
pub const MSGMNB: usize = 16384;

/// `semctl`: the pid of the last process to operate on a semaphore.
pub const GETPID: u32 = 11;
/// `semctl`: a semaphore's value.
pub const GETVAL: u32 = 12;
/// `semctl`: every value of the set.
pub const GETALL: u32 = 13;
/// `semctl`: how many wait for a semaphore to grow.
pub const GETNCNT: u32 = 14;
/// `semctl`: how many wait for a semaphore to be zero.
pub const GETZCNT: u32 = 15;
/// `semctl`: set a semaphore's value.
pub const SETVAL: u32 = 16;
/// `semctl`: set every value of the set.
pub const SETALL: u32 = 17;
/// `semop` flag: undo this operation when the process ends.
pub const SEM_UNDO: i16 = 0x1000;
/// The largest value a semaphore may hold.
pub const SEMVMX: u16 = 32767;
/// The most semaphores in a set (Linux's `semmsl`).
pub const SEMMSL: usize = 32000;
/// The most operations in one `semop` (Linux's `semopm`).
pub const SEMOPM: usize = 500;

/// `shmat`: attach read-only.
pub const SHM_RDONLY: u32 = 0o10000;
/// `shmat`: round the address down to a multiple of [`SHMLBA`].
pub const SHM_RND: u32 = 0o20000;
/// `shmat`: replace what is mapped at the address (as `MAP_FIXED` does).
pub const SHM_REMAP: u32 = 0o40000;
/// `shmat`: allow instructions to be fetched from the segment.
pub const SHM_EXEC: u32 = 0o100000;
/// `shmat`'s alignment for an address it is given (x86_64: a page).
pub const SHMLBA: u64 = 4096;
/// `shmctl`: keep the segment's pages in memory (Ferrite never swaps: nothing to do).
pub const SHM_LOCK: u32 = 11;
/// `shmctl`: let the segment's pages be swapped again.
pub const SHM_UNLOCK: u32 = 12;
/// A segment's mode bit: `IPC_RMID` was asked while it was attached (Linux's `SHM_DEST`).
pub const SHM_DEST: u32 = 0o1000;

/// An object's owner and permissions (`struct ipc64_perm`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IpcPerm {
    /// Its key.
    pub key: i32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// Permission bits (the low nine of the `*get` flags).
    pub mode: u32,
    /// Sequence number (Linux's id reuse counter).
    pub seq: u16,
    /// Padding.
    pub pad2: u16,
    /// Padding to the next 8-byte field.
    pub pad3: u32,
    /// Unused.
    pub unused1: u64,
    /// Unused.
    pub unused2: u64,
}

/// A message queue's state (`struct msqid64_ds`), for `IPC_STAT` and `IPC_SET`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MsqidDs {
    /// Owner and permissions.
    pub msg_perm: IpcPerm,
    /// Last `msgsnd`, seconds since 1970.
    pub msg_stime: i64,
    /// Last `msgrcv`.
    pub msg_rtime: i64,
    /// Last change.
    pub msg_ctime: i64,
    /// Bytes queued.
    pub msg_cbytes: u64,
    /// Messages queued.
    pub msg_qnum: u64,
    /// The most bytes it holds.
    pub msg_qbytes: u64,
    /// Last sender.
    pub msg_lspid: i32,
    /// Last receiver.
    pub msg_lrpid: i32,
    /// Unused.
    pub unused4: u64,
    /// Unused.
    pub unused5: u64,
}

/// A semaphore set's state (`struct semid64_ds`), for `IPC_STAT`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SemidDs {
    /// Owner and permissions.
    pub sem_perm: IpcPerm,
    /// Last `semop`, seconds since 1970.
    pub sem_otime: i64,
    /// Unused.
    pub unused1: u64,
    /// Last change.
    pub sem_ctime: i64,
    /// Unused.
    pub unused2: u64,
    /// Semaphores in the set.
    pub sem_nsems: u64,
    /// Unused.
    pub unused3: u64,
    /// Unused.
    pub unused4: u64,
}

/// One operation of `semop` (`struct sembuf`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SemBuf {
    /// Which semaphore.
    pub sem_num: u16,
    /// The change (see `semop(2)`).
    pub sem_op: i16,
    /// `IPC_NOWAIT`, `SEM_UNDO`.
    pub sem_flg: i16,
}

/// A shared memory segment's state (`struct shmid64_ds`), for `IPC_STAT` and `IPC_SET`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShmidDs {
    /// Owner and permissions.
    pub shm_perm: IpcPerm,
    /// Its size in bytes, as `shmget` was asked.
    pub shm_segsz: u64,
    /// Last `shmat`, seconds since 1970.
    pub shm_atime: i64,
    /// Last `shmdt`.
    pub shm_dtime: i64,
    /// Last change.
    pub shm_ctime: i64,
    /// The process that made it.
    pub shm_cpid: i32,
    /// The last process to attach or detach it.
    pub shm_lpid: i32,
    /// How many mappings of it exist.
    pub shm_nattch: u64,
    /// Unused.
    pub unused4: u64,
    /// Unused.
    pub unused5: u64,
}

const _: () = assert!(core::mem::size_of::<IpcPerm>() == 48);
const _: () = assert!(core::mem::size_of::<ShmidDs>() == 112);
const _: () = assert!(core::mem::size_of::<MsqidDs>() == 120);
const _: () = assert!(core::mem::size_of::<SemidDs>() == 104);
const _: () = assert!(core::mem::size_of::<SemBuf>() == 6);
