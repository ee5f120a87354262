//! Chord's picture: the identifier ring with every identity at its place
//! (n0 at the top, clockwise in identifier order), members as filled dots,
//! non-members (never joined, or failed) greyed, and the pointers of ring
//! maintenance as arrows — first successor solid, further successor-list
//! entries (`succ2`) thin, predecessor dashed, notifications in flight
//! dotted — plus each `correct` node's operation in progress with its
//! saved node.
//!
//! Zave's counterexamples are about pointers to the wrong node (a dead
//! one, one that skips a member, a ring that splits), so the picture puts
//! every pointer on the ring itself: an arrow bends towards the stretch of
//! ring it skips, which makes an unordered pointer cross the others and a
//! pointer to a dead node end on a grey dot. What the step changed is drawn
//! in orange, or in red in the step where a property is first violated.

use super::ring::{name, Node};
use super::state::{State, Status};
use super::{Action, ChordModel, Variant};
use crate::paint::{
    arrowhead, caption, num, title_text, Frame, Painter, Pt, Svg, CHANGED, INK, MARGIN, VIOLATION,
    WIDTH,
};

/// Radius of the identifier ring.
const RING: f64 = 130.0;
/// Space between the caption and the ring, and between the ring and the
/// legend: room for self-loops and status labels outside the ring.
const GAP: f64 = 56.0;
/// Fill of a member's dot.
const MEMBER: &str = "#2b5d8a";
/// A non-member's dot, outline and label.
const GONE_FILL: &str = "#eeeeee";
const GONE_LINE: &str = "#bbbbbb";
const GONE_TEXT: &str = "#999999";
/// The identifier ring itself.
const RING_LINE: &str = "#d9d9d9";
/// Predecessor arrows.
const PRDC: &str = "#1b9e77";
/// Notifications in flight (original) and statuses (correct).
const PENDING: &str = "#7b3294";
/// Further successor-list entries are drawn this opaque.
const FURTHER_OPACITY: &str = "0.45";

/// Which pointer an arrow draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Entry `i` of the successor list (0 = first successor).
    Succ(usize),
    Prdc,
    /// A notification in flight (original).
    Pending,
}

impl Kind {
    /// How far the arrow bends, as a fraction of its length: distinct per
    /// kind so that pointers between the same two nodes do not overlap.
    /// Arrows bend to their left, so A→B and B→A lie on opposite sides.
    fn bend(self) -> f64 {
        match self {
            Kind::Succ(i) => 0.2 + 0.14 * i as f64,
            Kind::Prdc => 0.1,
            Kind::Pending => 0.0,
        }
    }

    /// Size of a self-loop (a node pointing to itself).
    fn loop_size(self) -> f64 {
        match self {
            Kind::Succ(i) => 1.0 + 0.3 * i as f64,
            Kind::Prdc => 0.7,
            Kind::Pending => 1.6,
        }
    }
}

/// One arrow to draw.
struct Arrow {
    from: Node,
    to: Node,
    kind: Kind,
    /// Changed by the step.
    changed: bool,
}

/// Stroke attributes of an arrow kind, in `colour`.
fn stroke(kind: Kind, colour: &str, changed: bool) -> Vec<(&'static str, String)> {
    let extra = if changed { 0.8 } else { 0.0 };
    let mut a: Vec<(&'static str, String)> = vec![("fill", "none".into())];
    a.push(("stroke", colour.to_string()));
    match kind {
        Kind::Succ(0) => a.push(("stroke-width", num(2.0 + extra))),
        Kind::Succ(_) => {
            a.push(("stroke-width", num(1.2 + extra)));
            if !changed {
                a.push(("stroke-opacity", FURTHER_OPACITY.into()));
            }
        }
        Kind::Prdc => {
            a.push(("stroke-width", num(1.5 + extra)));
            a.push(("stroke-dasharray", "6 4".into()));
        }
        Kind::Pending => {
            a.push(("stroke-width", num(1.8 + extra)));
            a.push(("stroke-dasharray", "1 4".into()));
            a.push(("stroke-linecap", "round".into()));
        }
    }
    a
}

fn colour_of(kind: Kind) -> &'static str {
    match kind {
        Kind::Succ(_) => INK,
        Kind::Prdc => PRDC,
        Kind::Pending => PENDING,
    }
}

