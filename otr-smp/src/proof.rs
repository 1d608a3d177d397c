//! The three zero-knowledge proofs of SMP, made and checked.
//!
//! * **Knowledge of a discrete log** (`c2, D2`, `c3, D3`): for `y = g1^x`,
//!   `c = h(v, g1^r)`, `D = r − x·c`; checked as `c = h(v, g1^D · y^c)`.
//! * **Equal coordinates** (`cP, D5, D6`): for `P = g3^r4`, `Q = g1^r4 · g2^x`,
//!   `c = h(v, g3^r5, g1^r5 · g2^r6)`, `D5 = r5 − r4·c`, `D6 = r6 − x·c`;
//!   checked as `c = h(v, g3^D5 · P^c, g1^D5 · g2^D6 · Q^c)`.
//! * **Equal logs** (`cR, D7`): for `R = (Qa/Qb)^x3` with `g3o = g1^x3` the
//!   peer's half of `g3`, `c = h(v, g1^r7, (Qa/Qb)^r7)`, `D7 = r7 − x3·c`;
//!   checked as `c = h(v, g1^D7 · g3o^c, (Qa/Qb)^D7 · R^c)`.
//!
//! Making a proof exponentiates with secrets: constant time (generator table
//! or `pow_bounded_exp`). Checking one exponentiates only with the public
//! `c` and `D`: variable time, with the generator table for `g1^D` and one
//! simultaneous multi-exponentiation for each remaining product.

use crypto_bigint::U1536;
use rand_core::CryptoRng;
use subtle::ConstantTimeEq;

use crate::exponent::Exponent;
use crate::group::ModP;
use crate::hash::hash;
use crate::secret::SmpSecret;
use crate::{fixed_base, multiexp};

/// A proof of knowledge of a discrete logarithm to base `g1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogProof {
    /// The hash `c`.
    pub c: U1536,
    /// The response `D`.
    pub d: U1536,
}

/// A proof that `P = g3^r`, `Q = g1^r · g2^x` for known `r`, `x`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoordsProof {
    /// The hash `cP`.
    pub c: U1536,
    /// The response `D5` (for `r`).
    pub d5: U1536,
    /// The response `D6` (for `x`).
    pub d6: U1536,
}

/// A proof that `R = (Qa/Qb)^x3` with the `x3` of `g3o = g1^x3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogsProof {
    /// The hash `cR`.
    pub c: U1536,
    /// The response `D7`.
    pub d: U1536,
}

fn hashes_equal(a: &U1536, b: &U1536) -> bool {
    bool::from(a.to_be_bytes().as_ref().ct_eq(b.to_be_bytes().as_ref()))
}

/// Proves knowledge of `x` in `g1^x`.
pub fn prove_log<R: CryptoRng + ?Sized>(version: u8, x: &Exponent, rng: &mut R) -> LogProof {
    let r = Exponent::random(rng);
    let c = hash(version, &r.pow_generator(), None);
    let d = r.respond(x.as_uint(), &c);
    LogProof { c, d }
}

/// Checks a proof of knowledge of the discrete log of `y`.
pub fn verify_log(version: u8, proof: &LogProof, y: &ModP) -> bool {
    let commitment =
        fixed_base::pow_vartime(&proof.d).mul(&multiexp::pow_vartime(&[(*y, &proof.c)]));
    hashes_equal(&hash(version, &commitment, None), &proof.c)
}

/// Proves that `P = g3^r4`, `Q = g1^r4 · g2^secret` were built honestly;
/// returns the proof and `P` (computed with the proof's `g3^r5`, which
/// shares its base).
pub fn prove_coords<R: CryptoRng + ?Sized>(
    version: u8,
    g2: &ModP,
    g3: &ModP,
    r4: &Exponent,
    secret: &SmpSecret,
    rng: &mut R,
) -> (CoordsProof, ModP) {
    let r5 = Exponent::random(rng);
    let r6 = Exponent::random(rng);
    let (p, first) = r4.pow_pair(&r5, g3);
    let second = r5.pow_generator().mul(&r6.pow(g2));
    let c = hash(version, &first, Some(&second));
    let d5 = r5.respond(r4.as_uint(), &c);
    let d6 = r6.respond(&secret.to_uint(), &c);
    (CoordsProof { c, d5, d6 }, p)
}

