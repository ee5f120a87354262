//! Pictures of overlay states for reviewers: each overlay draws its own
//! ([`Painter`]), everything else is shared here — the frame a painter is
//! given, the caption every picture starts with, and a small SVG writer.
//!
//! A picture shows one state of a path (a trace, or the explorer's current
//! path) together with what a reviewer needs to read it without the text
//! table next to it: the step number and its event, the properties violated
//! there — those violated *first* at this step apart — and the state
//! before the step, so that a painter can mark what the step changed.
//!
//! Pictures are plain SVG strings, deterministic byte for byte (numbers go
//! through [`num`], nothing depends on hash order or the clock) and
//! self-contained: no external fonts, stylesheets, scripts or links, and no
//! `id`s, so that many pictures can be inlined into one HTML page (an `id`
//! would clash across pictures) and any viewer shows them alike. Styles are
//! presentation attributes rather than a `<style>` element, because a
//! `<style>` inside inline SVG applies to the whole HTML page around it.

use std::fmt::{Debug, Display, Write as _};

use stateright::Path;

use crate::check::scenario::violated;
use crate::check::{params_text, OverlayModel};

/// One state to draw, and its place in the path.
///
/// Property names are the model's ([`stateright::Model::properties`]), in
/// its order.
#[derive(Debug)]
pub struct Frame<'a, S, A> {
    /// Position in the path: 0 is the initial state, k the state after the
    /// k-th event.
    pub step: usize,
    /// The state to draw.
    pub state: &'a S,
    /// The state before this step (`None` at step 0): what the step changed
    /// is what a reviewer looks for first.
    pub before: Option<&'a S>,
    /// The event that led here (`None` at step 0).
    pub action: Option<&'a A>,
    /// The properties violated in `state`.
    pub violated: &'a [String],
    /// The properties violated in `before` (empty at step 0).
    pub violated_before: &'a [String],
}

impl<S, A> Frame<'_, S, A> {
    /// Properties violated here that held before the step (at step 0:
    /// every violated one). A step with such a property is the one whose
    /// changes the picture highlights as the violating part.
    pub fn newly_violated(&self) -> Vec<&str> {
        self.violated
            .iter()
            .filter(|p| !self.violated_before.contains(p))
            .map(String::as_str)
            .collect()
    }

    /// Properties violated here that were violated before the step already.
    pub fn still_violated(&self) -> Vec<&str> {
        self.violated
            .iter()
            .filter(|p| self.violated_before.contains(p))
            .map(String::as_str)
            .collect()
    }

    /// Whether this step makes some property fail that held before it.
    pub fn violates_first(&self) -> bool {
        !self.newly_violated().is_empty()
    }
}

/// Draws the states of one overlay model.
///
/// Implemented by each overlay for its own picture: Chord draws the
/// identifier ring with successor and predecessor arrows; CAN its zones,
/// VON its Voronoi cells and areas of interest, Kademlia its bucket tables.
/// A painter should draw the state's structure, mark what the step changed
/// (`frame.before` vs `frame.state`) — in the warning colour
/// [`VIOLATION`] when [`Frame::violates_first`] — start with [`caption`],
/// and end with a legend of its symbols.
///
/// The default draws the caption and the state's `Debug` text, so that a
/// model has a (plain) picture before it has a painter of its own.
pub trait Painter: OverlayModel {
    /// The SVG picture of one frame, a complete `<svg>` document.
    fn paint(&self, frame: &Frame<'_, Self::State, Self::Action>) -> String {
        text_picture(self, frame)
    }
}

/// One picture per state of a path: `states[k]` is drawn as step k, with
/// `actions[k - 1]` as its event and `verdicts[k]` as the properties
/// violated in it (a replayed trace gives all three).
///
/// States past the end of `verdicts` are drawn with no property violated.
pub fn paint_path<M: Painter>(
    m: &M,
    states: &[M::State],
    actions: &[M::Action],
    verdicts: &[Vec<String>],
) -> Vec<String> {
    let none: &[String] = &[];
    let verdict = |k: usize| verdicts.get(k).map_or(none, Vec::as_slice);
    states
        .iter()
        .enumerate()
        .map(|(k, state)| {
            let before = k.checked_sub(1);
            m.paint(&Frame {
                step: k,
                state,
                before: before.and_then(|b| states.get(b)),
                action: before.and_then(|b| actions.get(b)),
                violated: verdict(k),
                violated_before: before.map_or(none, verdict),
            })
        })
        .collect()
}

