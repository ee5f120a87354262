//! BEP 44's test vectors byte for byte, every refusal with its code,
//! expiry, capacity, determinism, and proptests of signing.
use super::*;
use ed25519_dalek::hazmat::{raw_sign, ExpandedSecretKey};
use ed25519_dalek::Sha512;
use proptest::prelude::*;

fn unhex<const N: usize>(s: &str) -> [u8; N] {
    assert_eq!(s.len(), 2 * N, "{s}");
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

// The test vectors of BEP 44 ("Test vectors" section,
// https://www.bittorrent.org/beps/bep_0044.html), the same as libtorrent's
// `test/test_dht.cpp` (`signing_test1`, `signing_test2`, and test vector 3
// for the immutable target). BEP 44 gives the private key in the expanded
// (SHA-512 of the seed, clamped) form of ref10/libsodium, not the seed, so
// the signatures are reproduced through `hazmat::raw_sign`.
const VECTOR_PUBLIC: &str = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
const VECTOR_PRIVATE: &str = "e06d3183d14159228433ed599221b80bd0a5ce8352e4bdf0262f76786ef1c74d\
                              b7e7a9fea2c0eb269d61e3b38e450a22e754941ac78479d6c54e1faf6037881d";
const VECTOR_V: &[u8] = b"12:Hello World!";
/// Test 1: mutable, no salt.
const VECTOR1_TARGET: &str = "4a533d47ec9c7d95b1ad75f576cffc641853b750";
const VECTOR1_SIG: &str = "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff\
                           1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01";
/// Test 2: mutable, salt `foobar`.
const VECTOR2_TARGET: &str = "411eba73b6f087ca51a3795d9c8c938d365e32c1";
const VECTOR2_SIG: &str = "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d\
                           df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08";
/// Test 3: immutable.
const VECTOR3_TARGET: &str = "e5f96f6f38320f0f33959cb4d3d656452117aadb";

fn vector_key() -> [u8; 32] {
    unhex(VECTOR_PUBLIC)
}

#[test]
fn bep44_vectors() {
    let k = vector_key();
    let esk = ExpandedSecretKey::from_bytes(&unhex::<64>(VECTOR_PRIVATE));
    let vk = VerifyingKey::from(&esk);
    assert_eq!(vk.to_bytes(), k, "the private key is the public key's");

    for (salt, buffer, target, sig) in [
        (
            &b""[..],
            &b"3:seqi1e1:v12:Hello World!"[..],
            VECTOR1_TARGET,
            VECTOR1_SIG,
        ),
        (
            b"foobar",
            b"4:salt6:foobar3:seqi1e1:v12:Hello World!",
            VECTOR2_TARGET,
            VECTOR2_SIG,
        ),
    ] {
        assert_eq!(signature_buffer(salt, 1, VECTOR_V), buffer);
        let sig = unhex::<64>(sig);
        assert_eq!(raw_sign::<Sha512>(&esk, buffer, &vk).to_bytes(), sig);
        assert!(verify_signature(&k, &sig, salt, 1, VECTOR_V));
        assert_eq!(mutable_target(&k, salt), NodeId(unhex(target)));

        // And through the node's path: a put with these fields is stored
        // under the vector's target.
        let put = validate_put(&PutArgs {
            value: VECTOR_V,
            key: Some(&k),
            sig: Some(&sig),
            seq: Some(1),
            salt: (!salt.is_empty()).then_some(salt),
            cas: None,
        })
        .unwrap();
        assert_eq!(put.target(), NodeId(unhex(target)));
    }

    assert_eq!(immutable_target(VECTOR_V), NodeId(unhex(VECTOR3_TARGET)));
    let put = validate_put(&immutable(VECTOR_V)).unwrap();
    assert_eq!(put.target(), NodeId(unhex(VECTOR3_TARGET)));
}

fn immutable(v: &[u8]) -> PutArgs<'_> {
    PutArgs {
        value: v,
        key: None,
        sig: None,
        seq: None,
        salt: None,
        cas: None,
    }
}

/// A mutable put's fields, owned.
struct Put {
    v: Vec<u8>,
    k: [u8; 32],
    sig: [u8; 64],
    seq: i64,
    salt: Vec<u8>,
    cas: Option<i64>,
}