/// Checks a proof that `(p, q)` were built honestly over `g2`, `g3`.
pub fn verify_coords(
    version: u8,
    proof: &CoordsProof,
    p: &ModP,
    q: &ModP,
    g2: &ModP,
    g3: &ModP,
) -> bool {
    let first = multiexp::pow_vartime(&[(*g3, &proof.d5), (*p, &proof.c)]);
    let second = fixed_base::pow_vartime(&proof.d5)
        .mul(&multiexp::pow_vartime(&[(*g2, &proof.d6), (*q, &proof.c)]));
    hashes_equal(&hash(version, &first, Some(&second)), &proof.c)
}

/// Proves that `r = qab^x3` uses the `x3` of our half `g1^x3` of `g3`;
/// returns the proof and `r` (computed with the proof's `qab^r7`, which
/// shares its base).
pub fn prove_equal_logs<R: CryptoRng + ?Sized>(
    version: u8,
    qab: &ModP,
    x3: &Exponent,
    rng: &mut R,
) -> (LogsProof, ModP) {
    let r7 = Exponent::random(rng);
    let (r, second) = x3.pow_pair(&r7, qab);
    let c = hash(version, &r7.pow_generator(), Some(&second));
    let d = r7.respond(x3.as_uint(), &c);
    (LogsProof { c, d }, r)
}

/// Checks a proof that `r = qab^x3` where `g3o = g1^x3`.
pub fn verify_equal_logs(version: u8, proof: &LogsProof, g3o: &ModP, qab: &ModP, r: &ModP) -> bool {
    let first = fixed_base::pow_vartime(&proof.d).mul(&multiexp::pow_vartime(&[(*g3o, &proof.c)]));
    let second = multiexp::pow_vartime(&[(*qab, &proof.d), (*r, &proof.c)]);
    hashes_equal(&hash(version, &first, Some(&second)), &proof.c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn proofs_verify_and_reject_tampering() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let x = Exponent::random(&mut rng);
        let y = x.pow_generator();
        let proof = prove_log(1, &x, &mut rng);
        assert!(verify_log(1, &proof, &y));
        assert!(!verify_log(2, &proof, &y));
        let mut bad = proof;
        bad.d = bad.d.wrapping_add(&U1536::ONE);
        assert!(!verify_log(1, &bad, &y));

        let g2 = Exponent::random(&mut rng).pow_generator();
        let g3 = Exponent::random(&mut rng).pow_generator();
        let r4 = Exponent::random(&mut rng);
        let secret = SmpSecret::from_digest([9; 32]);
        let p = r4.pow(&g3);
        let q = r4.pow_generator().mul(&secret.pow(&g2));
        let (proof, p_returned) = prove_coords(5, &g2, &g3, &r4, &secret, &mut rng);
        assert_eq!(p_returned, p);
        assert!(verify_coords(5, &proof, &p, &q, &g2, &g3));
        assert!(!verify_coords(6, &proof, &p, &q, &g2, &g3));
        assert!(!verify_coords(5, &proof, &q, &p, &g2, &g3));

        let x3 = Exponent::random(&mut rng);
        let g3o = x3.pow_generator();
        let qab = Exponent::random(&mut rng).pow_generator();
        let r = x3.pow(&qab);
        let (proof, r_returned) = prove_equal_logs(7, &qab, &x3, &mut rng);
        assert_eq!(r_returned, r);
        assert!(verify_equal_logs(7, &proof, &g3o, &qab, &r));
        assert!(!verify_equal_logs(8, &proof, &g3o, &qab, &r));
        assert!(!verify_equal_logs(7, &proof, &g3o, &qab, &r.square()));
    }
}
