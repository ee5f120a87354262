//! Volumes of zones, exactly: a zone of depth t covers 2^−t of the space,
//! and a space has up to 8 × 32 = 256 splits, so a volume is a 257-bit
//! number of units of 2^−256 (the whole space is 2^256). Used to pick the
//! smallest neighbour (graceful leave, §2.3) and to order takeover claims.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A volume in units of 2^−256 of the space: five 64-bit limbs, most
/// significant first (so the derived order is numeric order).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "[u64; 5]", into = "[u64; 5]")]
pub struct Volume([u64; 5]);

impl Volume {
    pub const ZERO: Volume = Volume([0; 5]);
    /// The whole space, 2^256.
    pub const WHOLE: Volume = Volume([1, 0, 0, 0, 0]);

    /// The volume of a zone of depth `t` ≤ 256: 2^(256 − t).
    pub fn of_depth(t: u32) -> Volume {
        assert!(t <= 256, "depth {t}");
        let bit = 256 - t;
        let mut v = [0u64; 5];
        v[4 - (bit / 64) as usize] = 1 << (bit % 64);
        Volume(v)
    }

    /// The sum (saturating at the largest 320-bit value, which disjoint
    /// zones never reach).
    pub fn plus(self, o: Volume) -> Volume {
        let mut out = [0u64; 5];
        let mut carry = false;
        for i in (0..5).rev() {
            let (s, c1) = self.0[i].overflowing_add(o.0[i]);
            let (s, c2) = s.overflowing_add(u64::from(carry));
            out[i] = s;
            carry = c1 || c2;
        }
        if carry {
            return Volume([u64::MAX; 5]);
        }
        Volume(out)
    }

    /// `span · volume / whole space`, rounded down: a delay proportional
    /// to the volume (the takeover timer, §2.3).
    pub fn scale(self, span: u64) -> u64 {
        // volume >> 192 is the fraction in units of 2^-64 (at most 2^64).
        let frac = (u128::from(self.0[0]) << 64) | u128::from(self.0[1]);
        let x = (u128::from(span) * frac) >> 64;
        x.min(u128::from(u64::MAX)) as u64
    }
}

impl TryFrom<[u64; 5]> for Volume {
    type Error = String;
    fn try_from(v: [u64; 5]) -> Result<Volume, String> {
        let vol = Volume(v);
        if vol > Volume::WHOLE {
            return Err("a volume larger than the whole space".into());
        }
        Ok(vol)
    }
}

impl From<Volume> for [u64; 5] {
    fn from(v: Volume) -> [u64; 5] {
        v.0
    }
}

impl fmt::Debug for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As a fraction of the space, to 2^-64 precision (for humans only).
        let frac = (u128::from(self.0[0]) << 64) | u128::from(self.0[1]);
        write!(f, "{:.3e}", frac as f64 / 2f64.powi(64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact_and_ordered() {
        assert_eq!(Volume::of_depth(0), Volume::WHOLE);
        let half = Volume::of_depth(1);
        assert_eq!(half.plus(half), Volume::WHOLE);
        // 2^-256 + 2^-256 = 2^-255, across no limb; 2^-64·2 crosses one.
        assert_eq!(
            Volume::of_depth(256).plus(Volume::of_depth(256)),
            Volume::of_depth(255)
        );
        assert_eq!(
            Volume::of_depth(193).plus(Volume::of_depth(193)),
            Volume::of_depth(192)
        );
        assert!(Volume::of_depth(3) < Volume::of_depth(2));
        assert!(Volume::of_depth(200).plus(Volume::of_depth(3)) > Volume::of_depth(3));
        assert_eq!(Volume::WHOLE.scale(1000), 1000);
        assert_eq!(Volume::of_depth(2).scale(1000), 250);
        assert_eq!(Volume::of_depth(100).scale(1000), 0);
    }

    #[test]
    fn the_wire_rejects_more_than_the_space() {
        let v: Volume = serde_json::from_str("[0,1,0,0,0]").unwrap();
        assert_eq!(v, Volume::of_depth(64));
        assert!(serde_json::from_str::<Volume>("[1,0,0,0,1]").is_err());
        assert!(serde_json::from_str::<Volume>("[0,0,0,0]").is_err());
    }
}
