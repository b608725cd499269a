//! The overview's chart, drawn by the server as SVG (no chart library, nothing fetched): the
//! tenant's newest messages over the time they span, each bar a slice of that time, stacked by
//! how the messages went.

use crate::core::messaging::MessageStatus;
use crate::core::time::Millis;

use super::view::{Zone, tone};

/// Bars across the chart.
const BARS: usize = 24;
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 120.0;

/// One bar's stack: `(tone, y, height)` from the bottom up, in the SVG's units.
pub struct Bar {
    pub x: String,
    pub width: String,
    pub segments: Vec<Segment>,
    /// What a pointer or a screen reader is told about the bar.
    pub label: String,
}

pub struct Segment {
    pub tone: &'static str,
    pub y: String,
    pub height: String,
}

pub struct Chart {
    pub bars: Vec<Bar>,
    /// A sentence for those who do not see the picture.
    pub summary: String,
    pub from: String,
    pub to: String,
}

const TONES: [&str; 3] = ["good", "pending", "bad"];

/// The chart of messages by when they were created and how they went; none when there are
/// none.
pub fn of_messages(messages: &[(Millis, MessageStatus)], zone: Zone) -> Option<Chart> {
    let first = messages.iter().map(|(at, _)| *at).min()?;
    let last = messages.iter().map(|(at, _)| *at).max()?;
    let span = (last - first).max(1) + 1;
    let slice = |at: Millis| (((at - first) as f64 / span as f64) * BARS as f64) as usize;
    let mut counts = [[0u32; 3]; BARS];
    for (at, status) in messages {
        let tone = tone(status.as_str());
        let row = TONES.iter().position(|t| *t == tone).unwrap_or(1);
        counts[slice(*at).min(BARS - 1)][row] += 1;
    }
    let tallest = counts
        .iter()
        .map(|c| c.iter().sum::<u32>())
        .max()
        .unwrap_or(1)
        .max(1);
    let bar_width = WIDTH / BARS as f64;
    let bars = counts
        .iter()
        .enumerate()
        .map(|(i, stack)| {
            let mut bottom = HEIGHT;
            let segments = stack
                .iter()
                .zip(TONES)
                .filter(|(count, _)| **count > 0)
                .map(|(count, tone)| {
                    let height = HEIGHT * f64::from(*count) / f64::from(tallest);
                    bottom -= height;
                    Segment {
                        tone,
                        y: format!("{bottom:.1}"),
                        height: format!("{height:.1}"),
                    }
                })
                .collect();
            let start = first + (span as f64 * i as f64 / BARS as f64) as Millis;
            Bar {
                x: format!("{:.1}", i as f64 * bar_width + 1.0),
                width: format!("{:.1}", bar_width - 2.0),
                segments,
                label: format!(
                    "from {}: {} delivered or sent, {} on their way, {} failed",
                    zone.moment(start),
                    stack[0],
                    stack[1],
                    stack[2]
                ),
            }
        })
        .collect();
    let total: [u32; 3] = counts.iter().fold([0; 3], |mut sum, stack| {
        for (s, c) in sum.iter_mut().zip(stack) {
            *s += c;
        }
        sum
    });
    Some(Chart {
        bars,
        summary: format!(
            "The newest {} messages: {} delivered or sent, {} on their way, {} failed.",
            messages.len(),
            total[0],
            total[1],
            total[2]
        ),
        from: zone.moment(first),
        to: zone.moment(last),
    })
}
