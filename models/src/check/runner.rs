//! [`Runner`]: a model behind a trait object, so the command line can
//! drive any model without knowing its state type. Paths become [`Trace`]s.

use std::collections::BTreeMap;
use std::net::{TcpListener, ToSocketAddrs};
use std::time::Duration;

use super::liveness::{LivenessModel, LivenessOptions, LivenessReport};
use super::replay::ReplayError;
use super::run::{check, CheckOptions, CheckOutcome, Progress, PropertyOutcome, Strategy};
use super::scenario::{self, ScriptError};
use super::Path;
use super::{model_args, params_text, OverlayModel, PropertyInfo};
use crate::trace::render::Arrow;
use crate::trace::{Step, Trace, FORMAT_VERSION, INIT};

/// A scenario that ran: its trace and each property's first violation.
pub struct RunReport {
    pub trace: Trace,
    /// Violated property names, per state (0 = initial).
    pub violated: Vec<Vec<String>>,
    /// (property, first step violating it), in property order.
    pub first_violations: Vec<(String, usize)>,
}

/// Everything the command line does with a model.
pub trait Runner: Send + Sync {
    fn model_name(&self) -> &'static str;
    fn variant_name(&self) -> &'static str;
    fn params(&self) -> Vec<(&'static str, String)>;
    fn properties(&self) -> Vec<PropertyInfo>;
    /// Checks; counterexamples come back as traces.
    fn check(
        &self,
        opts: &CheckOptions,
        progress: &mut dyn FnMut(&Progress),
    ) -> CheckOutcome<Trace>;
    /// Runs one swarm worker ([`super::swarm`]); counterexamples come back
    /// as traces.
    fn swarm(
        &self,
        opts: &super::swarm::SwarmOptions,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<super::swarm::SwarmOutcome<Trace>, String>;
    /// Runs a scenario given as text; `command` goes to the trace's meta.
    fn run_script(&self, script: &str, command: &str) -> Result<RunReport, ScriptError>;
    /// Checks the liveness properties under fairness ([`super::liveness`]);
    /// lassos come back as traces.
    fn check_liveness(&self, opts: &LivenessOptions) -> LivenessReport<Trace>;
    /// Replays a trace (a lasso's loop and verdict too); violated property
    /// names per state.
    fn replay(&self, trace: &Trace) -> Result<Vec<Vec<String>>, ReplayError>;
    /// Shrinks a counterexample to `property` by delta debugging over its
    /// events (see [`super::minimize`]); `source` (the original's file
    /// name) and `command` go to the shorter trace's meta.
    fn minimize(
        &self,
        trace: &Trace,
        property: &str,
        source: &str,
        command: &str,
    ) -> Result<super::minimize::MinimizeReport, super::minimize::MinimizeError>;
    /// Diagram participants, and one arrow per event of `trace`.
    fn participants(&self) -> Vec<String>;
    fn arrows(&self, trace: &Trace) -> Vec<Arrow>;
    /// One SVG picture per state of `trace` (index 0 = the initial state),
    /// drawn by the model's painter ([`crate::paint::Painter`]) from the
    /// replayed states, each with its step's changes and first violations
    /// marked. Fails as [`Runner::replay`] does: pictures show the model's
    /// states, so the trace must replay.
    fn svgs(&self, trace: &Trace) -> Result<Vec<String>, ReplayError>;
    /// Serves Stateright's explorer until the process is stopped.
    fn explore(&self, addr: &str, threads: usize) -> Result<(), String>;
}

pub(super) fn base_meta<M: OverlayModel>(
    m: &M,
    kind: &str,
    command: String,
) -> BTreeMap<String, String> {
    let mut meta = BTreeMap::new();
    meta.insert("format".into(), "ITF".into());
    meta.insert("source".into(), "overlay".into());
    meta.insert("overlay-format".into(), FORMAT_VERSION.into());
    meta.insert("model".into(), m.model_name().into());
    meta.insert("variant".into(), m.variant_name().into());
    meta.insert("params".into(), params_text(&m.params()));
    meta.insert("kind".into(), kind.into());
    meta.insert("command".into(), command);
    meta
}

pub(super) fn to_trace<M: OverlayModel>(
    m: &M,
    path: &Path<M>,
    meta: BTreeMap<String, String>,
) -> Trace {
    let (init, steps) = path;
    let mut states = vec![Step {
        action: INIT.into(),
        picks: Default::default(),
        vars: m.itf_encode(init),
    }];
    states.extend(steps.iter().map(|(a, s)| Step {
        action: a.to_string(),
        picks: m.picks(a),
        vars: m.itf_encode(s),
    }));
    Trace {
        meta,
        vars: m.itf_vars().into_iter().map(String::from).collect(),
        states,
    }
}

fn check_command<M: OverlayModel>(m: &M, opts: &CheckOptions) -> String {
    let mut cmd = format!("overlay check {}", model_args(m));
    // Only deterministic budgets reproduce a run; the depth bound is one.
    if let Some(d) = opts.max_depth {
        cmd.push_str(&format!(" --max-depth {d}"));
    }
    if let Strategy::Sim { seed } = opts.strategy {
        cmd.push_str(&format!(" --strategy sim --seed {seed}"));
    } else if opts.strategy == Strategy::Dfs {
        cmd.push_str(" --strategy dfs");
    }
    cmd
}

impl<M: crate::paint::Painter + LivenessModel> Runner for M {
    fn model_name(&self) -> &'static str {
        OverlayModel::model_name(self)
    }
    fn variant_name(&self) -> &'static str {
        OverlayModel::variant_name(self)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        OverlayModel::params(self)
    }
    fn properties(&self) -> Vec<PropertyInfo> {
        self.expectations()
    }

