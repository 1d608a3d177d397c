//! A peer's (or our own) DSA public key: checks OTR signatures.

use core::fmt;
use core::hash::{Hash, Hasher};

use crypto_bigint::{U192, U256, U1024};
use otr_wire::{DsaPublicKey, DsaSignature, Fingerprint, Mpi};

use super::dsa_group::IdentityError;
use super::dsa_group::{DsaGroup, PForm, PrimeTest, QForm};
use super::dsa_integers::{Q_LIMBS, uint_from_be, uint_to_minimal_be};

/// A checked 1024/160-bit DSA public key with its Montgomery parameters
/// precomputed, so that [`verify`](Self::verify) costs one simultaneous
/// double exponentiation.
///
/// Two keys are equal when their PUBKEY encodings are.
#[derive(Clone)]
pub struct DsaVerifyingKey {
    group: DsaGroup,
    /// `y` in Montgomery form modulo `p`.
    y: PForm,
    /// Minimal big-endian `p`, `q`, `g`, `y`.
    p_bytes: Vec<u8>,
    q_bytes: Vec<u8>,
    g_bytes: Vec<u8>,
    y_bytes: Vec<u8>,
    fingerprint: Fingerprint,
}

impl DsaVerifyingKey {
    /// Checks a public key received on the wire.
    ///
    /// Refused before any arithmetic: `p` not exactly 1024 bits or even, `q`
    /// not exactly 160 bits or even, `g` or `y` outside `[2, p − 2]`. No
    /// exponentiation is done (libotr checks nothing more either).
    ///
    /// # Errors
    /// The [`IdentityError`] naming the part that is wrong.
    pub fn from_wire(key: &DsaPublicKey<'_>) -> Result<Self, IdentityError> {
        let p = DsaGroup::parse_p(key.p.as_bytes())?;
        let q = DsaGroup::parse_q(key.q.as_bytes())?;
        let g = DsaGroup::parse_element(key.g.as_bytes(), &p, IdentityError::GeneratorOutOfRange)?;
        let y =
            DsaGroup::parse_element(key.y.as_bytes(), &p, IdentityError::PublicValueOutOfRange)?;
        Ok(Self::from_group(DsaGroup::new(p, q, &g)?, &y))
    }

    /// Builds the key from a checked group and a `y` already known to be in
    /// `[2, p − 2]`.
    pub(crate) fn from_group(group: DsaGroup, y: &U1024) -> Self {
        let p_bytes = uint_to_minimal_be(group.p.as_ref()).to_vec();
        let q_bytes = uint_to_minimal_be(group.q.as_ref()).to_vec();
        let g_bytes = uint_to_minimal_be(&group.g.retrieve()).to_vec();
        let y_bytes = uint_to_minimal_be(y).to_vec();
        let fingerprint = DsaPublicKey {
            p: Mpi::trimmed(&p_bytes),
            q: Mpi::trimmed(&q_bytes),
            g: Mpi::trimmed(&g_bytes),
            y: Mpi::trimmed(&y_bytes),
        }
        .fingerprint();
        let y = PForm::new(y, group.p_params());
        Self {
            group,
            y,
            p_bytes,
            q_bytes,
            g_bytes,
            y_bytes,
            fingerprint,
        }
    }

