//! A complete SMP, both parties, from `start` to both results.

use criterion::{Criterion, criterion_group, criterion_main};
use otr_smp::{SmpEngine, SmpEvent, SmpOutput, SmpSecret};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

fn deliver(out: &SmpOutput, to: &mut SmpEngine, rng: &mut ChaCha20Rng) -> SmpOutput {
    let mut last = SmpOutput::default();
    for tlv in &out.send {
        last = to.receive(tlv.as_input(), rng);
    }
    last
}

fn full_smp(rng: &mut ChaCha20Rng, secret: &SmpSecret) -> bool {
    let mut alice = SmpEngine::new();
    let mut bob = SmpEngine::new();
    let m1 = alice.start(secret, rng);
    let _ask = deliver(&m1, &mut bob, rng);
    let Ok(m2) = bob.respond(secret, rng) else {
        return false;
    };
    let m3 = deliver(&m2, &mut alice, rng);
    let m4 = deliver(&m3, &mut bob, rng);
    let bob_ok = matches!(m4.event, Some(SmpEvent::Succeeded { .. }));
    let done = deliver(&m4, &mut alice, rng);
    bob_ok && matches!(done.event, Some(SmpEvent::Succeeded { .. }))
}

fn bench(c: &mut Criterion) {
    otr_smp::group::precompute_generator_table();
    let secret = SmpSecret::derive(&[1; 20], &[2; 20], &[3; 8], b"bench secret");
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut group = c.benchmark_group("smp");
    group.sample_size(20);
    group.bench_function("full SMP, both parties", |b| {
        b.iter(|| assert!(full_smp(&mut rng, &secret)));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
