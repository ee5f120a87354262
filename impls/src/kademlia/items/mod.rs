//! BEP 44 items: arbitrary data stored in the Mainline DHT, sans-IO.
//!
//! An *immutable* item is a bencoded value `v` stored under the SHA-1 of
//! those bytes, so whoever asks for a target can check the answer by
//! hashing it. A *mutable* item is stored under SHA-1(`k` ‖ `salt`), `k`
//! being a 32-byte ed25519 public key; its `v` comes with a sequence number
//! `seq` and a signature `sig` by `k` over
//! [`signature_buffer`]`(salt, seq, v)`, and a storing node keeps the
//! highest `seq` it has seen. Values are at most [`MAX_VALUE`] bencoded
//! bytes, salts at most [`MAX_SALT`]. Items not put again expire after
//! [`LIFETIME`] (BEP 44's two hours).
//!
//! This module checks items ([`validate_put`] for a `put` query,
//! [`validate_response`] for the answer to our own `get`), signs them
//! ([`Keypair`]) and stores them ([`ItemStore`]); tokens, routing and the
//! messages themselves are the node's. No clock inside: time comes in as
//! [`Millis`].
//!
//! Signatures are `ed25519-dalek` 2.x (BSD-3-Clause, the RustCrypto-era
//! standard crate; its 3.0 needs Rust 1.85).
//!
//! Deliberate choices, where BEP 44 leaves room or libtorrent
//! (`src/kademlia/node.cpp` and `dht_storage.cpp`) reads it differently:
//!
//! - **Equal `seq`.** BEP 44: a put whose `seq` is "lower than or equal to"
//!   the stored one MUST be rejected, except that an equal `seq` with the
//!   same value SHOULD just reset the item's timeout. We do exactly that:
//!   equal `seq` and equal `v` refreshes, equal `seq` and a different `v`
//!   is 302. libtorrent answers success to any equal `seq` but keeps the
//!   old value, which tells the putter its write landed when it did not.
//! - **`cas` with nothing stored.** Accepted and stored, as libtorrent does
//!   (it compares `cas` only when it holds an item): there is no current
//!   `seq` for `cas` to contradict, and the first writer of a slot should
//!   not need to know that it is first.
//! - **Incomplete mutable puts.** `k`, `sig` and `seq` go together; a put
//!   with some but not all of them, or with a `salt` or `cas` but no `k`,
//!   is 203. libtorrent stores such a put as an immutable item (under the
//!   mutable target when `k` is present), which is never what was meant.
//! - **Negative `seq`.** 203, as in libtorrent (BEP 44 is silent).
//! - **A full store** refuses new targets (201, the code for the node's
//!   own failures) rather than evicting: what
//!   is stored stays until it expires, so a flood of fresh puts (one token
//!   per address suffices) cannot erase items already held; the putter
//!   still has the other closest nodes. Targets already stored can always
//!   be refreshed or updated, and expired items make room first.
//! - **`verify_strict`** rather than `verify`: it also rejects small-order
//!   public keys and `R` points, under which signatures can be made without
//!   any private key. Honest keys and signatures pass both; an item that
//!   only passes `verify` proves nothing about who wrote it.

use std::fmt;

use ed25519_dalek::{Signature, VerifyingKey};
use sha1::{Digest, Sha1};

use super::krpc::{
    NodeId, Query, Response, GENERIC_ERROR, MAX_SALT, MAX_VALUE, PROTOCOL_ERROR, SALT_TOO_BIG,
    VALUE_TOO_BIG,
};
use crate::runtime::Millis;

mod keys;
mod store;
#[cfg(test)]
mod tests;

pub use keys::{Keypair, SeedError};
pub use store::ItemStore;

