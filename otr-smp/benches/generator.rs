//! `generator_pow` (the fixed-base table for `g = 2`) at the exponent widths
//! OTR uses: 320-bit DH secrets (AKE, ratchet) and ~1535-bit SMP exponents,
//! plus the unit costs that decide the table's layout.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use crypto_bigint::{CtAssign, CtEq, U320, U1536, Word};
use otr_smp::group::{GENERATOR, ModP, ORDER_BITS, generator_pow, precompute_generator_table};

fn bench(c: &mut Criterion) {
    precompute_generator_table();
    let e1536 = U1536::from_be_hex(concat!(
        "5A3C9E1F0B2D4C6E8A9B7D5F3E1C0A2B4D6F8E9C7B5A3D1F0E2C4B6A8D9F7E5C",
        "3B1A0D2F4E6C8B9A7F5D3C1E0B2A4F6D8C9E7A5B3F1D0C2E4A6B8F9D7C5E3A1B",
        "0F2E4D6C8A9B7E5F3D1C0B2A4E6F8D9C7A5B3E1F0D2C4A6B8E9F7D5C3A1B0E2D",
        "4C6A8B9E7F5D3C1A0B2E4F6D8C9A7B5E3F1D0C2A4B6E8F9D7C5A3B1E0F2D4C6A",
        "8B9E7F5D3C1A0B2E4F6D8C9A7B5E3F1D0C2A4B6E8F9D7C5A3B1E0F2D4C6A8B9E",
        "7F5D3C1A0B2E4F6D8C9A7B5E3F1D0C2A4B6E8F9D7C5A3B1E0F2D4C6A8B9E7F5D",
    ));
    let e320: U320 = e1536.resize();
    let reference = reference::Table::build();
    assert_eq!(
        reference.pow(&e1536, ORDER_BITS).retrieve(),
        generator_pow(&e1536, ORDER_BITS)
    );
    assert_eq!(
        reference.pow(&e320, 320).retrieve(),
        generator_pow(&e320, 320)
    );
    let mut group = c.benchmark_group("generator_pow");
    group.bench_function("320-bit exponent (DH)", |b| {
        b.iter(|| generator_pow(black_box(&e320), 320));
    });
    group.bench_function("320-bit exponent (DH), 1.18 MB reference", |b| {
        b.iter(|| reference.pow(black_box(&e320), 320));
    });
    group.bench_function("1535-bit exponent (SMP)", |b| {
        b.iter(|| generator_pow(black_box(&e1536), ORDER_BITS));
    });
    group.bench_function("1535-bit exponent (SMP), 1.18 MB reference", |b| {
        b.iter(|| reference.pow(black_box(&e1536), ORDER_BITS));
    });
    group.finish();

    let mut group = c.benchmark_group("unit");
    let x = ModP::new(&GENERATOR).pow_bounded_exp(&e1536, 1536);
    let y = ModP::new(&GENERATOR).pow_bounded_exp(&e320, 320);
    group.bench_function("mul", |b| b.iter(|| black_box(&x).mul(black_box(&y))));
    group.bench_function("square", |b| b.iter(|| black_box(&x).square()));
    let row16 = [x; 16];
    let row32 = [y; 32];
    group.bench_function("select 1 of 16", |b| {
        b.iter(|| {
            let d: Word = black_box(7);
            let mut entry = ModP::ONE;
            for (j, candidate) in row16.iter().enumerate() {
                entry.ct_assign(candidate, (j as Word).ct_eq(&d));
            }
            entry
        });
    });
    group.bench_function("select 1 of 32", |b| {
        b.iter(|| {
            let d: Word = black_box(7);
            let mut entry = ModP::ONE;
            for (j, candidate) in row32.iter().enumerate() {
                entry.ct_assign(candidate, (j as Word).ct_eq(&d));
            }
            entry
        });
    });
    group.finish();
}

/// The table this crate used before (issue 15), for a same-run comparison:
/// `T[i][j] = 2^(j · 16^i)` for the 384 four-bit windows of a 1536-bit
/// exponent, 16 × 384 × 192 bytes ≈ 1.18 MB built at run time, no squaring.
mod reference {
    use crypto_bigint::{CtAssign, CtEq, Limb, Uint, Word};
    use otr_smp::group::{GENERATOR, ModP};

    pub struct Table(Vec<[ModP; 16]>);

    impl Table {
        pub fn build() -> Self {
            let mut rows = Vec::with_capacity(384);
            let mut base = ModP::new(&GENERATOR);
            for _ in 0..384 {
                let mut row = [ModP::ONE; 16];
                let mut acc = ModP::ONE;
                for slot in row.iter_mut().skip(1) {
                    acc = acc.mul(&base);
                    *slot = acc;
                }
                base = acc.mul(&base);
                rows.push(row);
            }
            Self(rows)
        }

        fn digit<const L: usize>(exponent: &Uint<L>, i: usize) -> Word {
            let bit = i * 4;
            let limb_bits = Limb::BITS as usize;
            let limb = exponent
                .as_limbs()
                .get(bit / limb_bits)
                .map_or(0, |limb| limb.0);
            (limb >> (bit % limb_bits)) & 15
        }

        pub fn pow<const L: usize>(&self, exponent: &Uint<L>, exponent_bits: u32) -> ModP {
            let rows = exponent_bits.div_ceil(4) as usize;
            let mut acc = ModP::ONE;
            for (i, row) in self.0.iter().take(rows).enumerate() {
                let mut d = Self::digit(exponent, i);
                let used = exponent_bits.saturating_sub(4 * i as u32).min(4);
                d &= (1 << used) - 1;
                let mut entry = ModP::ONE;
                for (j, candidate) in row.iter().enumerate().skip(1) {
                    entry.ct_assign(candidate, (j as Word).ct_eq(&d));
                }
                acc = acc.mul(&entry);
            }
            acc
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
