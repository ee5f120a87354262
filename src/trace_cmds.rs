//! `overlay replay`, `overlay show` and `overlay explore`.

use overlay_models::check::Runner;
use overlay_models::registry;
use overlay_models::trace::{self, render, Trace};

use crate::cli::{Against, ExploreArgs, ReplayArgs, ShowArgs, ShowFormat};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runner;

/// Reads a trace and builds the model its `#meta` names.
fn load(path: &std::path::Path) -> Result<(Trace, Box<dyn Runner>), Failure> {
    let t = trace::read_file(path).map_err(|e| input_error(e.to_string()))?;
    let r = registry::for_trace(&t).map_err(|e| input_error(format!("{}: {e}", path.display())))?;
    Ok((t, r))
}

pub fn replay(args: &ReplayArgs) -> Outcome {
    if args.against == Against::Impl {
        return replay_impl(args);
    }
    let (t, r) = load(&args.trace)?;
    let shown = args.trace.display();
    match r.replay(&t) {
        Ok(verdicts) => {
            let last = verdicts.last().cloned().unwrap_or_default();
            println!(
                "{shown}: {} events replay against {} {}; every state matches",
                t.len_events(),
                r.model_name(),
                r.variant_name()
            );
            if last.is_empty() {
                println!("  every property holds in the last state");
            } else {
                println!("  violated in the last state: {}", last.join(", "));
            }
            Ok(Exit::Ok)
        }
        Err(e) => Err(Failure {
            code: if e.malformed {
                Exit::Input
            } else {
                Exit::Surprise
            },
            message: format!("{shown}: {e}"),
        }),
    }
}

/// `replay --against impl`: the implementation in the simulator takes
/// the trace's events one by one; the refinement mapping must give back
/// every recorded state.
fn replay_impl(args: &ReplayArgs) -> Outcome {
    use overlay_conformance::ImplReplayError;
    let shown = args.trace.display();
    match overlay_conformance::replay_against_impl(&args.trace) {
        Ok(n) => {
            println!(
                "{shown}: {n} events replay against the implementation; every mapped state matches"
            );
            Ok(Exit::Ok)
        }
        Err(ImplReplayError::Unfit(m)) => Err(input_error(format!("{shown}: {m}"))),
        Err(ImplReplayError::Mismatch(m)) => Err(Failure {
            code: Exit::Surprise,
            message: format!("{shown}: {}", m.trim_end()),
        }),
    }
}

pub fn show(args: &ShowArgs) -> Outcome {
    let (t, r) = load(&args.trace)?;
    let verdicts = match r.replay(&t) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!(
                "warning: {}: does not replay ({e}); properties not shown",
                args.trace.display()
            );
            None
        }
    };
    let text = match args.format {
        ShowFormat::Text => render::table(&t, verdicts.as_deref()),
        ShowFormat::Mermaid => {
            render::mermaid(&t, &r.participants(), &r.arrows(&t), verdicts.as_deref())
        }
    };
    print!("{text}");
    Ok(Exit::Ok)
}

pub fn explore(args: &ExploreArgs) -> Outcome {
    let r = runner(&args.model)?;
    eprintln!(
        "serving Stateright's explorer for {} {} on http://{} (Ctrl-C stops)",
        r.model_name(),
        r.variant_name(),
        args.addr
    );
    r.explore(&args.addr, args.threads).map_err(input_error)?;
    Ok(Exit::Ok)
}
