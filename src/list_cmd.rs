//! `overlay list`: what can be checked.

use overlay_models::registry;
use serde_json::json;

use crate::cli::{Format, ListArgs};
use crate::exit::{Exit, Outcome};

pub fn list(args: &ListArgs) -> Outcome {
    let models = registry::models();
    match args.format {
        Format::Json => {
            let doc: Vec<_> = models
                .iter()
                .map(|m| {
                    let variants: Vec<_> = m
                        .variants
                        .iter()
                        .map(|v| {
                            let props: Vec<_> = m
                                .properties(v.name)
                                .iter()
                                .map(|p| json!({ "name": p.name, "expected": p.expect.to_string(), "about": p.about }))
                                .collect();
                            json!({ "name": v.name, "about": v.about, "properties": props })
                        })
                        .collect();
                    let params: Vec<_> =
                        m.params.iter().map(|(n, a)| json!({ "name": n, "about": a })).collect();
                    json!({ "model": m.name, "about": m.about, "params": params, "variants": variants })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&doc).expect("JSON"));
        }
        Format::Text => {
            for m in &models {
                println!("{}  {}", m.name, m.about);
                println!("  parameters (-p NAME=VALUE):");
                for (n, a) in m.params {
                    println!("    {n:10} {a}");
                }
                for v in &m.variants {
                    println!("  variant {}: {}", v.name, v.about);
                    for p in m.properties(v.name) {
                        println!(
                            "    {:30} expected {:8}  {}",
                            p.name,
                            p.expect.to_string(),
                            p.about
                        );
                    }
                }
            }
        }
    }
    Ok(Exit::Ok)
}
