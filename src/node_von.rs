//! `overlay node von`: VON nodes over UDP (`overlay_impls::von::udp`), or
//! a one-shot inspection of running nodes (QUERY → VIEW). This file checks
//! the flags, maps them onto the driver, and prints: server events as
//! text or JSON lines (the first, `listening`, carries the bound
//! address), inspection results as text or one JSON object.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, ValueEnum};
use overlay_impls::runtime::udp::Stop;
use overlay_impls::von::udp::{self, NodeView, Options, Peer, Placement, Report, Walk};
use overlay_impls::von::{Config, Point, Stats, Status};
use serde_json::{json, Value};

use crate::cli::Format;
use crate::exit::{Exit, Failure};
use crate::input_error;
use crate::node_cmd::counts_json;

/// The longest `--wait` accepted (a day), as for Chord and CAN.
const MAX_WAIT_SECONDS: f64 = 86_400.0;

/// Which JOIN the nodes run.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum VonProtocol {
    /// VON as the model checker found it correct (the model's `correct`):
    /// MOVE and HELLO carry the sender's neighbours and hints, removed
    /// nodes are tombstoned, LEAVE hands over.
    Hardened,
    /// VON as published (the model's `paper`): joiners learn only what
    /// their acceptor knew, MOVE receivers report news only.
    Paper,
}

/// Flags of `overlay node von`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples (a gateway, three nodes, then a look at what one of them knows):
  overlay node von --bind 127.0.0.1:4000 --pos 100,100                       # the gateway: a new overlay
  overlay node von --bind 127.0.0.1:4001 --pos 180,120 --gateway 127.0.0.1:4000
  overlay node von --bind 127.0.0.1:4002 --pos 130,200 --gateway 127.0.0.1:4000
  overlay node von --bind 127.0.0.1:4003 --pos 400,400 --gateway 127.0.0.1:4000
  overlay node von --query 127.0.0.1:4001                                    # its position, AOI and table
  overlay node von --query 127.0.0.1:4000 --query 127.0.0.1:4001 --query 127.0.0.1:4002 --check --format json

More:
  overlay node von --bind 127.0.0.1:5000 --count 20 --seed 7 --world 500 --gateway 127.0.0.1:4000
                                                 # 20 nodes, ports 5000-5019, seeded positions in [0, 500)²
  overlay node von --bind 127.0.0.1:6000 --count 5 --walk 40 --gateway 127.0.0.1:4000
                                                 # 5 nodes on random-waypoint walks at 40 units/s

Every node of one overlay should use the same --aoi (a node's AOI is its own, but
VON assumes one radius). A node's id is the first 8 bytes of the SHA-1 of its
address. Without --pos, node i of a process stands at the i-th point of a ChaCha8
stream seeded with --seed, or, without --seed, at a point seeded by the SHA-1 of
its address: either way uniform in the world [0, W)² (--world) and the same on
every run. --walk moves every member by random waypoints (points of the world,
walked to in straight lines), one MOVE per --step-ms; the path depends only on
--seed (node i: stream i+1) or the address, not on timing.

A node prints one line per notable event: listening (address, id, position),
joined (through which gateway, accepted by whom after how many forwards, table
size; the first node of an overlay says so), join failed (every JOIN unanswered;
the node joins again through the next --gateway), neighbours (entries that came
and went since the last look, every --watch-ms), failed (an entry presumed failed
after its silence), stopping, left (LEAVE sent to so many entries), stopped
(datagrams received, malformed, sent; messages rejected by reason). Malformed or
hostile datagrams are dropped and counted, never fatal. SIGINT or SIGTERM makes
every node send LEAVE to its neighbours, then the process exits 0.

