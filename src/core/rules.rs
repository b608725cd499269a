//! Rules decide what happens to a message: an ordered list per tenant, first match wins.
//!
//! A rule matches on the recipient and sender (exact, prefix or glob), the body (substring or
//! regular expression) and optionally only its first N matches. Its outcome either rejects the
//! request synchronously with a provider error, or accepts it and plays a lifecycle script:
//! statuses with delays and error codes. The seed's config keys (`failure_numbers`,
//! `registered_numbers`, `default_behavior`) are sugar that becomes rules.

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::core::messaging::{MessageStatus, async_error_message};
use crate::core::store;
use crate::core::tenants::Tenant;
use crate::core::{Core, CoreError};

/// A synchronous refusal, in provider terms: the HTTP status and the provider's error code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub http_status: u16,
    pub code: u32,
    pub message: String,
}

impl Rejection {
    pub fn new(http_status: u16, code: u32, message: impl Into<String>) -> Self {
        Rejection {
            http_status,
            code,
            message: message.into(),
        }
    }
}

/// One status change of a lifecycle script, `delay_ms` after the previous one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub status: MessageStatus,
    #[serde(default)]
    pub delay_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl Step {
    pub fn new(status: MessageStatus, delay_ms: u64) -> Self {
        Step {
            status,
            delay_ms,
            error_code: None,
            error_message: None,
        }
    }

    pub fn failing(status: MessageStatus, delay_ms: u64, code: u32) -> Self {
        Step {
            status,
            delay_ms,
            error_code: Some(code),
            error_message: async_error_message(code).map(str::to_owned),
        }
    }
}

/// How an address is matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressPattern {
    Exact(String),
    Prefix(String),
    /// `*` matches any run of characters, `?` any one character.
    Glob(String),
}

impl AddressPattern {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            AddressPattern::Exact(expected) => expected == value,
            AddressPattern::Prefix(prefix) => value.starts_with(prefix.as_str()),
            AddressPattern::Glob(pattern) => glob_matches(pattern.as_bytes(), value.as_bytes()),
        }
    }
}

fn glob_matches(pattern: &[u8], value: &[u8]) -> bool {
    // Iterative wildcard matching with single-star backtracking: linear in practice.
    let (mut p, mut v) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while v < value.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == value[v]) {
            p += 1;
            v += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, v));
            p += 1;
        } else if let Some((star_p, star_v)) = star {
            p = star_p + 1;
            v = star_v + 1;
            star = Some((star_p, star_v + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&b| b == b'*')
}

/// How a body is matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyPattern {
    Contains(String),
    Regex(String),
}

/// What a rule looks at. Absent fields match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    /// `sms`, `mms` or `whatsapp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<AddressPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<AddressPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyPattern>,
}

/// What a matching rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Reject(Rejection),
    Accept {
        script: Vec<Step>,
    },
    /// What the called party does (channel `voice` only: a rule with this outcome matches
    /// calls, never messages).
    Call(CallOutcome),
}

/// How a called party (an outbound call's callee, a `<Dial>`ed leg) behaves. All times are
/// tenant time, from the moment the phone starts ringing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum CallOutcome {
    /// Picked up after `ring_ms` (the server's step delay when absent) by a person, or by an
    /// answering machine (`AnsweredBy` says which when machine detection is on); the callee
    /// hangs up after `talk_ms`, or stays until the call's TwiML ends or someone hangs up.
    Answer {
        #[serde(default)]
        machine: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ring_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        talk_ms: Option<u64>,
    },
    /// The line is busy after `ring_ms`.
    Busy {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ring_ms: Option<u64>,
    },
    /// Rings until the call's `Timeout`, then `no-answer`.
    NoAnswer,
    /// The call cannot be placed: `failed`, before it rings.
    Fail,
    /// Rings until the test answers or rejects it through the control plane (or the call's
    /// `Timeout` passes).
    Ring,
}

