//! Why a DSA identity key was refused or could not be made.

/// A DSA key (ours or a peer's) that OTR cannot use, or a failed key generation.
///
/// OTR v2/v3 identity keys are DSA with a 1024-bit prime `p` and a 160-bit
/// subgroup order `q`; every variant says which part of a key broke that rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// `p` does not have exactly 1024 bits.
    #[error(
        "the DSA prime p has {bits} bits, but OTR identity keys need exactly 1024 bits: \
         use a 1024-bit DSA key"
    )]
    PrimeSize {
        /// The bit length found.
        bits: usize,
    },
    /// `q` does not have exactly 160 bits.
    #[error(
        "the DSA subgroup order q has {bits} bits, but OTR identity keys need exactly 160 bits: \
         use a 1024/160-bit DSA key"
    )]
    SubgroupOrderSize {
        /// The bit length found.
        bits: usize,
    },
    /// `p` or `q` is even, so it cannot be the prime it must be.
    #[error("the DSA {which} is even, so it is not a prime: the key is corrupt")]
    EvenModulus {
        /// `"prime p"` or `"subgroup order q"`.
        which: &'static str,
    },
    /// `g` is not in `[2, p − 2]`.
    #[error("the DSA generator g is not in [2, p − 2]: the key is corrupt")]
    GeneratorOutOfRange,
    /// `p` is not prime.
    #[error(
        "the DSA modulus p is not prime, so the key's discrete logarithms may be easy to \
         compute: the key is broken; generate a new one"
    )]
    CompositePrime,
    /// `q` is not prime.
    #[error(
        "the DSA subgroup order q is not prime, so others may be able to forge this key's \
         signatures: the key is broken; generate a new one"
    )]
    CompositeSubgroupOrder,
    /// `q` does not divide `p − 1`.
    #[error("the DSA subgroup order q does not divide p − 1: the key is corrupt")]
    SubgroupOrderNotDividing,
    /// `y^q mod p` is not 1: `y` is not in the subgroup `g` generates.
    #[error(
        "the DSA public value y is not in the subgroup of order q (y^q mod p is not 1): \
         the key is corrupt or malicious"
    )]
    PublicValueOrder,
    /// `g^q mod p` is not 1: `g` does not generate the subgroup of order `q`.
    #[error("g^q mod p is not 1, so g does not generate the order-q subgroup: the key is corrupt")]
    GeneratorOrder,
    /// `y` is not in `[2, p − 2]`.
    #[error("the DSA public value y is not in [2, p − 2]: the key is corrupt or malicious")]
    PublicValueOutOfRange,
    /// `x` is not in `[1, q − 1]`.
    #[error("the DSA private value x is not in [1, q − 1]: the key is corrupt")]
    PrivateValueOutOfRange,
    /// The stored `y` is not `g^x mod p`.
    #[error(
        "the DSA public value y is not g^x mod p: the public and private halves of this key \
         do not belong together"
    )]
    PublicValueMismatch,
    /// A component given as hex is not hex.
    #[error("the DSA component {component} is not a hexadecimal number")]
    InvalidHex {
        /// `"P"`, `"Q"`, `"G"` or `"X"`.
        component: &'static str,
    },
    /// Generating a key failed (the generated parameters did not pass our own checks).
    #[error("DSA key generation produced an unusable key ({reason}); try again")]
    KeyGeneration {
        /// What went wrong.
        reason: &'static str,
    },
}
