//! `overlay node can`: CAN nodes over UDP (`overlay_impls::can::udp`),
//! or a one-shot client of a running overlay. This file checks the flags,
//! maps them onto the driver, and prints: server events as text or JSON
//! lines (the first, `listening`, carries the bound address), client
//! results as one JSON object.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use overlay_impls::can::udp::{self, ClientError, ClientOp, Options, Report, Shape};
use overlay_impls::can::{Config, Point, Stats, Zone};
use overlay_impls::runtime::udp::Stop;
use serde_json::{json, Value};

use crate::cli::Format;
use crate::exit::{Exit, Failure};
use crate::input_error;
use crate::node_cmd::counts_json;

/// The longest `--wait` accepted (a day), as for Chord.
const MAX_WAIT_SECONDS: f64 = 86_400.0;

/// Flags of `overlay node can`.
#[derive(Args, Debug)]
#[command(after_long_help = "\
Examples:
  overlay node can --bind 127.0.0.1:4000                                   # founds an overlay: owns the whole space
  overlay node can --bind 127.0.0.1:4001 --bootstrap 127.0.0.1:4000        # joins at the SHA-1 point of its address
  overlay node can --bind 127.0.0.1:4002 --bootstrap 127.0.0.1:4000 --point 0.25,0.75
  overlay node can --bind 127.0.0.1:5000 --count 8 --bootstrap 127.0.0.1:4000   # 8 nodes, ports 5000-5007
  overlay node can --bind 127.0.0.1:4000 --dims 3 --realities 2 --format json
  overlay node can --bind 127.0.0.1:0 --bootstrap 127.0.0.1:4000 --put colour blue
  overlay node can --bind 127.0.0.1:0 --bootstrap 127.0.0.1:4000 --bootstrap 127.0.0.1:4001 --get colour

Every node of one overlay, and every client of it, must use the same --dims and
--realities: a message of another shape is dropped and counted (rejected: wrong
dimension count, unknown reality), so a mismatched client gets no answer (exit 3).

A node prints one line per notable event: listening (its address and its point in
each reality), joined (per reality: the zone it got, as [lo, hi) fractions per
dimension, and the node it joined through; a founding node gets the whole space),
join failed (and the retry, through the next --bootstrap), took over (the zones of a
neighbour that fell silent; their keys are lost, as in the paper), stopping, left
(zones handed over with their keys, zones lost), stopped (datagrams received,
malformed, sent; messages rejected by reason). SIGINT or SIGTERM makes each node in
turn hand its zones to its neighbours, then the process exits 0.

A client does not join: it routes its request into the overlay through --bootstrap
(several are used in turn), and the owner of the key's point answers it directly, so
--bind must be an address nodes reach (127.0.0.1:0 is fine, 0.0.0.0 is not). A put
goes to the key's point in every reality; a get asks every reality at once. The result
is one JSON object: op, key, found, value, reality, owner, hops (datagrams on the
route, the client's own included), answers (owner and hops per reality that
answered), attempts.

