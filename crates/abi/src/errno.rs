//! Error numbers, and how a system call's result travels back in `rax`.
//!
//! Linux returns one machine word from every call. A value in `-4095..=-1`, read as a signed
//! number, is a failure whose negation is the error number; anything else is success (a count,
//! a descriptor, an address). The C library turns a failure into `-1` plus `errno`; Ferrite's
//! kernel and runtime use [`encode`] and [`decode`] to cross the boundary as `Result`s instead.
//! The values are those of `asm-generic/errno-base.h` (1 to 34) and `asm-generic/errno.h`
//! (35 to 133), which x86_64 uses unchanged. Every value is listed, not only those Ferrite returns
//! today, so that [`Errno::from_raw`] recognises anything a Linux program could expect.

use core::fmt;

/// The highest error number Linux will ever return; raw results in `-MAX_ERRNO..=-1` are errors.
pub const MAX_ERRNO: usize = 4095;

/// Declares [`Errno`] with its name, description and raw-value tables from one list, so the
/// four can never disagree.
macro_rules! errnos {
    ($( $name:ident = $value:literal, $text:literal; )*) => {
        /// A Linux error number: why a system call failed.
        ///
        /// The discriminant is Linux's value (`Errno::ENOENT as i32 == 2`); each variant's
        /// documentation is its [`Errno::description`].
        #[repr(i32)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Errno {
            $( #[doc = $text] $name = $value, )*
        }

        impl Errno {
            /// Every error number, in increasing order.
            pub const ALL: &'static [Errno] = &[$( Errno::$name ),*];

            /// The C name of the error ("EFAULT").
            pub const fn name(self) -> &'static str {
                match self {
                    $( Errno::$name => stringify!($name), )*
                }
            }

            /// A short phrase saying what went wrong, for messages.
            pub const fn description(self) -> &'static str {
                match self {
                    $( Errno::$name => $text, )*
                }
            }

            /// The error with Linux value `raw` (positive, as in C's `errno`), or `None` if Linux
            /// defines no error with that value.
            pub const fn from_raw(raw: i32) -> Option<Errno> {
                match raw {
                    $( $value => Some(Errno::$name), )*
                    _ => None,
                }
            }
        }
    };
}

