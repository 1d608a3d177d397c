//! The four numbers of a DSA private key — `P`, `Q`, `G`, `X` — as the C#
//! library exchanged them (`GetSessionDSAHexParams`, `CreateOTRSession`).

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::dsa_group::IdentityError;
use super::dsa_integers::{bytes_from_hex, strip_leading_zeros, upper_hex};

/// `P`, `Q`, `G` and the secret `X` as minimal big-endian bytes.
///
/// `X` is zeroized on drop and never shown by `Debug`.
#[derive(Clone)]
pub struct DsaComponents {
    p: Vec<u8>,
    q: Vec<u8>,
    g: Vec<u8>,
    x: Zeroizing<Vec<u8>>,
}

impl DsaComponents {
    /// Wraps big-endian bytes (leading zero bytes are dropped). Nothing is
    /// checked here; [`DsaSigningKey::from_dsa_components`](super::DsaSigningKey::from_dsa_components)
    /// checks the key.
    #[must_use]
    pub fn new(p: &[u8], q: &[u8], g: &[u8], x: &[u8]) -> Self {
        Self {
            p: strip_leading_zeros(p).to_vec(),
            q: strip_leading_zeros(q).to_vec(),
            g: strip_leading_zeros(g).to_vec(),
            x: Zeroizing::new(strip_leading_zeros(x).to_vec()),
        }
    }

    /// Parses four hex numbers (either case, any length, no prefix).
    ///
    /// # Errors
    /// [`IdentityError::InvalidHex`] naming the component that is not hex.
    pub fn from_hex(p: &str, q: &str, g: &str, x: &str) -> Result<Self, IdentityError> {
        let parse = |text: &str, component: &'static str| {
            bytes_from_hex(text).ok_or(IdentityError::InvalidHex { component })
        };
        let p = parse(p, "P")?;
        let q = parse(q, "Q")?;
        let g = parse(g, "G")?;
        let x = parse(x, "X")?;
        Ok(Self::new(&p, &q, &g, &x))
    }

    /// The prime `P`.
    #[must_use]
    pub fn p(&self) -> &[u8] {
        &self.p
    }

    /// The subgroup order `Q`.
    #[must_use]
    pub fn q(&self) -> &[u8] {
        &self.q
    }

    /// The generator `G`.
    #[must_use]
    pub fn g(&self) -> &[u8] {
        &self.g
    }

    /// The secret `X`. Handle with care: it is the private key.
    #[must_use]
    pub fn x(&self) -> &[u8] {
        &self.x
    }

    /// `P` as uppercase hex.
    #[must_use]
    pub fn p_hex(&self) -> String {
        upper_hex(&self.p)
    }

    /// `Q` as uppercase hex.
    #[must_use]
    pub fn q_hex(&self) -> String {
        upper_hex(&self.q)
    }

    /// `G` as uppercase hex.
    #[must_use]
    pub fn g_hex(&self) -> String {
        upper_hex(&self.g)
    }

    /// The secret `X` as uppercase hex, zeroized on drop.
    #[must_use]
    pub fn x_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(upper_hex(&self.x))
    }
}

impl PartialEq for DsaComponents {
    /// Public parts compare normally; `X` in constant time.
    fn eq(&self, other: &Self) -> bool {
        let x_equal: bool = self.x.as_slice().ct_eq(other.x.as_slice()).into();
        self.p == other.p && self.q == other.q && self.g == other.g && x_equal
    }
}

impl Eq for DsaComponents {}

impl fmt::Debug for DsaComponents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DsaComponents")
            .field("p", &self.p_hex())
            .field("q", &self.q_hex())
            .field("g", &self.g_hex())
            .field("x", &"<redacted>")
            .finish()
    }
}