    fn check(
        &self,
        opts: &CheckOptions,
        progress: &mut dyn FnMut(&Progress),
    ) -> CheckOutcome<Trace> {
        let out = check(self, opts, progress);
        let command = check_command(self, opts);
        let properties = out
            .properties
            .into_iter()
            .map(|p| {
                let path = p.path.map(|path| {
                    // A BFS to the trace's length finds it again, quickly.
                    let command = if p.shortest {
                        format!(
                            "overlay check {} --max-depth {}",
                            model_args(self),
                            path.1.len()
                        )
                    } else {
                        command.clone()
                    };
                    let mut meta = base_meta(self, "counterexample", command);
                    meta.insert("property".into(), p.info.name.into());
                    meta.insert("shortest".into(), p.shortest.to_string());
                    if let Strategy::Sim { seed } = opts.strategy {
                        meta.insert("seed".into(), seed.to_string());
                    }
                    to_trace(self, &path, meta)
                });
                PropertyOutcome {
                    info: p.info,
                    verdict: p.verdict,
                    path,
                    shortest: p.shortest,
                }
            })
            .collect();
        CheckOutcome {
            unique_states: out.unique_states,
            states: out.states,
            max_depth: out.max_depth,
            complete: out.complete,
            elapsed: out.elapsed,
            properties,
            shortest: out.shortest,
        }
    }

    fn swarm(
        &self,
        opts: &super::swarm::SwarmOptions,
        progress: &mut dyn FnMut(&Progress),
    ) -> Result<super::swarm::SwarmOutcome<Trace>, String> {
        super::swarm::traced(self, opts, progress)
    }

    fn run_script(&self, script: &str, command: &str) -> Result<RunReport, ScriptError> {
        let init = self
            .init_states()
            .into_iter()
            .next()
            .expect("a model has an initial state");
        let run = scenario::run(self, init, &scenario::lines(script))?;
        let path = (
            run.init.clone(),
            run.steps
                .iter()
                .map(|(_, a, s)| (a.clone(), s.clone()))
                .collect(),
        );
        let trace = to_trace(self, &path, base_meta(self, "example", command.to_string()));
        let first_violations = run.first_violations();
        Ok(RunReport {
            trace,
            violated: run.violated,
            first_violations,
        })
    }

    fn check_liveness(&self, opts: &LivenessOptions) -> LivenessReport<Trace> {
        super::liveness::check_traced(self, opts)
    }

    fn replay(&self, trace: &Trace) -> Result<Vec<Vec<String>>, ReplayError> {
        super::liveness::replay_with_loops(self, trace)
    }

    fn minimize(
        &self,
        trace: &Trace,
        property: &str,
        source: &str,
        command: &str,
    ) -> Result<super::minimize::MinimizeReport, super::minimize::MinimizeError> {
        if trace.meta(super::liveness::LOOP).is_some() {
            let min = super::minimize::minimize_lasso(self, trace, property)?;
            let mut meta = base_meta(self, "counterexample", command.to_string());
            meta.insert("property".into(), min.property.into());
            meta.insert("minimized-from".into(), source.into());
            meta.insert(
                "minimized-from-events".into(),
                min.events_before.to_string(),
            );
            let l = &min.lasso;
            return Ok(super::minimize::MinimizeReport {
                trace: super::liveness::lasso_trace(self, l, meta),
                property: min.property.to_string(),
                events_before: min.events_before,
                events_after: l.prefix_len() + l.loop_len(),
                first_violation: min.prefix_before,
                tests: min.tests,
                lasso: Some((l.prefix_len(), l.loop_len())),
            });
        }
        let min = super::minimize::minimize(self, trace, property)?;
        let mut meta = base_meta(self, "counterexample", command.to_string());
        meta.insert("property".into(), min.property.into());
        meta.insert("minimized-from".into(), source.into());
        meta.insert(
            "minimized-from-events".into(),
            min.events_before.to_string(),
        );
        Ok(super::minimize::MinimizeReport {
            trace: to_trace(self, &min.path, meta),
            property: min.property.to_string(),
            events_before: min.events_before,
            events_after: min.path.1.len(),
            first_violation: min.first_violation,
            tests: min.tests,
            lasso: None,
        })
    }

    fn participants(&self) -> Vec<String> {
        OverlayModel::participants(self)
    }

    fn arrows(&self, trace: &Trace) -> Vec<Arrow> {
        trace
            .states
            .iter()
            .skip(1)
            .map(|st| {
                let parsed = self.parse_pattern(&st.action).ok();
                match parsed.and_then(|p| self.pattern_exact(&p)) {
                    Some(a) => {
                        let (from, to) = self.arrow(&a);
                        Arrow {
                            from,
                            to,
                            label: st.action.clone(),
                        }
                    }
                    None => Arrow {
                        from: self.participants().first().cloned().unwrap_or_default(),
                        to: None,
                        label: st.action.clone(),
                    },
                }
            })
            .collect()
    }

    fn svgs(&self, trace: &Trace) -> Result<Vec<String>, ReplayError> {
        let r = super::replay::replay_path(self, trace)?;
        Ok(crate::paint::paint_path(
            self,
            &r.states,
            &r.actions,
            &r.verdicts,
        ))
    }

    fn explore(&self, addr: &str, threads: usize) -> Result<(), String> {
        let sock = addr
            .to_socket_addrs()
            .map_err(|e| format!("cannot use address `{addr}`: {e}"))?
            .next()
            .ok_or_else(|| format!("address `{addr}` resolves to nothing"))?;
        // Stateright's server panics when it cannot bind: try first.
        drop(TcpListener::bind(sock).map_err(|e| format!("cannot listen on {sock}: {e}"))?);
        let _checker = self.clone().checker().threads(threads.max(1)).serve(sock);
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}