errnos! {
    // asm-generic/errno-base.h: the classic Unix errors.
    EPERM = 1, "the caller lacks the privilege for this operation";
    ENOENT = 2, "no file or directory by that name";
    ESRCH = 3, "no process with that id";
    EINTR = 4, "a signal interrupted the call";
    EIO = 5, "the device reported an input/output failure";
    ENXIO = 6, "the device or address does not exist";
    E2BIG = 7, "the argument and environment lists are too long";
    ENOEXEC = 8, "not an executable format the kernel can load";
    EBADF = 9, "not an open file descriptor, or not open for this kind of access";
    ECHILD = 10, "no child process to wait for";
    EAGAIN = 11, "not possible now without blocking; try again (also EWOULDBLOCK)";
    ENOMEM = 12, "not enough memory";
    EACCES = 13, "the file's permissions deny access";
    EFAULT = 14, "a pointer argument points outside the caller's memory";
    ENOTBLK = 15, "a block device is required";
    EBUSY = 16, "the device or resource is in use";
    EEXIST = 17, "the file already exists";
    EXDEV = 18, "a link cannot cross file systems";
    ENODEV = 19, "no such device, or it cannot do this";
    ENOTDIR = 20, "a path component is not a directory";
    EISDIR = 21, "the file is a directory";
    EINVAL = 22, "an argument is invalid";
    ENFILE = 23, "the system-wide table of open files is full";
    EMFILE = 24, "the process has too many open descriptors";
    ENOTTY = 25, "not a terminal, or the device does not know this ioctl";
    ETXTBSY = 26, "the program file is busy being written or run";
    EFBIG = 27, "the file would grow past its size limit";
    ENOSPC = 28, "no space left on the device";
    ESPIPE = 29, "cannot seek on a pipe, socket or terminal";
    EROFS = 30, "the file system is read-only";
    EMLINK = 31, "too many hard links";
    EPIPE = 32, "writing to a pipe or socket that nobody reads";
    EDOM = 33, "an argument is outside a math function's domain";
    ERANGE = 34, "the result does not fit (or the buffer is too small)";

    // asm-generic/errno.h: everything later Unixes and Linux added.
    EDEADLK = 35, "taking the lock would deadlock (also EDEADLOCK)";
    ENAMETOOLONG = 36, "a file name or path is too long";
    ENOLCK = 37, "no record locks are available";
    ENOSYS = 38, "no such system call";
    ENOTEMPTY = 39, "the directory is not empty";
    ELOOP = 40, "too many symbolic links while resolving a path";
    ENOMSG = 42, "no message of the requested type";
    EIDRM = 43, "the identifier was removed";
    ECHRNG = 44, "the channel number is out of range";
    EL2NSYNC = 45, "level 2 is not synchronized";
    EL3HLT = 46, "level 3 has halted";
    EL3RST = 47, "level 3 was reset";
    ELNRNG = 48, "the link number is out of range";
    EUNATCH = 49, "the protocol driver is not attached";
    ENOCSI = 50, "no CSI structure is available";
    EL2HLT = 51, "level 2 has halted";
    EBADE = 52, "the exchange is invalid";
    EBADR = 53, "the request descriptor is invalid";
    EXFULL = 54, "the exchange is full";
    ENOANO = 55, "no anode";
    EBADRQC = 56, "the request code is invalid";
    EBADSLT = 57, "the slot is invalid";
    EBFONT = 59, "the font file's format is bad";
    ENOSTR = 60, "not a STREAMS device";
    ENODATA = 61, "no data is available";
    ETIME = 62, "a STREAMS timer expired";
    ENOSR = 63, "out of STREAMS resources";
    ENONET = 64, "the machine is not on the network";
    ENOPKG = 65, "the package is not installed";
    EREMOTE = 66, "the object is remote";
    ENOLINK = 67, "the link has been severed";
    EADV = 68, "advertise error";
    ESRMNT = 69, "srmount error";
    ECOMM = 70, "communication failed while sending";
    EPROTO = 71, "protocol error";
    EMULTIHOP = 72, "a multihop was attempted";
    EDOTDOT = 73, "RFS-specific error";
    EBADMSG = 74, "not a valid data message";
    EOVERFLOW = 75, "the value does not fit the type it must be returned in";
    ENOTUNIQ = 76, "the name is not unique on the network";
    EBADFD = 77, "the descriptor is in a bad state";
    EREMCHG = 78, "the remote address changed";
    ELIBACC = 79, "a needed shared library cannot be accessed";
    ELIBBAD = 80, "a shared library is corrupted";
    ELIBSCN = 81, "the a.out .lib section is corrupted";
    ELIBMAX = 82, "too many shared libraries to link";
    ELIBEXEC = 83, "a shared library cannot be run directly";
    EILSEQ = 84, "an invalid or incomplete multibyte character";
    ERESTART = 85, "the interrupted call should be restarted";
    ESTRPIPE = 86, "STREAMS pipe error";
    EUSERS = 87, "too many users";
    ENOTSOCK = 88, "the descriptor is not a socket";
    EDESTADDRREQ = 89, "a destination address is required";
    EMSGSIZE = 90, "the message is too long";
    EPROTOTYPE = 91, "the protocol does not suit the socket type";
    ENOPROTOOPT = 92, "the protocol option is not available";
    EPROTONOSUPPORT = 93, "the protocol is not supported";
    ESOCKTNOSUPPORT = 94, "the socket type is not supported";
    EOPNOTSUPP = 95, "the operation is not supported (also ENOTSUP)";
    EPFNOSUPPORT = 96, "the protocol family is not supported";
    EAFNOSUPPORT = 97, "the address family is not supported";
    EADDRINUSE = 98, "the address is already in use";
    EADDRNOTAVAIL = 99, "the address is not available on this machine";
    ENETDOWN = 100, "the network is down";
    ENETUNREACH = 101, "the network is unreachable";
    ENETRESET = 102, "the network dropped the connection on reset";
    ECONNABORTED = 103, "the connection was aborted on this side";
    ECONNRESET = 104, "the peer reset the connection";
    ENOBUFS = 105, "no buffer space is available";
    EISCONN = 106, "the socket is already connected";
    ENOTCONN = 107, "the socket is not connected";
    ESHUTDOWN = 108, "cannot send after the socket was shut down";
    ETOOMANYREFS = 109, "too many references";
    ETIMEDOUT = 110, "the operation timed out";
    ECONNREFUSED = 111, "the peer refused the connection";
    EHOSTDOWN = 112, "the host is down";
    EHOSTUNREACH = 113, "no route to the host";
    EALREADY = 114, "the operation is already in progress";
    EINPROGRESS = 115, "the operation has started and will finish later";
    ESTALE = 116, "the file handle is stale";
    EUCLEAN = 117, "the structure needs cleaning";
    ENOTNAM = 118, "not a XENIX named type file";
    ENAVAIL = 119, "no XENIX semaphores are available";
    EISNAM = 120, "the file is a named type file";
    EREMOTEIO = 121, "remote input/output error";
    EDQUOT = 122, "the disk quota is exceeded";
    ENOMEDIUM = 123, "no medium is in the drive";
    EMEDIUMTYPE = 124, "the medium is of the wrong type";
    ECANCELED = 125, "the operation was canceled";
    ENOKEY = 126, "a required key is not available";
    EKEYEXPIRED = 127, "the key has expired";
    EKEYREVOKED = 128, "the key was revoked";
    EKEYREJECTED = 129, "the key was rejected";
    EOWNERDEAD = 130, "the owner of a robust lock died";
    ENOTRECOVERABLE = 131, "the state cannot be recovered";
    ERFKILL = 132, "blocked by a radio kill switch";
    EHWPOISON = 133, "the memory page has a hardware error";
}