/// Geometry of one picture: where the ring is and how big the dots are.
struct Ring {
    centre: Pt,
    /// Number of identities.
    n: usize,
    /// Radius of a node's dot.
    dot: f64,
}

impl Ring {
    /// Node `i` on the ring: n0 at the top, clockwise.
    fn at(&self, i: Node) -> Pt {
        let a = std::f64::consts::TAU * f64::from(i) / self.n as f64 - std::f64::consts::FRAC_PI_2;
        self.centre + Pt::new(a.cos(), a.sin()).scale(RING)
    }

    /// The unit vector from the centre out through node `i`.
    fn out(&self, i: Node) -> Pt {
        (self.at(i) - self.centre).unit()
    }

    fn arrow(&self, svg: &mut Svg, a: &Arrow, accent: &str) {
        let colour = if a.changed { accent } else { colour_of(a.kind) };
        let attrs = stroke(a.kind, colour, a.changed);
        let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let head = if a.kind == Kind::Succ(0) { 9.0 } else { 7.5 };
        let (d, tip, dir) = if a.from == a.to {
            self.self_loop(a.from, a.kind.loop_size())
        } else {
            self.chord(a.from, a.to, a.kind.bend())
        };
        svg.path(&d, &attrs);
        // The opacity of a faint line applies to its head too.
        if matches!(a.kind, Kind::Succ(i) if i > 0) && !a.changed {
            svg.open("g", &[("opacity", FURTHER_OPACITY)]);
            arrowhead(svg, tip, dir, head, colour);
            svg.close("g");
        } else {
            arrowhead(svg, tip, dir, head, colour);
        }
    }

    /// A curve from node `a` to node `b`, bent to its left by `bend` times
    /// its length, trimmed to the dots' edges: path data, tip, direction.
    fn chord(&self, a: Node, b: Node, bend: f64) -> (String, Pt, Pt) {
        let (p, q) = (self.at(a), self.at(b));
        let d = q - p;
        let ctrl = (p + q).scale(0.5) + d.left().scale(bend);
        let gap = self.dot + 2.0;
        let start = p + (ctrl - p).unit().scale(gap);
        let tip = q + (ctrl - q).unit().scale(gap);
        let dir = tip - ctrl;
        let path = if bend == 0.0 {
            format!("M{start} L{tip}")
        } else {
            format!("M{start} Q{ctrl} {tip}")
        };
        (path, tip, dir)
    }

    /// A loop out of node `a` and back into it, outside the ring.
    fn self_loop(&self, a: Node, size: f64) -> (String, Pt, Pt) {
        let p = self.at(a);
        let out = self.out(a);
        let turn = |v: Pt, deg: f64| {
            let (s, c) = deg.to_radians().sin_cos();
            Pt::new(v.x * c - v.y * s, v.x * s + v.y * c)
        };
        let (d1, d2) = (turn(out, -35.0), turn(out, 35.0));
        let start = p + d1.scale(self.dot + 1.0);
        let tip = p + d2.scale(self.dot + 2.0);
        let reach = self.dot + 26.0 * size;
        let (c1, c2) = (p + d1.scale(reach), p + d2.scale(reach));
        let path = format!("M{start} C{c1} {c2} {tip}");
        (path, tip, tip - c2)
    }
}

/// Every arrow of state `s`, marking those `before` did not have.
fn arrows(s: &State, before: Option<&State>) -> Vec<Arrow> {
    let mut out = Vec::new();
    for a in s.members() {
        let ns = s.node(a);
        let old = before.and_then(|b| b.nodes.get(a as usize));
        let was_member = old.is_some_and(|o| o.is_member());
        let changed = |same: bool| before.is_some() && !(was_member && same);
        if let Some(to) = s.notify.get(a as usize).copied().flatten() {
            let same = before.is_some_and(|b| b.notify.get(a as usize) == Some(&Some(to)));
            out.push(Arrow {
                from: a,
                to,
                kind: Kind::Pending,
                changed: before.is_some() && !same,
            });
        }
        if let Some(p) = ns.prdc {
            out.push(Arrow {
                from: a,
                to: p,
                kind: Kind::Prdc,
                changed: changed(old.is_some_and(|o| o.prdc == Some(p))),
            });
        }
        for (i, &to) in ns.succ.iter().enumerate().rev() {
            out.push(Arrow {
                from: a,
                to,
                kind: Kind::Succ(i),
                changed: changed(old.is_some_and(|o| o.succ.get(i) == Some(&to))),
            });
        }
    }
    // Changed arrows on top, where the eye finds them.
    out.sort_by_key(|a| a.changed);
    out
}

