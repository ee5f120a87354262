//! Events of the Kademlia model. `Display` is the scenario syntax and
//! [`Pattern`] parses a scenario line (`join j` may leave the contact open).

use std::fmt;

use super::id::{parse_name, Id, Name, Node};

/// One event.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `join j via m`: j knows m, and looks up its own id through it.
    Join { j: Node, via: Node },
    /// `fail n`: n crashes for good.
    Fail(Node),
    /// `lookup n for t`: n's iterative FIND_NODE for id t (what a bucket
    /// refresh does, for a t in the bucket's range).
    Lookup { n: Node, target: Id },
    /// `store n for key`: n looks up the key and stores at the k closest.
    Store { n: Node, key: Id },
    /// `get n`: n's FIND_VALUE for the stored key.
    Get(Node),
    /// `reply q`: q receives the lookup's query, and its answer arrives.
    Reply(Node),
    /// `timeout q`: the lookup's query to failed q times out.
    Timeout(Node),
    /// `pong n from m`: m answers n's ping (m is live).
    Pong { n: Node, from: Node },
    /// `ping-timeout n from m`: n's ping to failed m times out.
    PingTimeout { n: Node, from: Node },
}

impl Action {
    /// Repair steps: what runs on its own once joins and failures stop
    /// (refresh lookups and the deliveries they and pings cause). Stores
    /// and gets are users' requests, not repair.
    pub fn is_repair(&self) -> bool {
        matches!(
            self,
            Action::Lookup { .. }
                | Action::Reply(_)
                | Action::Timeout(_)
                | Action::Pong { .. }
                | Action::PingTimeout { .. }
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Join { j, via } => write!(f, "join {} via {}", Name(j), Name(via)),
            Action::Fail(n) => write!(f, "fail {}", Name(n)),
            Action::Lookup { n, target } => write!(f, "lookup {} for {target}", Name(n)),
            Action::Store { n, key } => write!(f, "store {} for {key}", Name(n)),
            Action::Get(n) => write!(f, "get {}", Name(n)),
            Action::Reply(q) => write!(f, "reply {}", Name(q)),
            Action::Timeout(q) => write!(f, "timeout {}", Name(q)),
            Action::Pong { n, from } => write!(f, "pong {} from {}", Name(n), Name(from)),
            Action::PingTimeout { n, from } => {
                write!(f, "ping-timeout {} from {}", Name(n), Name(from))
            }
        }
    }
}

/// The event words, for error messages.
pub const EVENT_SYNTAX: &[&str] = &[
    "join N [via M]",
    "fail N",
    "lookup N for ID",
    "store N for ID",
    "get N",
    "reply N",
    "timeout N",
    "pong N from M",
    "ping-timeout N from M",
];

/// A scenario line: an action, possibly with `via m` left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    action: Action,
    exact: bool,
}

impl Pattern {
    pub fn matches(&self, a: &Action) -> bool {
        if self.exact {
            return *a == self.action;
        }
        matches!((self.action, *a), (Action::Join { j, .. }, Action::Join { j: j2, .. }) if j == j2)
    }

    pub fn exact(&self) -> Option<Action> {
        self.exact.then_some(self.action)
    }

    /// Parses one line for a model with `count` nodes and ids below `ids`.
    pub fn parse(line: &str, count: usize, ids: usize) -> Result<Pattern, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let node = |w: &str| parse_name(w, count);
        let id = |w: &str| -> Result<Id, String> {
            match w.parse::<usize>() {
                Ok(v) if v < ids => Ok(v as Id),
                _ => Err(format!(
                    "`{w}` is not an id of this model (ids are 0 … {})",
                    ids - 1
                )),
            }
        };
        let usage = || {
            format!(
                "cannot read event `{line}`; events are: {}",
                EVENT_SYNTAX.join(", ")
            )
        };
        let exact = |action| {
            Ok(Pattern {
                action,
                exact: true,
            })
        };
        match words.as_slice() {
            ["join", j] => Ok(Pattern {
                action: Action::Join {
                    j: node(j)?,
                    via: 0,
                },
                exact: false,
            }),
            ["join", j, "via", m] => exact(Action::Join {
                j: node(j)?,
                via: node(m)?,
            }),
            ["fail", n] => exact(Action::Fail(node(n)?)),
            ["lookup", n, "for", t] => exact(Action::Lookup {
                n: node(n)?,
                target: id(t)?,
            }),
            ["store", n, "for", t] => exact(Action::Store {
                n: node(n)?,
                key: id(t)?,
            }),
            ["get", n] => exact(Action::Get(node(n)?)),
            ["reply", q] => exact(Action::Reply(node(q)?)),
            ["timeout", q] => exact(Action::Timeout(node(q)?)),
            ["pong", n, "from", m] => exact(Action::Pong {
                n: node(n)?,
                from: node(m)?,
            }),
            ["ping-timeout", n, "from", m] => exact(Action::PingTimeout {
                n: node(n)?,
                from: node(m)?,
            }),
            _ => Err(usage()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parses_back_to_the_same_action() {
        let all = [
            Action::Join { j: 2, via: 0 },
            Action::Fail(1),
            Action::Lookup { n: 0, target: 3 },
            Action::Store { n: 1, key: 2 },
            Action::Get(3),
            Action::Reply(2),
            Action::Timeout(1),
            Action::Pong { n: 0, from: 3 },
            Action::PingTimeout { n: 1, from: 2 },
        ];
        for a in all {
            assert_eq!(
                Pattern::parse(&a.to_string(), 4, 4).unwrap().exact(),
                Some(a)
            );
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert!(Pattern::parse("jump n1", 4, 4)
            .unwrap_err()
            .contains("events are"));
        assert!(Pattern::parse("lookup n1 for 9", 4, 8)
            .unwrap_err()
            .contains("0 … 7"));
        assert!(Pattern::parse("join n9", 4, 4)
            .unwrap_err()
            .contains("n0 … n3"));
        let p = Pattern::parse("join n2", 4, 4).unwrap();
        assert!(p.matches(&Action::Join { j: 2, via: 1 }));
        assert_eq!(p.exact(), None);
    }
}
