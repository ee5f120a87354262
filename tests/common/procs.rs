//! Processes of the `overlay` binary for the tests that run real nodes:
//! started with their output read line by line (JSON lines become
//! per-process event queues), waited for with deadlines, and killed when
//! the test ends, passes or not.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_overlay");

/// Node processes of one test, killed (SIGKILL) and reaped on drop.
pub struct Procs {
    children: Vec<Option<Child>>,
    lines_tx: mpsc::Sender<(usize, String)>,
    lines: mpsc::Receiver<(usize, String)>,
    /// Every stdout/stderr line seen so far, for failure messages.
    log: Vec<(usize, String)>,
    /// JSON events not yet consumed, per process.
    queues: BTreeMap<usize, VecDeque<Value>>,
}

impl Procs {
    pub fn new() -> Procs {
        let (lines_tx, lines) = mpsc::channel();
        Procs {
            children: Vec::new(),
            lines_tx,
            lines,
            log: Vec::new(),
            queues: BTreeMap::new(),
        }
    }

    /// Starts `overlay ARGS…`; returns its index.
    pub fn spawn(&mut self, args: &[&str]) -> usize {
        let i = self.children.len();
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the overlay binary starts");
        let out = child.stdout.take().expect("piped stdout");
        let err = child.stderr.take().expect("piped stderr");
        for (stream, tag) in [
            (Box::new(out) as Box<dyn Read + Send>, ""),
            (Box::new(err), "stderr: "),
        ] {
            let tx = self.lines_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send((i, format!("{tag}{line}"))).is_err() {
                        break;
                    }
                }
            });
        }
        self.children.push(Some(child));
        i
    }

    /// Reads one line (waiting at most `t`) into the log and, when it is
    /// a JSON event, into its process's queue. `false` on timeout.
    pub fn pump(&mut self, t: Duration) -> bool {
        match self.lines.recv_timeout(t) {
            Ok((j, line)) => {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    self.queues.entry(j).or_default().push_back(v);
                }
                self.log.push((j, line));
                true
            }
            Err(_) => false,
        }
    }

    /// The next JSON event of process `i`, waiting at most until
    /// `deadline`; `None` then, or as soon as process `i` has exited.
    pub fn try_next_event(&mut self, i: usize, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(v) = self.queues.get_mut(&i).and_then(|q| q.pop_front()) {
                return Some(v);
            }
            if Instant::now() >= deadline {
                return None;
            }
            if !self.pump(Duration::from_millis(100)) {
                let c = self.children[i].as_mut()?;
                if c.try_wait().expect("waitpid works").is_some() {
                    // Its last lines may still be in the pipe.
                    while self.pump(Duration::from_millis(50)) {}
                    return self.queues.get_mut(&i).and_then(|q| q.pop_front());
                }
            }
        }
    }

    /// The next JSON event of process `i`; panics after `deadline`.
    pub fn next_event(&mut self, i: usize, deadline: Instant) -> Value {
        self.try_next_event(i, deadline)
            .unwrap_or_else(|| panic!("process {i}: no event in time; log:\n{}", self.log_text()))
    }

    /// The addresses of process `i`'s `n` nodes, from their `listening` lines.
    pub fn listening(&mut self, i: usize, n: usize) -> Vec<SocketAddr> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut addrs = Vec::new();
        while addrs.len() < n {
            let v = self.next_event(i, deadline);
            if v["event"] == "listening" {
                addrs.push(v["addr"].as_str().unwrap().parse().unwrap());
            }
        }
        addrs
    }

    /// SIGKILL: the node dies at once, with no chance to hand anything on.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM, then the exit status (within `limit`).
    pub fn terminate(&mut self, i: usize, limit: Duration) -> ExitStatus {
        let mut c = self.children[i].take().expect("a running process");
        let pid = libc::pid_t::try_from(c.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) on our own child, which has not been reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = c.try_wait().expect("waitpid works") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("process {i} did not exit within {limit:?} of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Reads lines until none arrives for `t`.
    pub fn drain(&mut self, t: Duration) {
        while self.pump(t) {}
    }

    pub fn events_of(&self, i: usize) -> Vec<Value> {
        self.log
            .iter()
            .filter(|(j, _)| *j == i)
            .filter_map(|(_, l)| serde_json::from_str(l).ok())
            .collect()
    }

    pub fn log_text(&self) -> String {
        let tail = self.log.len().saturating_sub(60);
        self.log[tail..]
            .iter()
            .map(|(i, l)| format!("  [{i}] {l}\n"))
            .collect()
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}

/// Runs `overlay ARGS…` to completion (killed after `limit`): exit code,
/// stdout, stderr.
pub fn run(args: &[&str], limit: Duration) -> (i32, String, String) {
    let mut c = Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the overlay binary starts");
    let deadline = Instant::now() + limit;
    while c.try_wait().expect("waitpid works").is_none() {
        if Instant::now() > deadline {
            let _ = c.kill();
            let _ = c.wait();
            panic!("`overlay {}` still running after {limit:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = c.wait_with_output().expect("output is readable");
    (
        out.status.code().expect("an exit code, not a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