/// The picture of the last state of a Stateright path, for
/// [`stateright::Model::as_svg`]: the explorer then shows the picture of
/// every state it visits, with the step that led there highlighted.
pub fn explorer_svg<M: Painter>(m: &M, path: Path<M::State, M::Action>) -> Option<String> {
    let steps = path.into_vec();
    let n = steps.len();
    let last = &steps.last()?.0;
    let prev = n.checked_sub(2).map(|i| &steps[i]);
    let violated_now = violated(m, last);
    let violated_before = prev.map(|(s, _)| violated(m, s)).unwrap_or_default();
    Some(m.paint(&Frame {
        step: n - 1,
        state: last,
        before: prev.map(|(s, _)| s),
        action: prev.and_then(|(_, a)| a.as_ref()),
        violated: &violated_now,
        violated_before: &violated_before,
    }))
}

// ------------------------------------------------------------- the caption

/// Width of every picture, in pixels.
pub const WIDTH: f64 = 480.0;
/// Left and right margin.
pub const MARGIN: f64 = 16.0;
/// The font of every text: generic families only, so nothing is fetched
/// and every viewer has one.
pub const FONT: &str = "Helvetica, Arial, sans-serif";
/// Text and primary strokes.
pub const INK: &str = "#222222";
/// Secondary text.
pub const MUTED: &str = "#666666";
/// What the step changed.
pub const CHANGED: &str = "#e08a00";
/// What the step changed when it makes a property fail first, and the
/// names of those properties.
pub const VIOLATION: &str = "#d62728";
/// "All properties hold".
pub const HOLDS: &str = "#2e7d32";

/// Longest caption line, in characters, before it wraps (12 px text over
/// the picture's width).
const WRAP: usize = 60;

/// Writes the caption every picture starts with and returns the y below
/// it: `step K · event`, the model and its parameters, then the
/// properties violated first at this step (in [`VIOLATION`] colour), those
/// still violated, or that all hold.
pub fn caption<M: OverlayModel>(
    svg: &mut Svg,
    m: &M,
    frame: &Frame<'_, M::State, M::Action>,
) -> f64 {
    let event = match frame.action {
        Some(a) => a.to_string(),
        None if frame.step == 0 => "initial state".to_string(),
        None => "(event unknown)".to_string(),
    };
    let mut y = 26.0;
    svg.text(
        MARGIN,
        y,
        &format!("step {} · {event}", frame.step),
        &[("font-size", "15"), ("font-weight", "bold"), ("fill", INK)],
    );
    y += 18.0;
    let mut model = format!("{} {}", m.model_name(), m.variant_name());
    let params = params_text(&m.params());
    if !params.is_empty() {
        model.push_str(&format!(" · {params}"));
    }
    svg.text(MARGIN, y, &model, &[("font-size", "11"), ("fill", MUTED)]);
    let new = frame.newly_violated();
    let old = frame.still_violated();
    let mut lines: Vec<(String, &str, bool)> = Vec::new();
    if !new.is_empty() {
        let head = if frame.step == 0 {
            "violated"
        } else {
            "violated first here"
        };
        for l in wrap(&format!("{head}: {}", new.join(", ")), WRAP) {
            lines.push((l, VIOLATION, true));
        }
    }
    if !old.is_empty() {
        for l in wrap(&format!("still violated: {}", old.join(", ")), WRAP) {
            lines.push((l, MUTED, false));
        }
    }
    if new.is_empty() && old.is_empty() {
        lines.push(("all properties hold".into(), HOLDS, false));
    }
    for (text, colour, bold) in lines {
        y += 17.0;
        let weight = if bold { "bold" } else { "normal" };
        svg.text(
            MARGIN,
            y,
            &text,
            &[
                ("font-size", "12"),
                ("font-weight", weight),
                ("fill", colour),
            ],
        );
    }
    y + 8.0
}

/// Splits `text` at blanks into lines of at most `width` characters (a
/// longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines
}