impl Outcome {
    /// What a call the outcome takes does. A message script becomes the callee picking up when
    /// it delivers, and a failed call when it ends in `failed` or `undelivered` (so that the
    /// seed's `failure_numbers` and `registered_numbers` decide calls too); none for a
    /// rejection, which refuses the call's create.
    pub fn for_call(&self) -> Option<CallOutcome> {
        match self {
            Outcome::Reject(_) => None,
            Outcome::Call(outcome) => Some(outcome.clone()),
            Outcome::Accept { script } => Some(
                if script.last().is_some_and(|step| step.status.is_error()) {
                    CallOutcome::Fail
                } else {
                    CallOutcome::Answer {
                        machine: false,
                        ring_ms: None,
                        talk_ms: None,
                    }
                },
            ),
        }
    }
}

/// A rule as tests and config write it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    #[serde(default)]
    pub when: Match,
    pub then: Outcome,
    /// Only the first N matching messages take this rule; later ones fall through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_n: Option<u32>,
    /// Extra time before the API answers, in ms.
    #[serde(default)]
    pub latency_ms: u64,
    /// How the status callbacks of the messages it takes misbehave.
    #[serde(default, skip_serializing_if = "CallbackDisorder::is_orderly")]
    pub callbacks: CallbackDisorder,
}

/// Status callbacks that misbehave on purpose, to prove an app's handler is idempotent and
/// order-proof. The statuses themselves still change on time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackDisorder {
    /// Never send the callbacks of these statuses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<MessageStatus>,
    /// Send the callbacks of these statuses twice, with one idempotency token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicate: Vec<MessageStatus>,
    /// Hold the callbacks of some statuses back by a delay, in ms (tenant time).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub delay_ms: Vec<(MessageStatus, u64)>,
}

impl CallbackDisorder {
    pub fn is_orderly(&self) -> bool {
        self == &CallbackDisorder::default()
    }

    /// When the callbacks for `status` go out, relative to the status change: none if dropped,
    /// two if duplicated.
    pub fn delivery_delays(&self, status: MessageStatus) -> Vec<u64> {
        if self.drop.contains(&status) {
            return Vec::new();
        }
        let delay = self
            .delay_ms
            .iter()
            .find(|(delayed, _)| *delayed == status)
            .map_or(0, |(_, ms)| *ms);
        let copies = if self.duplicate.contains(&status) {
            2
        } else {
            1
        };
        vec![delay; copies]
    }
}

/// The facts about a message that rules look at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub channel: &'a str,
    pub to: &'a str,
    pub from: Option<&'a str>,
    pub body: &'a str,
}

/// A tenant's rules, compiled, with how often each has matched.
#[derive(Debug, Default)]
pub struct RuleBook {
    rules: Vec<CompiledRule>,
}

#[derive(Debug)]
struct CompiledRule {
    rule: Rule,
    body_regex: Option<Regex>,
    hits: u32,
}

/// The rule that decided, as reported in events.
#[derive(Debug, Clone)]
pub struct Decision {
    pub rule: Rule,
    pub outcome: Outcome,
}

#[derive(Debug, thiserror::Error)]
pub enum InvalidRule {
    #[error("rule {id}: invalid body regex: {source}")]
    BodyRegex {
        id: String,
        #[source]
        source: regex::Error,
    },
    #[error("two rules have the id {0:?}; ids must be unique within a tenant")]
    DuplicateId(String),
    #[error("rule {id}: {problem}")]
    Invalid { id: String, problem: String },
}

