//! The picture of a VON state: the grid with every member's true Voronoi
//! region in its colour, its AOI as a dashed circle, and each link of a
//! neighbour table as a line from the node to where it believes the other
//! is — grey when right, orange and dashed when the cell is stale, red
//! when a node the properties require is missing (drawn as a red dotted
//! line between the true cells). Beside it, one line per node (table,
//! tombstones) and the messages in flight.
//!
//! The regions are drawn by clipping the grid square with the bisector
//! half-planes (five sites at most); the checked geometry is `spade`'s.

use super::geometry::Pos;
use super::protocol::{relevance, truth};
use super::state::{State, Status};
use super::VonModel;
use crate::chord::ring::name;
use crate::nodeset::{elems, has};
use crate::paint::{caption, num, Frame, Painter, Pt, Svg, CHANGED, INK, MARGIN, MUTED, VIOLATION};

const PALETTE: [&str; 5] = ["#8fb8de", "#f3b07c", "#9fd19b", "#e6a0c4", "#c9b3e6"];
/// Side of the drawn grid, in pixels.
const SQUARE: f64 = 260.0;

/// The convex polygon of cells closer to `p` than to every other site,
/// clipped to the grid square.
fn region(p: Pos, others: &[Pos], side: u8) -> Vec<(f64, f64)> {
    let hi = side as f64 - 0.5;
    let mut poly = vec![(-0.5, -0.5), (hi, -0.5), (hi, hi), (-0.5, hi)];
    let (px, py) = (p.x as f64, p.y as f64);
    for q in others {
        let (qx, qy) = (q.x as f64, q.y as f64);
        if (qx, qy) == (px, py) {
            continue;
        }
        // Keep points with (v − m)·(q − p) ≤ 0, m the midpoint.
        let (mx, my) = ((px + qx) / 2.0, (py + qy) / 2.0);
        let f = |v: (f64, f64)| (v.0 - mx) * (qx - px) + (v.1 - my) * (qy - py);
        let mut out = Vec::new();
        for i in 0..poly.len() {
            let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
            let (fa, fb) = (f(a), f(b));
            if fa <= 0.0 {
                out.push(a);
            }
            if (fa < 0.0 && fb > 0.0) || (fa > 0.0 && fb < 0.0) {
                let t = fa / (fa - fb);
                out.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
            }
        }
        poly = out;
    }
    poly
}

impl VonModel {
    fn node_line(&self, s: &State, n: u8) -> String {
        let x = s.node(n);
        let status = match x.status {
            Status::Absent => return String::new(),
            Status::Joining => return format!("{} {}: joining", name(n), x.pos),
            Status::Failed => return format!("{}: failed", name(n)),
            Status::Left => return format!("{}: left", name(n)),
            Status::In => "",
        };
        let table: Vec<String> = elems(x.known)
            .map(|z| format!("{}@{}", name(z), x.view[z as usize]))
            .collect();
        let mut t = format!("{} {}{status}: {}", name(n), x.pos, table.join(" "));
        if x.gone != 0 {
            let g: Vec<String> = elems(x.gone).map(name).collect();
            t.push_str(&format!("  gone {}", g.join(",")));
        }
        t
    }
}

