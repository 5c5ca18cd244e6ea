//! Checks of the `[command]` table: the intended command, its typo model, the input as
//! typed on the day, and the tool's safeguards.

use toml::Value;

use super::{values::describe, Checker, Result};
use crate::model::{Node, NodeId, NodeKind};
use crate::safeguard::{Confirmation, Guard, GuardMode, RateLimit, Safeguards};
use crate::scenario::raw::*;
use crate::scenario::units::{self, PERCENT_FORMAT};
use crate::typo::{
    read_count, Action, Command, EachServer, NumberTypos, SelectorMatch, TargetTypos, TypedInput,
    TypoKind,
};

impl Checker<'_> {
    pub(super) fn command(
        &self,
        raw: &Spanned<RawCommand>,
        nodes: &[Node],
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
    ) -> Result<Command> {
        let c = raw.get_ref();
        let target = self.subsystem_ref("command.target", &c.target, nodes, resolve)?;
        let count = self.count("command.count", &c.count, 1, i64::MAX)?;
        let number_typos = match &c.number_typos {
            Some(t) => self.number_typos(t)?,
            None => NumberTypos::NONE,
        };
        let target_typos = match &c.target_typos {
            Some(t) => self.target_typos(t, nodes, resolve)?,
            None => TargetTypos {
                probability: 0.0,
                matches: Vec::new(),
            },
        };
        let as_typed = match &c.as_typed {
            Some(a) => Some(self.as_typed(a, &target_typos)?),
            None => None,
        };
        let safeguards = match &c.safeguards {
            Some(s) => self.safeguards(s)?,
            None => Safeguards::default(),
        };
        if let (Some(r), Some(raw)) = (&safeguards.rate_limit, c.safeguards.as_ref()) {
            // Each step of a rate-limited removal is an event: bound the work of one run.
            let fleet: u64 = nodes
                .iter()
                .filter_map(|n| match &n.kind {
                    NodeKind::Subsystem(s) => Some(s.servers),
                    _ => None,
                })
                .fold(0u64, u64::saturating_add);
            let steps = fleet.div_ceil(r.servers);
            if let (true, Some(written)) = (steps > MAX_STEPS, raw.rate_limit.as_ref()) {
                return Err(self.invalid(
                    written.servers.span(),
                    "command.safeguards.rate_limit.servers",
                    format!(
                        "{} servers a step: {steps} steps to remove every server",
                        r.servers
                    ),
                    format!(
                        "at most {MAX_STEPS} steps per command: at least {} servers a step",
                        fleet.div_ceil(MAX_STEPS)
                    ),
                ));
            }
        }
        let action = match &c.action {
            None => Action::Remove,
            Some(a) => match a.get_ref().as_str() {
                "remove" => Action::Remove,
                "reboot" => Action::Reboot,
                other => {
                    return Err(self.invalid(
                        a.span(),
                        "command.action",
                        format!("{other:?}"),
                        "\"remove\" or \"reboot\"",
                    ))
                }
            },
        };
        Ok(Command {
            description: c.description.clone().unwrap_or_default(),
            target,
            count,
            action,
            number_typos,
            target_typos,
            as_typed,
            safeguards,
        })
    }

    fn number_typos(&self, t: &RawNumberTypos) -> Result<NumberTypos> {
        let per_keystroke =
            self.probability("command.number_typos.per_keystroke", &t.per_keystroke)?;
        let mut weights = [1.0; 5];
        if let Some(k) = &t.kinds {
            let given = [
                &k.duplicate,
                &k.omit,
                &k.substitute,
                &k.insert,
                &k.transpose,
            ];
            for (i, (w, kind)) in given.iter().zip(TypoKind::ALL).enumerate() {
                weights[i] = match w {
                    Some(w) => {
                        self.weight(&format!("command.number_typos.kinds.{}", kind.key()), w)?
                    }
                    None => 0.0,
                };
            }
            if weights.iter().sum::<f64>() <= 0.0 {
                return Err(self.invalid(
                    t.per_keystroke.span(),
                    "command.number_typos.kinds",
                    "all zero".into(),
                    "at least one kind with a weight above zero",
                ));
            }
        }
        scale_to_finite_sum(&mut weights);
        Ok(NumberTypos {
            per_keystroke,
            weights,
        })
    }

    fn target_typos(
        &self,
        t: &RawTargetTypos,
        nodes: &[Node],
        resolve: &impl Fn(&str, &Spanned<String>) -> Result<NodeId>,
    ) -> Result<TargetTypos> {
        let probability = self.probability("command.target_typos.probability", &t.probability)?;
        if probability > 0.0 && t.matches.is_empty() {
            return Err(self.invalid(
                t.probability.span(),
                "command.target_typos.matches",
                "missing".into(),
                "at least one [[command.target_typos.matches]] when the probability is above zero",
            ));
        }
        let mut matches: Vec<SelectorMatch> = Vec::new();
        for m in &t.matches {
            let key = format!("command.target_typos.matches.{}", m.name.get_ref());
            if matches.iter().any(|x| &x.name == m.name.get_ref()) || m.name.get_ref() == "intended"
            {
                return Err(self.invalid(
                    m.name.span(),
                    "command.target_typos.matches.name",
                    format!("{:?}", m.name.get_ref()),
                    "a name used once, other than \"intended\"",
                ));
            }
            let weight = match &m.weight {
                Some(w) => self.weight(&format!("{key}.weight"), w)?,
                None => 1.0,
            };
            let mut hits = Vec::new();
            if let Some(table) = &m.hits {
                let mut total = 0.0;
                for (name, share) in table.get_ref() {
                    let id = self.subsystem_ref(&format!("{key}.hits"), name, nodes, resolve)?;
                    let hit_key = format!("{key}.hits.{}", name.get_ref());
                    let f =
                        self.with_units(&hit_key, share, PERCENT_FORMAT, units::parse_percent)?;
                    total += f;
                    hits.push((id, (f * 1e6).round() as u64));
                }
                if (total - 1.0).abs() > 1e-6 {
                    return Err(self.invalid(
                        table.span(),
                        &format!("{key}.hits"),
                        format!("shares adding up to {:.4}%", total * 100.0),
                        "shares of the typed count that add up to 100%",
                    ));
                }
            }
            let mut each = Vec::new();
            for (name, share) in m.each.iter().flat_map(|t| t.get_ref()) {
                let node = self.subsystem_ref(&format!("{key}.each"), name, nodes, resolve)?;
                let each_key = format!("{key}.each.{}", name.get_ref());
                let f = self.with_units(&each_key, share, PERCENT_FORMAT, units::parse_percent)?;
                if f > 1.0 {
                    return Err(self.invalid(
                        share.span(),
                        &each_key,
                        describe(share.get_ref()),
                        "a share of its servers from 0% to 100%",
                    ));
                }
                let servers = match &nodes[node.0].kind {
                    NodeKind::Subsystem(s) => s.servers,
                    _ => 0,
                };
                each.push(EachServer {
                    node,
                    servers,
                    share: f,
                });
            }
            if hits.is_empty() && each.is_empty() {
                return Err(self.invalid(
                    m.name.span(),
                    &key,
                    "a match that hits nothing".into(),
                    "`hits` (shares of the typed count) or `each` (shares of a subsystem's servers), or both",
                ));
            }
            matches.push(SelectorMatch {
                name: m.name.get_ref().clone(),
                weight,
                hits,
                each,
            });
        }
        if probability > 0.0 && matches.iter().all(|m| m.weight == 0.0) {
            return Err(self.invalid(
                t.probability.span(),
                "command.target_typos.matches",
                "all weights zero".into(),
                "at least one match with a weight above zero",
            ));
        }
        let mut weights: Vec<f64> = matches.iter().map(|m| m.weight).collect();
        scale_to_finite_sum(&mut weights);
        for (m, w) in matches.iter_mut().zip(weights) {
            m.weight = w;
        }
        Ok(TargetTypos {
            probability,
            matches,
        })
    }

    fn as_typed(&self, a: &RawAsTyped, typos: &TargetTypos) -> Result<TypedInput> {
        let count_text = match a.count.get_ref() {
            Value::Integer(i) if *i >= 0 => Some(i.to_string()),
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) && s.len() <= 40 => {
                Some(s.clone())
            }
            _ => None,
        }
        .ok_or_else(|| {
            self.invalid(
                a.count.span(),
                "command.as_typed.count",
                describe(a.count.get_ref()),
                "the digits as typed, such as \"100\" (at most 40)",
            )
        })?;
        let selector = match &a.selector {
            None => crate::typo::Selector::Intended,
            Some(s) if s.get_ref() == "intended" => crate::typo::Selector::Intended,
            Some(s) => match typos.matches.iter().position(|m| &m.name == s.get_ref()) {
                Some(i) => crate::typo::Selector::Wrong(i),
                None => {
                    let mut allowed = vec!["\"intended\"".to_string()];
                    allowed.extend(typos.matches.iter().map(|m| format!("{:?}", m.name)));
                    return Err(self.invalid(
                        s.span(),
                        "command.as_typed.selector",
                        format!("{:?}", s.get_ref()),
                        format!("one of {}", allowed.join(", ")),
                    ));
                }
            },
        };
        Ok(TypedInput {
            count: read_count(count_text.as_bytes()),
            count_text,
            selector,
        })
    }

    fn safeguards(&self, s: &RawSafeguards) -> Result<Safeguards> {
        let key = "command.safeguards";
        let fails = |k: &str, f: &Option<Spanned<f64>>| match f {
            Some(f) => self.probability(&format!("{key}.{k}.fails"), f),
            None => Ok(0.0),
        };
        let guard = match &s.min_capacity_guard {
            Some(g) => {
                let mode = match g.mode.get_ref().as_str() {
                    "refuse" => GuardMode::Refuse,
                    "clip" => GuardMode::Clip,
                    other => {
                        return Err(self.invalid(
                            g.mode.span(),
                            &format!("{key}.min_capacity_guard.mode"),
                            format!("{other:?}"),
                            "\"refuse\" or \"clip\"",
                        ))
                    }
                };
                Some(Guard {
                    mode,
                    fails: fails("min_capacity_guard", &g.fails)?,
                })
            }
            None => None,
        };
        let rate_limit = match &s.rate_limit {
            Some(r) => Some(RateLimit {
                servers: self.count(
                    &format!("{key}.rate_limit.servers"),
                    &r.servers,
                    1,
                    i64::MAX,
                )?,
                per: self.duration(&format!("{key}.rate_limit.per"), &r.per)?,
                detection: self.delay(&format!("{key}.rate_limit.detection"), &r.detection)?,
                fails: fails("rate_limit", &r.fails)?,
            }),
            None => None,
        };
        let confirmation = match &s.confirmation {
            Some(c) => Some(Confirmation {
                above: self.count(&format!("{key}.confirmation.above"), &c.above, 0, i64::MAX)?,
                confirm_anyway: self.probability(
                    &format!("{key}.confirmation.confirm_anyway"),
                    &c.confirm_anyway,
                )?,
                fails: fails("confirmation", &c.fails)?,
            }),
            None => None,
        };
        Ok(Safeguards {
            guard,
            rate_limit,
            confirmation,
        })
    }
}

