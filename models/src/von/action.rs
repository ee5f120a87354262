//! Events of the VON model. `Display` is the scenario syntax and
//! [`Pattern`] parses a scenario line (`join n2` may leave the gateway
//! open; `deliver n0 to n1` the message's kind).

use std::fmt;

use super::geometry::Pos;
use super::state::Kind;
use crate::chord::ring::{parse_name, Name};
use crate::nodeset::Node;

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `join j via g`: j sends its JOIN (for its home cell) to gateway g;
    /// also a joiner's retry once its JOIN or reply was lost.
    Join { j: Node, via: Node },
    /// `move n to (x,y)`: n steps to a cell and sends MOVE to its
    /// neighbours.
    Move { n: Node, to: Pos },
    /// `leave n`: n sends LEAVE to its neighbours and goes.
    Leave(Node),
    /// `fail n`: n crashes, silently.
    Fail(Node),
    /// `timeout n of x`: n's timeout for x, which failed or left, fires.
    Timeout { n: Node, of: Node },
    /// `deliver move n0 to n1`: the oldest message from n0 to n1 arrives.
    Deliver { kind: Kind, from: Node, to: Node },
}

impl Action {
    /// Repair steps: what still happens once moves and churn stop
    /// (deliveries, timeouts, a joiner's retry).
    pub fn is_repair(&self) -> bool {
        matches!(
            self,
            Action::Deliver { .. } | Action::Timeout { .. } | Action::Join { .. }
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Join { j, via } => write!(f, "join {} via {}", Name(j), Name(via)),
            Action::Move { n, to } => write!(f, "move {} to {to}", Name(n)),
            Action::Leave(n) => write!(f, "leave {}", Name(n)),
            Action::Fail(n) => write!(f, "fail {}", Name(n)),
            Action::Timeout { n, of } => write!(f, "timeout {} of {}", Name(n), Name(of)),
            Action::Deliver { kind, from, to } => {
                write!(f, "deliver {} {} to {}", kind.name(), Name(from), Name(to))
            }
        }
    }
}

/// The event forms, for error messages.
pub const EVENT_SYNTAX: &[&str] = &[
    "join n2 [via n0]",
    "move n1 to (x,y)",
    "leave n1",
    "fail n1",
    "timeout n0 of n1",
    "deliver [join|join-reply|hello|move|notify|leave] n0 to n1",
];

/// A scenario line: an exact event, or one with its gateway or message
/// kind left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    pub action: Action,
    pub exact: bool,
}

impl Pattern {
    pub fn parse(line: &str, nodes: usize, side: u8) -> Result<Pattern, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let node = |w: &str| parse_name(w, nodes);
        let exact = |action| {
            Ok(Pattern {
                action,
                exact: true,
            })
        };
        let open = |action| {
            Ok(Pattern {
                action,
                exact: false,
            })
        };
        let kind = |w: &str| {
            Kind::ALL
                .into_iter()
                .find(|k| k.name() == w)
                .ok_or_else(|| {
                    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                    format!(
                        "`{w}` is not a message kind (kinds are {})",
                        names.join(", ")
                    )
                })
        };
        match words.as_slice() {
            ["join", j] => open(Action::Join {
                j: node(j)?,
                via: 0,
            }),
            ["join", j, "via", g] => exact(Action::Join {
                j: node(j)?,
                via: node(g)?,
            }),
            ["move", n, "to", p] => exact(Action::Move {
                n: node(n)?,
                to: Pos::parse(p, side)?,
            }),
            ["leave", n] => exact(Action::Leave(node(n)?)),
            ["fail", n] => exact(Action::Fail(node(n)?)),
            ["timeout", n, "of", x] => exact(Action::Timeout {
                n: node(n)?,
                of: node(x)?,
            }),
            ["deliver", a, "to", b] => open(Action::Deliver {
                kind: Kind::Join,
                from: node(a)?,
                to: node(b)?,
            }),
            ["deliver", k, a, "to", b] => exact(Action::Deliver {
                kind: kind(k)?,
                from: node(a)?,
                to: node(b)?,
            }),
            _ => Err(format!(
                "cannot read event `{line}`; events are: {}",
                EVENT_SYNTAX.join(", ")
            )),
        }
    }

    pub fn matches(&self, a: &Action) -> bool {
        if self.exact {
            return self.action == *a;
        }
        match (self.action, *a) {
            (Action::Join { j, .. }, Action::Join { j: k, .. }) => j == k,
            (Action::Deliver { from, to, .. }, Action::Deliver { from: f, to: t, .. }) => {
                from == f && to == t
            }
            _ => false,
        }
    }

    pub fn exact(&self) -> Option<Action> {
        self.exact.then_some(self.action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_scenario_syntax() {
        for a in [
            Action::Join { j: 2, via: 0 },
            Action::Move {
                n: 1,
                to: Pos::new(3, 4),
            },
            Action::Leave(1),
            Action::Fail(3),
            Action::Timeout { n: 0, of: 1 },
            Action::Deliver {
                kind: Kind::JoinReply,
                from: 0,
                to: 2,
            },
        ] {
            let p = Pattern::parse(&a.to_string(), 4, 5).unwrap();
            assert_eq!(p.exact(), Some(a), "{a}");
        }
    }

    #[test]
    fn open_patterns_match_any_gateway_or_kind() {
        let p = Pattern::parse("join n2", 4, 5).unwrap();
        assert!(p.matches(&Action::Join { j: 2, via: 1 }));
        assert!(!p.matches(&Action::Join { j: 3, via: 1 }));
        let d = Pattern::parse("deliver n0 to n1", 4, 5).unwrap();
        assert!(d.matches(&Action::Deliver {
            kind: Kind::Notify,
            from: 0,
            to: 1
        }));
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let e = Pattern::parse("move n1 to (7,0)", 4, 5).unwrap_err();
        assert!(e.contains("5x5"), "{e}");
        let e = Pattern::parse("deliver ping n0 to n1", 4, 5).unwrap_err();
        assert!(e.contains("not a message kind"), "{e}");
        let e = Pattern::parse("jump n1", 4, 5).unwrap_err();
        assert!(e.contains("events are"), "{e}");
        assert!(Pattern::parse("fail n9", 4, 5).is_err());
    }
}