impl Put {
    fn args(&self) -> PutArgs<'_> {
        PutArgs {
            value: &self.v,
            key: Some(&self.k),
            sig: Some(&self.sig),
            seq: Some(self.seq),
            salt: (!self.salt.is_empty()).then_some(&self.salt[..]),
            cas: self.cas,
        }
    }

    fn valid(&self) -> ValidPut {
        validate_put(&self.args()).unwrap()
    }
}

fn keypair() -> Keypair {
    Keypair::from_seed(&[7; 32])
}

fn signed(salt: &[u8], seq: i64, v: &[u8]) -> Put {
    let kp = keypair();
    Put {
        v: v.to_vec(),
        k: kp.public(),
        sig: kp.sign_item(salt, seq, v),
        seq,
        salt: salt.to_vec(),
        cas: None,
    }
}

fn code(r: Result<impl fmt::Debug, PutError>) -> i64 {
    r.unwrap_err().code
}

#[test]
fn keypair_signs_and_parses_hex_seeds() {
    let seed = [0x5a; 32];
    let kp = Keypair::from_hex_seed(&"5a".repeat(32)).unwrap();
    assert_eq!(kp.public(), Keypair::from_seed(&seed).public());
    assert_eq!(
        Keypair::from_hex_seed(&format!(" {} \n", "5A".repeat(32)))
            .unwrap()
            .public(),
        kp.public()
    );
    let sig = kp.sign_item(b"s", 3, b"1:x");
    assert!(verify_signature(&kp.public(), &sig, b"s", 3, b"1:x"));
    assert!(!verify_signature(&kp.public(), &sig, b"", 3, b"1:x"));
    assert_eq!(
        kp.mutable_item(b"s", 3, b"1:x"),
        Item::Mutable {
            v: b"1:x".to_vec(),
            k: kp.public(),
            sig,
            seq: 3,
            salt: b"s".to_vec()
        }
    );
    // The seed never shows.
    assert!(!format!("{kp:?}").contains(&"5a".repeat(4)));

    let short = Keypair::from_hex_seed("abc").unwrap_err();
    assert_eq!(short, SeedError::Length { digits: 3 });
    assert!(short.to_string().contains("64 hexadecimal digits"));
    let mut bad = "0".repeat(64);
    bad.replace_range(17..18, "g");
    let e = Keypair::from_hex_seed(&bad).unwrap_err();
    assert_eq!(e, SeedError::NotHex { at: 17, found: 'g' });
    assert!(e.to_string().contains("'g' at character 17"), "{e}");
    // 62 ASCII digits and one 2-byte character: 64 bytes, not hex.
    let wide = format!("{}é", "0".repeat(62));
    assert_eq!(
        Keypair::from_hex_seed(&wide).unwrap_err(),
        SeedError::NotHex {
            at: 62, found: 'é'
        }
    );
    assert_eq!(
        Keypair::from_hex_seed(&"0".repeat(66)).unwrap_err(),
        SeedError::Length { digits: 66 }
    );
}

