//! VON (temporary module file of the von-scale branch, replaced by
//! von-core's on merge).

pub mod workload;
