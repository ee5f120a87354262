//! Third-party Mainline DHT peers, and ours, behind the driver
//! protocol of tests/interop/README.md, and a private network namespace
//! to run them in.
//!
//! [`in_netns`] re-runs the calling test inside `unshare -rn` (after
//! `ip link set lo up`), so nothing can leave the machine; a missing
//! `unshare` or `ip` is a failure, never a silent skip.
//! `OVERLAY_SKIP_INTEROP=1` skips the interop tests, saying so, and
//! `OVERLAY_INTEROP_NO_NETNS=1` runs them on the host's loopback.

use std::fmt;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

/// How long one command (or a peer's start) may take.
pub const TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerKind {
    /// npm `bittorrent-dht`: tests/interop/js/driver.mjs
    Js,
    /// PyPI `libtorrent`: tests/interop/py/driver.py
    Python,
    /// crates.io `mainline`: tests/interop/mainline-peer
    Mainline,
    /// Ours: `overlay node kademlia`, speaking the same protocol.
    Overlay,
}

impl fmt::Display for PeerKind {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(match self {
            PeerKind::Js => "js",
            PeerKind::Python => "python",
            PeerKind::Mainline => "mainline",
            PeerKind::Overlay => "overlay",
        })
    }
}

fn top(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

impl PeerKind {
    /// The command line without `--bind`/`--bootstrap`, or what to install.
    fn command(self) -> Result<Command, String> {
        let need = |path: PathBuf, how: &str| {
            if path.exists() {
                Ok(())
            } else {
                Err(format!("{self} peer: {} is missing: {how}", path.display()))
            }
        };
        Ok(match self {
            PeerKind::Js => {
                need(
                    top("tests/interop/js/node_modules/bittorrent-dht"),
                    "run `npm ci` in tests/interop/js",
                )?;
                let mut c = Command::new("node");
                c.arg(top("tests/interop/js/driver.mjs"));
                c
            }
            PeerKind::Python => {
                let mut c =
                    Command::new(std::env::var("OVERLAY_PYTHON").unwrap_or("python3".into()));
                c.arg(top("tests/interop/py/driver.py"));
                c
            }
            PeerKind::Mainline => {
                let bin = top("tests/interop/mainline-peer/target/release/mainline-peer");
                need(bin.clone(), "run `cargo build --release --manifest-path tests/interop/mainline-peer/Cargo.toml`")?;
                Command::new(bin)
            }
            PeerKind::Overlay => {
                let mut c = Command::new(env!("CARGO_BIN_EXE_overlay"));
                c.args(["node", "kademlia", "--stdin"]);
                c
            }
        })
    }
}

/// One running peer; killed when dropped.
pub struct Peer {
    pub kind: PeerKind,
    /// e.g. "python@127.0.0.1:7003", for messages.
    pub name: String,
    pub id: String,
    pub addr: SocketAddr,
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Peer {
    /// Starts a peer bound to `bind` (port 0: any) that knows only
    /// `bootstrap`, and waits for its ready line.
    pub fn spawn(
        kind: PeerKind,
        bind: SocketAddr,
        bootstrap: &[SocketAddr],
    ) -> Result<Peer, String> {
        let mut cmd = kind.command()?;
        cmd.arg("--bind").arg(bind.to_string());
        for b in bootstrap {
            cmd.arg("--bootstrap").arg(b.to_string());
        }
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("{kind} peer: cannot start {cmd:?}: {e}"))?;
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut peer = Peer {
            kind,
            name: format!("{kind}@{bind}"),
            id: String::new(),
            addr: bind,
            child,
            stdin,
            lines,
        };
        let ready = peer.read("start")?;
        let (Some(true), Some(id), Some(port)) = (
            ready["ready"].as_bool(),
            ready["id"].as_str(),
            ready["port"].as_u64(),
        ) else {
            return Err(format!("{}: not a ready line: {ready}", peer.name));
        };
        peer.id = id.to_string();
        peer.addr.set_port(port as u16);
        peer.name = format!("{kind}@{}", peer.addr);
        Ok(peer)
    }

    fn read(&mut self, what: &str) -> Result<Value, String> {
        let line = self.lines.recv_timeout(TIMEOUT).map_err(|_| {
            let status = self.child.try_wait().ok().flatten();
            match status {
                Some(s) => format!("{}: {what}: the peer exited ({s})", self.name),
                None => format!("{}: {what}: no answer within {TIMEOUT:?}", self.name),
            }
        })?;
        serde_json::from_str(&line)
            .map_err(|e| format!("{}: {what}: not JSON ({e}): {line}", self.name))
    }

    /// Sends one command and returns the answer as it is (`ok` true or false).
    pub fn call(&mut self, cmd: Value) -> Result<Value, String> {
        let op = cmd["op"].as_str().unwrap_or("?").to_string();
        writeln!(self.stdin, "{cmd}")
            .and_then(|_| self.stdin.flush())
            .map_err(|e| format!("{}: {op}: cannot write the command: {e}", self.name))?;
        self.read(&op)
    }

    /// [`Peer::call`], and an answer with `"ok":false` is an error naming
    /// the peer, the command and what the peer said.
    pub fn ok(&mut self, cmd: Value) -> Result<Value, String> {
        let answer = self.call(cmd.clone())?;
        if answer["ok"] == true {
            Ok(answer)
        } else {
            Err(format!("{}: {cmd} failed: {}", self.name, answer["error"]))
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"op": "quit"}));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether this process should run the test body now. Outside a namespace
/// it runs `test` again inside `unshare -rn` (lo up, `OVERLAY_IN_NETNS=1`),
/// panics if that run fails, and returns false. Returns false too when
/// `OVERLAY_SKIP_INTEROP=1` (saying so); true inside the namespace, or on
/// the host when `OVERLAY_INTEROP_NO_NETNS=1`.
pub fn in_netns(test: &str) -> bool {
    let flag = |name: &str| std::env::var(name).is_ok_and(|v| v == "1");
    if flag("OVERLAY_SKIP_INTEROP") {
        // Past libtest's capture, so that a skip is seen.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: SKIPPED because OVERLAY_SKIP_INTEROP=1"
        );
        return false;
    }
    if flag("OVERLAY_IN_NETNS") {
        return true;
    }
    if flag("OVERLAY_INTEROP_NO_NETNS") {
        eprintln!(
            "{test}: on the host's loopback (OVERLAY_INTEROP_NO_NETNS=1), not in a namespace"
        );
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    // Root in a container may lack user namespaces but have -n alone.
    for flags in ["-rn", "-n"] {
        let probe = Command::new("unshare")
            .args([flags, "ip", "link", "set", "lo", "up"])
            .output();
        match probe {
            Ok(out) if out.status.success() => {}
            Ok(_) => continue,
            Err(e) => panic!("{test}: cannot run `unshare` ({e}): install util-linux, or set OVERLAY_SKIP_INTEROP=1"),
        }
        let status = Command::new("unshare")
            .args([flags, "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\""])
            .arg(&exe)
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env("OVERLAY_IN_NETNS", "1")
            .status()
            .expect("unshare runs");
        assert!(
            status.success(),
            "{test} failed inside `unshare {flags}` ({status})"
        );
        return false;
    }
    panic!(
        "{test}: `unshare -rn ip link set lo up` fails here (no network namespace, or no `ip`: \
         install iproute2); set OVERLAY_INTEROP_NO_NETNS=1 to use the host's loopback"
    );
}