Exit codes: 0 the node(s) ran and stopped cleanly, or the key was stored (in every
reality) / found; 1 the key was not found (every reality's owner said so); 2 usage
error (bad flag, address or point, --put with --get, a port in use, an item over 1,800
bytes); 3 no definite answer within --wait.")]
pub struct CanArgs {
    /// Address to bind, IP:PORT (a host name is resolved). A node's point
    /// is the SHA-1 of this address, so it must be the one peers reach:
    /// not 0.0.0.0. Port 0 picks a free port, shown on the `listening`
    /// line. With --count K, the first of K consecutive ports. With
    /// --put/--get, the client's own socket (e.g. 127.0.0.1:0).
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bind: SocketAddr,
    /// A member to join through (repeatable: a failed join asks the next);
    /// without any, the (first) node founds a new overlay. With
    /// --put/--get, the node(s) the request enters the overlay at.
    #[arg(long, value_name = "ADDR", value_parser = crate::node_cmd::parse_addr)]
    pub bootstrap: Vec<SocketAddr>,
    /// Run K nodes in this process, on K consecutive ports from --bind; the
    /// first joins through --bootstrap (or founds the overlay), the others
    /// through --bootstrap or the first.
    #[arg(long, value_name = "K", default_value_t = 1, conflicts_with = "client",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub count: u16,
    /// Dimensions d of the coordinate space (a torus), 1 to 8.
    #[arg(long, value_name = "D", default_value_t = 2,
          value_parser = clap::value_parser!(u8).range(1..=8))]
    pub dims: u8,
    /// Realities r: independent coordinate spaces; a node holds a zone in
    /// each and a key is stored in each, so it survives r-1 owner failures.
    #[arg(long, value_name = "R", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=16))]
    pub realities: u8,
    /// The node's point in reality 0, where it asks to join: D fractions in
    /// [0, 1) separated by commas, e.g. 0.25,0.75 (stored as fixed point,
    /// x·2^32). Default: SHA-1 of the --bind address. One node only.
    #[arg(long, value_name = "X,Y,…", allow_hyphen_values = true,
          conflicts_with_all = ["client", "count"])]
    pub point: Option<String>,
    /// Period of the heartbeat UPDATE to every neighbour, in milliseconds.
    /// The other timers scale with it as in the defaults: a neighbour
    /// silent 3.5 periods is presumed failed, the takeover timer is one
    /// period times the node's share of the space, a request unanswered
    /// for one period (routed: 20) failed, reassignment runs every 2.
    #[arg(long, value_name = "MS", default_value_t = 1000, conflicts_with = "client",
          value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub refresh_ms: u64,
    /// Client: store VALUE under KEY in every reality, print where, exit.
    #[arg(long, num_args = 2, value_names = ["KEY", "VALUE"], group = "client",
          requires = "bootstrap")]
    pub put: Option<Vec<String>>,
    /// Client: read KEY, print its value, exit (1 when not found).
    #[arg(long, value_name = "KEY", group = "client", requires = "bootstrap")]
    pub get: Option<String>,
    /// Client: give up after this many seconds without a definite answer
    /// (exit 3); every reality's request is sent up to three times.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 5.0,
        requires = "client"
    )]
    pub wait: f64,
    /// Server output: text lines, or one JSON object per line. Client
    /// results are always JSON.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

pub fn node(a: &CanArgs) -> Result<Exit, Failure> {
    let shape = Shape {
        dims: usize::from(a.dims),
        realities: usize::from(a.realities),
    };
    let op = match (&a.put, &a.get) {
        (Some(kv), None) => match &kv[..] {
            [key, value] => Some(ClientOp::Put {
                key: key.clone(),
                value: value.clone(),
            }),
            _ => return Err(input_error("--put takes KEY VALUE")),
        },
        (None, Some(key)) => Some(ClientOp::Get { key: key.clone() }),
        (None, None) => None,
        (Some(_), Some(_)) => return Err(input_error("--put and --get exclude each other")),
    };
    match op {
        Some(op) => ask(a, shape, &op),
        None => serve(a, shape),
    }
}

/// `--point`: D fractions in [0, 1).
fn parse_point(s: &str, dims: usize) -> Result<Point, String> {
    let xs = s
        .split(',')
        .map(|x| {
            let x = x.trim();
            x.parse::<f64>()
                .map_err(|_| format!("`{x}` is not a number (a fraction in [0, 1))"))
        })
        .collect::<Result<Vec<f64>, String>>()?;
    if xs.len() != dims {
        let plural = if xs.len() == 1 { "" } else { "s" };
        return Err(format!(
            "{} coordinate{plural} for a space of {dims} dimensions (--dims)",
            xs.len()
        ));
    }
    Point::from_fractions(&xs)
}

/// The node configuration for a heartbeat period: the defaults' timers
/// scaled by `refresh_ms` / 1000.
fn config(shape: Shape, refresh_ms: u64) -> Config {
    let d = Config::default();
    let scale = |ms: u64| (ms.saturating_mul(refresh_ms) / d.refresh_ms).max(1);
    Config {
        dims: shape.dims,
        realities: shape.realities,
        refresh_ms,
        dead_after_ms: scale(d.dead_after_ms),
        takeover_ms: scale(d.takeover_ms),
        claim_ms: scale(d.claim_ms),
        reassign_ms: scale(d.reassign_ms),
        timeout_ms: scale(d.timeout_ms),
        route_timeout_ms: scale(d.route_timeout_ms),
        ..d
    }
}