#[test]
fn put_refusals_and_their_codes() {
    let good = signed(b"salt", 5, b"i42e");
    assert!(validate_put(&good.args()).is_ok());

    // 206: a signature of something else, and garbage as a key.
    let mut bad = signed(b"salt", 5, b"i42e");
    bad.sig[10] ^= 1;
    let e = validate_put(&bad.args()).unwrap_err();
    assert_eq!(e.code, INVALID_SIGNATURE);
    assert!(e.message.contains("`sig`"), "{e}");
    let mut bad = signed(b"salt", 5, b"i42e");
    bad.seq = 6;
    assert_eq!(code(validate_put(&bad.args())), INVALID_SIGNATURE);
    let mut bad = signed(b"salt", 5, b"i42e");
    bad.salt = b"other".to_vec();
    assert_eq!(code(validate_put(&bad.args())), INVALID_SIGNATURE);
    let mut bad = signed(b"salt", 5, b"i42e");
    bad.k = [0xff; 32];
    assert_eq!(code(validate_put(&bad.args())), INVALID_SIGNATURE);

    // 206: a forgery without any private key. With the identity point as
    // `k`, R = identity and S = 0 satisfy the plain (cofactorless)
    // equation for every message; `verify_strict` refuses small-order keys.
    let mut weak = signed(b"", 1, b"i1e");
    weak.k = [0; 32];
    weak.k[0] = 1;
    weak.sig = [0; 64];
    weak.sig[0] = 1;
    let vk = VerifyingKey::from_bytes(&weak.k).unwrap();
    let msg = signature_buffer(b"", 1, b"i1e");
    assert!(ed25519_dalek::Verifier::verify(&vk, &msg, &Signature::from_bytes(&weak.sig)).is_ok());
    assert_eq!(code(validate_put(&weak.args())), INVALID_SIGNATURE);

    // 203: k/sig/seq incomplete, or salt/cas with none of them.
    for (drop, missing) in [(0, "k"), (1, "sig"), (2, "seq")] {
        let mut args = good.args();
        match drop {
            0 => args.key = None,
            1 => args.sig = None,
            _ => args.seq = None,
        }
        let e = validate_put(&args).unwrap_err();
        assert_eq!(e.code, PROTOCOL_ERROR);
        assert!(e.message.contains(&format!("`{missing}`")), "{e}");
    }
    let mut args = immutable(b"i1e");
    args.salt = Some(b"x");
    assert_eq!(code(validate_put(&args)), PROTOCOL_ERROR);
    let mut args = immutable(b"i1e");
    args.cas = Some(1);
    assert_eq!(code(validate_put(&args)), PROTOCOL_ERROR);

    // 203: negative seq, even when signed.
    let neg = signed(b"", -1, b"i1e");
    let e = validate_put(&neg.args()).unwrap_err();
    assert_eq!(e.code, PROTOCOL_ERROR);
    assert!(e.message.contains("-1"), "{e}");

    // 205 and 207, before anything else is looked at.
    let big = vec![b'x'; MAX_VALUE + 1];
    let e = validate_put(&immutable(&big)).unwrap_err();
    assert_eq!(e.code, VALUE_TOO_BIG);
    assert!(e.message.contains("1001"), "{e}");
    let ok = vec![b'x'; MAX_VALUE];
    assert!(validate_put(&immutable(&ok)).is_ok());
    let salty = signed(&[1; MAX_SALT + 1], 1, b"i1e");
    assert_eq!(code(validate_put(&salty.args())), SALT_TOO_BIG);
    let mut args = salty.args();
    args.sig = None;
    assert_eq!(code(validate_put(&args)), SALT_TOO_BIG);
    assert!(validate_put(&signed(&[1; MAX_SALT], 1, b"i1e").args()).is_ok());

    // A checked item that was built by hand goes through the same checks.
    let mut item = keypair().mutable_item(b"", 1, b"i1e");
    assert!(ValidPut::new(item.clone(), Some(0)).is_ok());
    if let Item::Mutable { seq, .. } = &mut item {
        *seq = 2;
    }
    assert_eq!(code(ValidPut::new(item, None)), INVALID_SIGNATURE);
}

const HOUR: Millis = 60 * 60 * 1000;

