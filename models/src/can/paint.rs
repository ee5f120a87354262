//! The picture of a CAN state: in every reality, the torus drawn as a
//! square of cells (for three dimensions, one square per layer of the
//! third coordinate), each zone a rectangle in its owner's colour and
//! labelled with it; a zone orphaned by a failure is grey and dashed;
//! the keys are diamonds at their cells; the probe, if any, a ring at its
//! holder's zone. Beside it, one line per node: zones, neighbours, and
//! the receivers of its update in flight. A node the step changed is
//! outlined.

use super::action::Action;
use super::grid::Zone;
use super::state::{Node, State, Status};
use super::CanModel;
use crate::chord::ring::name;
use crate::nodeset::set_text;
use crate::paint::{
    caption, num, Frame, Painter, Pt, Svg, CHANGED, INK, MARGIN, MUTED, VIOLATION, WIDTH,
};

/// Owner colours, by node index.
const PALETTE: [&str; 6] = [
    "#8fb8de", "#f3b07c", "#9fd19b", "#e6a0c4", "#c9b3e6", "#f0dc82",
];
const ORPHAN: &str = "#d0d0d0";
/// Side of the drawing of one layer, in pixels.
const SQUARE: f64 = 200.0;

impl CanModel {
    fn node_line(&self, s: &State, n: Node, r: usize) -> String {
        let sp = self.rules().space;
        let sl = s.slice(n, r);
        let zones: Vec<String> = sl.zones.iter().map(|z| sp.zone_text(z)).collect();
        let mut t = match s.node(n).status {
            Status::Live => format!(
                "{}: {}  nbrs {}",
                name(n),
                zones.join(" + "),
                set_text(sl.nbrs)
            ),
            Status::Failed if s.is_orphan(n, r) => {
                format!("{}: failed, {} orphaned", name(n), zones.join(" + "))
            }
            Status::Failed => format!("{}: failed, taken over", name(n)),
            Status::Left => format!("{}: left", name(n)),
            Status::Absent => String::new(),
        };
        if sl.keys != 0 {
            let keys: Vec<String> = (0..8)
                .filter(|k| sl.keys & (1 << k) != 0)
                .map(|k| format!("k{k}"))
                .collect();
            t.push_str(&format!("  keys {}", keys.join(",")));
        }
        if sl.pending != 0 {
            t.push_str(&format!("  → update to {}", set_text(sl.pending)));
        }
        t
    }

    /// Rectangles of a zone in a layer drawn at `origin` (y grows up).
    fn zone_rects(&self, z: &Zone, layer: u8, origin: Pt) -> Vec<(f64, f64, f64, f64)> {
        let sp = self.rules().space;
        let side = sp.side as f64;
        let cell = SQUARE / side;
        if sp.dims == 3 && (layer + sp.side - z.lo[2]) % sp.side >= z.len[2] {
            return Vec::new();
        }
        let h = if sp.dims >= 2 { z.len[1] as f64 } else { 1.0 };
        let y0 = if sp.dims >= 2 { z.lo[1] as f64 } else { 0.0 };
        let rows = if sp.dims >= 2 { side } else { 1.0 };
        vec![(
            origin.x + z.lo[0] as f64 * cell,
            origin.y + (rows - y0 - h) * cell,
            z.len[0] as f64 * cell,
            h * cell,
        )]
    }
}

