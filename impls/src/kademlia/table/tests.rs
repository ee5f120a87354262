use std::net::{Ipv4Addr, SocketAddrV4};

use super::*;

/// An id whose first byte is `b` (the rest zero), so prefixes are easy to
/// read: with `me` = 0x00…, id 0x80… is in bucket 0, 0x40… in bucket 1.
fn id(b: u8, tail: u8) -> NodeId {
    let mut x = [0u8; 20];
    x[0] = b;
    x[19] = tail;
    NodeId(x)
}

fn addr(i: u8) -> SocketAddrV4 {
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, i), 6881)
}

fn me() -> NodeId {
    NodeId([0; 20])
}

#[test]
fn contacts_land_in_the_bucket_of_their_prefix() {
    let mut t = Table::new(me(), 2, 1, 1, 0);
    assert_eq!(t.observe(1, id(0x80, 1), addr(1)), Observed::Added);
    assert_eq!(t.observe(2, id(0x40, 1), addr(2)), Observed::Added);
    assert_eq!(t.observe(3, me(), addr(3)), Observed::Ignored);
    assert_eq!(t.bucket(0)[0].id, id(0x80, 1));
    assert_eq!(t.bucket(1)[0].id, id(0x40, 1));
    assert_eq!(t.len(), 2);
    t.check().unwrap();
}