--query asks running nodes (any number of --query) for their VIEW without joining:
status, position, AOI radius and table; each neighbour is marked `aoi` (inside the
node's AOI) and/or `enclosing` (its Voronoi region borders the node's, in the
node's own view). With several nodes, the result also lists each node that lacks
another queried member inside its AOI (missing).

Exit codes: 0 the node(s) ran and stopped cleanly, or every queried node answered
(and, with --check, every one is a member and none misses an AOI neighbour);
1 --check found a node that is not a member or misses an AOI neighbour; 2 usage
error (bad flag, address or position, a port in use, node flags with --query);
3 a queried node did not answer within --wait.")]
pub struct VonArgs {
    /// Address to bind, IP:PORT (a host name is resolved). A node's id is
    /// the SHA-1 of this address, so it must be the one peers reach: not
    /// 0.0.0.0. Port 0 picks a free port, shown on the `listening` line.
    /// With --count K, the first of K consecutive ports. With --query, the
    /// client's own socket [default: 0.0.0.0:0].
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr,
          required_unless_present = "query")]
    pub bind: Option<SocketAddr>,
    /// A member to join through (repeatable: after a failed join the node
    /// asks the next); without any, the (first) node starts a new overlay
    /// and the others of this process join through it.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr,
          conflicts_with = "query")]
    pub gateway: Vec<SocketAddr>,
    /// The node's position X,Y (repeatable: one per node of --count).
    /// Default: seeded (see --seed).
    #[arg(long, value_name = "X,Y", allow_hyphen_values = true, conflicts_with = "query",
          value_parser = parse_pos)]
    pub pos: Vec<Point>,
    /// Run K nodes in this process, on K consecutive ports from --bind
    /// [default: the number of --pos, or 1].
    #[arg(long, value_name = "K", conflicts_with = "query",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub count: Option<u16>,
    /// Seed of the positions (without --pos) and of the walks; without it,
    /// each node's seed is derived from its address.
    #[arg(long, value_name = "S", conflicts_with = "query")]
    pub seed: Option<u64>,
    /// The side W of the square world [0, W)² where seeded positions and
    /// waypoints lie.
    #[arg(
        long,
        value_name = "W",
        default_value_t = 1000.0,
        conflicts_with = "query",
        allow_negative_numbers = true
    )]
    pub world: f64,
    /// R: the radius of the area of interest.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 100.0,
        conflicts_with = "query",
        allow_negative_numbers = true
    )]
    pub aoi: f64,
    /// Walk: move every member by random waypoints at SPEED world units
    /// per second.
    #[arg(
        long,
        value_name = "SPEED",
        conflicts_with = "query",
        allow_negative_numbers = true
    )]
    pub walk: Option<f64>,
    /// Walk: one step (one MOVE to every neighbour) every this many ms.
    #[arg(long, value_name = "MS", default_value_t = 250, requires = "walk",
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub step_ms: u64,
    /// Period of the heartbeat (a MOVE to the same position, to each
    /// neighbour that got nothing else for that long). A neighbour silent
    /// 3.5 periods is presumed failed; a JOIN unanswered for 2 periods is
    /// sent again (3 in all), and after the third the node waits 2 periods
    /// and joins through the next --gateway.
    #[arg(long, value_name = "MS", default_value_t = 1000, conflicts_with = "query",
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub heartbeat_ms: u64,
    /// The JOIN the nodes run (see the VON section of the README).
    #[arg(long, value_enum, default_value_t = VonProtocol::Hardened, conflicts_with = "query")]
    pub protocol: VonProtocol,
    /// Report table changes (`neighbours` lines) after looking every this
    /// many ms; 0: never.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 250,
        conflicts_with = "query"
    )]
    pub watch_ms: u64,
    /// Inspect: ask the node at ADDR for its VIEW (repeatable), print it,
    /// exit.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub query: Vec<SocketAddr>,
    /// Inspect: exit 1 when a queried node is not a member, or a member
    /// lacks another queried member inside its AOI.
    #[arg(long, requires = "query")]
    pub check: bool,
    /// Inspect: give up on nodes that have not answered after this many
    /// seconds (exit 3); QUERY is sent up to three times meanwhile.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 2.0,
        requires = "query",
        allow_negative_numbers = true
    )]
    pub wait: f64,
    /// Output: text lines, or JSON (one object per event; one object for
    /// --query).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `--pos X,Y`.
