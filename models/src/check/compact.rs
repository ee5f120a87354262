//! Compact states: a byte encoding a model may give its states, and the
//! 64-bit fingerprints the compact engine ([`super::engine`]) keeps of
//! every visited state.
//!
//! An idiomatic model state (vectors of per-node records, each with its
//! own heap allocation) takes hundreds of bytes and a dozen allocations;
//! bit-packed it takes a few bytes. The engine uses the encoding twice:
//! it hashes it (one pass over a few contiguous bytes instead of a walk
//! over the heap through `Hash`), and it keeps the breadth-first frontier
//! as encodings rather than states, because a frontier level can hold a
//! sizeable fraction of the whole space. That is why [`Compact`] has a
//! decoder too: keeping states and only hashing their encoding would save
//! the time but not the memory, and on the large scopes memory is what
//! runs out.
//!
//! # Fingerprints and collisions
//!
//! A visited state is remembered by a 64-bit fingerprint only (xxHash's
//! XXH3, a fixed, seedless, platform-independent function of the bytes),
//! as in SPIN's hash-compact mode. Two different states with the same
//! fingerprint make the second look visited, so the part of the space
//! reachable only through it would go unexplored: an error that can only
//! hide states, never invent a violation (every counterexample is replayed
//! on the real model and checked). With n visited states and uniformly
//! distributed fingerprints, the birthday bound gives
//!
//! ```text
//! P(some collision) <= n (n - 1) / 2^65
//! ```
//!
//! about 2e-9 for the 255,506 states of Chord `original` N=3, 6e-6 for
//! 15 million (`correct` N=6, r=3), 3e-4 for 10^8 and 3 % for 10^9. (The
//! engine maps the fingerprint 0, its empty-slot marker, to 1, which
//! changes these numbers negligibly.)

use std::hash::{Hash, Hasher};

use xxhash_rust::xxh3::xxh3_64;

/// A compact, canonical byte encoding of a model's states.
///
/// `encode` must be injective (two different states never share an
/// encoding: the engine identifies states by the fingerprint of their
/// encoding) and `decode` its inverse: `decode(encode(s)) == s`. An
/// encoding may depend on the model's parameters (the number of nodes
/// fixes how many bits an identity takes), so it is only meaningful for
/// the model that wrote it.
pub trait Compact<S>: Send + Sync {
    /// Appends the encoding of `s` to `out`.
    fn encode(&self, s: &S, out: &mut Vec<u8>);
    /// The state encoded by exactly `bytes`.
    fn decode(&self, bytes: &[u8]) -> S;

    /// An optional fast path for the compact engine: the successors of
    /// the state encoded by `bytes`, computed on encodings. When it
    /// returns `true` it has appended to `out` the encoding of the
    /// successor by each action of `Model::actions`, in that order (every
    /// action's successor exists and is within the model's boundary), and
    /// pushed each one's end in `out` to `ends`. The default declines
    /// (`false`, nothing written), and the engine decodes the state, asks
    /// the model for its actions and successors and encodes them. A model
    /// that implements it must agree with that path exactly: the engine
    /// numbers successors by their action's index.
    fn successors(&self, _bytes: &[u8], _out: &mut Vec<u8>, _ends: &mut Vec<u32>) -> bool {
        false
    }
}

/// The fingerprint of an encoding.
pub fn fingerprint(bytes: &[u8]) -> u64 {
    xxh3_64(bytes)
}

/// The fingerprint of a state without a compact encoding: XXH3 of the
/// byte stream its `Hash` implementation writes (deterministic on one
/// platform, which is all a single check needs). `buf` is scratch space,
/// kept by the caller to save an allocation per state.
pub fn fingerprint_hash<S: Hash>(s: &S, buf: &mut Vec<u8>) -> u64 {
    buf.clear();
    s.hash(&mut Sink(buf));
    xxh3_64(buf)
}