#[test]
fn a_known_contact_moves_to_the_tail() {
    let mut t = Table::new(me(), 3, 1, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    t.observe(2, id(0x80, 2), addr(2));
    assert_eq!(t.observe(3, id(0x80, 1), addr(1)), Observed::Refreshed);
    let order: Vec<_> = t.bucket(0).iter().map(|c| c.id).collect();
    assert_eq!(order, vec![id(0x80, 2), id(0x80, 1)]);
    t.check().unwrap();
}

#[test]
fn a_known_id_from_another_address_is_ignored() {
    let mut t = Table::new(me(), 3, 1, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    assert_eq!(t.observe(2, id(0x80, 1), addr(9)), Observed::Ignored);
    assert_eq!(t.bucket(0)[0].addr, addr(1));
}

#[test]
fn a_full_bucket_pings_its_head_once_and_caches_the_newcomer() {
    let mut t = Table::new(me(), 2, 2, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    t.observe(2, id(0x80, 2), addr(2));
    let head = *t.get(&id(0x80, 1)).unwrap();
    assert_eq!(
        t.observe(3, id(0x80, 3), addr(3)),
        Observed::Cached { ping: Some(head) }
    );
    // A second newcomer waits for the same ping.
    assert_eq!(
        t.observe(4, id(0x80, 4), addr(4)),
        Observed::Cached { ping: None }
    );
    assert_eq!(t.cached(0).len(), 2);
    // The head answers: its ping settles, and it stays, moved to the
    // tail; newcomers stay cached.
    t.ping_settled(&id(0x80, 1));
    assert_eq!(t.observe(5, id(0x80, 1), addr(1)), Observed::Refreshed);
    let order: Vec<_> = t.bucket(0).iter().map(|c| c.id).collect();
    assert_eq!(order, vec![id(0x80, 2), id(0x80, 1)]);
    // LiveNodesNeverEvicted: the live head was not replaced.
    assert!(t.get(&id(0x80, 3)).is_none());
    t.check().unwrap();
}

#[test]
fn a_failed_eviction_ping_promotes_the_freshest_cached_contact() {
    let mut t = Table::new(me(), 2, 2, 3, 0);
    t.observe(1, id(0x80, 1), addr(1));
    t.observe(2, id(0x80, 2), addr(2));
    t.observe(3, id(0x80, 3), addr(3));
    t.observe(4, id(0x80, 4), addr(4));
    // Pinged for eviction: one failure suffices, whatever stale_after.
    let gone = t.failed(&id(0x80, 1)).unwrap();
    assert_eq!(gone.id, id(0x80, 1));
    let order: Vec<_> = t.bucket(0).iter().map(|c| c.id).collect();
    assert_eq!(order, vec![id(0x80, 2), id(0x80, 4)]);
    assert_eq!(t.cached(0).len(), 1);
    t.check().unwrap();
}

#[test]
fn lookup_failures_drop_a_contact_after_stale_after_in_a_row() {
    let mut t = Table::new(me(), 2, 0, 2, 0);
    t.observe(1, id(0x80, 1), addr(1));
    assert_eq!(t.failed(&id(0x80, 1)), None);
    // Hearing from it resets the count.
    t.observe(2, id(0x80, 1), addr(1));
    assert_eq!(t.failed(&id(0x80, 1)), None);
    assert!(t.failed(&id(0x80, 1)).is_some());
    assert!(t.is_empty());
}

#[test]
fn closest_sorts_by_xor_distance() {
    let mut t = Table::new(me(), 8, 0, 1, 0);
    for (i, b) in [0x80u8, 0x40, 0x20, 0xc0].into_iter().enumerate() {
        t.observe(i as u64, id(b, 0), addr(i as u8));
    }
    let target = id(0x41, 0);
    let got: Vec<_> = t.closest(&target, 3).iter().map(|c| c.id.0[0]).collect();
    // 0x41 XOR: 0x40 → 0x01, 0x20 → 0x61, 0xc0 → 0x81, 0x80 → 0xc1.
    assert_eq!(got, vec![0x40, 0x20, 0xc0]);
}

#[test]
fn check_catches_a_misplaced_entry() {
    let mut t = Table::new(me(), 2, 0, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    // Corrupt: put a bucket-1 id into bucket 0.
    t.buckets[0].entries.push(Contact {
        id: id(0x40, 0),
        addr: addr(2),
        last_seen: 2,
        failures: 0,
    });
    assert!(t.check().unwrap_err().contains("not its own"));
}

#[test]
fn a_recently_seen_head_is_not_pinged_the_newcomer_waits_in_the_cache() {
    let mut t = Table::new(me(), 1, 1, 1, 100);
    t.observe(50, id(0x80, 1), addr(1));
    assert_eq!(
        t.observe(120, id(0x80, 2), addr(2)),
        Observed::Cached { ping: None }
    );
    let head = *t.get(&id(0x80, 1)).unwrap();
    assert_eq!(
        t.observe(150, id(0x80, 3), addr(3)),
        Observed::Cached { ping: Some(head) }
    );
}

#[test]
fn an_address_listed_under_one_id_is_not_listed_under_another() {
    let mut t = Table::new(me(), 2, 2, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    assert_eq!(t.observe(2, id(0x40, 9), addr(1)), Observed::Ignored);
    assert_eq!(t.len(), 1);
    // A cached contact heard from again is still welcome.
    t.observe(3, id(0x80, 2), addr(2));
    assert_eq!(
        t.observe(4, id(0x80, 3), addr(3)),
        Observed::Cached {
            ping: Some(*t.get(&id(0x80, 1)).unwrap())
        }
    );
    assert_eq!(
        t.observe(5, id(0x80, 3), addr(3)),
        Observed::Cached { ping: None }
    );
    assert_eq!(t.cached(0).len(), 1);
}

/// §4.1, one eviction ping per bucket until it settles: the pinged head
/// speaking otherwise moves to the tail but does not cancel the ping, so
/// a later newcomer does not start a second one (the model's rule).
#[test]
fn the_eviction_ping_stays_pending_until_it_settles() {
    let mut t = Table::new(me(), 2, 2, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    t.observe(2, id(0x80, 2), addr(2));
    t.observe(3, id(0x80, 3), addr(3));
    assert_eq!(t.pinging(0), Some(id(0x80, 1)));
    assert_eq!(t.observe(4, id(0x80, 1), addr(1)), Observed::Refreshed);
    assert_eq!(t.pinging(0), Some(id(0x80, 1)));
    assert_eq!(
        t.observe(5, id(0x80, 4), addr(4)),
        Observed::Cached { ping: None }
    );
    t.ping_settled(&id(0x80, 1));
    assert_eq!(t.pinging(0), None);
}

/// The promoted cached contact goes to the tail although it was last
/// seen before the entries ahead of it; `check` accepts that table.
#[test]
fn a_promoted_contact_goes_to_the_tail_with_its_old_last_seen() {
    let mut t = Table::new(me(), 2, 1, 1, 0);
    t.observe(1, id(0x80, 1), addr(1));
    t.observe(2, id(0x80, 2), addr(2));
    t.observe(3, id(0x80, 3), addr(3));
    t.observe(4, id(0x80, 2), addr(2));
    t.failed(&id(0x80, 1));
    let order: Vec<_> = t.bucket(0).iter().map(|c| (c.id, c.last_seen)).collect();
    assert_eq!(order, vec![(id(0x80, 2), 4), (id(0x80, 3), 3)]);
    t.check().unwrap();
}

/// The test-only mutation: a full bucket drops its head at once.
#[test]
fn the_evict_without_ping_mutation_drops_the_head() {
    let mut t = Table::new(me(), 1, 1, 1, 0);
    t.evict_without_ping = true;
    t.observe(1, id(0x80, 1), addr(1));
    assert_eq!(t.observe(2, id(0x80, 2), addr(2)), Observed::Added);
    let order: Vec<_> = t.bucket(0).iter().map(|c| c.id).collect();
    assert_eq!(order, vec![id(0x80, 2)]);
    assert_eq!(t.pinging(0), None);
}