/// The default picture: the caption and the state's `Debug` text.
fn text_picture<M: OverlayModel>(m: &M, frame: &Frame<'_, M::State, M::Action>) -> String {
    let text = format!("{:?}", frame.state);
    let lines: Vec<&str> = text.lines().collect();
    let mut svg = Svg::new(WIDTH, 0.0);
    let mut y = caption(&mut svg, m, frame) + 8.0;
    for line in &lines {
        y += 15.0;
        svg.text(
            MARGIN,
            y,
            line,
            &[
                ("font-size", "12"),
                ("font-family", "monospace"),
                ("fill", INK),
            ],
        );
    }
    svg.height = y + MARGIN;
    svg.finish()
}

// ------------------------------------------------------------ SVG writing

/// A number as SVG text: at most one decimal, no `-0`, no exponent, so
/// that the same picture is the same bytes on every platform (a tenth of
/// a pixel is below what anyone sees; the last digits of `sin` are not).
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".into();
    }
    let tenths = (x * 10.0).round();
    if tenths == 0.0 {
        return "0".into();
    }
    let s = format!("{:.1}", tenths / 10.0);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Escapes text and attribute values for XML (and HTML): `&`, `<`, `>`,
/// `"` and `'`; characters XML 1.0 forbids (most control characters,
/// U+FFFE, U+FFFF) become U+FFFD, so that a document parses whatever a
/// name or path contains (event and property names come from trace files,
/// which anyone writes). The one escaper of the SVG, HTML and JUnit output.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A point in picture coordinates (y grows downwards).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pt {
    pub x: f64,
    pub y: f64,
}

impl Pt {
    pub fn new(x: f64, y: f64) -> Pt {
        Pt { x, y }
    }
    pub fn scale(self, k: f64) -> Pt {
        Pt::new(self.x * k, self.y * k)
    }
    pub fn len(self) -> f64 {
        self.x.hypot(self.y)
    }
    /// The unit vector in this direction (zero stays zero).
    pub fn unit(self) -> Pt {
        let l = self.len();
        if l == 0.0 {
            self
        } else {
            self.scale(1.0 / l)
        }
    }
    /// This vector turned a quarter to the left as seen on screen.
    pub fn left(self) -> Pt {
        Pt::new(self.y, -self.x)
    }
}

impl std::ops::Add for Pt {
    type Output = Pt;
    fn add(self, o: Pt) -> Pt {
        Pt::new(self.x + o.x, self.y + o.y)
    }
}

impl std::ops::Sub for Pt {
    type Output = Pt;
    fn sub(self, o: Pt) -> Pt {
        Pt::new(self.x - o.x, self.y - o.y)
    }
}

impl Display for Pt {
    /// `x,y` as path data wants it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{}", num(self.x), num(self.y))
    }
}

/// An SVG document being written: elements go into the body in order;
/// [`Svg::finish`] wraps them in the `<svg>` element with a white
/// background (pictures are also shown on dark pages, e.g. the explorer).
#[derive(Clone, Debug)]
pub struct Svg {
    pub width: f64,
    /// May be set after drawing, once the content's height is known.
    pub height: f64,
    title: Option<String>,
    body: String,
}

impl Svg {
    pub fn new(width: f64, height: f64) -> Svg {
        Svg {
            width,
            height,
            title: None,
            body: String::new(),
        }
    }

    /// The picture's accessible name (`<title>`, also the tooltip).
    pub fn title(&mut self, text: &str) {
        self.title = Some(text.to_string());
    }