/// BEP 44 error code: the signature does not verify.
pub const INVALID_SIGNATURE: i64 = 206;
/// BEP 44 error code: `cas` does not match the stored `seq`.
pub const CAS_MISMATCH: i64 = 301;
/// BEP 44 error code: `seq` is lower than the stored one (or equal, with a
/// different value).
pub const SEQ_TOO_LOW: i64 = 302;
/// BEP 44's suggested lifetime of an item not put again: two hours.
pub const LIFETIME: Millis = 2 * 60 * 60 * 1000;

/// The target of an immutable item: SHA-1 of its bencoded value.
pub fn immutable_target(v: &[u8]) -> NodeId {
    NodeId(Sha1::digest(v).into())
}

/// The target of a mutable item: SHA-1 of the public key followed by the
/// salt (empty for none). The key has a fixed length, so distinct
/// (key, salt) pairs never hash the same bytes.
pub fn mutable_target(k: &[u8; 32], salt: &[u8]) -> NodeId {
    let mut h = Sha1::new();
    h.update(k);
    h.update(salt);
    NodeId(h.finalize().into())
}

/// The bytes a mutable item's signature covers: the bencoded dictionary
/// `{salt, seq, v}` without its `d`…`e`, the salt only if non-empty, `v`
/// spliced in as the raw bencoded bytes.
pub fn signature_buffer(salt: &[u8], seq: i64, v: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(salt.len() + v.len() + 40);
    if !salt.is_empty() {
        b.extend_from_slice(format!("4:salt{}:", salt.len()).as_bytes());
        b.extend_from_slice(salt);
    }
    b.extend_from_slice(format!("3:seqi{seq}e1:v").as_bytes());
    b.extend_from_slice(v);
    b
}

/// Whether `sig` is `k`'s signature of the item (strict verification, see
/// the module header). False also for a `k` that is not a curve point.
pub fn verify_signature(k: &[u8; 32], sig: &[u8; 64], salt: &[u8], seq: i64, v: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_bytes(k) else {
        return false;
    };
    key.verify_strict(&signature_buffer(salt, seq, v), &Signature::from_bytes(sig))
        .is_ok()
}

/// A BEP 44 item. `v` is the bencoded value, as bytes; `salt` is empty for
/// none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    Immutable {
        v: Vec<u8>,
    },
    Mutable {
        v: Vec<u8>,
        k: [u8; 32],
        sig: [u8; 64],
        seq: i64,
        salt: Vec<u8>,
    },
}

impl Item {
    /// The target the item is stored under.
    pub fn target(&self) -> NodeId {
        match self {
            Item::Immutable { v } => immutable_target(v),
            Item::Mutable { k, salt, .. } => mutable_target(k, salt),
        }
    }

    /// The bencoded value.
    pub fn value(&self) -> &[u8] {
        match self {
            Item::Immutable { v } | Item::Mutable { v, .. } => v,
        }
    }

    /// The sequence number of a mutable item.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Item::Immutable { .. } => None,
            Item::Mutable { seq, .. } => Some(*seq),
        }
    }

    /// Fills the item into the answer to a `get`. `newer_than` is the
    /// query's `seq`: when the stored `seq` is not above it, the asker
    /// already has this version, so only `seq` is sent (BEP 44; as
    /// libtorrent, a negative `seq` in the query is ignored).
    pub fn fill_response(&self, r: &mut Response, newer_than: Option<i64>) {
        match self {
            Item::Immutable { v } => r.value = Some(v.clone()),
            Item::Mutable { v, k, sig, seq, .. } => {
                r.seq = Some(*seq);
                if !matches!(newer_than, Some(n) if n >= 0 && n >= *seq) {
                    r.value = Some(v.clone());
                    r.key = Some(*k);
                    r.sig = Some(*sig);
                }
            }
        }
    }

    /// Checks sizes, `seq` and signature: everything about an item that
    /// does not depend on what is stored.
    fn check(&self) -> Result<(), Invalid> {
        if self.value().len() > MAX_VALUE {
            return Err(Invalid::ValueTooBig {
                len: self.value().len(),
            });
        }
        if let Item::Mutable {
            v,
            k,
            sig,
            seq,
            salt,
        } = self
        {
            if salt.len() > MAX_SALT {
                return Err(Invalid::SaltTooBig { len: salt.len() });
            }
            if *seq < 0 {
                return Err(Invalid::NegativeSeq { seq: *seq });
            }
            if !verify_signature(k, sig, salt, *seq, v) {
                return Err(Invalid::BadSignature { seq: *seq });
            }
        }
        Ok(())
    }
}

