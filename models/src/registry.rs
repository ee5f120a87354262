//! The models the command line knows, with their variants, parameters and
//! properties.

use crate::can;
use crate::check::{Params, PropertyInfo, Runner};
use crate::chord;
use crate::kademlia;
use crate::von;

/// A variant of a model.
pub struct VariantInfo {
    pub name: &'static str,
    pub about: &'static str,
}

/// Builds a model of a variant from `-p` pairs.
pub type Build = fn(&str, &Params) -> Result<Box<dyn Runner>, String>;

/// A model the command line can check.
pub struct ModelEntry {
    pub name: &'static str,
    pub about: &'static str,
    pub variants: Vec<VariantInfo>,
    /// Parameters: name and meaning (with defaults).
    pub params: &'static [(&'static str, &'static str)],
    /// Builds a model of a variant from `-p` pairs.
    pub build: Build,
    /// The scopes the project itself checks in CI (`overlay check --all`).
    pub ci: &'static [Profile],
    /// The fixed scopes `overlay bench` measures (those marked `large`
    /// only with `--large`).
    pub bench: &'static [BenchScope],
}

/// One scope the project checks in CI: `overlay check --all` runs every
/// model's profiles, and on the committed code each must exit 0.
///
/// Profiles are data, not code in the command line, so that a new model
/// joins CI by listing its own scopes next to its entry.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    pub variant: &'static str,
    /// `-p` pairs; every other parameter keeps the model's default.
    pub params: &'static [(&'static str, &'static str)],
    /// Explore no deeper than this many events (`--max-depth`). As with
    /// `check`, a space deeper than the bound leaves verdicts unknown
    /// (exit code 3), so bound only spaces whose verdicts are all known
    /// within it.
    pub max_depth: Option<usize>,
    /// Properties the variant claims that this scope must violate: a
    /// negative control, which shows that the checker does see the bug the
    /// claim rules out. The others keep the variant's expectation.
    pub expect_violated: &'static [&'static str],
    /// Why this scope is checked, in one line (shown in reports).
    pub about: &'static str,
}

/// One scope `overlay bench` checks with every strategy: fixed, so that
/// runs on different days and machines compare. Like CI profiles, data next
/// to the model's entry.
#[derive(Clone, Copy, Debug)]
pub struct BenchScope {
    pub variant: &'static str,
    /// `-p` pairs; every other parameter keeps the model's default.
    pub params: &'static [(&'static str, &'static str)],
    /// A depth bound (`--max-depth`), for spaces too big to finish.
    pub max_depth: Option<usize>,
    /// Also measure the strategies that support it with `--symmetry`.
    pub symmetry: bool,
    /// Only with `overlay bench --large`.
    pub large: bool,
}

impl ModelEntry {
    /// The properties of a variant (on default parameters).
    pub fn properties(&self, variant: &str) -> Vec<PropertyInfo> {
        (self.build)(variant, &Vec::new())
            .map(|r| r.properties())
            .unwrap_or_default()
    }
}

/// Every model, in a fixed order.
pub fn models() -> Vec<ModelEntry> {
    vec![
        ModelEntry {
            name: "chord",
            about: "Chord ring maintenance (Stoica et al. 2001; Zave 2012, 2017)",
            variants: chord::Variant::ALL
                .iter()
                .map(|v| VariantInfo {
                    name: v.name(),
                    about: v.about(),
                })
                .collect(),
            params: chord::overlay::PARAMS,
            build: |v, p| chord::overlay::build(v, p).map(|m| Box::new(m) as Box<dyn Runner>),
            ci: CHORD_CI,
            bench: CHORD_BENCH,
        },
        ModelEntry {
            name: "kademlia",
            about: "Kademlia routing tables and lookups (Maymounkov & Mazières 2002; BEP 5)",
            variants: kademlia::Variant::ALL
                .iter()
                .map(|v| VariantInfo {
                    name: v.name(),
                    about: v.about(),
                })
                .collect(),
            params: kademlia::overlay::PARAMS,
            build: |v, p| kademlia::overlay::build(v, p).map(|m| Box::new(m) as Box<dyn Runner>),
            ci: KADEMLIA_CI,
            bench: KADEMLIA_BENCH,
        },
        ModelEntry {
            name: "can",
            about:
                "CAN zones, neighbour sets and greedy routing under churn (Ratnasamy et al. 2001)",
            variants: can::Variant::ALL
                .iter()
                .map(|v| VariantInfo {
                    name: v.name(),
                    about: v.about(),
                })
                .collect(),
            params: can::overlay::PARAMS,
            build: |v, p| can::overlay::build(v, p).map(|m| Box::new(m) as Box<dyn Runner>),
            ci: CAN_CI,
            bench: CAN_BENCH,
        },
        ModelEntry {
            name: "von",
            about: "VON neighbour lists under movement and churn (Hu & Liao 2004; Hu et al. 2006)",
            variants: von::Variant::ALL
                .iter()
                .map(|v| VariantInfo {
                    name: v.name(),
                    about: v.about(),
                })
                .collect(),
            params: von::overlay::PARAMS,
            build: |v, p| von::overlay::build(v, p).map(|m| Box::new(m) as Box<dyn Runner>),
            ci: VON_CI,
            bench: VON_BENCH,
        },
    ]
}

