//! Arbitrary bytes through vault parsing in the three formats and through the merge: nothing may
//! panic, and the invariants `fuzz_vault_parse` checks must hold. Its corpus is replayed by the
//! unit test `fuzz_corpus_replays_without_panics`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    app::domain::vaults::fuzz_vault_parse(data);
});