/// What is wrong with an item, by itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    ValueTooBig {
        len: usize,
    },
    SaltTooBig {
        len: usize,
    },
    /// Some of `k`/`sig`/`seq` without the others, or `salt`/`cas` without
    /// them; `missing` names the first absent one.
    Incomplete {
        missing: &'static str,
    },
    NegativeSeq {
        seq: i64,
    },
    BadSignature {
        seq: i64,
    },
    /// A `get` answer whose item is not the one asked for.
    WrongTarget {
        asked: NodeId,
        got: NodeId,
    },
}

impl Invalid {
    /// The KRPC error code a `put` carrying this item is answered with.
    pub fn code(&self) -> i64 {
        match self {
            Invalid::ValueTooBig { .. } => VALUE_TOO_BIG,
            Invalid::SaltTooBig { .. } => SALT_TOO_BIG,
            Invalid::BadSignature { .. } => INVALID_SIGNATURE,
            Invalid::Incomplete { .. }
            | Invalid::NegativeSeq { .. }
            | Invalid::WrongTarget { .. } => PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::ValueTooBig { len } => {
                write!(f, "`v` is {len} bytes bencoded, more than {MAX_VALUE}")
            }
            Invalid::SaltTooBig { len } => {
                write!(f, "`salt` is {len} bytes, more than {MAX_SALT}")
            }
            Invalid::Incomplete { missing } => write!(
                f,
                "mutable item without `{missing}` (`k`, `sig` and `seq` go together)"
            ),
            Invalid::NegativeSeq { seq } => write!(f, "`seq` is {seq}, expected 0 or more"),
            Invalid::BadSignature { seq } => {
                write!(f, "`sig` is not `k`'s signature of this value at seq {seq}")
            }
            Invalid::WrongTarget { asked, got } => {
                write!(f, "the item's target is {got}, not the {asked} asked for")
            }
        }
    }
}

impl std::error::Error for Invalid {}

/// A refused `put`: the KRPC error code to answer with, and a message
/// naming what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutError {
    pub code: i64,
    pub message: String,
}

impl From<Invalid> for PutError {
    fn from(e: Invalid) -> PutError {
        PutError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl PutError {
    fn full(capacity: usize) -> PutError {
        PutError {
            code: GENERIC_ERROR,
            message: format!("item storage is full ({capacity} items)"),
        }
    }
}

impl fmt::Display for PutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

impl std::error::Error for PutError {}

/// The item fields of a `put` query, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PutArgs<'a> {
    pub value: &'a [u8],
    pub key: Option<&'a [u8; 32]>,
    pub sig: Option<&'a [u8; 64]>,
    pub seq: Option<i64>,
    pub salt: Option<&'a [u8]>,
    pub cas: Option<i64>,
}

impl<'a> PutArgs<'a> {
    /// The item fields of `query`, if it is a `put` (the token is the
    /// node's to check, before these).
    pub fn from_query(query: &'a Query) -> Option<PutArgs<'a>> {
        match query {
            Query::Put {
                value,
                key,
                sig,
                seq,
                salt,
                cas,
                ..
            } => Some(PutArgs {
                value,
                key: key.as_ref(),
                sig: sig.as_ref(),
                seq: *seq,
                salt: salt.as_deref(),
                cas: *cas,
            }),
            _ => None,
        }
    }
}

/// A checked `put`: an item whose sizes and signature are good, its target
/// (computed, so it cannot disagree with the item), and the `cas`. Only
/// [`validate_put`] and [`ValidPut::new`] make one, so [`ItemStore::put`]
/// never sees an unchecked item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPut {
    target: NodeId,
    item: Item,
    cas: Option<i64>,
}

impl ValidPut {
    /// Checks an item (the node's own, or a peer's). A `cas` on an
    /// immutable item is refused: it can only mean a mutable put gone wrong.
    pub fn new(item: Item, cas: Option<i64>) -> Result<ValidPut, PutError> {
        if cas.is_some() && matches!(item, Item::Immutable { .. }) {
            return Err(Invalid::Incomplete { missing: "k" }.into());
        }
        item.check()?;
        Ok(ValidPut {
            target: item.target(),
            item,
            cas,
        })
    }

