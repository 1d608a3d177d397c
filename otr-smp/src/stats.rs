//! Test-only counters of the exponentiations performed on this thread, to
//! pin the cost of a complete SMP.

use std::cell::Cell;

/// The kind of exponentiation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Constant time, variable base, full-size (≥ 1535-bit) secret exponent.
    VariableCtFull,
    /// Constant time, variable base, 256-bit secret exponent (the SMP secret).
    VariableCtShort,
    /// Constant time, generator table.
    FixedCt,
    /// Variable time, generator table (public exponent).
    FixedVartime,
    /// Variable time, one full-size public exponent inside a multi-exponentiation.
    MultiTermFull,
    /// Variable time, one 256-bit public exponent (a hash `c`) inside a multi-exponentiation.
    MultiTermShort,
    /// Variable time, one multi-exponentiation (its terms share their squarings).
    MultiExp,
}

const KINDS: usize = 7;

thread_local! {
    static COUNTS: Cell<[usize; KINDS]> = const { Cell::new([0; KINDS]) };
}

pub fn bump(kind: Kind) {
    COUNTS.with(|c| {
        let mut v = c.get();
        if let Some(slot) = v.get_mut(kind as usize) {
            *slot += 1;
        }
        c.set(v);
    });
}

pub fn reset() {
    COUNTS.with(|c| c.set([0; KINDS]));
}

pub fn get(kind: Kind) -> usize {
    COUNTS.with(|c| c.get().get(kind as usize).copied().unwrap_or(0))
}