    /// The key as the wire layer sees it (borrowing the minimal MPIs).
    #[must_use]
    pub fn as_wire(&self) -> DsaPublicKey<'_> {
        DsaPublicKey {
            p: Mpi::trimmed(&self.p_bytes),
            q: Mpi::trimmed(&self.q_bytes),
            g: Mpi::trimmed(&self.g_bytes),
            y: Mpi::trimmed(&self.y_bytes),
        }
    }

    /// The PUBKEY encoding: type `0x0000`, then `p`, `q`, `g`, `y` as minimal MPIs.
    #[must_use]
    pub fn to_pubkey_bytes(&self) -> Vec<u8> {
        self.as_wire().to_bytes()
    }

    /// The OTR fingerprint: SHA-1 of the PUBKEY encoding without its type.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Minimal big-endian `p`.
    pub(crate) fn p_bytes(&self) -> &[u8] {
        &self.p_bytes
    }

    /// Minimal big-endian `q`.
    pub(crate) fn q_bytes(&self) -> &[u8] {
        &self.q_bytes
    }

    /// Minimal big-endian `g`.
    pub(crate) fn g_bytes(&self) -> &[u8] {
        &self.g_bytes
    }

    /// Minimal big-endian `y`.
    pub(crate) fn y_bytes(&self) -> &[u8] {
        &self.y_bytes
    }

    /// The domain parameters.
    pub(crate) fn group(&self) -> &DsaGroup {
        &self.group
    }

    /// Checks that this is a sound DSA key, beyond the sizes and ranges
    /// [`from_wire`](Self::from_wire) checks: `q` prime, `q | p − 1`, `g` and
    /// `y` of order `q`, and `p` passing a Miller-Rabin test to base 2 (every
    /// composite a key generator can produce by mistake fails it). The AKE
    /// runs it once for a key whose fingerprint the session does not know
    /// yet, before the conversation becomes private; it costs about 1.5 ms
    /// (a broken key is usually refused in well under that).
    ///
    /// # Errors
    /// The [`IdentityError`] naming what is wrong with the key.
    pub fn validate(&self) -> Result<(), IdentityError> {
        self.group.validate(PrimeTest::Quick)?;
        if self.y.pow_vartime(self.group.q.as_ref()).retrieve() != U1024::ONE {
            return Err(IdentityError::PublicValueOrder);
        }
        Ok(())
    }

    /// Checks an OTR signature over a 32-byte value (the AKE's `M_A`/`M_B`).
    ///
    /// The value is taken as a 256-bit integer reduced mod `q`, as libotr
    /// (libgcrypt) signs it — not the FIPS rule that keeps the leftmost 160
    /// bits. `r` or `s` equal to 0 or `≥ q` fail. Variable time: everything
    /// involved is public.
    #[must_use]
    pub fn verify(&self, value: &[u8; 32], signature: &DsaSignature) -> bool {
        let q = &self.group.q;
        let (Some(r), Some(s)) = (
            uint_from_be::<Q_LIMBS>(&signature.r),
            uint_from_be::<Q_LIMBS>(&signature.s),
        ) else {
            return false;
        };
        if r == U192::ZERO || s == U192::ZERO || r >= *q.as_ref() || s >= *q.as_ref() {
            return false;
        }
        let params = &self.group.q_params;
        let Some(w) = QForm::new(&s, params).invert_vartime().into_option() else {
            return false;
        };
        let h = U256::from_be_slice(value).rem_vartime(q.as_nz_ref());
        let u1 = (QForm::new(&h, params) * w).retrieve();
        let u2 = (QForm::new(&r, params) * w).retrieve();
        let v = self.group.g_y_pow_vartime(&u1, &self.y, &u2);
        v.rem_vartime(q.as_nz_ref()) == r
    }
}

impl PartialEq for DsaVerifyingKey {
    fn eq(&self, other: &Self) -> bool {
        self.p_bytes == other.p_bytes
            && self.q_bytes == other.q_bytes
            && self.g_bytes == other.g_bytes
            && self.y_bytes == other.y_bytes
    }
}

impl Eq for DsaVerifyingKey {}

impl Hash for DsaVerifyingKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.p_bytes.hash(state);
        self.q_bytes.hash(state);
        self.g_bytes.hash(state);
        self.y_bytes.hash(state);
    }
}

impl fmt::Debug for DsaVerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsaVerifyingKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl<'a> TryFrom<&DsaPublicKey<'a>> for DsaVerifyingKey {
    type Error = IdentityError;