#[test]
fn sequence_numbers_and_cas() {
    let mut store = ItemStore::new(10, LIFETIME);
    let target = signed(b"", 5, b"1:a").valid().target();
    store.put(0, signed(b"", 5, b"1:a").valid()).unwrap();

    // 302: lower seq; equal seq with another value.
    let e = store.put(1, signed(b"", 4, b"1:b").valid()).unwrap_err();
    assert_eq!(e.code, SEQ_TOO_LOW);
    assert!(e.message.contains("4 less than current 5"), "{e}");
    let e = store.put(1, signed(b"", 5, b"1:b").valid()).unwrap_err();
    assert_eq!(e.code, SEQ_TOO_LOW);
    assert!(e.message.contains("different value"), "{e}");
    assert_eq!(store.get(1, &target).unwrap().value(), b"1:a");

    // Equal seq, same value: accepted, refreshes.
    store.put(HOUR, signed(b"", 5, b"1:a").valid()).unwrap();
    assert!(store.get(LIFETIME + HOUR - 1, &target).is_some());

    // 301: cas differs from the stored seq (checked before seq).
    let mut p = signed(b"", 6, b"1:c");
    p.cas = Some(4);
    let e = store.put(HOUR, p.valid()).unwrap_err();
    assert_eq!(e.code, CAS_MISMATCH);
    assert!(e.message.contains("`cas` is 4, the stored seq is 5"), "{e}");
    let mut p = signed(b"", 3, b"1:c");
    p.cas = Some(4);
    assert_eq!(code(store.put(HOUR, p.valid())), CAS_MISMATCH);

    // cas equal to the stored seq, higher seq: replaced.
    let mut p = signed(b"", 6, b"1:c");
    p.cas = Some(5);
    store.put(HOUR, p.valid()).unwrap();
    assert_eq!(store.get(HOUR, &target).unwrap().seq(), Some(6));
    assert_eq!(store.get(HOUR, &target).unwrap().value(), b"1:c");

    // cas with nothing stored (libtorrent's behaviour): stored.
    let mut p = signed(b"fresh", 1, b"1:d");
    p.cas = Some(99);
    store.put(HOUR, p.valid()).unwrap();
    assert_eq!(store.len(), 2);

    // The same key with another salt is another slot.
    store
        .put(HOUR, signed(b"other", 1, b"1:e").valid())
        .unwrap();
    assert_eq!(store.len(), 3);
}

#[test]
fn expiry() {
    let mut store = ItemStore::new(10, LIFETIME);
    let a = validate_put(&immutable(b"1:a")).unwrap();
    let b = validate_put(&immutable(b"1:b")).unwrap();
    let (ta, tb) = (a.target(), b.target());
    store.put(0, a.clone()).unwrap();
    store.put(HOUR, b).unwrap();

    // Reading does not refresh.
    assert!(store.get(LIFETIME - 1, &ta).is_some());
    assert!(store.get(LIFETIME, &ta).is_none());
    assert_eq!(store.iter(LIFETIME).count(), 1);
    assert_eq!(store.len(), 2, "held until expire()");
    assert_eq!(store.expire(LIFETIME), 1);
    assert_eq!(store.len(), 1);
    assert!(store.get(LIFETIME, &tb).is_some());

    // Re-putting refreshes; an expired item put again is stored anew.
    store.put(LIFETIME, a.clone()).unwrap();
    store
        .put(
            LIFETIME + HOUR - 1,
            validate_put(&immutable(b"1:b")).unwrap(),
        )
        .unwrap();
    assert!(store.get(2 * LIFETIME + HOUR - 2, &tb).is_some());
    assert!(store.get(2 * LIFETIME, &ta).is_none());

    // A mutable item whose stored version expired takes any seq again.
    let mut store = ItemStore::new(10, HOUR);
    store.put(0, signed(b"", 9, b"1:a").valid()).unwrap();
    assert_eq!(
        code(store.put(1, signed(b"", 1, b"1:b").valid())),
        SEQ_TOO_LOW
    );
    store.put(HOUR, signed(b"", 1, b"1:b").valid()).unwrap();

    // Time running backwards (a caller's bug) keeps items, no panic.
    assert_eq!(store.expire(0), 0);
    let mut forever = ItemStore::new(1, Millis::MAX);
    forever.put(Millis::MAX - 2, a).unwrap();
    assert_eq!(forever.expire(Millis::MAX - 1), 0);
    assert!(forever.get(Millis::MAX - 1, &ta).is_some());
}

#[test]
fn capacity() {
    let mut store = ItemStore::new(2, HOUR);
    let puts: Vec<ValidPut> = [&b"1:a"[..], b"1:b", b"1:c"]
        .iter()
        .map(|v| validate_put(&immutable(v)).unwrap())
        .collect();
    store.put(0, puts[0].clone()).unwrap();
    store.put(1, signed(b"", 1, b"1:m").valid()).unwrap();

    // Full: a new target is refused, with 201 and the reason.
    let e = store.put(2, puts[2].clone()).unwrap_err();
    assert_eq!(e.code, GENERIC_ERROR);
    assert!(e.message.contains("full (2 items)"), "{e}");
    assert!(store.get(2, &puts[2].target()).is_none());

    // Stored targets can still be refreshed and updated.
    store.put(2, puts[0].clone()).unwrap();
    store.put(2, signed(b"", 2, b"1:n").valid()).unwrap();
    assert_eq!(store.len(), 2);

    // Expired items make room without an explicit expire().
    store.put(HOUR + 1, puts[1].clone()).unwrap_err();
    store.put(HOUR + 2, puts[1].clone()).unwrap();
    assert_eq!(store.len(), 1);
    assert_eq!(store.capacity(), 2);

    let mut none = ItemStore::new(0, HOUR);
    assert_eq!(code(none.put(0, puts[0].clone())), GENERIC_ERROR);
    assert!(none.is_empty());
}