/// A `Hasher` that only collects the bytes written to it.
struct Sink<'a>(&'a mut Vec<u8>);

impl Hasher for Sink<'_> {
    fn write(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }
    fn finish(&self) -> u64 {
        unreachable!("a Sink only collects bytes")
    }
}

/// Number of bits that hold every value in `0..=max`.
pub const fn bits_for(max: usize) -> u32 {
    usize::BITS - max.leading_zeros()
}

/// Packs small fields into bytes, least significant bit first.
pub struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u64,
    used: u32,
}

impl<'a> BitWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            used: 0,
        }
    }

    /// Appends the low `bits` bits of `value` (`bits` ≤ 32; `value` must
    /// fit).
    pub fn put(&mut self, value: u32, bits: u32) {
        debug_assert!(bits <= 32 && (bits == 32 || value >> bits == 0));
        self.acc |= u64::from(value) << self.used;
        self.used += bits;
        // Four bytes at a time: fewer pushes on the hot path.
        if self.used >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.used -= 32;
        }
    }

    /// Writes what is left, the last byte padded with zeros.
    pub fn finish(self) {
        let bytes = self.used.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
    }
}

/// Reads what a [`BitWriter`] wrote, in the same order.
pub struct BitReader<'a> {
    bytes: &'a [u8],
    acc: u64,
    have: u32,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader {
            bytes,
            acc: 0,
            have: 0,
        }
    }

    /// The next `bits` bits (≤ 32); zeros past the end.
    pub fn get(&mut self, bits: u32) -> u32 {
        debug_assert!(bits <= 32);
        while self.have < bits {
            let (&b, rest) = self.bytes.split_first().unwrap_or((&0, &[]));
            self.bytes = rest;
            self.acc |= u64::from(b) << self.have;
            self.have += 8;
        }
        let v = (self.acc & ((1u64 << bits) - 1)) as u32;
        self.acc >>= bits;
        self.have -= bits;
        v
    }
}

/// Test support: `codec` decodes what it encodes for every state of
/// `states`, no two states share an encoding, and none takes more than
/// `max_bytes`. Every model's codec is tested with this.
#[cfg(test)]
pub(crate) fn assert_round_trips<S>(
    codec: &dyn Compact<S>,
    states: &[S],
    max_bytes: usize,
    label: &str,
) where
    S: PartialEq + std::fmt::Debug,
{
    let mut codes = std::collections::BTreeSet::new();
    let mut longest = 0;
    for s in states {
        let mut out = Vec::new();
        codec.encode(s, &mut out);
        assert_eq!(&codec.decode(&out), s, "{label}: {s:?}");
        longest = longest.max(out.len());
        codes.insert(out);
    }
    assert_eq!(codes.len(), states.len(), "{label}: injective");
    assert!(longest <= max_bytes, "{label}: {longest} bytes");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_round_trip() {
        let fields = [
            (5u32, 3u32),
            (0, 1),
            (1, 1),
            (15, 4),
            (0, 0),
            (300, 9),
            (7, 32),
        ];
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        for (v, b) in fields {
            w.put(v, b);
        }
        w.finish();
        assert_eq!(out.len(), (3 + 1 + 1 + 4 + 9 + 32usize).div_ceil(8));
        let mut r = BitReader::new(&out);
        for (v, b) in fields {
            assert_eq!(r.get(b), v);
        }
    }

    #[test]
    fn bits_for_counts_bits() {
        assert_eq!([0, 1, 2, 3, 4, 15, 16].map(bits_for), [0, 1, 2, 2, 3, 4, 5]);
    }

    #[test]
    fn fingerprints_are_fixed() {
        // XXH3 is specified: these values hold on every platform.
        assert_eq!(fingerprint(b""), 0x2d06800538d394c2);
        let mut buf = Vec::new();
        assert_eq!(fingerprint_hash(&7u8, &mut buf), fingerprint(&[7]));
    }
}
