//! Turning `<model> --variant V -p k=v` into models.

use overlay_models::check::Runner;
use overlay_models::registry::{self, ModelEntry};

use crate::cli::ModelArgs;
use crate::exit::Failure;
use crate::input_error;

/// Splits `-p name=value` flags; a name given twice is an error.
pub fn parse_params(raw: &[String]) -> Result<Vec<(String, String)>, Failure> {
    let mut out: Vec<(String, String)> = Vec::new();
    for kv in raw {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                if out.iter().any(|(seen, _)| seen == k) {
                    return Err(input_error(format!("-p {k} is given twice")));
                }
                out.push((k.to_string(), v.to_string()));
            }
            _ => {
                return Err(input_error(format!(
                    "-p {kv}: expected NAME=VALUE, e.g. -p nodes=4"
                )))
            }
        }
    }
    Ok(out)
}

/// The runners the flags ask for: one variant, or every variant.
pub fn runners(args: &ModelArgs) -> Result<Vec<Box<dyn Runner>>, Failure> {
    let entry: ModelEntry = registry::find(&args.model).map_err(input_error)?;
    let params = parse_params(&args.params)?;
    let variants: Vec<&str> = match &args.variant {
        Some(v) => vec![v.as_str()],
        None => entry.variants.iter().map(|v| v.name).collect(),
    };
    variants
        .into_iter()
        .map(|v| (entry.build)(v, &params).map_err(input_error))
        .collect()
}

/// Exactly one runner: the flags' variant, or the model's first.
pub fn runner(args: &ModelArgs) -> Result<Box<dyn Runner>, Failure> {
    let mut all = runners(args)?;
    Ok(all.remove(0))
}