/// The same puts in any order leave the same store, listed in target
/// order; the same sequence of puts gives the same outcomes.
#[test]
fn determinism() {
    let puts: Vec<ValidPut> = (0..20)
        .map(|i| {
            if i % 2 == 0 {
                validate_put(&immutable(format!("i{i}e").as_bytes())).unwrap()
            } else {
                signed(format!("{i}").as_bytes(), i, b"0:").valid()
            }
        })
        .collect();
    let listing = |order: &mut dyn Iterator<Item = &ValidPut>| {
        let mut store = ItemStore::new(100, HOUR);
        for p in order {
            store.put(0, p.clone()).unwrap();
        }
        store
            .iter(0)
            .map(|(t, i)| (*t, i.clone()))
            .collect::<Vec<_>>()
    };
    let forward = listing(&mut puts.iter());
    assert_eq!(forward, listing(&mut puts.iter().rev()));
    let targets: Vec<NodeId> = forward.iter().map(|(t, _)| *t).collect();
    let mut sorted = targets.clone();
    sorted.sort();
    assert_eq!(targets, sorted);

    let outcomes = || {
        let mut store = ItemStore::new(7, 10);
        puts.iter()
            .enumerate()
            .map(|(i, p)| store.put(i as Millis, p.clone()).is_ok())
            .collect::<Vec<_>>()
    };
    assert_eq!(outcomes(), outcomes());
}

#[test]
fn get_answers() {
    let item = keypair().mutable_item(b"", 4, b"1:a");
    let fill = |newer_than| {
        let mut r = Response::id_only(NodeId([0; 20]));
        item.fill_response(&mut r, newer_than);
        r
    };
    let full = fill(None);
    assert_eq!(
        (full.value.as_deref(), full.seq, full.key.is_some()),
        (Some(&b"1:a"[..]), Some(4), true)
    );
    assert_eq!(fill(Some(3)), full);
    assert_eq!(fill(Some(-1)), full);
    let only_seq = fill(Some(4));
    assert_eq!(
        (only_seq.value, only_seq.seq, only_seq.sig),
        (None, Some(4), None)
    );

    let mut r = Response::id_only(NodeId([0; 20]));
    Item::Immutable { v: b"i1e".to_vec() }.fill_response(&mut r, Some(9));
    assert_eq!((r.value.as_deref(), r.seq), (Some(&b"i1e"[..]), None));
}

#[test]
fn responses() {
    let kp = keypair();
    let item = kp.mutable_item(b"salt", 2, b"1:a");
    let target = item.target();
    let mut r = Response::id_only(NodeId([1; 20]));
    item.fill_response(&mut r, None);
    assert_eq!(validate_response(&target, b"salt", &r), Ok(Some(item)));

    // The salt is the asker's: the wrong one gives another target.
    assert!(matches!(
        validate_response(&target, b"", &r),
        Err(Invalid::WrongTarget { .. })
    ));
    let mut forged = r.clone();
    forged.seq = Some(3);
    assert_eq!(
        validate_response(&target, b"salt", &forged),
        Err(Invalid::BadSignature { seq: 3 })
    );
    let mut partial = r.clone();
    partial.sig = None;
    assert_eq!(
        validate_response(&target, b"salt", &partial),
        Err(Invalid::Incomplete { missing: "sig" })
    );

    // No value: nothing to check (nodes only, or our version is current).
    let mut seq_only = Response::id_only(NodeId([1; 20]));
    seq_only.seq = Some(2);
    assert_eq!(validate_response(&target, b"salt", &seq_only), Ok(None));

    // Immutable: the value must hash to the target, whatever salt we hold.
    let imm = NodeId(unhex(VECTOR3_TARGET));
    let mut r = Response::id_only(NodeId([1; 20]));
    r.value = Some(VECTOR_V.to_vec());
    assert_eq!(
        validate_response(&imm, b"salt", &r),
        Ok(Some(Item::Immutable {
            v: VECTOR_V.to_vec()
        }))
    );
    r.value = Some(b"12:Hello World?".to_vec());
    let e = validate_response(&imm, b"", &r).unwrap_err();
    assert!(e.to_string().contains(VECTOR3_TARGET), "{e}");
    r.value = Some(vec![b'x'; MAX_VALUE + 1]);
    let big_target = immutable_target(r.value.as_ref().unwrap());
    assert_eq!(
        validate_response(&big_target, b"", &r),
        Err(Invalid::ValueTooBig { len: MAX_VALUE + 1 })
    );
}

