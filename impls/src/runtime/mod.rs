//! Drivers of sans-IO cores: the seeded simulator ([`sim`]) and the UDP
//! runtime ([`udp`]). A core implements [`Process`]: inputs in (a datagram,
//! a timer, a local command called directly), outputs collected in an
//! [`Outbox`] that the driver carries out. The conformance harness drives
//! the same cores through the simulator, one model step at a time.

use std::fmt;
use std::net::SocketAddr;

pub mod sim;
pub mod udp;

/// Time as the cores see it: milliseconds since the driver started.
pub type Millis = u64;

/// What a core asks its driver to do.
#[derive(Debug)]
pub struct Outbox<M, T, E> {
    /// Datagrams to send.
    pub sends: Vec<(SocketAddr, M)>,
    /// Timers to set: fire `T` after the given delay.
    pub timers: Vec<(Millis, T)>,
    /// Things that happened, for the driver's user (results, measurements).
    pub events: Vec<E>,
}

impl<M, T, E> Default for Outbox<M, T, E> {
    fn default() -> Self {
        Outbox {
            sends: Vec::new(),
            timers: Vec::new(),
            events: Vec::new(),
        }
    }
}

impl<M, T, E> Outbox<M, T, E> {
    pub fn send(&mut self, to: SocketAddr, msg: M) {
        self.sends.push((to, msg));
    }
    pub fn timer(&mut self, after: Millis, t: T) {
        self.timers.push((after, t));
    }
    pub fn event(&mut self, e: E) {
        self.events.push(e);
    }
}

/// The outbox type of a process.
pub type OutboxOf<P> = Outbox<<P as Process>::Msg, <P as Process>::Timer, <P as Process>::Event>;

/// A sans-IO node: no sockets, clocks, threads or randomness inside.
pub trait Process {
    type Msg: Clone + fmt::Debug + Wire;
    type Timer: Clone + fmt::Debug;
    type Event: fmt::Debug;

    /// The address this node receives at.
    fn addr(&self) -> SocketAddr;
    /// Timers to arm when the node starts running.
    fn start(&mut self, now: Millis, out: &mut OutboxOf<Self>);
    fn on_message(
        &mut self,
        now: Millis,
        from: SocketAddr,
        msg: Self::Msg,
        out: &mut OutboxOf<Self>,
    );
    fn on_timer(&mut self, now: Millis, timer: Self::Timer, out: &mut OutboxOf<Self>);
    /// A datagram that did not decode arrived (the driver has counted it).
    /// A protocol whose peers expect an error answer (KRPC) gives one here.
    fn on_malformed(
        &mut self,
        _now: Millis,
        _from: SocketAddr,
        _bytes: &[u8],
        _out: &mut OutboxOf<Self>,
    ) {
    }
}

/// A message encoding. Decoding untrusted bytes never panics.
pub trait Wire: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Result<Self, WireError>;
}

/// Why a datagram was dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireError {
    pub reason: String,
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed datagram: {}", self.reason)
    }
}

impl std::error::Error for WireError {}
