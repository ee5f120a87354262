//! Helpers shared by the command-line tests: run the built `overlay`
//! binary and read what it printed.

// Each test file uses some of these.
#![allow(dead_code)]

pub mod interop;
#[cfg(unix)]
pub mod procs;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub fn overlay() -> Command {
    Command::cargo_bin("overlay").expect("the overlay binary is built")
}

/// Runs `overlay args…` (in `dir`, when given) and returns
/// (exit code, stdout, stderr).
pub fn run_in(dir: Option<&Path>, args: &[&str]) -> (i32, String, String) {
    let mut cmd = overlay();
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().expect("overlay runs");
    (
        out.status.code().expect("overlay exits with a code"),
        String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

/// Runs `overlay args…` in `dir`.
pub fn run_at(dir: &Path, args: &[&str]) -> (i32, String, String) {
    run_in(Some(dir), args)
}

/// Runs `overlay args…` in the package's folder.
pub fn run(args: &[&str]) -> (i32, String, String) {
    run_in(None, args)
}

/// A command line written as one string (no argument contains a blank).
pub fn words(line: &'static str) -> Vec<&'static str> {
    line.split_whitespace().collect()
}

pub fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// A file of the repository, by its path from the top.
pub fn trace(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}