    pub fn target(&self) -> NodeId {
        self.target
    }

    pub fn item(&self) -> &Item {
        &self.item
    }

    pub fn cas(&self) -> Option<i64> {
        self.cas
    }
}

/// Checks the item of a `put` query: 205 for a value too big, 207 for a
/// salt too big, 203 for an incomplete mutable put or a negative `seq`,
/// 206 for a bad signature. What depends on the stored item (301, 302) is
/// [`ItemStore::put`]'s.
pub fn validate_put(args: &PutArgs<'_>) -> Result<ValidPut, PutError> {
    // Sizes first, as libtorrent does: they are the cheapest checks and
    // the codec already made them for a decoded query.
    if args.value.len() > MAX_VALUE {
        return Err(Invalid::ValueTooBig {
            len: args.value.len(),
        }
        .into());
    }
    let salt = args.salt.unwrap_or_default();
    if salt.len() > MAX_SALT {
        return Err(Invalid::SaltTooBig { len: salt.len() }.into());
    }
    let item = item_from_fields(args.value, args.key, args.sig, args.seq, args.salt)?;
    ValidPut::new(item, args.cas)
}

/// The item carried by `k`/`sig`/`seq`/`salt` around a value: immutable
/// when none is present, mutable when `k`, `sig` and `seq` all are.
fn item_from_fields(
    v: &[u8],
    k: Option<&[u8; 32]>,
    sig: Option<&[u8; 64]>,
    seq: Option<i64>,
    salt: Option<&[u8]>,
) -> Result<Item, Invalid> {
    match (k, sig, seq) {
        (None, None, None) if salt.is_none() => Ok(Item::Immutable { v: v.to_vec() }),
        (Some(k), Some(sig), Some(seq)) => Ok(Item::Mutable {
            v: v.to_vec(),
            k: *k,
            sig: *sig,
            seq,
            salt: salt.unwrap_or_default().to_vec(),
        }),
        (None, ..) => Err(Invalid::Incomplete { missing: "k" }),
        (_, None, _) => Err(Invalid::Incomplete { missing: "sig" }),
        (.., None) => Err(Invalid::Incomplete { missing: "seq" }),
    }
}

/// Checks the item in the answer to our `get` for `target` (with `salt`,
/// which answers do not carry: the asker knows it). `Ok(None)`: the answer
/// has no value (only nodes, or only `seq` because ours is not older).
/// An immutable item must hash to `target`; a mutable one must be signed
/// and its key and salt must give `target`.
pub fn validate_response(
    target: &NodeId,
    salt: &[u8],
    r: &Response,
) -> Result<Option<Item>, Invalid> {
    let Some(v) = &r.value else {
        return Ok(None);
    };
    // `salt` is ours, not the responder's; only a mutable item uses it.
    let salt = (r.key.is_some() || r.sig.is_some() || r.seq.is_some()).then_some(salt);
    let item = item_from_fields(v, r.key.as_ref(), r.sig.as_ref(), r.seq, salt)?;
    let got = item.target();
    if got != *target {
        return Err(Invalid::WrongTarget {
            asked: *target,
            got,
        });
    }
    item.check()?;
    Ok(Some(item))
}