/// Whether the step changed node `i` (its pointers, status, membership or
/// the notification it sent).
fn node_changed(s: &State, before: Option<&State>, i: usize) -> bool {
    before.is_some_and(|b| b.nodes.get(i) != s.nodes.get(i) || b.notify.get(i) != s.notify.get(i))
}

fn status_text(st: Status) -> String {
    match st {
        Status::Stabilizing(p) => format!("stabilizing({})", name(p)),
        Status::Rectifying(q) => format!("rectifying({})", name(q)),
    }
}

impl Painter for ChordModel {
    fn paint(&self, frame: &Frame<'_, State, Action>) -> String {
        let s = frame.state;
        let before = frame.before;
        let accent = if frame.violates_first() {
            VIOLATION
        } else {
            CHANGED
        };
        let mut svg = Svg::new(WIDTH, 0.0);
        svg.title(&title_text(frame));
        let top = caption(&mut svg, self, frame);
        let n = s.nodes.len();
        let ring = Ring {
            centre: Pt::new(WIDTH / 2.0, top + GAP + RING),
            n: n.max(1),
            dot: if n <= 12 { 15.0 } else { 13.0 },
        };
        svg.circle(
            ring.centre,
            RING,
            &[
                ("fill", "none"),
                ("stroke", RING_LINE),
                ("stroke-width", "1.5"),
            ],
        );

        for a in arrows(s, before) {
            ring.arrow(&mut svg, &a, accent);
        }

        for i in s.ids() {
            let ns = s.node(i);
            let p = ring.at(i);
            let changed = node_changed(s, before, i as usize);
            let (fill, line, text) = if ns.is_member() {
                (MEMBER, MEMBER, "#ffffff")
            } else {
                (GONE_FILL, GONE_LINE, GONE_TEXT)
            };
            let (line, width) = if changed {
                (accent, "3")
            } else {
                (line, "1.5")
            };
            svg.circle(
                p,
                ring.dot,
                &[("fill", fill), ("stroke", line), ("stroke-width", width)],
            );
            svg.text(
                p.x,
                p.y + 4.0,
                &name(i),
                &[
                    ("font-size", "11"),
                    ("font-weight", "bold"),
                    ("fill", text),
                    ("text-anchor", "middle"),
                ],
            );
            if let Some(st) = ns.status {
                let old = before.and_then(|b| b.nodes.get(i as usize));
                let status_changed = !matches!(old, Some(o) if o.status == Some(st));
                let colour = if before.is_some() && status_changed {
                    accent
                } else {
                    PENDING
                };
                label_outside(&mut svg, &ring, i, &status_text(st), colour);
            }
        }

        let y = ring.centre.y + RING + GAP;
        let height = legend(&mut svg, self.cfg.variant, y);
        svg.height = height;
        svg.finish()
    }
}

/// Text beside node `i`, outside the ring.
fn label_outside(svg: &mut Svg, ring: &Ring, i: Node, text: &str, colour: &str) {
    let out = ring.out(i);
    let at = ring.at(i) + out.scale(ring.dot + 8.0);
    let anchor = if out.x > 0.3 {
        "start"
    } else if out.x < -0.3 {
        "end"
    } else {
        "middle"
    };
    // Baseline: above a node at the top, below one at the bottom.
    let y = at.y + 4.0 + out.y * 8.0;
    svg.text(
        at.x,
        y,
        text,
        &[
            ("font-size", "11"),
            ("fill", colour),
            ("text-anchor", anchor),
        ],
    );
}

