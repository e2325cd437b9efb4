//! System identification for `uname`: `struct new_utsname`.
//!
//! From `linux/utsname.h`: six fixed 65-byte fields (`__NEW_UTS_LEN` 64 plus a NUL). Programs
//! print them with `%s`, so every field must hold a NUL; [`Utsname::field`] guarantees it.

/// Bytes in each field, the terminating NUL included.
pub const FIELD_LEN: usize = 65;

/// What `uname` reports (`struct new_utsname`, 390 bytes, no padding).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    /// Name of the operating system ("Ferrite"; programs that test for "Linux" need care).
    pub sysname: [u8; FIELD_LEN],
    /// Host name on the network.
    pub nodename: [u8; FIELD_LEN],
    /// Kernel release.
    pub release: [u8; FIELD_LEN],
    /// Kernel version and build information.
    pub version: [u8; FIELD_LEN],
    /// Hardware name ("x86_64").
    pub machine: [u8; FIELD_LEN],
    /// NIS domain name ("(none)" on most Linux machines).
    pub domainname: [u8; FIELD_LEN],
}

impl Utsname {
    /// Every field empty (all bytes 0).
    pub const fn zeroed() -> Self {
        Utsname {
            sysname: [0; FIELD_LEN],
            nodename: [0; FIELD_LEN],
            release: [0; FIELD_LEN],
            version: [0; FIELD_LEN],
            machine: [0; FIELD_LEN],
            domainname: [0; FIELD_LEN],
        }
    }

    /// `text` as a field: its bytes, cut to 64 so a NUL always follows, then zeros.
    pub const fn field(text: &str) -> [u8; FIELD_LEN] {
        let bytes = text.as_bytes();
        let mut out = [0; FIELD_LEN];
        let mut i = 0;
        // A `while` loop because `for` is not allowed in a const fn.
        while i < bytes.len() && i < FIELD_LEN - 1 {
            out[i] = bytes[i];
            i += 1;
        }
        out
    }
}

impl Default for Utsname {
    fn default() -> Self {
        Utsname::zeroed()
    }
}

const _: () = assert!(core::mem::size_of::<Utsname>() == 390);
const _: () = assert!(core::mem::offset_of!(Utsname, machine) == 260);
const _: () = assert!(core::mem::offset_of!(Utsname, domainname) == 325);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_always_end_in_nul() {
        let short = Utsname::field("x86_64");
        assert_eq!(&short[..7], b"x86_64\0");
        let long = Utsname::field(&"a".repeat(100));
        assert!(long[..64].iter().all(|&b| b == b'a'));
        assert_eq!(long[64], 0);
        assert_eq!(Utsname::default(), Utsname::zeroed());
    }
}
