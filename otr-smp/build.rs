//! Computes the fixed-base table for the generator `g = 2` (see
//! `src/fixed_base.rs`) and writes it to `$OUT_DIR/generator_table.rs` as
//! read-only data, so no process ever builds it at run time.
//!
//! The values are the Montgomery forms (`x · 2^1536 mod p`, fully reduced)
//! that crypto-bigint's `ConstMontyForm` holds; the arithmetic here is a
//! plain 64-bit-limb Montgomery multiplication, independent of the target's
//! limb width (each entry is emitted as 192 little-endian bytes). A unit test
//! in `fixed_base.rs` recomputes the whole table with crypto-bigint and
//! compares.

#![allow(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used)]
#![allow(missing_docs)]

use std::fmt::Write as _;
use std::path::PathBuf;

// The table's layout; `src/fixed_base.rs` reads it from the generated file.

/// Exponent bits each table lookup consumes: the comb's teeth. A row holds
/// the `2^TEETH − 1` non-trivial products of its teeth.
const TEETH: u32 = 4;

/// The segments of the exponent, each its own comb: `(first bit, end bit,
/// spacing)`. Row `i` of a segment starting at bit `b` with spacing `S` has
/// its teeth at bits `b + S·(TEETH·i + t)` for `t < TEETH`, and round `s <
/// S` reads the exponent bits `s` above them. A segment with spacing `S` has
/// `(end − first) / (TEETH·S)` rows (rounded up) and costs `S − 1` squarings.
///
/// The first segment covers the 320-bit Diffie-Hellman exponents of the AKE
/// and the ratchet with one squaring; the second the rest of a 1536-bit SMP
/// exponent with four.
const SEGMENTS: [(u32, u32, u32); 2] = [(0, 320, 2), (320, 1536, 5)];

/// 64-bit limbs of a 1536-bit value.
const N: usize = 24;
type Big = [u64; N];

/// RFC 3526 group 5, the same modulus as `src/group.rs`.
const P_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1",
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245",
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D",
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D",
    "670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
);

fn parse_hex(hex: &str) -> Big {
    assert_eq!(hex.len(), N * 16);
    let mut out = [0u64; N];
    for (i, limb) in out.iter_mut().enumerate() {
        let start = hex.len() - 16 * (i + 1);
        *limb = u64::from_str_radix(&hex[start..start + 16], 16).unwrap();
    }
    out
}