fn serve(a: &CanArgs, shape: Shape) -> Result<Exit, Failure> {
    let point = a
        .point
        .as_deref()
        .map(|s| parse_point(s, shape.dims))
        .transpose()
        .map_err(|e| input_error(format!("--point {}: {e}", a.point.as_deref().unwrap_or(""))))?;
    let addrs = overlay_impls::runtime::udp::node_addrs(a.bind, usize::from(a.count))
        .map_err(|e| input_error(format!("--bind: {e}")))?;
    if let Some(b) = a.bootstrap.iter().find(|b| addrs.contains(b)) {
        return Err(input_error(format!(
            "--bootstrap {b} is a node of this process: give a member of the overlay to \
             join, or leave --bootstrap out to found a new one"
        )));
    }
    if let Some(b) = a.bootstrap.iter().find(|b| b.ip().is_unspecified()) {
        return Err(input_error(format!(
            "--bootstrap {b}: give the address the node is reached at, not an unspecified IP"
        )));
    }
    let config = config(shape, a.refresh_ms);
    let opts = Options {
        bind: a.bind,
        count: usize::from(a.count),
        bootstrap: a.bootstrap.clone(),
        join_retry_ms: config.timeout_ms,
        leave_limit_ms: a.refresh_ms.saturating_mul(10),
        config,
        point,
    };
    let format = a.format;
    udp::run(&opts, Stop::Signals, |r| match format {
        Format::Text => println!("{}", report_text(&r)),
        Format::Json => println!("{}", report_json(&r)),
    })
    .map_err(|e| input_error(e.to_string()))?;
    Ok(Exit::Ok)
}

fn zone_json(z: &Zone) -> Value {
    let (lo, hi): (Vec<f64>, Vec<f64>) = z.bounds().into_iter().unzip();
    json!({"lo": lo, "hi": hi, "depth": z.depth()})
}

fn zone_text(z: &Zone) -> String {
    z.bounds()
        .iter()
        .map(|(lo, hi)| format!("[{lo}, {hi})"))
        .collect::<Vec<_>>()
        .join(" × ")
}

fn zones_text(zs: &[Zone]) -> String {
    zs.iter().map(zone_text).collect::<Vec<_>>().join(", ")
}

fn point_text(p: &Point) -> String {
    let xs: Vec<String> = p.fractions().iter().map(f64::to_string).collect();
    format!("({})", xs.join(", "))
}

fn stats_json(s: &Stats) -> Value {
    json!({
        "received": s.received,
        "sent": s.sent,
        "forwarded": s.forwarded,
        "stuck": s.stuck,
        "ttl_expired": s.ttl_expired,
        "timeouts": s.timeouts,
        "unexpected": s.unexpected,
        "rejected": s.rejected,
        "takeovers": s.takeovers,
        "reassign_handoffs": s.reassign_handoffs,
        "reassign_swaps": s.reassign_swaps,
    })
}