impl RuleBook {
    pub fn new(rules: Vec<Rule>) -> Result<Self, InvalidRule> {
        let mut ids = std::collections::HashSet::new();
        if let Some(duplicate) = rules.iter().find(|r| !ids.insert(r.id.as_str())) {
            return Err(InvalidRule::DuplicateId(duplicate.id.clone()));
        }
        let rules = rules
            .into_iter()
            .map(|rule| {
                let body_regex = match &rule.when.body {
                    Some(BodyPattern::Regex(pattern)) => Some(Regex::new(pattern).map_err(
                        |source| InvalidRule::BodyRegex {
                            id: rule.id.clone(),
                            source,
                        },
                    )?),
                    _ => None,
                };
                Ok(CompiledRule {
                    rule,
                    body_regex,
                    hits: 0,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(RuleBook { rules })
    }

    pub fn rules(&self) -> Vec<Rule> {
        self.rules.iter().map(|r| r.rule.clone()).collect()
    }

    /// Append a rule, keeping the others' hit counts.
    pub fn push(&mut self, rule: Rule) -> Result<(), InvalidRule> {
        if self.rules.iter().any(|r| r.rule.id == rule.id) {
            return Err(InvalidRule::DuplicateId(rule.id));
        }
        let mut compiled = RuleBook::new(vec![rule])?.rules;
        self.rules.append(&mut compiled);
        Ok(())
    }

    /// The first rule that matches `subject` and still has budget; counts the hit.
    pub fn decide(&mut self, subject: Subject<'_>) -> Option<Decision> {
        let compiled = self.rules.iter_mut().find(|compiled| {
            compiled.matches(subject)
                && compiled
                    .rule
                    .first_n
                    .is_none_or(|limit| compiled.hits < limit)
        })?;
        compiled.hits += 1;
        Some(Decision {
            rule: compiled.rule.clone(),
            outcome: compiled.rule.then.clone(),
        })
    }
}

impl CompiledRule {
    fn matches(&self, subject: Subject<'_>) -> bool {
        let when = &self.rule.when;
        let voice_only = matches!(self.rule.then, Outcome::Call(_));
        (!voice_only || subject.channel.eq_ignore_ascii_case("voice"))
            && when
                .channel
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(subject.channel))
            && when.to.as_ref().is_none_or(|p| p.matches(subject.to))
            && when
                .from
                .as_ref()
                .is_none_or(|p| subject.from.is_some_and(|from| p.matches(from)))
            && match &when.body {
                None => true,
                Some(BodyPattern::Contains(needle)) => subject.body.contains(needle.as_str()),
                Some(BodyPattern::Regex(_)) => self
                    .body_regex
                    .as_ref()
                    .is_some_and(|re| re.is_match(subject.body)),
            }
    }
}

/// The script of a message that reaches its recipient: `sent`, then `delivered`.
pub fn delivered_script(delay_ms: u64) -> Vec<Step> {
    vec![
        Step::new(MessageStatus::Sent, delay_ms),
        Step::new(MessageStatus::Delivered, delay_ms),
    ]
}

/// The script of a WhatsApp message the user opens: sent, delivered, read.
pub fn read_script(delay_ms: u64) -> Vec<Step> {
    let mut script = delivered_script(delay_ms);
    script.push(Step::new(MessageStatus::Read, delay_ms));
    script
}

/// The script of a message that never leaves: `failed` with 30008 (unknown error), as the
/// seed's `failure_numbers` and `default_behavior: failure` meant.
pub fn failed_script(delay_ms: u64) -> Vec<Step> {
    vec![Step::failing(MessageStatus::Failed, delay_ms, 30008)]
}

impl Core {
    /// Replace a tenant's rules. Rules without an id get one (`rule-N`).
    pub async fn set_rules(
        &self,
        tenant: &Tenant,
        mut rules: Vec<Rule>,
    ) -> Result<Vec<Rule>, CoreError> {
        name_rules(&mut rules, &[]);
        let book = RuleBook::new(rules.clone())?;
        self.store
            .write(store::SetRules {
                account_sid: tenant.sid(),
                rules: rules.clone(),
            })
            .await?;
        tenant.with_rules(|current| *current = book);
        Ok(rules)
    }

    /// Append a rule after the tenant's others. Counts of first-N rules already there carry on.
    pub async fn add_rule(&self, tenant: &Tenant, mut rule: Rule) -> Result<Rule, CoreError> {
        let existing = tenant.with_rules(|book| book.rules());
        name_rules(std::slice::from_mut(&mut rule), &existing);
        let mut all = existing;
        all.push(rule.clone());
        RuleBook::new(all.clone())?;
        self.store
            .write(store::SetRules {
                account_sid: tenant.sid(),
                rules: all,
            })
            .await?;
        tenant.with_rules(|book| book.push(rule.clone()))?;
        Ok(rule)
    }

    pub fn rules(&self, tenant: &Tenant) -> Vec<Rule> {
        tenant.with_rules(|book| book.rules())
    }
}

/// Give every unnamed rule an id (`rule-N`) that neither its neighbours nor `existing` use.
fn name_rules(rules: &mut [Rule], existing: &[Rule]) {
    let mut taken: std::collections::HashSet<String> = existing
        .iter()
        .chain(rules.iter())
        .map(|r| r.id.clone())
        .collect();
    let mut next = existing.len() + 1;
    for rule in rules.iter_mut().filter(|r| r.id.is_empty()) {
        while taken.contains(&format!("rule-{next}")) {
            next += 1;
        }
        rule.id = format!("rule-{next}");
        taken.insert(rule.id.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject<'a>(to: &'a str, body: &'a str) -> Subject<'a> {
        Subject {
            channel: "sms",
            to,
            from: Some("+15005550006"),
            body,
        }
    }

    fn accept(id: &str, when: Match, first_n: Option<u32>) -> Rule {
        Rule {
            id: id.into(),
            when,
            then: Outcome::Accept {
                script: delivered_script(0),
            },
            first_n,
            latency_ms: 0,
            callbacks: CallbackDisorder::default(),
        }
    }

    #[test]
    fn disorder_drops_duplicates_and_delays() {
        let disorder = CallbackDisorder {
            drop: vec![MessageStatus::Sent],
            duplicate: vec![MessageStatus::Delivered],
            delay_ms: vec![(MessageStatus::Delivered, 500)],
        };
        assert!(disorder.delivery_delays(MessageStatus::Sent).is_empty());
        assert_eq!(
            disorder.delivery_delays(MessageStatus::Delivered),
            vec![500, 500]
        );
        assert_eq!(disorder.delivery_delays(MessageStatus::Failed), vec![0]);
        assert!(CallbackDisorder::default().is_orderly());
    }

    #[test]
    fn rule_ids_are_unique() {
        let rule = accept("same", Match::default(), None);
        assert!(matches!(
            RuleBook::new(vec![rule.clone(), rule]),
            Err(InvalidRule::DuplicateId(id)) if id == "same"
        ));
    }

    #[test]
    fn globs() {
        assert!(glob_matches(b"+1555*", b"+15551234"));
        assert!(glob_matches(b"+1555???0007", b"+15550000007"));
        assert!(!glob_matches(b"+1555???0007", b"+15550000008"));
        assert!(glob_matches(b"*7", b"+17"));
        assert!(glob_matches(b"*", b""));
        assert!(!glob_matches(b"a*b*c", b"abca"));
    }

    #[test]
    fn first_match_wins_and_first_n_falls_through() {
        let to = |p: AddressPattern| Match {
            to: Some(p),
            ..Match::default()
        };
        let mut book = RuleBook::new(vec![
            accept("once", to(AddressPattern::Exact("+1".into())), Some(1)),
            accept("prefix", to(AddressPattern::Prefix("+1".into())), None),
        ])
        .unwrap();
        assert_eq!(book.decide(subject("+1", "")).unwrap().rule.id, "once");
        assert_eq!(book.decide(subject("+1", "")).unwrap().rule.id, "prefix");
        assert!(book.decide(subject("+2", "")).is_none());
    }

    #[test]
    fn body_patterns() {
        let body = |p: BodyPattern| Match {
            body: Some(p),
            ..Match::default()
        };
        let mut book = RuleBook::new(vec![
            accept("re", body(BodyPattern::Regex("^code \\d+$".into())), None),
            accept("has", body(BodyPattern::Contains("hello".into())), None),
        ])
        .unwrap();
        assert_eq!(book.decide(subject("+1", "code 42")).unwrap().rule.id, "re");
        assert_eq!(
            book.decide(subject("+1", "oh hello")).unwrap().rule.id,
            "has"
        );
        assert!(book.decide(subject("+1", "code x")).is_none());
        assert!(
            RuleBook::new(vec![accept(
                "bad",
                body(BodyPattern::Regex("(".into())),
                None
            )])
            .is_err()
        );
    }
}
