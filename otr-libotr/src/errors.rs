//! libotr's error values: libgcrypt's `gcry_error_t`, a gpg-error code with
//! an error source in bits 24..30. Clients print them with `gcry_strerror`
//! and compare them with `gcry_error_from_errno`, so the numbers must be
//! libotr's: errors from the C library (`gcry_error_from_errno`) and from
//! libgcrypt itself carry the source `GPG_ERR_SOURCE_GCRYPT` (1); errors
//! libotr makes itself (`gcry_error(GPG_ERR_INV_VALUE)` in libotr's code)
//! carry `GPG_ERR_SOURCE_USER_1` (32), libotr's build default.

/// `gcry_error_t`.
pub type GcryError = u32;

/// No error.
pub const NO_ERROR: GcryError = 0;

const SOURCE_GCRYPT: u32 = 1;
const SOURCE_USER_1: u32 = 32;
const SYSTEM_ERROR: u32 = 1 << 15;

/// `GPG_ERR_UNUSABLE_SECKEY`.
pub const UNUSABLE_SECKEY: u32 = 54;
/// `GPG_ERR_INV_VALUE`.
pub const INV_VALUE: u32 = 55;
/// `GPG_ERR_CONFLICT`.
pub const CONFLICT: u32 = 70;
/// `GPG_ERR_ENOMEM`.
pub const ENOMEM: u32 = SYSTEM_ERROR | 86;
/// `GPG_ERR_UNKNOWN_ERRNO`.
pub const UNKNOWN_ERRNO: u32 = 16382;

/// An error libotr makes itself: `gcry_error(code)` as compiled in libotr
/// (source `GPG_ERR_SOURCE_USER_1`; 0 stays 0).
#[must_use]
pub const fn gcry_error(code: u32) -> GcryError {
    make(SOURCE_USER_1, code)
}

/// An error libgcrypt reports (source `GPG_ERR_SOURCE_GCRYPT`).
#[must_use]
pub const fn gcrypt_error(code: u32) -> GcryError {
    make(SOURCE_GCRYPT, code)
}

const fn make(source: u32, code: u32) -> GcryError {
    if code == 0 {
        NO_ERROR
    } else {
        (source << 24) | (code & 0xffff)
    }
}

/// `gcry_error_from_errno(errno)` as libgpg-error maps Linux errno values.
#[must_use]
pub fn from_errno(errno: i32) -> GcryError {
    if errno == 0 {
        return NO_ERROR;
    }
    gcrypt_error(errno_code(errno))
}

/// `gpg_err_code_from_errno` for the errno values file operations give.
fn errno_code(errno: i32) -> u32 {
    let index = match errno {
        libc::EACCES => 1,
        libc::EAGAIN => 6,
        libc::EBADF => 11,
        libc::EBUSY => 19,
        libc::EDQUOT => 34,
        libc::EEXIST => 35,
        libc::EFAULT => 36,
        libc::EFBIG => 37,
        libc::EINTR => 47,
        libc::EINVAL => 48,
        libc::EIO => 49,
        libc::EISDIR => 51,
        libc::ELOOP => 63,
        libc::EMFILE => 65,
        libc::ENAMETOOLONG => 69,
        libc::ENFILE => 75,
        libc::ENODEV => 80,
        libc::ENOENT => 81,
        libc::ENOMEM => 86,
        libc::ENOSPC => 91,
        libc::ENOTDIR => 97,
        libc::ENXIO => 104,
        libc::EPERM => 107,
        libc::EROFS => 122,
        libc::ETXTBSY => 134,
        _ => return UNKNOWN_ERRNO,
    };
    SYSTEM_ERROR | index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_libgcrypt() {
        assert_eq!(from_errno(libc::ENOENT), 0x0100_8051);
        assert_eq!(gcry_error(INV_VALUE), 0x2000_0037);
        assert_eq!(gcrypt_error(205), 0x0100_00cd);
        assert_eq!(from_errno(0), 0);
    }
}