/// `PutArgs::from_query` takes a decoded `put` as it is.
#[test]
fn from_query() {
    let p = signed(b"s", 1, b"i1e");
    let q = Query::Put {
        id: NodeId([2; 20]),
        token: b"tok".to_vec(),
        value: p.v.clone(),
        key: Some(p.k),
        sig: Some(p.sig),
        seq: Some(1),
        salt: Some(b"s".to_vec()),
        cas: Some(0),
    };
    assert_eq!(
        PutArgs::from_query(&q),
        Some(p.args()).map(|a| PutArgs { cas: Some(0), ..a })
    );
    assert!(PutArgs::from_query(&Query::Ping {
        id: NodeId([2; 20])
    })
    .is_none());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Signing then checking round-trips; flipping any one bit of `v`,
    /// `sig` or `seq` breaks the signature.
    #[test]
    fn sign_verify_and_bit_flips(
        seed in any::<[u8; 32]>(),
        salt in proptest::collection::vec(any::<u8>(), 0..=MAX_SALT),
        seq in 0..i64::MAX,
        v in proptest::collection::vec(any::<u8>(), 1..200),
        v_bit in any::<prop::sample::Index>(),
        sig_bit in 0..512usize,
        seq_bit in 0..64u32,
    ) {
        let kp = Keypair::from_seed(&seed);
        let k = kp.public();
        let sig = kp.sign_item(&salt, seq, &v);
        prop_assert!(verify_signature(&k, &sig, &salt, seq, &v));
        let item = kp.mutable_item(&salt, seq, &v);
        prop_assert_eq!(ValidPut::new(item.clone(), None).unwrap().target(), mutable_target(&k, &salt));

        let mut v2 = v.clone();
        let bit = v_bit.index(v.len() * 8);
        v2[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!verify_signature(&k, &sig, &salt, seq, &v2));

        let mut sig2 = sig;
        sig2[sig_bit / 8] ^= 1 << (sig_bit % 8);
        prop_assert!(!verify_signature(&k, &sig2, &salt, seq, &v));

        prop_assert!(!verify_signature(&k, &sig, &salt, seq ^ (1i64 << seq_bit), &v));
    }

    /// Whatever the fields, checking a put answers; it never panics.
    #[test]
    fn arbitrary_puts_never_panic(
        v in proptest::collection::vec(any::<u8>(), 0..1100),
        k in proptest::option::of(any::<[u8; 32]>()),
        sig in proptest::option::of(proptest::collection::vec(any::<u8>(), 64)),
        seq in proptest::option::of(any::<i64>()),
        salt in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80)),
        cas in proptest::option::of(any::<i64>()),
    ) {
        let sig: Option<[u8; 64]> = sig.map(|s| s.try_into().unwrap());
        let args = PutArgs {
            value: &v,
            key: k.as_ref(),
            sig: sig.as_ref(),
            seq,
            salt: salt.as_deref(),
            cas,
        };
        let mut store = ItemStore::new(1, HOUR);
        match validate_put(&args) {
            Ok(put) => {
                prop_assert!(k.is_none() && sig.is_none() && seq.is_none());
                prop_assert!(store.put(0, put).is_ok());
            }
            Err(e) => prop_assert!(
                [PROTOCOL_ERROR, VALUE_TOO_BIG, INVALID_SIGNATURE, SALT_TOO_BIG].contains(&e.code),
                "{}", e
            ),
        }
    }
}
