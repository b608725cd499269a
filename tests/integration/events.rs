//! The event log: every change in sequence, resumable from any position.

use mockingbird::core::events::EventData;

use crate::support::*;

#[tokio::test]
async fn every_change_is_logged_in_order_and_a_reader_resumes_where_it_stopped() {
    let app = spawn_app().await;
    let core = &app.state.core;
    let tenant = app.tenant(SID);
    core.freeze_clock(&tenant);
    let start = core.events().latest_seq();
    let mut reader = core.events().follow(start, None);

    // The reader does not read while 300 messages go through their whole lifecycle.
    for i in 0..300 {
        app.send(&[
            ("To", "+15557654321"),
            ("From", FROM),
            ("Body", &format!("{i}")),
        ])
        .await;
    }
    app.advance(&tenant, 5.0).await;

    let mut events = Vec::new();
    while events.len() < 900 {
        let batch = tokio::time::timeout(WAIT, reader.next_batch(128))
            .await
            .expect("events arrive")
            .unwrap();
        events.extend(batch);
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gaps, no repeats"
    );
    let created = events
        .iter()
        .filter(|e| matches!(e.data, EventData::MessageCreated { .. }))
        .count();
    let changed = events
        .iter()
        .filter(|e| matches!(e.data, EventData::MessageStatusChanged { .. }))
        .count();
    assert_eq!((created, changed), (300, 600));

    // A new reader from the same start sees the same history, from the store.
    let mut again = core.events().follow(start, None);
    let replay = tokio::time::timeout(WAIT, again.next_batch(10_000))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        replay.iter().map(|e| e.seq).take(900).collect::<Vec<_>>(),
        seqs
    );
    assert!(events.iter().all(|e| e.account_sid == SID));
}
