//! Points of the d-dimensional coordinate space, and how nodes and keys
//! are hashed to them (paper §2: "a key K1 is deterministically mapped
//! onto a point P in the coordinate space using a uniform hash function").
//!
//! Every coordinate is a `u32` on a torus of 2^32 values (fixed point:
//! the paper's unit interval [0, 1) scaled by 2^32), so geometry is exact
//! integer arithmetic.
//!
//! **Byte layout.** The point of input `x` in reality `ρ` is read from the
//! byte stream `SHA-1(x ‖ ρ) ‖ SHA-1(x ‖ ρ ‖ 0x01) ‖ SHA-1(x ‖ ρ ‖ 0x02) …`
//! where `ρ` is one byte: coordinate `i` is bytes `4i .. 4i+4` of the
//! stream, big-endian. For d ≤ 5 (20 bytes) only the first digest is
//! used, i.e. exactly the first `4d` bytes of `SHA-1(x ‖ ρ)`. A node's
//! `x` is its address as `ip:port` text (`10.0.0.7:4000`); a key's `x` is
//! its bytes.

use std::fmt;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

/// The most dimensions a space may have.
pub const MAX_DIMS: usize = 8;

/// 2^32: the fixed-point scale of a coordinate.
const FRACTION_SCALE: f64 = 4_294_967_296.0;

/// A coordinate (or a zone's bound, up to 2^32) as a fraction of the unit
/// interval; exact, since any integer below 2^53 is a double.
pub fn fraction(c: impl Into<u64>) -> f64 {
    c.into() as f64 / FRACTION_SCALE
}

/// A point of a space of `dims` dimensions (coordinates past `dims` are 0).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Vec<u32>", into = "Vec<u32>")]
pub struct Point {
    dims: u8,
    c: [u32; MAX_DIMS],
}

impl Point {
    /// A point from its coordinates; `None` unless 1 ≤ len ≤ [`MAX_DIMS`].
    pub fn new(coords: &[u32]) -> Option<Point> {
        if coords.is_empty() || coords.len() > MAX_DIMS {
            return None;
        }
        let mut c = [0; MAX_DIMS];
        c[..coords.len()].copy_from_slice(coords);
        Some(Point {
            dims: coords.len() as u8,
            c,
        })
    }

    pub fn dims(&self) -> usize {
        usize::from(self.dims)
    }

    pub fn coords(&self) -> &[u32] {
        &self.c[..self.dims()]
    }

    pub fn get(&self, i: usize) -> u32 {
        self.c[i]
    }

    /// The point of arbitrary bytes in reality `reality` (see the module
    /// documentation for the byte layout).
    pub fn hash(bytes: &[u8], reality: u8, dims: usize) -> Point {
        assert!((1..=MAX_DIMS).contains(&dims), "{dims} dimensions");
        let mut stream = Vec::with_capacity(40);
        let mut block = 0u8;
        while stream.len() < 4 * dims {
            let mut h = Sha1::new();
            h.update(bytes);
            h.update([reality]);
            if block > 0 {
                h.update([block]);
            }
            stream.extend_from_slice(&h.finalize());
            block += 1;
        }
        let coords: Vec<u32> = stream
            .chunks_exact(4)
            .take(dims)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Point::new(&coords).expect("1..=8 coordinates")
    }

    /// A point from fractions of the unit interval, as the paper writes
    /// coordinates: `x` in [0, 1) becomes ⌊x · 2^32⌋ (exact: scaling by a
    /// power of two loses nothing). An error names the coordinate at fault.
    pub fn from_fractions(xs: &[f64]) -> Result<Point, String> {
        if xs.is_empty() || xs.len() > MAX_DIMS {
            return Err(format!(
                "a point has 1 to {MAX_DIMS} coordinates, not {}",
                xs.len()
            ));
        }
        let mut c = Vec::with_capacity(xs.len());
        for (i, &x) in xs.iter().enumerate() {
            if !(x.is_finite() && (0.0..1.0).contains(&x)) {
                return Err(format!(
                    "coordinate {} is {x}: each must be a fraction in [0, 1)",
                    i + 1
                ));
            }
            // x < 1, so x · 2^32 < 2^32 and the cast never saturates.
            c.push((x * FRACTION_SCALE) as u32);
        }
        Ok(Point::new(&c).expect("1..=8 coordinates"))
    }