/// VON in CI: every variant at its default scope (`overlay check von`,
/// about 2 s), then the conditions under which VON breaks, each with the
/// properties it must violate: a move longer than the AOI radius (paper),
/// simultaneous moves and a join during a move (even `correct`), the
/// failure of the only node linking two others, and a failure after a
/// move (`correct`).
const VON_CI: &[Profile] = &[
    Profile {
        variant: "correct",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "hardened VON, moves of two cells, a join and a leave, one event at a time: all hold",
    },
    Profile {
        variant: "paper",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "published VON: a one-cell move makes two nodes enclose each other unawares",
    },
    Profile {
        variant: "no-repair-notify",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "without the repair notification a failure leaves a hole nobody closes",
    },
    Profile {
        variant: "paper",
        params: &[
            ("nodes", "3"),
            ("initial", "3"),
            ("aoi", "1"),
            ("step", "2"),
            ("moves", "3"),
        ],
        max_depth: None,
        expect_violated: &["NeighborCompleteness"],
        about: "published VON, moves longer than the AOI radius: a node inside an AOI stays unknown",
    },
    Profile {
        variant: "correct",
        params: &[
            ("initial", "4"),
            ("concurrent", "1"),
            ("leaves", "0"),
        ],
        max_depth: None,
        expect_violated: &["EnclosingNeighborsKnown", "Repairable"],
        about: "hardened VON, two nodes moving at once: stale hints cross and an enclosing pair is lost",
    },
    Profile {
        variant: "correct",
        params: &[
            ("nodes", "3"),
            ("initial", "2"),
            ("concurrent", "1"),
            ("moves", "1"),
            ("leaves", "0"),
        ],
        max_depth: None,
        expect_violated: &["JoinReachesAcceptor"],
        about: "a JOIN forwarded while a node moves is accepted by the old owner of the cell",
    },
    Profile {
        variant: "correct",
        params: &[
            ("nodes", "3"),
            ("initial", "3"),
            ("aoi", "1"),
            ("homes", "0.0-2.0-4.0"),
            ("failures", "1"),
            ("moves", "0"),
            ("leaves", "0"),
        ],
        max_depth: None,
        expect_violated: &["EnclosingNeighborsKnown", "OverlayConnected", "Repairable"],
        about: "the middle of three nodes in a row fails: the ends never hear of each other",
    },
    Profile {
        variant: "correct",
        params: &[
            ("initial", "4"),
            ("moves", "1"),
            ("failures", "1"),
            ("leaves", "0"),
        ],
        max_depth: None,
        expect_violated: &["EnclosingNeighborsKnown", "Repairable"],
        about: "a node moves between two others, which drop each other, then fails: only a node that never listed it knows both",
    },
];

/// VON in `overlay bench`: the correct protocol's default scope, and with
/// `--large` three moves of three cells.
const VON_BENCH: &[BenchScope] = &[
    BenchScope {
        variant: "correct",
        params: &[],
        max_depth: None,
        symmetry: false,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("step", "3"), ("moves", "3"), ("leaves", "0")],
        max_depth: None,
        symmetry: false,
        large: true,
    },
];

/// CAN in CI: every variant at its default scope, which is exactly what
/// `overlay check can` runs (under a minute, most of it the correct
/// protocol's 2.7 million states).
const CAN_CI: &[Profile] = &[
    Profile {
        variant: "correct",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "the paper's protocol, four nodes, a leave and a failure: every property holds",
    },
    Profile {
        variant: "takeover-race",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "two neighbours both take a failed zone over: overlapping zones",
    },
    Profile {
        variant: "ragged-merge",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "merging into any box makes zones no split can produce",
    },
    Profile {
        variant: "no-ring-search",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "a leave and one failure cut two abutting nodes off from each other for good",
    },
];

