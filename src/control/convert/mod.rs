//! Conversions between the core's types and the control plane's protobuf messages, one file per
//! area the services cover; the wire's timestamps and durations, which every area uses, are here.
//! Callers name a conversion by what it converts (`convert::message`), not by its file.

mod calls;
mod events;
mod messages;
mod rules;
mod tenants;
mod whatsapp;

pub use calls::*;
pub use events::*;
pub use messages::*;
pub use rules::*;
pub use tenants::*;
pub use whatsapp::*;

use std::time::Duration;

use tonic::Status;

use crate::core::time::Millis;

pub fn timestamp(at: Millis) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.div_euclid(1000),
        nanos: (at.rem_euclid(1000) * 1_000_000) as i32,
    })
}

/// A protobuf duration as a std one; negative ones are refused.
pub fn duration(value: Option<&prost_types::Duration>, field: &str) -> Result<Duration, Status> {
    let Some(value) = value else {
        return Ok(Duration::ZERO);
    };
    if value.seconds < 0 || value.nanos < 0 {
        return Err(Status::invalid_argument(format!(
            "{field} must not be negative"
        )));
    }
    Ok(Duration::new(value.seconds as u64, value.nanos as u32))
}

/// A duration of whole milliseconds on the wire; none for zero (unset).
pub fn proto_duration(ms: u64) -> Option<prost_types::Duration> {
    (ms > 0).then(|| prost_types::Duration {
        seconds: (ms / 1000) as i64,
        nanos: ((ms % 1000) * 1_000_000) as i32,
    })
}

fn millis(value: Option<&prost_types::Duration>, field: &str) -> Result<u64, Status> {
    Ok(duration(value, field)?.as_millis() as u64)
}