impl Painter for VonModel {
    fn paint(&self, frame: &Frame<'_, State, super::Action>) -> String {
        let s = frame.state;
        let r = self.rules();
        let accent = if frame.violates_first() {
            VIOLATION
        } else {
            CHANGED
        };
        let mut svg = Svg::new(2.0 * MARGIN + SQUARE + 480.0, 0.0);
        svg.title(&format!("von, step {}", frame.step));
        let top = caption(&mut svg, self, frame) + 12.0;
        let cell = SQUARE / r.side as f64;
        // Grid coordinates to pixels (y grows upwards).
        let at = |x: f64, y: f64| {
            Pt::new(
                MARGIN + (x + 0.5) * cell,
                top + (r.side as f64 - 0.5 - y) * cell,
            )
        };
        let pt = |p: Pos| at(p.x as f64, p.y as f64);
        let sites = truth(s);
        let cells: Vec<Pos> = sites.iter().map(|&(_, p)| p).collect();
        for &(n, p) in sites.iter() {
            let poly = region(p, &cells, r.side);
            let d: Vec<String> = poly
                .iter()
                .map(|&(x, y)| {
                    let q = at(x, y);
                    format!("{},{}", num(q.x), num(q.y))
                })
                .collect();
            svg.path(
                &format!("M{} Z", d.join(" L")),
                &[
                    ("fill", PALETTE[n as usize % PALETTE.len()]),
                    ("fill-opacity", "0.45"),
                    ("stroke", MUTED),
                    ("stroke-width", "1"),
                ],
            );
        }
        for i in 0..=r.side {
            let v = i as f64 - 0.5;
            let lo = -0.5;
            let hi = r.side as f64 - 0.5;
            for (a, b) in [(at(v, lo), at(v, hi)), (at(lo, v), at(hi, v))] {
                svg.line(a, b, &[("stroke", "#dddddd"), ("stroke-width", "0.5")]);
            }
        }
        // What the properties require each member to list.
        let required = relevance(&sites, r.aoi2());
        for &(n, p) in sites.iter() {
            let x = s.node(n);
            for z in elems(x.known) {
                let believed = x.view[z as usize];
                let right = s.node(z).status == Status::In && s.node(z).pos == believed;
                let (colour, dash) = if right {
                    ("#999999", "none")
                } else {
                    (CHANGED, "4 3")
                };
                svg.line(
                    pt(p),
                    pt(believed),
                    &[
                        ("stroke", colour),
                        ("stroke-width", "1.5"),
                        ("stroke-dasharray", dash),
                    ],
                );
                if !right {
                    svg.circle(pt(believed), 3.0, &[("fill", CHANGED)]);
                }
            }
            for z in elems(required[n as usize]) {
                if !x.knows(z) {
                    svg.line(
                        pt(p),
                        pt(s.node(z).pos),
                        &[
                            ("stroke", VIOLATION),
                            ("stroke-width", "2"),
                            ("stroke-dasharray", "2 3"),
                        ],
                    );
                }
            }
        }
        for &(n, p) in sites.iter() {
            let moved = frame.before.is_some_and(|b| b.node(n).pos != p);
            svg.circle(
                pt(p),
                r.aoi as f64 * cell,
                &[
                    ("fill", "none"),
                    ("stroke", PALETTE[n as usize % PALETTE.len()]),
                    ("stroke-width", "1.5"),
                    ("stroke-dasharray", "6 4"),
                ],
            );
            let (stroke, width) = if moved { (accent, "3") } else { (INK, "1") };
            svg.circle(
                pt(p),
                6.0,
                &[
                    ("fill", "#ffffff"),
                    ("stroke", stroke),
                    ("stroke-width", width),
                ],
            );
            svg.text(
                pt(p).x + 8.0,
                pt(p).y - 6.0,
                &name(n),
                &[("font-size", "12"), ("font-weight", "bold"), ("fill", INK)],
            );
        }
        for n in s.ids() {
            if s.node(n).status == Status::Joining {
                let p = s.node(n).pos;
                svg.circle(
                    pt(p),
                    6.0,
                    &[
                        ("fill", "none"),
                        ("stroke", MUTED),
                        ("stroke-dasharray", "2 2"),
                    ],
                );
                svg.text(
                    pt(p).x + 8.0,
                    pt(p).y - 6.0,
                    &name(n),
                    &[("font-size", "12"), ("fill", MUTED)],
                );
            }
        }
        let left = MARGIN + SQUARE + 16.0;
        let mut ty = top + 4.0;
        for n in s.ids() {
            let line = self.node_line(s, n);
            if line.is_empty() {
                continue;
            }
            ty += 16.0;
            let changed = frame.before.is_some_and(|b| b.node(n) != s.node(n));
            let colour = if changed {
                accent
            } else if s.is_in(n) {
                INK
            } else {
                MUTED
            };
            svg.text(
                left,
                ty,
                &line,
                &[
                    ("font-size", "12"),
                    ("font-family", "monospace"),
                    ("fill", colour),
                ],
            );
        }
        ty += 10.0;
        for m in s.msgs.iter() {
            ty += 15.0;
            let mut t = format!("{} → {}: {}", name(m.src), name(m.dst), m.kind.name());
            match m.kind {
                super::state::Kind::Join => {
                    t.push_str(&format!(" {} at {}", name(m.joiner), m.pos))
                }
                super::state::Kind::Hello | super::state::Kind::Move => {
                    t.push_str(&format!(" at {}", m.pos))
                }
                _ => {}
            }
            let listed: Vec<String> = m
                .listed()
                .map(|(z, p)| format!("{}@{p}", name(z)))
                .collect();
            if !listed.is_empty() {
                t.push_str(&format!(" [{}]", listed.join(" ")));
            }
            if let Some(g) = m.gone {
                t.push_str(&format!(" gone {}", name(g)));
            }
            svg.text(
                left,
                ty,
                &t,
                &[
                    ("font-size", "11"),
                    ("font-family", "monospace"),
                    ("fill", MUTED),
                ],
            );
        }
        let mut y = (top + SQUARE).max(ty) + 22.0;
        for legend in [
            "regions: true Voronoi cells of the members; dashed circles: AOIs",
            "grey: a listed neighbour at its true cell; orange dashed: at a stale cell",
            "red dotted: a neighbour the properties require that is not listed",
        ] {
            svg.text(MARGIN, y, legend, &[("font-size", "11"), ("fill", MUTED)]);
            y += 15.0;
        }
        let _ = has;
        svg.height = y + MARGIN;
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paint::paint_path;
    use crate::von::overlay::build;
    use crate::von::Action;
    use stateright::Model;

    #[test]
    fn regions_split_the_square() {
        let a = region(Pos::new(0, 0), &[Pos::new(0, 0), Pos::new(2, 0)], 3);
        assert!(a.iter().all(|&(x, _)| x <= 1.0 + 1e-9), "{a:?}");
        assert_eq!(a.len(), 4);
    }

    #[test]
    fn pictures_are_complete_svg_and_deterministic() {
        let m = build("correct", &vec![]).unwrap();
        let s0 = m.init_states()[0];
        let a = Action::Move {
            n: 0,
            to: Pos::new(1, 2),
        };
        let s1 = m.apply(&s0, a);
        let pics = paint_path(&m, &[s0, s1], &[a], &[]);
        assert_eq!(pics.len(), 2);
        for p in &pics {
            assert!(p.starts_with("<svg") && p.trim_end().ends_with("</svg>"));
        }
        assert!(pics[1].contains("n0 → n1: move at (1,2)"), "{}", pics[1]);
        assert_eq!(pics, paint_path(&m, &[s0, s1], &[a], &[]));
    }
}