pub fn parse_pos(s: &str) -> Result<Point, String> {
    let Some((x, y)) = s.split_once(',') else {
        return Err(format!("`{s}` is not X,Y (two numbers and a comma)"));
    };
    let num = |c: &str| {
        let c = c.trim();
        c.parse::<f64>()
            .map_err(|_| format!("`{c}` is not a number"))
    };
    Point::new(num(x)?, num(y)?).map_err(|e| e.to_string())
}

pub fn node(a: &VonArgs) -> Result<Exit, Failure> {
    if a.query.is_empty() {
        serve(a)
    } else {
        inspect(a)
    }
}

/// The node configuration for a heartbeat period (the defaults' ratios).
fn config(aoi: f64, heartbeat_ms: u64, protocol: VonProtocol) -> Config {
    Config {
        aoi,
        heartbeat_ms,
        dead_after_ms: heartbeat_ms.saturating_mul(7) / 2,
        join_timeout_ms: heartbeat_ms.saturating_mul(2),
        gap_ms: (heartbeat_ms / 2).max(1),
        protocol: match protocol {
            VonProtocol::Hardened => overlay_impls::von::node::Protocol::Hardened,
            VonProtocol::Paper => overlay_impls::von::node::Protocol::Paper,
        },
        ..Config::default()
    }
}

fn serve(a: &VonArgs) -> Result<Exit, Failure> {
    let bind = a
        .bind
        .ok_or_else(|| input_error("a node needs --bind ADDR"))?;
    let count = match (a.count, a.pos.len()) {
        (Some(k), 0) => usize::from(k),
        (None, 0) => 1,
        (None, n) => n,
        (Some(k), n) if usize::from(k) == n => n,
        (Some(k), n) => {
            return Err(input_error(format!(
                "--count {k} with {n} --pos: give one --pos per node, or none"
            )))
        }
    };
    if !(a.aoi.is_finite() && a.aoi > 0.0) {
        return Err(input_error(format!(
            "--aoi {}: must be a positive number",
            a.aoi
        )));
    }
    if !(a.world.is_finite() && a.world > 0.0) {
        return Err(input_error(format!(
            "--world {}: must be a positive number",
            a.world
        )));
    }
    if let Some(s) = a.walk {
        if !(s.is_finite() && s > 0.0) {
            return Err(input_error(format!(
                "--walk {s}: must be a positive speed (world units per second)"
            )));
        }
    }
    let addrs = overlay_impls::runtime::udp::node_addrs(bind, count)
        .map_err(|e| input_error(format!("--bind: {e}")))?;
    if let Some(g) = a.gateway.iter().find(|g| addrs.contains(g)) {
        return Err(input_error(format!(
            "--gateway {g} is a node of this process: give a member of the overlay to \
             join, or leave --gateway out to start a new one"
        )));
    }
    if let Some(g) = a
        .gateway
        .iter()
        .find(|g| g.ip().is_unspecified() || g.port() == 0)
    {
        return Err(input_error(format!(
            "--gateway {g}: give the address a member is reached at (not an unspecified IP, \
             not port 0)"
        )));
    }
    let placement = match (a.pos.is_empty(), a.seed) {
        (false, _) => Placement::Given(a.pos.clone()),
        (true, Some(s)) => Placement::Seeded(s),
        (true, None) => Placement::Hashed,
    };
    let config = config(a.aoi, a.heartbeat_ms, a.protocol);
    let opts = Options {
        bind,
        count,
        gateways: a.gateway.clone(),
        join_retry_ms: config.join_timeout_ms,
        config,
        placement,
        world: a.world,
        seed: a.seed,
        walk: a.walk.map(|speed| Walk {
            speed,
            step_ms: a.step_ms,
        }),
        watch_ms: a.watch_ms,
    };
    opts.check().map_err(input_error)?;
    let format = a.format;
    udp::run(&opts, Stop::Signals, |r| match format {
        Format::Text => println!("{}", report_text(&r)),
        Format::Json => println!("{}", report_json(&r)),
    })
    .map_err(|e| input_error(e.to_string()))?;
    Ok(Exit::Ok)
}

