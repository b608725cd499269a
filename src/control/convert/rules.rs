//! Rules: what a test says happens to the messages it names (the Rules service).

use tonic::Status;

use super::messages::{core_status, status};
use super::{millis, proto_duration};
use crate::core::messaging::MessageStatus;
use crate::core::rules::{
    self, AddressPattern, BodyPattern, CallOutcome, CallbackDisorder, Outcome, Rule, Step,
};
use crate::proto;

fn address(pattern: &AddressPattern) -> proto::AddressPattern {
    use proto::address_pattern::Pattern;
    proto::AddressPattern {
        pattern: Some(match pattern {
            AddressPattern::Exact(v) => Pattern::Exact(v.clone()),
            AddressPattern::Prefix(v) => Pattern::Prefix(v.clone()),
            AddressPattern::Glob(v) => Pattern::Glob(v.clone()),
        }),
    }
}

fn core_address(pattern: Option<&proto::AddressPattern>) -> Option<AddressPattern> {
    use proto::address_pattern::Pattern;
    Some(match pattern?.pattern.as_ref()? {
        Pattern::Exact(v) => AddressPattern::Exact(v.clone()),
        Pattern::Prefix(v) => AddressPattern::Prefix(v.clone()),
        Pattern::Glob(v) => AddressPattern::Glob(v.clone()),
    })
}

pub fn rule(r: &Rule) -> proto::Rule {
    use proto::body_pattern::Pattern;
    proto::Rule {
        id: r.id.clone(),
        when: Some(proto::MessageMatch {
            channel: r.when.channel.clone().unwrap_or_default(),
            to: r.when.to.as_ref().map(address),
            from: r.when.from.as_ref().map(address),
            body: r.when.body.as_ref().map(|b| proto::BodyPattern {
                pattern: Some(match b {
                    BodyPattern::Contains(v) => Pattern::Contains(v.clone()),
                    BodyPattern::Regex(v) => Pattern::Regex(v.clone()),
                }),
            }),
        }),
        outcome: Some(match &r.then {
            Outcome::Reject(rejection) => proto::rule::Outcome::Reject(proto::Rejection {
                error_code: rejection.code,
                http_status: u32::from(rejection.http_status),
                message: rejection.message.clone(),
            }),
            Outcome::Accept { script } => proto::rule::Outcome::Accept(proto::Lifecycle {
                steps: script
                    .iter()
                    .map(|step| proto::LifecycleStep {
                        status: status(step.status) as i32,
                        delay: proto_duration(step.delay_ms),
                        error_code: step.error_code.unwrap_or_default(),
                        error_message: step.error_message.clone().unwrap_or_default(),
                    })
                    .collect(),
            }),
            Outcome::Call(behavior) => proto::rule::Outcome::Call(call_behavior(behavior)),
        }),
        first_n: r.first_n.unwrap_or_default(),
        latency: proto_duration(r.latency_ms),
        callbacks: (!r.callbacks.is_orderly()).then(|| proto::CallbackDisorder {
            drop: r.callbacks.drop.iter().map(|s| status(*s) as i32).collect(),
            duplicate: r
                .callbacks
                .duplicate
                .iter()
                .map(|s| status(*s) as i32)
                .collect(),
            delay: r
                .callbacks
                .delay_ms
                .iter()
                .map(|(s, ms)| proto::DelayedCallback {
                    status: status(*s) as i32,
                    by: proto_duration(*ms),
                })
                .collect(),
        }),
    }
}