    fn try_from(key: &DsaPublicKey<'a>) -> Result<Self, Self::Error> {
        Self::from_wire(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::parse_privkeys;

    const ALICE_KEY: &[u8] = include_bytes!("../../fixtures/alice.key");
    const BOB_KEY: &[u8] = include_bytes!("../../fixtures/bob.key");
    const AKE_V3: &str = include_str!("../../fixtures/ake-v3.txt");

    /// `(pubkey body hex, human fingerprint)` of a KEY record.
    fn key_record(who: &str) -> (Vec<u8>, String) {
        AKE_V3
            .lines()
            .find_map(|line| {
                let fields: Vec<&str> = line.split('\t').collect();
                (fields.len() == 4 && fields[0] == "KEY" && fields[1] == who)
                    .then(|| (hex_decode(fields[2]), fields[3].to_owned()))
            })
            .unwrap()
    }

    fn hex_decode(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn alice_wire_bytes() -> Vec<u8> {
        let entries = parse_privkeys(ALICE_KEY).unwrap();
        entries[0].key.verifying_key().to_pubkey_bytes()
    }

    fn with_parts(
        p: &[u8],
        q: &[u8],
        g: &[u8],
        y: &[u8],
    ) -> Result<DsaVerifyingKey, IdentityError> {
        DsaVerifyingKey::from_wire(&DsaPublicKey {
            p: Mpi::trimmed(p),
            q: Mpi::trimmed(q),
            g: Mpi::trimmed(g),
            y: Mpi::trimmed(y),
        })
    }

    #[test]
    fn fixture_public_keys_have_the_fixture_fingerprints() {
        for who in ["alice", "bob"] {
            let (body, human) = key_record(who);
            let mut pubkey = vec![0, 0];
            pubkey.extend_from_slice(&body);
            let wire = DsaPublicKey::decode(&pubkey).unwrap();
            let key = DsaVerifyingKey::from_wire(&wire).unwrap();
            assert_eq!(key.fingerprint().to_human(), human);
            assert_eq!(key.fingerprint(), wire.fingerprint());
            assert_eq!(key.to_pubkey_bytes(), pubkey);
            assert_eq!(key.as_wire(), wire);
            assert_eq!(DsaVerifyingKey::try_from(&wire).unwrap(), key);
            let file = if who == "alice" { ALICE_KEY } else { BOB_KEY };
            let private = parse_privkeys(file).unwrap();
            assert_eq!(private[0].key.verifying_key(), &key);
            assert!(format!("{key:?}").contains(&key.fingerprint().to_hex()));
        }
    }

    #[test]
    fn sizes_are_checked_before_anything_else() {
        let bytes = alice_wire_bytes();
        let wire = DsaPublicKey::decode(&bytes).unwrap();
        let (p, q, g, y) = (
            wire.p.as_bytes(),
            wire.q.as_bytes(),
            wire.g.as_bytes(),
            wire.y.as_bytes(),
        );
        assert!(with_parts(p, q, g, y).is_ok());

        let mut p1023 = p.to_vec();
        p1023[0] = 0x7f;
        let mut p1025 = vec![1u8];
        p1025.extend_from_slice(p);
        let mut p16384 = vec![0xffu8; 2048];
        p16384[2047] = 0xfd;
        for (bad, bits) in [(&p1023, 1023), (&p1025, 1025), (&p16384, 16384)] {
            assert_eq!(
                with_parts(bad, q, g, y),
                Err(IdentityError::PrimeSize { bits })
            );
        }
        assert_eq!(
            with_parts(&[], q, g, y),
            Err(IdentityError::PrimeSize { bits: 0 })
        );
        let mut q159 = q.to_vec();
        q159[0] = 0x7f;
        let mut q161 = vec![1u8];
        q161.extend_from_slice(q);
        for (bad, bits) in [(&q159, 159), (&q161, 161)] {
            assert_eq!(
                with_parts(p, bad, g, y),
                Err(IdentityError::SubgroupOrderSize { bits })
            );
        }
        let mut even_p = p.to_vec();
        even_p[127] &= 0xfe;
        assert_eq!(
            with_parts(&even_p, q, g, y),
            Err(IdentityError::EvenModulus { which: "prime p" })
        );
        let mut even_q = q.to_vec();
        even_q[19] &= 0xfe;
        assert_eq!(
            with_parts(p, &even_q, g, y),
            Err(IdentityError::EvenModulus {
                which: "subgroup order q"
            })
        );
    }

    #[test]
    fn g_and_y_must_lie_in_two_to_p_minus_two() {
        let bytes = alice_wire_bytes();
        let wire = DsaPublicKey::decode(&bytes).unwrap();
        let (p, q, g, y) = (
            wire.p.as_bytes(),
            wire.q.as_bytes(),
            wire.g.as_bytes(),
            wire.y.as_bytes(),
        );
        let mut p_minus_one = p.to_vec();
        p_minus_one[127] -= 1; // p is odd
        let mut p_minus_two = p.to_vec();
        p_minus_two[127] -= 2; // p's last byte is 0xa3 in the fixture; checked below
        assert!(p[127] >= 2);
        let mut p_plus_one = p.to_vec();
        p_plus_one[127] += 1; // odd + 1 without carry (last byte < 0xff)
        assert!(p[127] < 0xff);
        let too_long = vec![0xffu8; 129];
        let bad_values: [&[u8]; 7] = [
            &[],
            &[1],
            &p_minus_one,
            p,
            &p_plus_one,
            &[0xff; 128],
            &too_long,
        ];
        for bad in bad_values {
            assert_eq!(
                with_parts(p, q, bad, y),
                Err(IdentityError::GeneratorOutOfRange)
            );
            assert_eq!(
                with_parts(p, q, g, bad),
                Err(IdentityError::PublicValueOutOfRange)
            );
        }
        // The range's ends are fine here (no subgroup check on the wire, as libotr).
        assert!(with_parts(p, q, &[2], &p_minus_two).is_ok());
    }

    #[test]
    fn equality_is_by_public_key() {
        let alice = parse_privkeys(ALICE_KEY).unwrap();
        let bob = parse_privkeys(BOB_KEY).unwrap();
        let a = alice[0].key.verifying_key();
        let b = bob[0].key.verifying_key();
        assert_eq!(a, &a.clone());
        assert_ne!(a, b);
    }
}