impl Painter for CanModel {
    fn paint(&self, frame: &Frame<'_, State, Action>) -> String {
        let s = frame.state;
        let sp = self.rules().space;
        let accent = if frame.violates_first() {
            VIOLATION
        } else {
            CHANGED
        };
        let layers = if sp.dims == 3 { sp.side } else { 1 };
        let width = (2.0 * MARGIN + layers as f64 * (SQUARE + 16.0) + 440.0).max(WIDTH);
        let mut svg = Svg::new(width, 0.0);
        svg.title(&format!("can, step {}", frame.step));
        let mut y = caption(&mut svg, self, frame) + 12.0;
        let rows = if sp.dims >= 2 { sp.side as f64 } else { 1.0 };
        let cell = SQUARE / sp.side as f64;
        for r in 0..self.cfg.realities {
            if self.cfg.realities > 1 {
                y += 16.0;
                svg.text(
                    MARGIN,
                    y,
                    &format!("reality r{r}"),
                    &[("font-size", "12"), ("font-weight", "bold"), ("fill", INK)],
                );
            }
            let top = y + 8.0;
            for layer in 0..layers {
                let origin = Pt::new(MARGIN + layer as f64 * (SQUARE + 16.0), top);
                for n in s.ids() {
                    let orphan = s.is_orphan(n, r);
                    if !s.is_member(n, r) && !orphan {
                        continue;
                    }
                    let changed = frame
                        .before
                        .is_some_and(|b| b.slice(n, r).zones != s.slice(n, r).zones);
                    let fill = if orphan {
                        ORPHAN
                    } else {
                        PALETTE[n as usize % PALETTE.len()]
                    };
                    for z in s.slice(n, r).zones.iter() {
                        for (x, yy, w, h) in self.zone_rects(z, layer, origin) {
                            let (stroke, width) =
                                if changed { (accent, "2.5") } else { (INK, "1") };
                            let mut attrs = vec![
                                ("fill", fill),
                                ("fill-opacity", "0.75"),
                                ("stroke", stroke),
                                ("stroke-width", width),
                            ];
                            if orphan {
                                attrs.push(("stroke-dasharray", "4 3"));
                            }
                            svg.path(
                                &format!(
                                    "M{},{} h{} v{} h-{} Z",
                                    num(x),
                                    num(yy),
                                    num(w),
                                    num(h),
                                    num(w)
                                ),
                                &attrs,
                            );
                            svg.text(
                                x + w / 2.0 - 7.0,
                                yy + h / 2.0 + 4.0,
                                &name(n),
                                &[("font-size", "12"), ("font-weight", "bold"), ("fill", INK)],
                            );
                        }
                    }
                }
                for k in 0..self.cfg.keys {
                    let p = self.rules().key_point(k, r);
                    if sp.dims == 3 && p[2] != layer {
                        continue;
                    }
                    let cx = origin.x + (p[0] as f64 + 0.5) * cell;
                    let cy = origin.y
                        + (rows - (if sp.dims >= 2 { p[1] as f64 } else { 0.0 }) - 0.5) * cell;
                    let stored = s.stored & (1 << k) != 0;
                    svg.path(
                        &format!("M{},{} l6,6 l-6,6 l-6,-6 Z", num(cx), num(cy - 6.0)),
                        &[("fill", if stored { INK } else { "none" }), ("stroke", INK)],
                    );
                    svg.text(
                        cx + 7.0,
                        cy - 4.0,
                        &format!("k{k}"),
                        &[("font-size", "10"), ("fill", INK)],
                    );
                }
                if layers > 1 {
                    svg.text(
                        origin.x,
                        top + rows * cell + 14.0,
                        &format!("z = {layer}"),
                        &[("font-size", "11"), ("fill", MUTED)],
                    );
                }
            }
            let drawn = layers as f64 * (SQUARE + 16.0);
            let mut ty = top + 4.0;
            for n in s.ids() {
                let line = self.node_line(s, n, r);
                if line.is_empty() {
                    continue;
                }
                ty += 16.0;
                let changed = frame.before.is_some_and(|b| {
                    b.slice(n, r) != s.slice(n, r) || b.node(n).status != s.node(n).status
                });
                svg.text(
                    MARGIN + drawn + 8.0,
                    ty,
                    &line,
                    &[
                        ("font-size", "12"),
                        ("font-family", "monospace"),
                        (
                            "fill",
                            if changed {
                                accent
                            } else if s.is_live(n) {
                                INK
                            } else {
                                MUTED
                            },
                        ),
                    ],
                );
            }
            y = (top + rows * cell + if layers > 1 { 18.0 } else { 0.0 }).max(ty) + 10.0;
        }
        let mut lines = Vec::new();
        if let Some(rt) = &s.route {
            lines.push(format!(
                "probe from {} to {} at {} after {} hop(s){}",
                name(rt.from),
                sp.point_text(rt.point),
                name(rt.at),
                rt.hops,
                if rt.calm {
                    ""
                } else {
                    " (zones changed on its way)"
                }
            ));
        }
        if let Some(o) = &s.outcome {
            lines.push(format!("last outcome: {o:?}"));
        }
        for line in lines {
            y += 17.0;
            svg.text(MARGIN, y, &line, &[("font-size", "12"), ("fill", INK)]);
        }
        y += 20.0;
        svg.text(
            MARGIN,
            y,
            "zones in their owner's colour (y grows upwards); grey dashed: orphaned by a failure; ◆ key (filled once put)",
            &[("font-size", "11"), ("fill", MUTED)],
        );
        svg.height = y + MARGIN;
        svg.finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::can::action::{Action, Cell};
    use crate::can::overlay::build;
    use crate::paint::paint_path;
    use stateright::Model;

    #[test]
    fn pictures_are_complete_svg_and_deterministic() {
        for params in [
            vec![],
            vec![
                ("dims".to_string(), "3".to_string()),
                ("bits".to_string(), "1".to_string()),
            ],
        ] {
            let m = build("correct", &params).unwrap();
            let dims = m.cfg.dims as u8;
            let s0 = m.init_states()[0];
            let a = Action::Join {
                j: 1,
                at: Cell { p: [0, 0, 0], dims },
                via: 0,
                reality: 0,
            };
            let s1 = m.apply(&s0, a);
            let pics = paint_path(&m, &[s0, s1], &[a], &[]);
            assert_eq!(pics.len(), 2);
            for p in &pics {
                assert!(p.starts_with("<svg") && p.trim_end().ends_with("</svg>"));
            }
            assert!(pics[1].contains("→ update to {n1}"), "{}", pics[1]);
            assert_eq!(pics, paint_path(&m, &[s0, s1], &[a], &[]));
        }
    }
}
