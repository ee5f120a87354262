//! `overlay replay`, `overlay show` and `overlay explore`.

use overlay_models::check::Runner;
use overlay_models::registry;
use overlay_models::trace::{self, render, Trace};

use crate::cli::{Against, ExploreArgs, ReplayArgs, ShowArgs, ShowFormat};
use crate::exit::{Exit, Failure, Outcome};
use crate::input_error;
use crate::model_args::runner;

// The page builder belongs to `show`; declared here, next to its only user.
use crate::html;

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
    let misplaced = match args.format {
        ShowFormat::Svg => None,
        ShowFormat::Html => args.out_dir.as_ref().map(|_| "--out-dir"),
        _ => match (args.step, &args.out_dir) {
            (Some(_), _) => Some("--step"),
            (_, Some(_)) => Some("--out-dir"),
            _ => None,
        },
    };
    if let Some(flag) = misplaced {
        let also = match flag {
            "--step" => ", and to --format html (the step the page opens on)",
            _ => "",
        };
        return Err(input_error(format!(
            "{flag} applies to --format svg only (pictures of states){also}"
        )));
    }
    if args.out.is_some() && args.format != ShowFormat::Html {
        return Err(input_error(
            "--out applies to --format html only (--format svg takes --out-dir; \
             redirect the other formats)",
        ));
    }
    if args.full && args.format != ShowFormat::Text {
        return Err(input_error("--full applies to --format text only"));
    }
    let (t, r) = load(&args.trace)?;
    let verdicts = || match r.replay(&t) {
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
        ShowFormat::Text => {
            let opts = render::TableOptions {
                full: args.full,
                properties: Some(r.properties().len()),
            };
            render::table_with(&t, verdicts().as_deref(), opts)
        }
        ShowFormat::Mermaid => {
            render::mermaid(&t, &r.participants(), &r.arrows(&t), verdicts().as_deref())
        }
        ShowFormat::Svg => return show_svg(args, &t, r.as_ref()),
        ShowFormat::Html => return show_html(args, &t, r.as_ref()),
    };
    print!("{text}");
    Ok(Exit::Ok)
}

/// `show --format html`: one self-contained page (see [`html`]) on stdout
/// or into `--out FILE`. A trace that does not replay still gets its page,
/// with its steps and changes but without pictures and verdicts, and a
/// warning on it and on stderr, as the text view does: the page is most
/// needed when something is off.
fn show_html(args: &ShowArgs, t: &Trace, r: &dyn Runner) -> Outcome {
    let shown = args.trace.display();
    let last = t.len_events();
    if let Some(k) = args.step {
        if k > last {
            return Err(input_error(format!(
                "{shown}: --step {k} is out of range: the trace has states 0 … {last} \
                 (0 = the initial state)"
            )));
        }
    }
    let (verdicts, pictures, warning) = match r.replay(t) {
        Ok(v) => match r.svgs(t) {
            Ok(p) => (Some(v), Some(p), None),
            Err(e) => (Some(v), None, Some(format!("cannot draw its states ({e})"))),
        },
        Err(e) => (
            None,
            None,
            Some(format!(
                "does not replay ({e}); properties and pictures not shown"
            )),
        ),
    };
    if let Some(w) = &warning {
        eprintln!("warning: {shown}: {w}");
    }
    let file = args
        .trace
        .file_name()
        .map_or_else(|| shown.to_string(), |f| f.to_string_lossy().into_owned());
    let properties = r.properties();
    let page = html::Page {
        trace: t,
        file: &file,
        properties: &properties,
        verdicts: verdicts.as_deref(),
        pictures: pictures.as_deref(),
        warning: warning.as_deref(),
        selected: args
            .step
            .unwrap_or_else(|| html::default_step(t, verdicts.as_deref())),
    };
    let text = html::render(&page);
    let Some(out) = &args.out else {
        print!("{text}");
        return Ok(Exit::Ok);
    };
    std::fs::write(out, &text)
        .map_err(|e| input_error(format!("cannot write {}: {e}", out.display())))?;
    println!("wrote {} (states 0 … {last})", out.display());
    Ok(Exit::Ok)
}

/// `show --format svg`: the picture of one state on stdout, or of every
/// state into a folder. Pictures are drawn from the replayed states, so a
/// trace that does not replay is an error here (exit 2 when it is
/// malformed, 1 when it departs from the model, as for `replay`).
fn show_svg(args: &ShowArgs, t: &Trace, r: &dyn Runner) -> Outcome {
    let shown = args.trace.display();
    let last = t.len_events();
    if args.step.is_none() && args.out_dir.is_none() {
        return Err(input_error(format!(
            "{shown}: --format svg needs --step K (K in 0 … {last}) or --out-dir DIR"
        )));
    }
    if let Some(k) = args.step {
        if k > last {
            return Err(input_error(format!(
                "{shown}: --step {k} is out of range: the trace has states 0 … {last} \
                 (0 = the initial state)"
            )));
        }
    }
    let svgs = r.svgs(t).map_err(|e| Failure {
        code: if e.malformed {
            Exit::Input
        } else {
            Exit::Surprise
        },
        message: format!("{shown}: cannot draw its states, the trace does not replay: {e}"),
    })?;
    if let Some(k) = args.step {
        print!("{}", svgs[k]);
        return Ok(Exit::Ok);
    }
    let Some(dir) = &args.out_dir else {
        return Ok(Exit::Ok);
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| input_error(format!("cannot create folder {}: {e}", dir.display())))?;
    for (k, svg) in svgs.iter().enumerate() {
        let file = dir.join(svg_name(k));
        std::fs::write(&file, svg)
            .map_err(|e| input_error(format!("cannot write {}: {e}", file.display())))?;
    }
    println!(
        "wrote {} pictures to {} ({} … {})",
        svgs.len(),
        dir.display(),
        svg_name(0),
        svg_name(svgs.len().saturating_sub(1))
    );
    Ok(Exit::Ok)
}

/// The file of state `k`'s picture: zero-padded, so names sort by step.
fn svg_name(k: usize) -> String {
    format!("step-{k:03}.svg")
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
