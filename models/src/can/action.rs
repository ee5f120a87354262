//! Events of the CAN model. `Display` is the scenario syntax (a reality
//! other than r0 is named at the end: `… in r1`) and [`Pattern`] parses a
//! scenario line (`join n1 at (1,2)` may leave the bootstrap node open).

use std::fmt;

use super::grid::{Point, Space};
use crate::chord::ring::{parse_name, Name};

use super::state::Node;

/// One event.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// `join j at P via m`: j's JOIN, sent through m, is routed greedily
    /// to the owner of cell P, which splits the zone holding P and gives
    /// j the half that holds it.
    Join {
        j: Node,
        at: Cell,
        via: Node,
        reality: u8,
    },
    /// `leave n`: n hands its zones and keys over and goes (every reality).
    Leave(Node),
    /// `fail n`: n crashes for good.
    Fail(Node),
    /// `takeover n of f`: n's takeover timer for failed f fires and it
    /// takes f's zones.
    Takeover { n: Node, of: Node, reality: u8 },
    /// `expire n of x`: n stops listing x, which left or was taken over
    /// (its refreshes stopped coming).
    Expire { n: Node, of: Node, reality: u8 },
    /// `reassign n`: background zone reassignment of n's extra zone.
    Reassign { n: Node, reality: u8 },
    /// `search n`: n's expanding-ring search (§2.3) for the owners of the
    /// cells along its faces that no neighbour it knows accounts for.
    Search { n: Node, reality: u8 },
    /// `refresh n`: n's periodic update to all its neighbours.
    Refresh { n: Node, reality: u8 },
    /// `update n to m`: n's update (its zones and neighbour list) arrives
    /// at m.
    Update { from: Node, to: Node, reality: u8 },
    /// `put k0 via n`: n stores key k0 at its owner in every reality.
    Put { key: u8, via: Node },
    /// `get k0 via n`: n fetches key k0 from its owner.
    Get { key: u8, via: Node, reality: u8 },
    /// `route n to P`: n sends a probe message to cell P.
    Route { from: Node, to: Cell, reality: u8 },
    /// `forward`: the probe's holder delivers or forwards it one hop.
    Forward,
}

impl Action {
    /// Repair steps: what runs on its own once joins, leaves and failures
    /// stop (messages, refreshes, failure detection, takeover and
    /// background reassignment). Puts, gets and probes are users'.
    pub fn is_repair(&self) -> bool {
        matches!(
            self,
            Action::Takeover { .. }
                | Action::Expire { .. }
                | Action::Reassign { .. }
                | Action::Search { .. }
                | Action::Refresh { .. }
                | Action::Update { .. }
        )
    }

    /// The reality the event happens in (0 for those of every reality).
    pub fn reality(&self) -> usize {
        match *self {
            Action::Join { reality, .. }
            | Action::Takeover { reality, .. }
            | Action::Expire { reality, .. }
            | Action::Reassign { reality, .. }
            | Action::Search { reality, .. }
            | Action::Refresh { reality, .. }
            | Action::Update { reality, .. }
            | Action::Get { reality, .. }
            | Action::Route { reality, .. } => reality as usize,
            _ => 0,
        }
    }
}

/// A cell as an event names it: its coordinates in the model's
/// dimensions, written `(x,y)` or `(x,y,z)`.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    pub p: Point,
    pub dims: u8,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<String> = self.p[..self.dims as usize]
            .iter()
            .map(|c| c.to_string())
            .collect();
        write!(f, "({})", v.join(","))
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Join { j, at, via, .. } => {
                write!(f, "join {} at {at} via {}", Name(j), Name(via))?
            }
            Action::Leave(n) => write!(f, "leave {}", Name(n))?,
            Action::Fail(n) => write!(f, "fail {}", Name(n))?,
            Action::Takeover { n, of, .. } => write!(f, "takeover {} of {}", Name(n), Name(of))?,
            Action::Expire { n, of, .. } => write!(f, "expire {} of {}", Name(n), Name(of))?,
            Action::Reassign { n, .. } => write!(f, "reassign {}", Name(n))?,
            Action::Search { n, .. } => write!(f, "search {}", Name(n))?,
            Action::Refresh { n, .. } => write!(f, "refresh {}", Name(n))?,
            Action::Update { from, to, .. } => write!(f, "update {} to {}", Name(from), Name(to))?,
            Action::Put { key, via } => write!(f, "put k{key} via {}", Name(via))?,
            Action::Get { key, via, .. } => write!(f, "get k{key} via {}", Name(via))?,
            Action::Route { from, to, .. } => write!(f, "route {} to {to}", Name(from))?,
            Action::Forward => write!(f, "forward")?,
        }
        let r = self.reality();
        if r > 0 {
            write!(f, " in r{r}")?;
        }
        Ok(())
    }
}

/// The event words, for error messages.
pub const EVENT_SYNTAX: &[&str] = &[
    "join N at (X,Y) [via M]",
    "leave N",
    "fail N",
    "takeover N of F",
    "expire N of X",
    "reassign N",
    "search N",
    "refresh N",
    "update N to M",
    "put kK via N",
    "get kK via N",
    "route N to (X,Y)",
    "forward",
    "(any of them but leave, fail and put may end with `in rR`)",
];

/// A scenario line: an action, possibly with `via m` left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    action: Action,
    exact: bool,
}

/// What a pattern is parsed against.
pub struct Scope {
    pub nodes: usize,
    pub keys: usize,
    pub realities: usize,
    pub space: Space,
}

impl Pattern {
    pub fn matches(&self, a: &Action) -> bool {
        if self.exact {
            return *a == self.action;
        }
        match (self.action, *a) {
            (
                Action::Join { j, at, reality, .. },
                Action::Join {
                    j: j2,
                    at: at2,
                    reality: r2,
                    ..
                },
            ) => j == j2 && at == at2 && reality == r2,
            _ => false,
        }
    }

