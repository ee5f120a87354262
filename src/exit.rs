//! Exit codes, as DESIGN.md fixes them.

/// The process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Every verdict as expected / the scenario ran clean.
    Ok = 0,
    /// Budget exhausted before the check finished.
    Budget = 3,
    /// A property was violated (or an expected violation was not found).
    Surprise = 1,
    /// Usage or input error.
    Input = 2,
}

/// A command that could not do its job.
#[derive(Debug)]
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

pub type Outcome = Result<Exit, Failure>;
