//! The SMP hash `h(version, a[, b])`: SHA-256 of the version byte followed by
//! one or two MPIs (4-byte big-endian length ‖ minimal big-endian value),
//! read back as a 256-bit integer.
//!
//! The version bytes separate the proofs so that neither party can replay
//! the other's: 1 and 2 for Alice's `c2`, `c3` in SMP 1; 3 and 4 for Bob's in
//! SMP 2; 5 for Bob's `cP` (SMP 2); 6 for Alice's `cP` (SMP 3); 7 for Alice's
//! `cR` (SMP 3); 8 for Bob's `cR` (SMP 4).
//!
//! The MPIs are minimal, as libotr writes them: a value whose top byte
//! would be zero is one byte shorter, so hashing fixed-width bytes would
//! not interoperate.

use crypto_bigint::U1536;
use sha2::{Digest, Sha256};

use crate::group::{ModP, minimal_be_bytes, uint_from_digest};

/// Version byte of Alice's proof of `a2` (SMP 1).
pub const V_C2_ALICE: u8 = 1;
/// Version byte of Alice's proof of `a3` (SMP 1).
pub const V_C3_ALICE: u8 = 2;
/// Version byte of Bob's proof of `b2` (SMP 2).
pub const V_C2_BOB: u8 = 3;
/// Version byte of Bob's proof of `b3` (SMP 2).
pub const V_C3_BOB: u8 = 4;
/// Version byte of Bob's proof of `Pb, Qb` (SMP 2).
pub const V_CP_BOB: u8 = 5;
/// Version byte of Alice's proof of `Pa, Qa` (SMP 3).
pub const V_CP_ALICE: u8 = 6;
/// Version byte of Alice's proof of `Ra` (SMP 3).
pub const V_CR_ALICE: u8 = 7;
/// Version byte of Bob's proof of `Rb` (SMP 4).
pub const V_CR_BOB: u8 = 8;

fn update_mpi(hasher: &mut Sha256, value: &U1536) {
    let bytes = minimal_be_bytes(value);
    // At most 192 bytes: the length always fits.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    hasher.update(len.to_be_bytes());
    hasher.update(&bytes);
}

/// `h(version, a)` or `h(version, a, b)` over group elements.
pub fn hash(version: u8, a: &ModP, b: Option<&ModP>) -> U1536 {
    let mut hasher = Sha256::new();
    hasher.update([version]);
    update_mpi(&mut hasher, &a.retrieve());
    if let Some(b) = b {
        update_mpi(&mut hasher, &b.retrieve());
    }
    let digest: [u8; 32] = hasher.finalize().into();
    uint_from_digest(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(version: u8, parts: &[&[u8]]) -> U1536 {
        let mut input = vec![version];
        for part in parts {
            input.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
            input.extend_from_slice(part);
        }
        uint_from_digest(&Sha256::digest(&input).into())
    }

    #[test]
    fn serialises_minimal_mpis() {
        let a = ModP::new(&U1536::from_u64(0x01_0203));
        let b = ModP::new(&U1536::from_u64(0xff));
        assert_eq!(hash(7, &a, None), reference(7, &[&[1, 2, 3]]));
        assert_eq!(hash(3, &a, Some(&b)), reference(3, &[&[1, 2, 3], &[0xff]]));
        assert_ne!(hash(3, &a, Some(&b)), hash(4, &a, Some(&b)));
    }
}