fn hex(id: u64) -> String {
    format!("{id:016x}")
}

fn pos_json(p: &Point) -> Value {
    json!([p.x, p.y])
}

fn peers_json(ps: &[Peer]) -> Value {
    ps.iter()
        .map(|p| json!({"id": hex(p.id), "addr": p.addr.to_string()}))
        .collect()
}

fn stats_json(s: &Stats) -> Value {
    json!({
        "sent": s.sent, "received": s.received,
        "bytes_sent": s.bytes_sent, "bytes_received": s.bytes_received,
        "sent_by_kind": s.sent_by_kind, "received_by_kind": s.received_by_kind,
        "heartbeats": s.heartbeats, "forwarded": s.forwarded, "held_back": s.held_back,
        "gaps_skipped": s.gaps_skipped, "failures": s.failures, "rejected": s.rejected,
    })
}

fn report_json(r: &Report) -> Value {
    match r {
        Report::Listening { addr, id, pos } => json!({
            "event": "listening", "addr": addr.to_string(), "id": hex(*id), "pos": pos_json(pos),
        }),
        Report::Joined {
            addr,
            via,
            acceptor,
            hops,
            entries,
        } => json!({
            "event": "joined", "addr": addr.to_string(), "via": via.map(|v| v.to_string()),
            "acceptor": acceptor.map(hex), "hops": hops, "entries": entries,
        }),
        Report::JoinFailed {
            addr,
            via,
            attempts,
            retry_ms,
            next,
        } => json!({
            "event": "join_failed", "addr": addr.to_string(), "via": via.to_string(),
            "attempts": attempts, "retry_ms": retry_ms, "next": next.to_string(),
        }),
        Report::Neighbours {
            addr,
            pos,
            added,
            removed,
            count,
        } => json!({
            "event": "neighbours", "addr": addr.to_string(), "pos": pos_json(pos),
            "added": peers_json(added), "removed": peers_json(removed), "count": count,
        }),
        Report::Failed { addr, id, peer } => json!({
            "event": "failed", "addr": addr.to_string(), "id": hex(*id),
            "peer": peer.map(|p| p.to_string()),
        }),
        Report::Stopping { reason } => json!({"event": "stopping", "reason": reason}),
        Report::Left { addr, told, note } => json!({
            "event": "left", "addr": addr.to_string(), "told": told, "note": note,
        }),
        Report::Stopped {
            addr,
            counts,
            stats,
        } => json!({
            "event": "stopped", "addr": addr.to_string(),
            "datagrams": counts_json(counts),
            "stats": stats_json(stats),
        }),
    }
}

