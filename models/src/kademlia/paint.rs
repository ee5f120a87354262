//! The picture of a Kademlia state: one row per node that has joined, in
//! id order (the id in binary beside it), with its buckets from the far
//! half of the space (b0) to its sibling, each bucket's entries oldest
//! first, its replacement cache after a bar and a pending ping marked
//! `?`; then the lookup in progress (target, shortlist, who answered) or
//! the one that just ended. A row the step changed is outlined.

use super::action::Action;
use super::id::{elems, name, set_text};
use super::lookup::shortlist;
use super::state::{State, Status};
use super::KademliaModel;
use crate::paint::{
    caption, num, Frame, Painter, Pt, Svg, CHANGED, INK, MARGIN, MUTED, VIOLATION, WIDTH,
};

const ROW: f64 = 26.0;
const LIVE: &str = "#1f5f99";
const FAILED: &str = "#b0b0b0";

fn bucket_text(s: &State, n: u8, i: usize) -> String {
    let b = &s.node(n).buckets[i];
    let mut t: Vec<String> = b
        .entries
        .iter()
        .map(|&x| {
            if b.ping == Some(x) {
                format!("{}?", name(x))
            } else {
                name(x)
            }
        })
        .collect();
    if !b.cache.is_empty() {
        t.push("|".into());
        t.extend(b.cache.iter().map(|&x| name(x)));
    }
    format!("b{i}[{}]", t.join(" "))
}

impl Painter for KademliaModel {
    fn paint(&self, frame: &Frame<'_, State, Action>) -> String {
        let s = frame.state;
        let accent = if frame.violates_first() {
            VIOLATION
        } else {
            CHANGED
        };
        let mut svg = Svg::new(WIDTH, 0.0);
        svg.title(&format!("kademlia, step {}", frame.step));
        let mut y = caption(&mut svg, self, frame) + 8.0;
        let bits = self.cfg.bits;
        for n in s.ids() {
            let ns = s.node(n);
            if ns.status == Status::Absent {
                continue;
            }
            y += ROW;
            let changed = frame.before.is_some_and(|b| b.node(n) != ns);
            if changed {
                svg.path(
                    &format!(
                        "M{},{} h{} v{} h-{} Z",
                        num(MARGIN - 4.0),
                        num(y - 18.0),
                        num(WIDTH - 2.0 * MARGIN + 8.0),
                        num(ROW - 2.0),
                        num(WIDTH - 2.0 * MARGIN + 8.0)
                    ),
                    &[("fill", "none"), ("stroke", accent), ("stroke-width", "2")],
                );
            }
            let live = ns.status == Status::Live;
            svg.circle(
                Pt::new(MARGIN + 10.0, y - 5.0),
                9.0,
                &[("fill", if live { LIVE } else { FAILED })],
            );
            let label = format!("{} {:0w$b}", name(n), n, w = bits);
            svg.text(
                MARGIN + 24.0,
                y,
                &label,
                &[("font-size", "12"), ("font-weight", "bold"), ("fill", INK)],
            );
            let mut text = if live {
                (0..bits)
                    .map(|i| bucket_text(s, n, i))
                    .collect::<Vec<_>>()
                    .join("  ")
            } else {
                "failed".to_string()
            };
            if ns.value {
                text.push_str("  ● value");
            }
            svg.text(
                MARGIN + 90.0,
                y,
                &text,
                &[
                    ("font-size", "12"),
                    ("font-family", "monospace"),
                    ("fill", if live { INK } else { MUTED }),
                ],
            );
        }
        let mut lines = Vec::new();
        if let Some(l) = &s.lookup {
            lines.push(format!(
                "lookup by {} for {} ({:?}, {:?} round {})",
                name(l.origin),
                l.target,
                l.purpose,
                l.phase,
                l.rounds
            ));
            lines.push(format!(
                "shortlist {}  answered {}  in flight {}  timed out {}",
                set_text(shortlist(l, self.cfg.k)),
                set_text(l.answered),
                set_text(l.in_flight()),
                set_text(l.timed_out)
            ));
        }
        if let Some(o) = &s.outcome {
            lines.push(format!(
                "{:?} by {} for {} ended: {}{}",
                o.purpose,
                name(o.origin),
                o.target,
                set_text(o.result),
                match (o.purpose, o.found) {
                    (super::state::Purpose::Get, true) => " (found)",
                    (super::state::Purpose::Get, false) => " (not found)",
                    _ => "",
                }
            ));
        }
        if let Some(k) = s.key {
            let holders: Vec<String> = elems(s.stored_at).map(name).collect();
            lines.push(format!("key {k}, stored at {{{}}}", holders.join(", ")));
        }
        y += 10.0;
        for line in lines {
            y += 17.0;
            svg.text(MARGIN, y, &line, &[("font-size", "12"), ("fill", INK)]);
        }
        y += 22.0;
        svg.text(
            MARGIN,
            y,
            "bi[…]: bucket of prefix length i, oldest first; | replacement cache; ? pinged",
            &[("font-size", "11"), ("fill", MUTED)],
        );
        svg.height = y + MARGIN;
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::kademlia::overlay::build;
    use crate::paint::paint_path;
    use stateright::Model;

    #[test]
    fn pictures_are_complete_svg_and_deterministic() {
        let m = build("correct", &vec![]).unwrap();
        let s0 = m.init_states()[0];
        let a = crate::kademlia::Action::Join { j: 1, via: 0 };
        let s1 = m.apply(&s0, a);
        let pics = paint_path(&m, &[s0, s1], &[a], &[]);
        assert_eq!(pics.len(), 2);
        for p in &pics {
            assert!(p.starts_with("<svg") && p.trim_end().ends_with("</svg>"));
        }
        assert!(pics[1].contains("lookup by n1 for 1"));
        assert_eq!(pics, paint_path(&m, &[s0, s1], &[a], &[]));
    }
}
