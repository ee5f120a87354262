//! Identities on the ring and the `between` relation of Zave's models.

use std::fmt;

/// A node identity `n{i}`; the index is also its position on the ring.
pub type Node = u8;

/// Largest number of identities a model may have. States hold their lists
/// inline, so this sizes every state (about 130 bytes at 8); no exhaustive
/// check finishes beyond N = 6 anyway.
pub const MAX_NODES: usize = 8;

/// `between(a, b, c)`: b lies strictly inside the clockwise interval from a
/// to c. When a = c every b ≠ a is between (the whole ring but a).
pub fn between(a: Node, b: Node, c: Node) -> bool {
    if a < c {
        a < b && b < c
    } else {
        a < b || b < c
    }
}

/// Displays a node as `n3`.
pub struct Name(pub Node);

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

pub fn name(n: Node) -> String {
    format!("n{n}")
}

/// Parses `n3` into 3, checking it is one of `count` identities.
pub fn parse_name(word: &str, count: usize) -> Result<Node, String> {
    let digits = word
        .strip_prefix('n')
        .ok_or_else(|| format!("`{word}` is not a node name (expected n0 … n{})", count - 1))?;
    match digits.parse::<usize>() {
        Ok(i) if i < count && (digits == "0" || !digits.starts_with('0')) => Ok(i as Node),
        _ => Err(format!(
            "`{word}` is not a node of this model (nodes are n0 … n{})",
            count - 1
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn between_matches_zave_conventions() {
        // for all x and y, between[x, y, x] (y != x)
        assert!(between(2, 0, 2) && between(2, 3, 2));
        assert!(!between(1, 1, 1));
        assert!(!between(1, 1, 3), "never between(x, x, y)");
        assert!(!between(3, 1, 1), "never between(y, x, x)");
        assert!(between(1, 2, 3) && !between(1, 0, 3));
        assert!(between(3, 0, 1) && between(3, 4, 1) && !between(3, 2, 1));
    }

    #[test]
    fn names_round_trip_and_reject_strangers() {
        assert_eq!(parse_name("n3", 4), Ok(3));
        assert!(parse_name("n4", 4).unwrap_err().contains("n0 … n3"));
        assert!(parse_name("x1", 4).is_err());
        assert!(parse_name("n01", 4).is_err());
        assert_eq!(name(2), "n2");
    }
}