    pub fn exact(&self) -> Option<Action> {
        self.exact.then_some(self.action)
    }

    pub fn parse(line: &str, scope: &Scope) -> Result<Pattern, String> {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        let mut reality = 0u8;
        if words.len() >= 2 && words[words.len() - 2] == "in" {
            let w = words[words.len() - 1];
            reality = match w.strip_prefix('r').and_then(|d| d.parse::<usize>().ok()) {
                Some(r) if r < scope.realities => r as u8,
                _ => {
                    return Err(format!(
                        "`{w}` is not a reality of this model (realities are r0 … r{})",
                        scope.realities - 1
                    ))
                }
            };
            words.truncate(words.len() - 2);
        }
        let node = |w: &str| parse_name(w, scope.nodes);
        let dims = scope.space.dims as u8;
        let at = |w: &str| scope.space.parse_point(w).map(|p| Cell { p, dims });
        let key = |w: &str| -> Result<u8, String> {
            match w.strip_prefix('k').and_then(|d| d.parse::<usize>().ok()) {
                Some(k) if k < scope.keys => Ok(k as u8),
                _ => Err(format!(
                    "`{w}` is not a key of this model (keys are k0 … k{})",
                    scope.keys.max(1) - 1
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
        let whole_network = |a: Action| {
            if reality > 0 {
                Err(format!(
                    "`{line}`: this event happens in every reality at once; drop `in r{reality}`"
                ))
            } else {
                exact(a)
            }
        };
        match words.as_slice() {
            ["join", j, "at", p] => Ok(Pattern {
                action: Action::Join {
                    j: node(j)?,
                    at: at(p)?,
                    via: 0,
                    reality,
                },
                exact: false,
            }),
            ["join", j, "at", p, "via", m] => exact(Action::Join {
                j: node(j)?,
                at: at(p)?,
                via: node(m)?,
                reality,
            }),
            ["leave", n] => whole_network(Action::Leave(node(n)?)),
            ["fail", n] => whole_network(Action::Fail(node(n)?)),
            ["takeover", n, "of", f] => exact(Action::Takeover {
                n: node(n)?,
                of: node(f)?,
                reality,
            }),
            ["expire", n, "of", f] => exact(Action::Expire {
                n: node(n)?,
                of: node(f)?,
                reality,
            }),
            ["reassign", n] => exact(Action::Reassign {
                n: node(n)?,
                reality,
            }),
            ["search", n] => exact(Action::Search {
                n: node(n)?,
                reality,
            }),
            ["refresh", n] => exact(Action::Refresh {
                n: node(n)?,
                reality,
            }),
            ["update", n, "to", m] => exact(Action::Update {
                from: node(n)?,
                to: node(m)?,
                reality,
            }),
            ["put", k, "via", n] => whole_network(Action::Put {
                key: key(k)?,
                via: node(n)?,
            }),
            ["get", k, "via", n] => exact(Action::Get {
                key: key(k)?,
                via: node(n)?,
                reality,
            }),
            ["route", n, "to", p] => exact(Action::Route {
                from: node(n)?,
                to: at(p)?,
                reality,
            }),
            ["forward"] => exact(Action::Forward),
            _ => Err(usage()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPACE: Space = Space { dims: 2, side: 4 };

    fn scope() -> Scope {
        Scope {
            nodes: 4,
            keys: 2,
            realities: 2,
            space: SPACE,
        }
    }

    #[test]
    fn text_parses_back_to_the_same_action() {
        let p = Cell {
            p: [1, 2, 0],
            dims: 2,
        };
        let all = [
            Action::Join {
                j: 1,
                at: p,
                via: 0,
                reality: 1,
            },
            Action::Leave(2),
            Action::Fail(1),
            Action::Takeover {
                n: 0,
                of: 3,
                reality: 0,
            },
            Action::Expire {
                n: 1,
                of: 2,
                reality: 1,
            },
            Action::Reassign { n: 2, reality: 0 },
            Action::Refresh { n: 3, reality: 1 },
            Action::Search { n: 2, reality: 1 },
            Action::Update {
                from: 1,
                to: 2,
                reality: 0,
            },
            Action::Put { key: 1, via: 2 },
            Action::Get {
                key: 0,
                via: 1,
                reality: 1,
            },
            Action::Route {
                from: 0,
                to: Cell {
                    p: [3, 3, 0],
                    dims: 2,
                },
                reality: 0,
            },
            Action::Forward,
        ];
        for a in all {
            let text = a.to_string();
            assert_eq!(
                Pattern::parse(&text, &scope()).unwrap().exact(),
                Some(a),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let s = scope();
        assert!(Pattern::parse("jump n1", &s)
            .unwrap_err()
            .contains("events are"));
        assert!(Pattern::parse("join n1 at (4,0)", &s)
            .unwrap_err()
            .contains("0 … 3"));
        assert!(Pattern::parse("refresh n1 in r2", &s)
            .unwrap_err()
            .contains("r0 … r1"));
        assert!(Pattern::parse("fail n1 in r1", &s)
            .unwrap_err()
            .contains("every reality"));
        assert!(Pattern::parse("put k5 via n0", &s)
            .unwrap_err()
            .contains("k0 … k1"));
        let p = Pattern::parse("join n2 at (1,1)", &s).unwrap();
        assert!(p.matches(&Action::Join {
            j: 2,
            at: Cell {
                p: [1, 1, 0],
                dims: 2
            },
            via: 1,
            reality: 0
        }));
        assert_eq!(p.exact(), None);
    }
}