/// `a ≥ b`.
fn geq(a: &Big, b: &Big) -> bool {
    for i in (0..N).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a − b` (wrapping).
fn sub(a: &Big, b: &Big) -> Big {
    let mut out = [0u64; N];
    let mut borrow = false;
    for i in 0..N {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

struct Field {
    p: Big,
    /// `−p^{-1} mod 2^64`.
    n0: u64,
}

impl Field {
    fn new(p: Big) -> Self {
        // Newton's iteration for p^{-1} mod 2^64 (p is odd).
        let mut inv: u64 = 1;
        for _ in 0..7 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p[0].wrapping_mul(inv)));
        }
        assert_eq!(p[0].wrapping_mul(inv), 1);
        Self {
            p,
            n0: inv.wrapping_neg(),
        }
    }

    /// `a · b · 2^-1536 mod p`, fully reduced (for reduced inputs).
    fn mul(&self, a: &Big, b: &Big) -> Big {
        let p = &self.p;
        let mut t = [0u64; N + 2];
        for &bi in b {
            let mut carry: u128 = 0;
            for j in 0..N {
                let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + carry;
                t[j] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(t[N]) + carry;
            t[N] = s as u64;
            t[N + 1] = (s >> 64) as u64;

            let m = t[0].wrapping_mul(self.n0);
            let mut carry = (u128::from(t[0]) + u128::from(m) * u128::from(p[0])) >> 64;
            for j in 1..N {
                let s = u128::from(t[j]) + u128::from(m) * u128::from(p[j]) + carry;
                t[j - 1] = s as u64;
                carry = s >> 64;
            }
            let s = u128::from(t[N]) + carry;
            t[N - 1] = s as u64;
            t[N] = t[N + 1] + (s >> 64) as u64;
            t[N + 1] = 0;
        }
        let mut out = [0u64; N];
        out.copy_from_slice(&t[..N]);
        if t[N] != 0 || geq(&out, p) {
            out = sub(&out, p);
        }
        out
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");

    let p = parse_hex(P_HEX);
    let field = Field::new(p);
    // 2^1536 mod p = 2^1536 − p, as p > 2^1535: the Montgomery form of 1.
    let one = sub(&[0u64; N], &p);
    assert!(!geq(&one, &p));
    // The Montgomery form of 2: twice that, reduced.
    let mut g = [0u64; N];
    let mut carry = 0;
    for i in 0..N {
        g[i] = (one[i] << 1) | carry;
        carry = one[i] >> 63;
    }
    assert_eq!(carry, 0);
    if geq(&g, &p) {
        g = sub(&g, &p);
    }

    // powers[k] = g^(2^k), for every bit position a tooth can sit on.
    let top = SEGMENTS
        .iter()
        .map(|&(first, end, spacing)| {
            let rows = (end - first).div_ceil(TEETH * spacing);
            first + spacing * TEETH * rows
        })
        .max()
        .unwrap();
    let mut powers = Vec::with_capacity(top as usize);
    let mut x = g;
    for _ in 0..top {
        powers.push(x);
        x = field.mul(&x, &x);
    }

    let entries = (1usize << TEETH) - 1;
    let mut rows: Vec<Vec<Big>> = Vec::new();
    for &(first, end, spacing) in &SEGMENTS {
        for i in 0..(end - first).div_ceil(TEETH * spacing) {
            let teeth: Vec<&Big> = (0..TEETH)
                .map(|t| &powers[(first + spacing * (TEETH * i + t)) as usize])
                .collect();
            // row[j − 1] = product of the teeth selected by the bits of j.
            let mut row: Vec<Big> = Vec::with_capacity(entries);
            for j in 1..=entries {
                let high = 31 - (j as u32).leading_zeros();
                let rest = j & !(1 << high);
                let value = if rest == 0 {
                    *teeth[high as usize]
                } else {
                    field.mul(&row[rest - 1], teeth[high as usize])
                };
                row.push(value);
            }
            rows.push(row);
        }
    }

    let mut out = String::with_capacity(rows.len() * entries * 800 + 4096);
    writeln!(
        out,
        "// Generated by otr-smp's build.rs: the generator table, {} rows of {} \
         Montgomery forms.\n",
        rows.len(),
        entries
    )
    .unwrap();
    writeln!(out, "const ROWS: usize = {};", rows.len()).unwrap();
    writeln!(out, "const TEETH: u32 = {TEETH};").unwrap();
    writeln!(out, "const LAYOUT: [Segment; {}] = [", SEGMENTS.len()).unwrap();
    let mut row = 0;
    for &(first, end, spacing) in &SEGMENTS {
        let count = (end - first).div_ceil(TEETH * spacing);
        writeln!(
            out,
            "    Segment {{ first: {first}, end: {end}, spacing: {spacing}, row: {row}, rows: {count} }},"
        )
        .unwrap();
        row += count;
    }
    out.push_str("];\n");
    let covered = SEGMENTS.iter().map(|s| s.1).max().unwrap();
    writeln!(out, "const COVERED: u32 = {covered};\n").unwrap();
    // Each entry is its own constant so that the compiler evaluates many small
    // constants rather than one large one.
    for (i, row) in rows.iter().enumerate() {
        for (j, value) in row.iter().enumerate() {
            write!(out, "const E_{i}_{j}: ModP = entry(b\"").unwrap();
            for limb in value {
                for byte in limb.to_le_bytes() {
                    write!(out, "\\x{byte:02x}").unwrap();
                }
            }
            out.push_str("\");\n");
        }
    }
    out.push_str("\n/// The table's rows, segment after segment.\n");
    writeln!(out, "static TABLE: [Row; ROWS] = [").unwrap();
    for (i, row) in rows.iter().enumerate() {
        out.push_str("    [");
        for j in 0..row.len() {
            write!(out, "E_{i}_{j}, ").unwrap();
        }
        out.push_str("],\n");
    }
    out.push_str("];\n");

    let path = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("generator_table.rs");
    std::fs::write(path, out).unwrap();
}