fn report_text(r: &Report) -> String {
    match r {
        Report::Listening { addr, id, pos } => {
            format!("{addr} listening, id {}, at {pos}", hex(*id))
        }
        Report::Joined {
            addr, via: None, ..
        } => format!("{addr} started a new overlay"),
        Report::Joined {
            addr,
            via: Some(via),
            acceptor,
            hops,
            entries,
        } => format!(
            "{addr} joined via {via}: accepted by {} after {hops} forwards, {entries} neighbours",
            acceptor.map_or("?".into(), hex)
        ),
        Report::JoinFailed {
            addr,
            via,
            attempts,
            retry_ms,
            next,
        } => format!(
            "{addr} join via {via} failed ({attempts} JOINs unanswered); joining via {next} in \
             {retry_ms} ms"
        ),
        Report::Neighbours {
            addr,
            pos,
            added,
            removed,
            count,
        } => {
            let mut s = format!("{addr} at {pos}:");
            for p in added {
                s.push_str(&format!(" +{}", p.addr));
            }
            for p in removed {
                s.push_str(&format!(" -{}", p.addr));
            }
            s.push_str(&format!(" ({count} neighbours)"));
            s
        }
        Report::Failed { addr, id, peer } => format!(
            "{addr} presumed {} failed (silent)",
            peer.map_or_else(|| hex(*id), |p| format!("{p} (id {})", hex(*id)))
        ),
        Report::Stopping { reason } => format!("stopping ({reason}): every node sends LEAVE"),
        Report::Left {
            addr,
            told,
            note: None,
        } => format!("{addr} left: LEAVE sent to {told} neighbours"),
        Report::Left {
            addr,
            note: Some(n),
            ..
        } => format!("{addr} left: {n}"),
        Report::Stopped {
            addr,
            counts,
            stats,
        } => format!(
            "{addr} stopped: {} datagrams received ({} malformed), {} sent, {} socket errors; \
             rejected {:?}",
            counts.received, counts.malformed, counts.sent, counts.errors, stats.rejected
        ),
    }
}

/// `--query`: ask, print, and say whether everyone answered (and, with
/// --check, knows its AOI neighbours).
fn inspect(a: &VonArgs) -> Result<Exit, Failure> {
    if !(a.wait.is_finite() && a.wait > 0.0 && a.wait <= MAX_WAIT_SECONDS) {
        return Err(input_error(format!(
            "--wait {}: must be a number of seconds above 0 and at most {MAX_WAIT_SECONDS}",
            a.wait
        )));
    }
    // In the order given, each once.
    let mut seen = BTreeSet::new();
    let targets: Vec<SocketAddr> = a
        .query
        .iter()
        .copied()
        .filter(|t| seen.insert(*t))
        .collect();
    let bind = a.bind.unwrap_or_else(|| {
        if targets[0].is_ipv6() {
            "[::]:0".parse().expect("an address")
        } else {
            "0.0.0.0:0".parse().expect("an address")
        }
    });
    let views =
        udp::query(bind, &targets, Duration::from_secs_f64(a.wait)).map_err(|e| match e {
            udp::QueryError::Usage(m) => input_error(format!("--query: {m}")),
            e @ udp::QueryError::Socket(_) => input_error(e.to_string()),
        })?;
    let unanswered: Vec<SocketAddr> = targets
        .iter()
        .filter(|t| !views.contains_key(t))
        .copied()
        .collect();
    let missing = udp::missing_aoi(&views);
    match a.format {
        Format::Json => {
            let nodes: Vec<Value> = targets
                .iter()
                .filter_map(|t| views.get(t))
                .map(|v| view_json(v, &missing))
                .collect();
            println!(
                "{}",
                json!({
                    "nodes": nodes,
                    "unanswered": unanswered.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
                    "missing_aoi": missing.iter()
                        .map(|(n, m)| json!({"node": n.to_string(), "missing": m.to_string()}))
                        .collect::<Vec<_>>(),
                })
            );
        }
        Format::Text => {
            for v in targets.iter().filter_map(|t| views.get(t)) {
                print!("{}", view_text(v, &missing));
            }
            for u in &unanswered {
                println!("{u}: no answer within {} s", a.wait);
            }
        }
    }
    if !unanswered.is_empty() {
        let list: Vec<String> = unanswered.iter().map(|a| a.to_string()).collect();
        return Err(Failure {
            code: Exit::Budget,
            message: format!("no answer within {} s from {}", a.wait, list.join(", ")),
        });
    }
    let outside: Vec<String> = views
        .values()
        .filter(|v| v.status != Status::Member)
        .map(|v| format!("{} is {}", v.addr, v.status.name()))
        .collect();
    if a.check && !outside.is_empty() {
        return Err(Failure {
            code: Exit::Surprise,
            message: format!("not every node is a member: {}", outside.join(", ")),
        });
    }
    if a.check && !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(n, m)| format!("{n} lacks {m}"))
            .collect();
        return Err(Failure {
            code: Exit::Surprise,
            message: format!("AOI neighbours missing: {}", list.join(", ")),
        });
    }
    Ok(Exit::Ok)
}

