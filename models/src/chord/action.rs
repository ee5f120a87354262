//! Events of the Chord models. `Display` is the scenario syntax and
//! [`Pattern`] parses a scenario line, which may leave choices open.

use std::fmt;

use super::ring::{parse_name, Name, Node};

/// One event. Every variant names the node it happens at first.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `join j via m`: j joins, learning its successor(s) from member m.
    Join { j: Node, via: Node },
    /// `stabilize n` (original) / StabilizeFromSuccessor (correct).
    Stabilize(Node),
    /// `notified n from p`: n receives p's pending notification (original).
    Notified { n: Node, from: Node },
    /// `fail n`.
    Fail(Node),
    /// `flush n`: drop a dead predecessor (original).
    Flush(Node),
    /// `update n`: replace a dead succ by succ2 (original).
    Update(Node),
    /// `reconcile n`: refresh succ2 from the successor (original).
    Reconcile(Node),
    /// `stabilize-pred t`: StabilizeFromPredecessor (correct).
    StabilizePred(Node),
    /// `rectify r` (correct).
    Rectify(Node),
}

impl Action {
    /// Repair steps are every event but join and fail: the steps that run
    /// on their own once churn stops.
    pub fn is_repair(&self) -> bool {
        !matches!(self, Action::Join { .. } | Action::Fail(_))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Join { j, via } => write!(f, "join {} via {}", Name(j), Name(via)),
            Action::Stabilize(n) => write!(f, "stabilize {}", Name(n)),
            Action::Notified { n, from } => write!(f, "notified {} from {}", Name(n), Name(from)),
            Action::Fail(n) => write!(f, "fail {}", Name(n)),
            Action::Flush(n) => write!(f, "flush {}", Name(n)),
            Action::Update(n) => write!(f, "update {}", Name(n)),
            Action::Reconcile(n) => write!(f, "reconcile {}", Name(n)),
            Action::StabilizePred(n) => write!(f, "stabilize-pred {}", Name(n)),
            Action::Rectify(n) => write!(f, "rectify {}", Name(n)),
        }
    }
}

/// A scenario line: an action whose optional part (`via m`, `from p`) may
/// be left out, in which case any choice that fits matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    /// The action, with `via`/`from` filled by a placeholder when open.
    action: Action,
    /// Whether the optional part was given.
    exact: bool,
}

/// The event words, for error messages and `list`.
pub const EVENT_SYNTAX: &[&str] = &[
    "join N [via M]",
    "stabilize N",
    "notified N [from P]",
    "fail N",
    "flush N",
    "update N",
    "reconcile N",
    "stabilize-pred N",
    "rectify N",
];

impl Pattern {
    pub fn matches(&self, a: &Action) -> bool {
        if self.exact {
            return *a == self.action;
        }
        match (self.action, *a) {
            (Action::Join { j, .. }, Action::Join { j: j2, .. }) => j == j2,
            (Action::Notified { n, .. }, Action::Notified { n: n2, .. }) => n == n2,
            (x, y) => x == y,
        }
    }

    /// The action itself, when the line left nothing open.
    pub fn exact(&self) -> Option<Action> {
        self.exact.then_some(self.action)
    }

    /// Parses one scenario line (already stripped of comments) for a model
    /// with `count` identities.
    pub fn parse(line: &str, count: usize) -> Result<Pattern, String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let node = |w: &str| parse_name(w, count);
        let usage = || {
            format!(
                "cannot read event `{line}`; events are: {}",
                EVENT_SYNTAX.join(", ")
            )
        };
        let single = |make: fn(Node) -> Action| -> Result<Pattern, String> {
            match words.as_slice() {
                [_, n] => Ok(Pattern {
                    action: make(node(n)?),
                    exact: true,
                }),
                _ => Err(usage()),
            }
        };
        match words.first().copied() {
            Some("join") => match words.as_slice() {
                [_, j] => Ok(Pattern {
                    action: Action::Join {
                        j: node(j)?,
                        via: 0,
                    },
                    exact: false,
                }),
                [_, j, "via", m] => Ok(Pattern {
                    action: Action::Join {
                        j: node(j)?,
                        via: node(m)?,
                    },
                    exact: true,
                }),
                _ => Err(usage()),
            },
            Some("notified") => match words.as_slice() {
                [_, n] => Ok(Pattern {
                    action: Action::Notified {
                        n: node(n)?,
                        from: 0,
                    },
                    exact: false,
                }),
                [_, n, "from", p] => Ok(Pattern {
                    action: Action::Notified {
                        n: node(n)?,
                        from: node(p)?,
                    },
                    exact: true,
                }),
                _ => Err(usage()),
            },
            Some("stabilize") => single(Action::Stabilize),
            Some("fail") => single(Action::Fail),
            Some("flush") => single(Action::Flush),
            Some("update") => single(Action::Update),
            Some("reconcile") => single(Action::Reconcile),
            Some("stabilize-pred") => single(Action::StabilizePred),
            Some("rectify") => single(Action::Rectify),
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
            Action::Stabilize(1),
            Action::Notified { n: 0, from: 3 },
            Action::Fail(1),
            Action::Flush(2),
            Action::Update(3),
            Action::Reconcile(0),
            Action::StabilizePred(1),
            Action::Rectify(2),
        ];
        for a in all {
            assert_eq!(Pattern::parse(&a.to_string(), 4).unwrap().exact(), Some(a));
        }
    }

    #[test]
    fn short_forms_leave_the_choice_open() {
        let p = Pattern::parse("join n2", 4).unwrap();
        assert!(p.matches(&Action::Join { j: 2, via: 3 }));
        assert!(!p.matches(&Action::Join { j: 1, via: 3 }));
        let p = Pattern::parse("notified n0", 4).unwrap();
        assert!(p.matches(&Action::Notified { n: 0, from: 1 }));
        assert_eq!(p.exact(), None);
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        assert!(Pattern::parse("jump n1", 4)
            .unwrap_err()
            .contains("events are"));
        assert!(Pattern::parse("join n9", 4)
            .unwrap_err()
            .contains("n0 … n3"));
        assert!(Pattern::parse("stabilize", 4).is_err());
        assert!(Pattern::parse("join n1 with n2", 4).is_err());
    }
}
