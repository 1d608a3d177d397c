//! The body of the otr-smp target: the group's Montgomery kernel and
//! exponentiations and the subgroup check (a Jacobi symbol) against
//! crypto-bigint's generic arithmetic (a differential check). Panics
//! (through `assert_eq!`) on any difference.

use crypto_bigint::{U320, U1536};
use otr_smp::group::{GroupElement, ModP, generator_pow};
use otr_smp::montgomery::{mul, square};

/// 192 bytes of `x`, 192 of `y` (both reduced modulo `p`), a byte choosing
/// the exponent's bound, then up to 192 bytes of exponent; missing bytes
/// are zero.
pub fn group_arithmetic(data: &[u8]) {
    let field = |at: usize, len: usize| {
        let mut bytes = [0u8; 192];
        let available = data.get(at..).unwrap_or(&[]);
        let take = available.len().min(len);
        if let (Some(to), Some(from)) = (bytes.get_mut(192 - take..), available.get(..take)) {
            to.copy_from_slice(from);
        }
        U1536::from_be_slice(&bytes)
    };
    let x = ModP::new(&field(0, 192));
    let y = ModP::new(&field(192, 192));
    assert_eq!(mul(&x, &y), x.mul(&y), "mul");
    assert_eq!(square(&x), x.square(), "square");
    assert_eq!(mul(&x, &x), square(&x), "mul by itself");

    let bound = match data.get(384).copied().unwrap_or(0) % 4 {
        0 => 1536,
        1 => 1535,
        2 => 320,
        _ => u32::from(data.get(385).copied().unwrap_or(0)) * 6,
    };
    let exponent = field(386, 192);
    let expected = x.pow_bounded_exp(&exponent, bound.min(1536));
    if let Some(base) = GroupElement::from_uint(x.retrieve()) {
        let modulus = ModP::MODULUS;
        assert_eq!(
            base.is_in_prime_order_subgroup(),
            bool::from(base.as_uint().jacobi_symbol_vartime(&modulus).is_one()),
            "subgroup check"
        );
        assert_eq!(base.pow(&exponent, bound), expected.retrieve(), "pow");
        let short: U320 = exponent.resize();
        assert_eq!(
            base.pow(&short, 320),
            x.pow_bounded_exp(&short, 320).retrieve(),
            "320-bit pow"
        );
    }
    let g = ModP::new(&U1536::from_u8(2));
    assert_eq!(
        generator_pow(&exponent, bound),
        g.pow_bounded_exp(&exponent, bound.min(1536)).retrieve(),
        "generator pow"
    );
}