/// The legend, two columns from `top`; returns the picture's height.
fn legend(svg: &mut Svg, variant: Variant, top: f64) -> f64 {
    const ROW: f64 = 18.0;
    let correct = variant == Variant::Correct;
    let further = if correct {
        "further successor-list entries"
    } else {
        "second successor (succ2)"
    };
    let left = MARGIN;
    let right = WIDTH / 2.0 + 4.0;
    let label = |svg: &mut Svg, x: f64, y: f64, text: &str| {
        svg.text(
            x + 34.0,
            y + 4.0,
            text,
            &[("font-size", "11"), ("fill", INK)],
        );
    };
    let line = |svg: &mut Svg, x: f64, y: f64, kind: Kind, colour: &str, changed: bool| {
        let attrs = stroke(kind, colour, changed);
        let attrs: Vec<(&str, &str)> = attrs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (a, b) = (Pt::new(x + 2.0, y), Pt::new(x + 26.0, y));
        svg.path(&format!("M{a} L{b}"), &attrs);
        let faint = matches!(kind, Kind::Succ(i) if i > 0) && !changed;
        if faint {
            svg.open("g", &[("opacity", FURTHER_OPACITY)]);
        }
        arrowhead(svg, b, b - a, 7.0, colour);
        if faint {
            svg.close("g");
        }
    };
    let dot = |svg: &mut Svg, x: f64, y: f64, fill: &str, stroke: &str, width: &str| {
        svg.circle(
            Pt::new(x + 14.0, y),
            6.0,
            &[("fill", fill), ("stroke", stroke), ("stroke-width", width)],
        );
    };

    let mut y = top;
    dot(svg, left, y, MEMBER, MEMBER, "1.5");
    label(svg, left, y, "member");
    line(svg, right, y, Kind::Succ(0), INK, false);
    label(svg, right, y, "successor (succ)");
    y += ROW;
    dot(svg, left, y, GONE_FILL, GONE_LINE, "1.5");
    label(svg, left, y, "not a member (absent or failed)");
    line(svg, right, y, Kind::Succ(1), INK, false);
    label(svg, right, y, further);
    y += ROW;
    line(svg, left, y, Kind::Succ(0), CHANGED, true);
    label(svg, left, y, "changed by this step");
    line(svg, right, y, Kind::Prdc, PRDC, false);
    label(svg, right, y, "predecessor (prdc)");
    y += ROW;
    line(svg, left, y, Kind::Succ(0), VIOLATION, true);
    label(svg, left, y, "changed, and a property fails");
    if correct {
        svg.text(
            right + 2.0,
            y + 4.0,
            "status(n)",
            &[("font-size", "11"), ("fill", PENDING)],
        );
        svg.text(
            right + 58.0,
            y + 4.0,
            "operation in progress",
            &[("font-size", "11"), ("fill", INK)],
        );
    } else {
        line(svg, right, y, Kind::Pending, PENDING, false);
        label(svg, right, y, "notification in flight");
    }
    y + ROW
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chord::Config;
    use crate::paint::paint_path;

    fn model(v: Variant) -> ChordModel {
        ChordModel::new(Config::new(v)).expect("default config")
    }

    #[test]
    fn every_identity_is_drawn_and_members_are_filled() {
        let m = model(Variant::Original);
        let s = stateright::Model::init_states(&m).remove(0);
        let svg = paint_path(&m, std::slice::from_ref(&s), &[], &[]).remove(0);
        for i in 0..3 {
            assert!(svg.contains(&format!(">n{i}</text>")), "{svg}");
        }
        assert_eq!(
            svg.matches(&format!("fill=\"{MEMBER}\"")).count(),
            2,
            "n0 + legend"
        );
        assert!(svg.contains("all properties hold"));
    }

    #[test]
    fn the_same_frame_gives_the_same_bytes() {
        let m = model(Variant::Correct);
        let s = stateright::Model::init_states(&m).remove(0);
        let once = paint_path(&m, std::slice::from_ref(&s), &[], &[]);
        let twice = paint_path(&m, std::slice::from_ref(&s), &[], &[]);
        assert_eq!(once, twice);
    }
}
