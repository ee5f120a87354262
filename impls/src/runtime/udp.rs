//! The UDP runtime (filled below).
