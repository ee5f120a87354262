//! Reasons an event is not enabled, in words, for people: formatted only
//! when someone will read them. The checker asks "enabled?" millions of
//! times and must not pay for the sentence (an empty `String` does not
//! allocate); scenarios and `explore` ask for it through [`explained`].
//! Models write their reasons with the crate's `why!` macro.

use std::cell::Cell;

thread_local! {
    static EXPLAIN: Cell<bool> = const { Cell::new(false) };
}

/// Whether reasons are being asked for on this thread.
pub fn explaining() -> bool {
    EXPLAIN.with(|e| e.get())
}

/// Runs `f` with reasons asked for on this thread.
pub fn explained<T>(f: impl FnOnce() -> T) -> T {
    EXPLAIN.with(|e| e.set(true));
    let out = f();
    EXPLAIN.with(|e| e.set(false));
    out
}