    /// The coordinates as fractions of the unit interval (exact: a `u32`
    /// over 2^32 is a double).
    pub fn fractions(&self) -> Vec<f64> {
        self.coords().iter().map(|&c| fraction(c)).collect()
    }

    /// A key's point in reality `reality`.
    pub fn of_key(key: &str, reality: u8, dims: usize) -> Point {
        Point::hash(key.as_bytes(), reality, dims)
    }

    /// A node's point in reality `reality`: where it asks to join.
    pub fn of_addr(addr: SocketAddr, reality: u8, dims: usize) -> Point {
        Point::hash(addr.to_string().as_bytes(), reality, dims)
    }
}

impl TryFrom<Vec<u32>> for Point {
    type Error = String;
    fn try_from(v: Vec<u32>) -> Result<Point, String> {
        Point::new(&v)
            .ok_or_else(|| format!("a point has 1 to {MAX_DIMS} coordinates, not {}", v.len()))
    }
}

impl From<Point> for Vec<u32> {
    fn from(p: Point) -> Vec<u32> {
        p.coords().to_vec()
    }
}

impl fmt::Debug for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "(")?;
        for (i, c) in self.coords().iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{c:#010x}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_follows_the_documented_layout() {
        // d = 2: the first 8 bytes of SHA-1("k" ‖ 0x00).
        let d: [u8; 20] = Sha1::digest(b"k\x00").into();
        let p = Point::of_key("k", 0, 2);
        assert_eq!(
            p.coords(),
            [
                u32::from_be_bytes([d[0], d[1], d[2], d[3]]),
                u32::from_be_bytes([d[4], d[5], d[6], d[7]])
            ]
        );
        // d = 8: 20 bytes of the first digest, 12 of SHA-1("k" ‖ 0x03 ‖ 0x01).
        let d2: [u8; 20] = Sha1::digest(b"k\x03\x01").into();
        let q = Point::of_key("k", 3, 8);
        assert_eq!(q.get(5), u32::from_be_bytes([d2[0], d2[1], d2[2], d2[3]]));
        assert_eq!(q.get(7), u32::from_be_bytes([d2[8], d2[9], d2[10], d2[11]]));
        // Realities differ; dimensions are prefixes of one another.
        assert_ne!(Point::of_key("k", 1, 2), p);
        assert_eq!(&Point::of_key("k", 0, 5).coords()[..2], p.coords());
        let a: SocketAddr = "10.0.0.1:4000".parse().unwrap();
        assert_eq!(Point::of_addr(a, 0, 3), Point::hash(b"10.0.0.1:4000", 0, 3));
    }

    #[test]
    fn fractions_are_fixed_point_and_checked() {
        let p = Point::from_fractions(&[0.0, 0.5, 0.25]).unwrap();
        assert_eq!(p.coords(), [0, 1 << 31, 1 << 30]);
        assert_eq!(p.fractions(), [0.0, 0.5, 0.25]);
        let top = Point::from_fractions(&[1.0 - f64::EPSILON / 2.0]).unwrap();
        assert_eq!(top.coords(), [u32::MAX]);
        let q = Point::new(&[123_456_789, u32::MAX]).unwrap();
        assert_eq!(Point::from_fractions(&q.fractions()).unwrap(), q);
        for bad in [1.0, -0.1, f64::NAN, f64::INFINITY] {
            let e = Point::from_fractions(&[0.5, bad]).unwrap_err();
            assert!(e.contains("coordinate 2"), "{e}");
        }
        assert!(Point::from_fractions(&[]).is_err());
        assert!(Point::from_fractions(&[0.0; 9]).is_err());
    }

    #[test]
    fn only_one_to_eight_coordinates() {
        assert!(Point::new(&[]).is_none());
        assert!(Point::new(&[0; 9]).is_none());
        assert_eq!(Point::new(&[1, 2]).unwrap().dims(), 2);
        let e = serde_json::from_str::<Point>("[1,2,3,4,5,6,7,8,9]").unwrap_err();
        assert!(e.to_string().contains("1 to 8 coordinates"));
    }
}
