//! Which events are enabled, and what they do.

use super::action::Action;
use super::id::{count, has, Name, Node};
use super::lookup::{self, round_bound};
use super::state::{Bucket, NodeState, Purpose, State, Status};
use super::table::{self, Rules};

/// Every event that might be enabled in `s`, in a fixed order.
pub fn candidates(s: &State, r: &Rules, out: &mut Vec<Action>) {
    let n = s.nodes.len() as Node;
    let ids = 1u16 << r.bits;
    if let Some(l) = s.lookup {
        for q in super::id::elems(l.in_flight()) {
            out.push(Action::Reply(q));
            out.push(Action::Timeout(q));
        }
    }
    for x in 0..n {
        if !s.is_live(x) {
            continue;
        }
        for b in &s.node(x).buckets {
            if let Some(y) = b.ping {
                out.push(Action::Pong { n: x, from: y });
                out.push(Action::PingTimeout { n: x, from: y });
            }
        }
    }
    for x in 0..n {
        out.push(Action::Fail(x));
    }
    if s.lookup.is_some() {
        return;
    }
    for j in 0..n {
        if s.node(j).status == Status::Absent {
            for via in 0..n {
                out.push(Action::Join { j, via });
            }
        }
    }
    for x in 0..n {
        if !s.is_live(x) {
            continue;
        }
        for t in 0..ids {
            out.push(Action::Lookup {
                n: x,
                target: t as u8,
            });
        }
        match s.key {
            Some(key) => {
                out.push(Action::Store { n: x, key });
                out.push(Action::Get(x));
            }
            None => {
                for t in 0..ids {
                    out.push(Action::Store { n: x, key: t as u8 });
                }
            }
        }
    }
}

fn pinging(s: &State, x: Node, y: Node) -> bool {
    s.node(x).buckets.iter().any(|b| b.ping == Some(y))
}

/// Whether `a` is enabled in `s`; the reason is empty unless asked for.
pub fn check(s: &State, failures: usize, a: Action) -> Result<(), String> {
    let idle = || match s.lookup {
        None => Ok(()),
        Some(l) => Err(why!(
            "a lookup by {} is in progress (one at a time)",
            Name(l.origin)
        )),
    };
    let live = |x: Node| {
        if s.is_live(x) {
            Ok(())
        } else {
            Err(why!("{} is not live", Name(x)))
        }
    };
    let in_flight = |q: Node| match s.lookup {
        Some(l) if has(l.in_flight(), q) => Ok(()),
        Some(_) => Err(why!("no query to {} is in flight", Name(q))),
        None => Err(why!("no lookup is in progress")),
    };
    match a {
        Action::Join { j, via } => {
            if s.node(j).status != Status::Absent {
                return Err(why!("{} has joined before", Name(j)));
            }
            live(via)?;
            idle()
        }
        Action::Fail(x) => {
            live(x)?;
            if count(s.failed()) >= failures {
                return Err(why!("the model allows {failures} failure(s)"));
            }
            Ok(())
        }
        Action::Lookup { n, .. } => {
            live(n)?;
            idle()
        }
        Action::Store { n, key } => {
            live(n)?;
            idle()?;
            match s.key {
                Some(k) if k != key => Err(why!("the model stores one key, and it is {k}")),
                _ => Ok(()),
            }
        }
        Action::Get(n) => {
            live(n)?;
            idle()?;
            if s.key.is_none() {
                return Err(why!("nothing has been stored"));
            }
            Ok(())
        }
        Action::Reply(q) => {
            in_flight(q)?;
            live(q)
        }
        Action::Timeout(q) => {
            in_flight(q)?;
            if s.node(q).status != Status::Failed {
                return Err(why!("{} is live: it answers", Name(q)));
            }
            Ok(())
        }
        Action::Pong { n, from } => {
            live(n)?;
            if !pinging(s, n, from) {
                return Err(why!("{} is not pinging {}", Name(n), Name(from)));
            }
            live(from)
        }
        Action::PingTimeout { n, from } => {
            live(n)?;
            if !pinging(s, n, from) {
                return Err(why!("{} is not pinging {}", Name(n), Name(from)));
            }
            if s.node(from).status != Status::Failed {
                return Err(why!("{} is live: it answers", Name(from)));
            }
            Ok(())
        }
    }
}

/// Applies `a`, which must be enabled.
pub fn apply(s: &mut State, r: &Rules, a: Action) {
    s.outcome = None;
    s.observed = 0;
    match a {
        Action::Join { j, via } => {
            let mut ns = NodeState {
                status: Status::Live,
                ..NodeState::default()
            };
            for _ in 0..r.bits {
                ns.buckets.push(Bucket::default());
            }
            ns.buckets[r.bucket_of(j, via)].entries.push(via);
            *s.node_mut(j) = ns;
            lookup::start(s, r, j, j, Purpose::Join);
        }
        Action::Fail(x) => {
            // A failed node's state is never read again: clear it.
            *s.node_mut(x) = NodeState {
                status: Status::Failed,
                ..NodeState::default()
            };
            if let Some(mut l) = s.lookup {
                if l.origin == x {
                    s.lookup = None;
                } else {
                    l.clean = false;
                    s.lookup = Some(l);
                }
            }
        }
        Action::Lookup { n, target } => lookup::start(s, r, n, target, Purpose::Find),
        Action::Store { n, key } => {
            s.key = Some(key);
            lookup::start(s, r, n, key, Purpose::Store)
        }
        Action::Get(n) => {
            let key = s.key.expect("a stored key");
            if s.node(n).value {
                s.outcome = Some(super::state::Outcome {
                    origin: n,
                    target: key,
                    purpose: Purpose::Get,
                    result: 0,
                    clean: true,
                    found: true,
                });
            } else {
                lookup::start(s, r, n, key, Purpose::Get)
            }
        }
        Action::Reply(q) => lookup::reply(s, r, q),
        Action::Timeout(q) => lookup::timeout(s, r, q),
        Action::Pong { n, from } => table::pong(s, r, n, from),
        Action::PingTimeout { n, from } => table::ping_timeout(s, r, n, from),
    }
    debug_assert!(s
        .lookup
        .is_none_or(|l| l.rounds <= round_bound(r.nodes) + 1));
}