/// Per neighbour: (distance, in the AOI, enclosing).
fn marks(v: &NodeView) -> BTreeMap<u64, (f64, bool, bool)> {
    let enclosing = v.enclosing();
    v.entries
        .values()
        .map(|e| {
            (
                e.id,
                (v.pos.dist(&e.pos), v.in_aoi(e), enclosing.contains(&e.id)),
            )
        })
        .collect()
}

fn missing_of(v: &NodeView, missing: &[(SocketAddr, SocketAddr)]) -> Vec<SocketAddr> {
    missing
        .iter()
        .filter(|(n, _)| *n == v.addr)
        .map(|&(_, m)| m)
        .collect()
}

fn view_json(v: &NodeView, missing: &[(SocketAddr, SocketAddr)]) -> Value {
    let m = marks(v);
    let neighbours: Vec<Value> = v
        .entries
        .values()
        .map(|e| {
            let (d, aoi, enc) = m[&e.id];
            json!({
                "id": hex(e.id), "addr": e.addr.to_string(), "pos": pos_json(&e.pos),
                "distance": d, "aoi": aoi, "enclosing": enc,
            })
        })
        .collect();
    json!({
        "addr": v.addr.to_string(), "id": hex(v.id), "status": v.status.name(),
        "pos": pos_json(&v.pos), "aoi": v.aoi, "neighbours": neighbours,
        "missing_aoi": missing_of(v, missing).iter().map(|a| a.to_string()).collect::<Vec<_>>(),
    })
}

fn view_text(v: &NodeView, missing: &[(SocketAddr, SocketAddr)]) -> String {
    let m = marks(v);
    let mut s = format!(
        "{} id {} {} at {}, AOI {}: {} neighbours\n",
        v.addr,
        hex(v.id),
        v.status.name(),
        v.pos,
        v.aoi,
        v.entries.len()
    );
    for e in v.entries.values() {
        let (d, aoi, enc) = m[&e.id];
        let kind = match (aoi, enc) {
            (true, true) => "aoi enclosing",
            (true, false) => "aoi",
            (false, true) => "enclosing",
            (false, false) => "-",
        };
        s.push_str(&format!(
            "  {:<22} id {}  at {}  distance {:.1}  {kind}\n",
            e.addr.to_string(),
            hex(e.id),
            e.pos,
            d
        ));
    }
    for a in missing_of(v, missing) {
        s.push_str(&format!(
            "  missing: {a} (inside the AOI, not in the table)\n"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_parse_as_two_checked_numbers() {
        assert_eq!(
            parse_pos("1.5, -2").unwrap(),
            Point::new(1.5, -2.0).unwrap()
        );
        assert!(parse_pos("1").unwrap_err().contains("X,Y"));
        assert!(parse_pos("1,x").unwrap_err().contains("`x`"));
        assert!(parse_pos("nan,0").unwrap_err().contains("finite"));
        assert!(parse_pos("1e12,0").unwrap_err().contains("beyond"));
    }

    #[test]
    fn timers_keep_the_default_ratios() {
        let c = config(50.0, 1000, VonProtocol::Hardened);
        assert_eq!(
            c,
            Config {
                aoi: 50.0,
                ..Config::default()
            }
        );
        let c = config(50.0, 200, VonProtocol::Hardened);
        assert_eq!(
            (c.dead_after_ms, c.join_timeout_ms, c.gap_ms),
            (700, 400, 100)
        );
        assert!(c.protocol == overlay_impls::von::node::Protocol::Hardened && c.check().is_ok());
    }
}