/// Most steps a rate-limited removal may take (each is an event in every run), so that
/// one run's work stays bounded whatever the fleet: at 1 server a step, 10,000,000 servers
/// would take 10,000,000 events and gigabytes.
pub const MAX_STEPS: u64 = 1_000_000;

/// Relative weights are drawn from by their sum: where that sum would overflow (two weights
/// of `1e308`), divide them all by the largest, which keeps their ratios and makes it finite.
fn scale_to_finite_sum(weights: &mut [f64]) {
    if weights.iter().sum::<f64>().is_finite() {
        return;
    }
    let largest = weights.iter().copied().fold(0.0, f64::max);
    for w in weights {
        *w /= largest;
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use crate::scenario;

    fn command_with(typos: &str) -> crate::model::Model {
        let text = format!(
            "[scenario]\nname = \"w\"\n\n[subsystems.a]\nservers = 100\nmin_capacity = 1\n\
             restart = {{ parallelism = 1, boot_time = {{ dist = \"constant\", value = \"1m\" }} }}\n\n\
             [command]\ntarget = \"a\"\ncount = 5\n{typos}\n"
        );
        scenario::parse("w.toml", &text).expect("valid")
    }

    #[test]
    fn weights_keep_their_ratio_and_a_finite_sum() {
        // Two kinds of weight 1e308 sum to infinity: before scaling, every draw fell through
        // to the last kind. Ordinary weights are kept as written.
        for (kinds, weights) in [
            ("duplicate = 1e308, omit = 1e308", [1.0, 1.0, 0.0, 0.0, 0.0]),
            ("duplicate = 3, substitute = 0.5", [3.0, 0.0, 0.5, 0.0, 0.0]),
        ] {
            let model = command_with(&format!(
                "number_typos = {{ per_keystroke = 1.0, kinds = {{ {kinds} }} }}"
            ));
            assert_eq!(model.command.number_typos.weights, weights, "{kinds}");
        }
        // And the overflowing pair is drawn half and half: "5" typed "55" or "".
        let model = command_with(
            "number_typos = { per_keystroke = 1.0, kinds = { duplicate = 1e308, omit = 1e308 } }",
        );
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut scratch = Vec::new();
        let duplicated = (0..2000)
            .filter(|_| model.command.draw(&mut rng, &mut scratch).0 == 55)
            .count();
        // 1000 ± 4 sd (sd = 22.4).
        assert!(duplicated.abs_diff(1000) < 90, "{duplicated} of 2000");
    }
}
