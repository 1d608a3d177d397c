//! Fixed-width integers for 1024/160-bit DSA and their big-endian byte forms.
//!
//! crypto-bigint's `from_be_slice` panics unless it gets exactly the type's
//! width, so every conversion here pads (or refuses) by itself.

use crypto_bigint::{U192, U1024, Uint};
use zeroize::{Zeroize, Zeroizing};

/// Bits of the DSA prime `p` in an OTR key.
pub(crate) const P_BITS: usize = 1024;
/// Bits of the DSA subgroup order `q` in an OTR key.
pub(crate) const Q_BITS: usize = 160;
/// `Q_BITS` as an exponent bound for crypto-bigint.
pub(crate) const Q_EXPONENT_BITS: u32 = 160;
/// Limbs of an integer modulo `p`.
pub(crate) const P_LIMBS: usize = U1024::LIMBS;
/// Limbs of an integer modulo `q`.
pub(crate) const Q_LIMBS: usize = U192::LIMBS;

/// The widest integer these helpers convert (`U1024`), in bytes.
const MAX_BYTES: usize = U1024::BYTES;

/// The bytes without their leading zero bytes.
pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// The bit length of a big-endian number (leading zero bytes ignored).
pub(crate) fn bit_length(bytes: &[u8]) -> usize {
    let bytes = strip_leading_zeros(bytes);
    match bytes.first() {
        None => 0,
        Some(&top) => {
            let top_bits = 8 - top.leading_zeros() as usize;
            bytes
                .len()
                .saturating_sub(1)
                .saturating_mul(8)
                .saturating_add(top_bits)
        }
    }
}

/// Reads a big-endian number (leading zeros allowed) into a `Uint`; `None`
/// when it does not fit. Never panics.
pub(crate) fn uint_from_be<const LIMBS: usize>(bytes: &[u8]) -> Option<Uint<LIMBS>> {
    let bytes = strip_leading_zeros(bytes);
    let width = Uint::<LIMBS>::BYTES;
    if width > MAX_BYTES || bytes.len() > width {
        return None;
    }
    let mut buf = Zeroizing::new([0u8; MAX_BYTES]);
    let start = width - bytes.len();
    buf.get_mut(start..width)?.copy_from_slice(bytes);
    Some(Uint::<LIMBS>::from_be_slice(buf.get(..width)?))
}

/// The minimal big-endian bytes of a number (empty for zero), zeroized on drop.
pub(crate) fn uint_to_minimal_be<const LIMBS: usize>(value: &Uint<LIMBS>) -> Zeroizing<Vec<u8>> {
    let mut encoded = value.to_be_bytes();
    let minimal = Zeroizing::new(strip_leading_zeros(encoded.as_ref()).to_vec());
    encoded.zeroize();
    minimal
}

/// A number below 2^160 as exactly 20 big-endian bytes (a SIG half).
pub(crate) fn uint_to_20_bytes(value: &U192) -> [u8; 20] {
    let encoded = value.to_be_bytes();
    let bytes: &[u8] = encoded.as_ref();
    let mut out = [0u8; 20];
    if let Some(tail) = bytes.get(bytes.len().saturating_sub(20)..) {
        out.copy_from_slice(tail);
    }
    out
}

/// Decodes hex digits (either case, odd length allowed) into big-endian bytes.
pub(crate) fn bytes_from_hex(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    let digits = text.as_bytes();
    if digits.is_empty() {
        return None;
    }
    let mut out = Zeroizing::new(Vec::with_capacity(digits.len().div_ceil(2)));
    let mut pending: Option<u8> = if digits.len() % 2 == 1 { Some(0) } else { None };
    for &c in digits {
        let nibble = hex_value(c)?;
        match pending.take() {
            Some(high) => out.push((high << 4) | nibble),
            None => pending = Some(nibble),
        }
    }
    Some(out)
}

/// Uppercase hex of bytes (two digits per byte).
pub(crate) fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len().saturating_mul(2));
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            let digit = DIGITS.get(usize::from(nibble)).copied().unwrap_or(b'0');
            out.push(char::from(digit));
        }
    }
    out
}

/// The value of an ASCII hex digit.
pub(crate) fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::U256;

    #[test]
    fn bit_lengths_ignore_leading_zeros() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[0, 1]), 1);
        assert_eq!(bit_length(&[0x80, 0]), 16);
        assert_eq!(bit_length(&[0, 0x7f, 0]), 15);
    }

    #[test]
    fn conversions_pad_and_refuse_without_panicking() {
        assert_eq!(
            uint_from_be::<{ U192::LIMBS }>(&[1, 2]),
            Some(U192::from_u64(0x102))
        );
        assert_eq!(uint_from_be::<{ U192::LIMBS }>(&[0; 40]), Some(U192::ZERO));
        assert_eq!(uint_from_be::<{ U192::LIMBS }>(&[1; 25]), None);
        assert!(uint_from_be::<{ U256::LIMBS }>(&[0xff; 32]).is_some());
        assert_eq!(uint_from_be::<{ U1024::LIMBS }>(&[1; 129]), None);
        assert_eq!(&*uint_to_minimal_be(&U192::from_u64(0x0102)), &[1, 2]);
        assert!(uint_to_minimal_be(&U192::ZERO).is_empty());
        let mut expected = [0u8; 20];
        expected[19] = 5;
        assert_eq!(uint_to_20_bytes(&U192::from_u64(5)), expected);
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(&**bytes_from_hex("0aFf").as_ref().unwrap(), &[0x0a, 0xff]);
        assert_eq!(&**bytes_from_hex("abc").as_ref().unwrap(), &[0x0a, 0xbc]);
        assert!(bytes_from_hex("").is_none());
        assert!(bytes_from_hex("0x12").is_none());
        assert_eq!(upper_hex(&[0x0a, 0xff]), "0AFF");
    }
}