impl Errno {
    /// `EWOULDBLOCK`, Linux's other name for [`Errno::EAGAIN`].
    pub const EWOULDBLOCK: Errno = Errno::EAGAIN;
    /// `EDEADLOCK`, Linux's other name for [`Errno::EDEADLK`].
    pub const EDEADLOCK: Errno = Errno::EDEADLK;
    /// `ENOTSUP`, POSIX's name, which glibc and musl define as [`Errno::EOPNOTSUPP`].
    pub const ENOTSUP: Errno = Errno::EOPNOTSUPP;
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.description())
    }
}

/// Whether `raw`, a value a system call left in `rax`, is a failure (in `-MAX_ERRNO..=-1`).
pub const fn is_error(raw: usize) -> bool {
    raw > usize::MAX - MAX_ERRNO
}

/// The word the kernel puts in `rax`: the value itself on success, the negated error number (two's
/// complement) on failure.
///
/// A successful value must not look like an error; addresses and counts never do, because user
/// space ends far below the top 4095 bytes of the address space. Debug builds check it.
pub fn encode(result: Result<usize, Errno>) -> usize {
    match result {
        Ok(value) => {
            debug_assert!(!is_error(value), "a success value in the error range");
            value
        }
        Err(errno) => (errno as usize).wrapping_neg(),
    }
}

/// The `Result` a raw `rax` stands for; the user runtime's inverse of [`encode`].
///
/// A code in the error range that Linux does not define (only a kernel bug could produce one)
/// decodes as [`Errno::EIO`], so the caller still sees a failure.
pub fn decode(raw: usize) -> Result<usize, Errno> {
    if !is_error(raw) {
        return Ok(raw);
    }
    // The range check above bounds the code to 1..=MAX_ERRNO, so the cast cannot truncate.
    let code = raw.wrapping_neg() as i32;
    Err(Errno::from_raw(code).unwrap_or(Errno::EIO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_encode_as_negated_numbers() {
        assert_eq!(encode(Err(Errno::EPERM)), usize::MAX);
        assert_eq!(encode(Err(Errno::ENOSYS)) as isize, -38);
        assert_eq!(encode(Err(Errno::EHWPOISON)) as isize, -133);
    }

    #[test]
    fn successes_encode_as_themselves() {
        for value in [0, 1, 4096, 0x7fff_ffff_f000, usize::MAX - MAX_ERRNO] {
            assert_eq!(encode(Ok(value)), value);
            assert_eq!(decode(value), Ok(value));
        }
    }

    #[test]
    fn every_errno_round_trips() {
        for &errno in Errno::ALL {
            assert_eq!(decode(encode(Err(errno))), Err(errno), "{errno}");
            assert_eq!(Errno::from_raw(errno as i32), Some(errno));
        }
    }

    #[test]
    fn the_error_range_is_exactly_4095_values() {
        assert!(!is_error(usize::MAX - 4095));
        assert!(is_error(usize::MAX - 4094));
        assert!(is_error(usize::MAX));
        assert_eq!(decode((-4095isize) as usize), Err(Errno::EIO)); // undefined code
        assert_eq!(decode((-41isize) as usize), Err(Errno::EIO)); // 41 is a hole
    }

    #[test]
    fn table_is_sorted_and_complete_up_to_133() {
        assert!(Errno::ALL.windows(2).all(|w| (w[0] as i32) < (w[1] as i32)));
        for raw in 1..=133 {
            let hole = raw == 41 || raw == 58; // EWOULDBLOCK and EDEADLOCK are aliases in Linux
            assert_eq!(Errno::from_raw(raw).is_none(), hole, "{raw}");
        }
        assert_eq!(Errno::from_raw(0), None);
        assert_eq!(Errno::from_raw(134), None);
        assert_eq!(Errno::from_raw(-1), None);
    }

    #[test]
    fn names_and_descriptions() {
        assert_eq!(Errno::EFAULT.name(), "EFAULT");
        assert_eq!(Errno::E2BIG.name(), "E2BIG");
        assert_eq!(Errno::EWOULDBLOCK.name(), "EAGAIN");
        assert_eq!(Errno::ENOTSUP as i32, 95);
        for &errno in Errno::ALL {
            let text = errno.description();
            assert!(!text.is_empty() && text.len() < 80, "{}", errno.name());
            assert!(!text.ends_with('.'), "{}", errno.name());
        }
        assert_eq!(
            std::format!("{}", Errno::ENOENT),
            "ENOENT (no file or directory by that name)"
        );
    }
}
