//! # overlay-models
//!
//! Abstract models of peer-to-peer overlays, checked with Stateright, and
//! what every model shares: the checker runner ([`check`]), the ITF trace
//! format ([`trace`]), pictures of states ([`paint`]) and the registry the
//! command line reads ([`registry`]).

/// An event's reason for not being enabled, formatted only when someone
/// will read it (see [`check::explain`]).
macro_rules! why {
    ($($t:tt)*) => {
        if $crate::check::explain::explaining() { format!($($t)*) } else { String::new() }
    };
}

pub mod can;
pub mod check;
pub mod chord;
pub mod kademlia;
pub mod nodeset;
pub mod paint;
pub mod registry;
pub mod trace;
pub mod von;