    /// An element with attributes (values escaped here) and optional text
    /// content (escaped here); without content it is self-closing.
    pub fn elem(&mut self, name: &str, attrs: &[(&str, &str)], content: Option<&str>) {
        let _ = write!(self.body, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.body, " {k}=\"{}\"", escape(v));
        }
        match content {
            Some(text) => {
                let _ = writeln!(self.body, ">{}</{name}>", escape(text));
            }
            None => self.body.push_str("/>\n"),
        }
    }

    /// Opens a group; every [`Svg::open`] needs its [`Svg::close`].
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        let _ = write!(self.body, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.body, " {k}=\"{}\"", escape(v));
        }
        self.body.push_str(">\n");
    }

    pub fn close(&mut self, name: &str) {
        let _ = writeln!(self.body, "</{name}>");
    }

    /// A circle; `attrs` add fill, stroke, ….
    pub fn circle(&mut self, c: Pt, r: f64, attrs: &[(&str, &str)]) {
        let (cx, cy, r) = (num(c.x), num(c.y), num(r));
        let mut all = vec![("cx", cx.as_str()), ("cy", cy.as_str()), ("r", r.as_str())];
        all.extend_from_slice(attrs);
        self.elem("circle", &all, None);
    }

    /// A straight line.
    pub fn line(&mut self, a: Pt, b: Pt, attrs: &[(&str, &str)]) {
        let (x1, y1, x2, y2) = (num(a.x), num(a.y), num(b.x), num(b.y));
        let mut all = vec![
            ("x1", x1.as_str()),
            ("y1", y1.as_str()),
            ("x2", x2.as_str()),
            ("y2", y2.as_str()),
        ];
        all.extend_from_slice(attrs);
        self.elem("line", &all, None);
    }

    /// A path from path data (build it with [`Pt`]'s `Display`).
    pub fn path(&mut self, d: &str, attrs: &[(&str, &str)]) {
        let mut all = vec![("d", d)];
        all.extend_from_slice(attrs);
        self.elem("path", &all, None);
    }

    /// Text with its baseline starting at (x, y), in [`FONT`] unless
    /// `attrs` say otherwise.
    pub fn text(&mut self, x: f64, y: f64, text: &str, attrs: &[(&str, &str)]) {
        let (xs, ys) = (num(x), num(y));
        let mut all = vec![("x", xs.as_str()), ("y", ys.as_str())];
        if !attrs.iter().any(|(k, _)| *k == "font-family") {
            all.push(("font-family", FONT));
        }
        all.extend_from_slice(attrs);
        self.elem("text", &all, Some(text));
    }

    /// The whole document.
    pub fn finish(self) -> String {
        let (w, h) = (num(self.width), num(self.height));
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\">\n"
        );
        if let Some(t) = &self.title {
            let _ = writeln!(out, "<title>{}</title>", escape(t));
        }
        let _ = writeln!(
            out,
            "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>"
        );
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// A filled arrowhead with its tip at `tip`, pointing along `dir`.
///
/// Drawn as a path rather than an SVG `<marker>`: markers need `id`s,
/// which clash when many pictures share one HTML page.
pub fn arrowhead(svg: &mut Svg, tip: Pt, dir: Pt, size: f64, colour: &str) {
    let u = dir.unit();
    let back = tip - u.scale(size);
    let side = u.left().scale(size * 0.45);
    let d = format!("M{tip} L{} L{} Z", back + side, back - side);
    svg.path(&d, &[("fill", colour), ("stroke", "none")]);
}

/// The picture's title: the caption's first lines as one sentence.
pub fn title_text<S, A: Display>(frame: &Frame<'_, S, A>) -> String {
    let event = frame
        .action
        .map_or_else(|| "initial state".to_string(), |a| a.to_string());
    let verdict = if frame.violated.is_empty() {
        "all properties hold".to_string()
    } else {
        format!("violated: {}", frame.violated.join(", "))
    };
    format!("step {}: {event}; {verdict}", frame.step)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_stable() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-0.04), "0");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.345), "12.3");
        assert_eq!(num(-7.25), "-7.3");
        assert_eq!(num(1e20), "100000000000000000000");
        assert_eq!(num(f64::NAN), "0");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a & "b" 'c'>"#),
            "&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;"
        );
        assert_eq!(escape("x\u{1}y"), "x\u{FFFD}y");
        let mut svg = Svg::new(10.0, 10.0);
        svg.text(1.0, 2.0, "a<b", &[("fill", "x\"y")]);
        let out = svg.finish();
        assert!(out.contains(">a&lt;b</text>"), "{out}");
        assert!(out.contains("fill=\"x&quot;y\""), "{out}");
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), vec!["aa bb", "cc"]);
        assert_eq!(wrap("aaaaaaa b", 3), vec!["aaaaaaa", "b"]);
        assert_eq!(wrap("", 3), vec![""]);
    }
}