fn report_json(r: &Report) -> Value {
    match r {
        Report::Listening { addr, points } => json!({
            "event": "listening", "addr": addr.to_string(),
            "points": points.iter().map(|p| p.fractions()).collect::<Vec<_>>(),
        }),
        Report::Joined {
            addr,
            reality,
            zone,
            via,
        } => json!({
            "event": "joined", "addr": addr.to_string(), "reality": reality,
            "zone": zone_json(zone), "via": via.map(|v| v.to_string()),
        }),
        Report::JoinFailed {
            addr,
            reality,
            via,
            reason,
            retry_ms,
            next,
        } => json!({
            "event": "join_failed", "addr": addr.to_string(), "reality": reality,
            "via": via.to_string(), "reason": reason, "retry_ms": retry_ms,
            "next": next.to_string(),
        }),
        Report::TookOver {
            addr,
            reality,
            failed,
            zones,
        } => json!({
            "event": "took_over", "addr": addr.to_string(), "reality": reality,
            "failed": failed.to_string(), "zones": zones.iter().map(zone_json).collect::<Vec<_>>(),
        }),
        Report::Stopping { reason } => json!({"event": "stopping", "reason": reason}),
        Report::Left {
            addr,
            handed,
            lost,
            keys,
            note,
        } => json!({
            "event": "left", "addr": addr.to_string(), "handed": handed, "lost": lost,
            "keys": keys, "note": note,
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
        Report::Listening { addr, points } => {
            let ps: Vec<String> = points.iter().map(point_text).collect();
            match &ps[..] {
                [p] => format!("{addr} listening, point {p}"),
                _ => format!("{addr} listening, points {}", ps.join(", ")),
            }
        }
        Report::Joined {
            addr,
            reality,
            zone,
            via: None,
        } => format!(
            "{addr} founded the overlay: reality {reality}, zone {}",
            zone_text(zone)
        ),
        Report::Joined {
            addr,
            reality,
            zone,
            via: Some(via),
        } => format!(
            "{addr} joined reality {reality} via {via}: zone {}",
            zone_text(zone)
        ),
        Report::JoinFailed {
            addr,
            reality,
            via,
            reason,
            retry_ms,
            next,
        } => format!(
            "{addr} join of reality {reality} via {via} failed ({reason}); asking {next} in {retry_ms} ms"
        ),
        Report::TookOver {
            addr,
            reality,
            failed,
            zones,
        } => format!(
            "{addr} took over {failed} in reality {reality}: {} (its keys are lost)",
            zones_text(zones)
        ),
        Report::Stopping { reason } => {
            format!("stopping ({reason}): each node hands its zones over in turn")
        }
        Report::Left {
            addr,
            handed,
            lost,
            keys,
            note,
        } => {
            let mut s = format!("{addr} left: {handed} zones handed over, {lost} lost ({keys} keys)");
            if let Some(n) = note {
                s.push_str(&format!("; {n}"));
            }
            s
        }
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

/// One put or get through the --bootstrap nodes.
fn ask(a: &CanArgs, shape: Shape, op: &ClientOp) -> Result<Exit, Failure> {
    if !(a.wait.is_finite() && a.wait > 0.0 && a.wait <= MAX_WAIT_SECONDS) {
        return Err(input_error(format!(
            "--wait {}: must be a number of seconds above 0 and at most {MAX_WAIT_SECONDS}",
            a.wait
        )));
    }
    let wait = Duration::from_secs_f64(a.wait);
    let (verb, value) = match op {
        ClientOp::Put { value, .. } => ("put", Some(value.as_str())),
        ClientOp::Get { .. } => ("get", None),
    };
    let key = op.key();
    let via: Vec<String> = a.bootstrap.iter().map(|b| b.to_string()).collect();
    let answer_json = |x: &udp::Answered| {
        json!({
            "reality": x.reality, "owner": x.owner.to_string(), "hops": x.hops,
            "found": x.value.is_some() || verb == "put",
        })
    };
    match udp::client(a.bind, &a.bootstrap, shape, op, wait) {
        Ok(ans) => {
            let main = ans.main();
            let value = ans.value.as_deref().or(value);
            println!(
                "{}",
                json!({
                    "op": verb, "key": key, "found": ans.found,
                    "value": if ans.found { value } else { None },
                    "reality": main.map(|m| m.reality),
                    "owner": main.map(|m| m.owner.to_string()),
                    "hops": main.map(|m| m.hops),
                    "answers": ans.answers.iter().map(answer_json).collect::<Vec<_>>(),
                    "realities": shape.realities,
                    "attempts": ans.attempts, "bootstrap": via,
                })
            );
            Ok(if ans.found { Exit::Ok } else { Exit::Surprise })
        }
        Err(ClientError::Usage(e)) => Err(input_error(format!("--{verb}: {e}"))),
        Err(e @ ClientError::Socket(_)) => Err(input_error(e.to_string())),
        Err(ClientError::NoAnswer {
            attempts,
            answers,
            last_error,
        }) => {
            let last = last_error.map_or(String::new(), |e| format!("; last error: {e}"));
            let message = format!(
                "{verb} {key}: {} of {} realities answered within {} s ({attempts} attempts{last})",
                answers.len(),
                shape.realities,
                a.wait
            );
            println!(
                "{}",
                json!({
                    "op": verb, "key": key, "found": false, "value": null,
                    "reality": null, "owner": null, "hops": null,
                    "answers": answers.iter().map(answer_json).collect::<Vec<_>>(),
                    "realities": shape.realities,
                    "attempts": attempts, "bootstrap": via, "error": message,
                })
            );
            Err(Failure {
                code: Exit::Budget,
                message,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_fractions_of_the_right_count() {
        let p = parse_point("0.5, 0.25", 2).unwrap();
        assert_eq!(p.coords(), [1 << 31, 1 << 30]);
        assert!(parse_point("0.5", 2)
            .unwrap_err()
            .contains("1 coordinate for"));
        assert!(parse_point("0.5,x", 2).unwrap_err().contains("`x`"));
        assert!(parse_point("0.5,1", 2)
            .unwrap_err()
            .contains("coordinate 2"));
        assert!(parse_point("-0.5,0", 2).unwrap_err().contains("[0, 1)"));
    }

    #[test]
    fn timers_scale_with_the_refresh_period() {
        let shape = Shape {
            dims: 3,
            realities: 2,
        };
        assert_eq!(
            config(shape, 1000),
            Config {
                dims: 3,
                realities: 2,
                ..Config::default()
            }
        );
        let c = config(shape, 200);
        assert_eq!(
            (c.dead_after_ms, c.claim_ms, c.route_timeout_ms),
            (700, 60, 4000)
        );
        assert_eq!(config(shape, 10).claim_ms, 3);
    }
}