/// CAN in `overlay bench`: the default scopes of the correct protocol and
/// of the largest broken variant, and with `--large` two realities.
const CAN_BENCH: &[BenchScope] = &[
    BenchScope {
        variant: "correct",
        params: &[],
        max_depth: None,
        symmetry: false,
        large: false,
    },
    BenchScope {
        variant: "no-ring-search",
        params: &[],
        max_depth: None,
        symmetry: false,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("nodes", "3"), ("realities", "2"), ("leaves", "0")],
        max_depth: None,
        symmetry: false,
        large: true,
    },
];

/// Kademlia in CI: every variant at its default scope, which is exactly
/// what `overlay check kademlia` runs (about 15 s), plus the correct
/// protocol at k=1 with no failure at all: its buckets overflow and pings
/// are always answered, yet lookups and gets still miss reachable nodes,
/// which shows that `k1-failures` fails by k=1, not by the failure.
const KADEMLIA_CI: &[Profile] = &[
    Profile {
        variant: "correct",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "the paper's protocol, k=2, one failure: every property holds",
    },
    Profile {
        variant: "evict-without-ping",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "evicting without a ping drops live contacts and breaks lookups and repair",
    },
    Profile {
        variant: "alpha-termination",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "stopping without the final k-closest round misses closer nodes",
    },
    Profile {
        variant: "k1-failures",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "buckets of one: lookups and gets miss nodes the network can reach",
    },
    Profile {
        variant: "correct",
        params: &[("k", "1"), ("failures", "0")],
        max_depth: None,
        expect_violated: &["LookupFindsClosest", "StoredValueFound"],
        about: "negative control: k=1 without failures already loses closest nodes",
    },
];

/// Kademlia in `overlay bench`: the default scopes, and with `--large`
/// the correct protocol with α=2.
const KADEMLIA_BENCH: &[BenchScope] = &[
    BenchScope {
        variant: "correct",
        params: &[],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "evict-without-ping",
        params: &[],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("alpha", "2")],
        max_depth: None,
        symmetry: true,
        large: true,
    },
];

/// Chord in CI: every variant at its default scope, which is exactly what
/// `overlay check chord` runs (about 10 s), plus the negative control that
/// finishes (ring=2, under a second). The other one, guard=off, does not
/// finish (millions of states within a minute) and stays in the tests,
/// depth-bounded.
const CHORD_CI: &[Profile] = &[
    Profile {
        variant: "original",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "the published protocol: every claimed invariant falls",
    },
    Profile {
        variant: "original-fixed",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "with Zave's two bug fixes: the claimed invariants still fall",
    },
    Profile {
        variant: "correct",
        params: &[],
        max_depth: None,
        expect_violated: &[],
        about: "Zave's corrected protocol: every property holds",
    },
    Profile {
        variant: "correct",
        params: &[("nodes", "4"), ("succ-list", "2"), ("ring", "2")],
        max_depth: None,
        expect_violated: &["Invariant", "NoDuplicates", "Repairable"],
        about: "negative control: an initial ring below r+1 members breaks the invariant",
    },
];

/// Chord in `overlay bench`: the complete spaces whose counts the tests pin
/// (each a few seconds at most with every strategy but `dfs`), and with
/// `--large` a bigger complete space and the published scope (N=4, whose
/// whole space does not finish) bounded by depth.
const CHORD_BENCH: &[BenchScope] = &[
    BenchScope {
        variant: "original",
        params: &[("nodes", "3")],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "original-fixed",
        params: &[("nodes", "3")],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("nodes", "4"), ("succ-list", "2")],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("nodes", "5"), ("succ-list", "3")],
        max_depth: None,
        symmetry: true,
        large: false,
    },
    BenchScope {
        variant: "correct",
        params: &[("nodes", "5"), ("succ-list", "2")],
        max_depth: None,
        symmetry: true,
        large: true,
    },
    BenchScope {
        variant: "original",
        params: &[("nodes", "4")],
        max_depth: Some(19),
        symmetry: true,
        large: true,
    },
];

/// The model called `name`.
pub fn find(name: &str) -> Result<ModelEntry, String> {
    let all = models();
    let names: Vec<&str> = all.iter().map(|m| m.name).collect();
    let names = names.join(", ");
    all.into_iter()
        .find(|m| m.name == name)
        .ok_or_else(|| format!("no model `{name}` (models: {names})"))
}

/// The model a trace's `#meta` names (model, variant, params).
pub fn for_trace(t: &crate::trace::Trace) -> Result<Box<dyn Runner>, String> {
    let model = t.meta("model").ok_or("#meta has no `model`")?;
    let variant = t.meta("variant").ok_or("#meta has no `variant`")?;
    (find(model)?.build)(variant, &t.params()?)
}