/// A rule as a test wrote it, checked.
pub fn core_rule(r: proto::Rule) -> Result<Rule, Status> {
    use proto::body_pattern::Pattern;
    let when = r.when.unwrap_or_default();
    let then = match r.outcome {
        None => {
            return Err(Status::invalid_argument(format!(
                "rule {:?}: an outcome (reject or accept) is required",
                r.id
            )));
        }
        Some(proto::rule::Outcome::Reject(rejection)) => {
            if rejection.error_code == 0 {
                return Err(Status::invalid_argument(format!(
                    "rule {:?}: reject.error_code is required",
                    r.id
                )));
            }
            let http_status = match rejection.http_status {
                0 => 400,
                code @ 400..=599 => code as u16,
                other => {
                    return Err(Status::invalid_argument(format!(
                        "rule {:?}: reject.http_status {other} is not an error status",
                        r.id
                    )));
                }
            };
            let message = if rejection.message.is_empty() {
                default_rejection_message(rejection.error_code)
            } else {
                rejection.message
            };
            Outcome::Reject(rules::Rejection::new(
                http_status,
                rejection.error_code,
                message,
            ))
        }
        Some(proto::rule::Outcome::Call(behavior)) => {
            Outcome::Call(core_call_behavior(&behavior, &r.id)?)
        }
        Some(proto::rule::Outcome::Accept(lifecycle)) => Outcome::Accept {
            script: lifecycle
                .steps
                .into_iter()
                .map(|step| {
                    let status = core_status(step.status, "accept.steps.status")?;
                    let code = (step.error_code != 0).then_some(step.error_code);
                    let mut core = match code {
                        Some(code) => {
                            Step::failing(status, millis(step.delay.as_ref(), "delay")?, code)
                        }
                        None => Step::new(status, millis(step.delay.as_ref(), "delay")?),
                    };
                    if !step.error_message.is_empty() {
                        core.error_message = Some(step.error_message);
                    }
                    Ok(core)
                })
                .collect::<Result<_, Status>>()?,
        },
    };
    let disorder = r.callbacks.unwrap_or_default();
    Ok(Rule {
        id: r.id,
        when: rules::Match {
            channel: (!when.channel.is_empty()).then_some(when.channel),
            to: core_address(when.to.as_ref()),
            from: core_address(when.from.as_ref()),
            body: when.body.and_then(|b| b.pattern).map(|p| match p {
                Pattern::Contains(v) => BodyPattern::Contains(v),
                Pattern::Regex(v) => BodyPattern::Regex(v),
            }),
        },
        then,
        first_n: (r.first_n > 0).then_some(r.first_n),
        latency_ms: millis(r.latency.as_ref(), "latency")?,
        callbacks: CallbackDisorder {
            drop: statuses(&disorder.drop, "callbacks.drop")?,
            duplicate: statuses(&disorder.duplicate, "callbacks.duplicate")?,
            delay_ms: disorder
                .delay
                .iter()
                .map(|d| {
                    Ok((
                        core_status(d.status, "callbacks.delay.status")?,
                        millis(d.by.as_ref(), "callbacks.delay.by")?,
                    ))
                })
                .collect::<Result<_, Status>>()?,
        },
    })
}

fn statuses(values: &[i32], field: &str) -> Result<Vec<MessageStatus>, Status> {
    values.iter().map(|v| core_status(*v, field)).collect()
}

/// Twilio's texts for the codes a test is most likely to reject with.
fn default_rejection_message(code: u32) -> String {
    match code {
        21211 => "The 'To' number is not a valid phone number.",
        21408 => "Permission to send an SMS has not been enabled for the region indicated by the 'To' number.",
        21606 => "The From phone number is not a valid, SMS-capable inbound phone number or short code for your account.",
        21610 => "Attempt to send to unsubscribed recipient",
        21611 => "This 'From' number has exceeded the maximum number of queued messages",
        21612 => "The 'To' phone number is not currently reachable via SMS",
        21614 => "'To' number is not a valid mobile number",
        20429 => "Too Many Requests",
        _ => "Rejected by a mockingbird rule",
    }
    .into()
}

fn call_behavior(behavior: &CallOutcome) -> proto::CallBehavior {
    use proto::call_behavior::Result as R;
    let ms = |value: &Option<u64>| value.and_then(proto_duration);
    match behavior {
        CallOutcome::Answer {
            machine,
            ring_ms,
            talk_ms,
        } => proto::CallBehavior {
            result: R::Answer as i32,
            machine: *machine,
            ring: ms(ring_ms),
            talk: ms(talk_ms),
        },
        CallOutcome::Busy { ring_ms } => proto::CallBehavior {
            result: R::Busy as i32,
            ring: ms(ring_ms),
            ..proto::CallBehavior::default()
        },
        CallOutcome::NoAnswer => proto::CallBehavior {
            result: R::NoAnswer as i32,
            ..proto::CallBehavior::default()
        },
        CallOutcome::Fail => proto::CallBehavior {
            result: R::Fail as i32,
            ..proto::CallBehavior::default()
        },
        CallOutcome::Ring => proto::CallBehavior {
            result: R::Ring as i32,
            ..proto::CallBehavior::default()
        },
    }
}

fn core_call_behavior(behavior: &proto::CallBehavior, id: &str) -> Result<CallOutcome, Status> {
    use proto::call_behavior::Result as R;
    let ms = |value: Option<&prost_types::Duration>, field: &str| -> Result<Option<u64>, Status> {
        value.map(|d| millis(Some(d), field)).transpose()
    };
    Ok(match R::try_from(behavior.result) {
        Ok(R::Answer) => CallOutcome::Answer {
            machine: behavior.machine,
            ring_ms: ms(behavior.ring.as_ref(), "call.ring")?,
            talk_ms: ms(behavior.talk.as_ref(), "call.talk")?,
        },
        Ok(R::Busy) => CallOutcome::Busy {
            ring_ms: ms(behavior.ring.as_ref(), "call.ring")?,
        },
        Ok(R::NoAnswer) => CallOutcome::NoAnswer,
        Ok(R::Fail) => CallOutcome::Fail,
        Ok(R::Ring) => CallOutcome::Ring,
        Ok(R::Unspecified) | Err(_) => {
            return Err(Status::invalid_argument(format!(
                "rule {id:?}: call.result is required (answer, busy, no_answer, fail or ring)"
            )));
        }
    })
}
