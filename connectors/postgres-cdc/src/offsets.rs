//! Source partition and offsets in Debezium's shape.
//!
//! Partition: `{"server": <topic.prefix>}`. Offset while streaming:
//! `lsn` (the event's LSN), `lsn_proc` (last completely processed LSN),
//! `lsn_commit` (end of the last completely processed transaction), `txId`,
//! `ts_usec` (commit time), `messageType`, and Ferry's
//! `ferry_tx_events` (events of transaction `txId` already sent; absent
//! once the transaction is complete). During a snapshot: `snapshot`,
//! `last_snapshot_record`, and `snapshot_completed` on the last record.

use ferry_api::OffsetMap;
use serde_json::Value as J;

/// Ferry's key: events of the open transaction already emitted.
pub const TX_EVENTS: &str = "ferry_tx_events";

/// The source partition of a connector.
pub fn partition(prefix: &str) -> OffsetMap {
    let mut m = OffsetMap::new();
    m.insert("server".into(), J::String(prefix.into()));
    m
}

/// The stream position after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamPos {
    pub lsn: u64,
    pub lsn_proc: u64,
    pub lsn_commit: u64,
    pub tx_id: Option<u32>,
    pub ts_usec: i64,
    /// Events of `tx_id` emitted so far; 0 when the transaction is complete.
    pub tx_events: u64,
}

impl StreamPos {
    pub fn to_map(self, message_type: Option<&str>) -> OffsetMap {
        // Sized once: every stream event builds one.
        let mut m = OffsetMap::with_capacity(7);
        m.insert("lsn_proc".into(), self.lsn_proc.into());
        if let Some(t) = message_type {
            m.insert("messageType".into(), t.into());
        }
        m.insert("lsn_commit".into(), self.lsn_commit.into());
        m.insert("lsn".into(), self.lsn.into());
        if let Some(x) = self.tx_id {
            m.insert("txId".into(), x.into());
        }
        m.insert("ts_usec".into(), self.ts_usec.into());
        if self.tx_events > 0 {
            m.insert(TX_EVENTS.into(), self.tx_events.into());
        }
        m
    }
}

/// A snapshot record's offset.
pub fn snapshot_offset(
    lsn: u64,
    tx_id: Option<i64>,
    ts_usec: i64,
    kind: &str,
    last: bool,
) -> OffsetMap {
    let mut m = OffsetMap::with_capacity(8);
    m.insert("lsn".into(), lsn.into());
    if let Some(tx_id) = tx_id {
        m.insert("txId".into(), tx_id.into());
    }
    m.insert("ts_usec".into(), ts_usec.into());
    m.insert("snapshot".into(), kind.into());
    m.insert("last_snapshot_record".into(), last.into());
    if last {
        m.insert("lsn_proc".into(), lsn.into());
        m.insert("lsn_commit".into(), lsn.into());
        m.insert("snapshot_completed".into(), true.into());
    }
    m
}

/// What a stored offset says about where to resume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// No offset: a fresh start.
    Fresh,
    /// A snapshot was in progress and did not finish.
    SnapshotIncomplete,
    /// Stream from `lsn`, skipping the first `skip_events` events of
    /// transaction `skip_tx` (already sent before the restart).
    Stream {
        lsn: u64,
        skip_tx: Option<u32>,
        skip_events: u64,
        pos: StreamPos,
    },
}

fn num(m: &OffsetMap, k: &str) -> Option<u64> {
    m.get(k).and_then(|v| {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

/// Interprets a stored offset (Ferry's or Debezium's).
pub fn resume_from(stored: Option<&OffsetMap>) -> Resume {
    let Some(m) = stored else {
        return Resume::Fresh;
    };
    let in_snapshot = match m.get("snapshot") {
        None | Some(J::Null) | Some(J::Bool(false)) => false,
        Some(J::String(s)) if s.eq_ignore_ascii_case("false") => false,
        Some(_) => true,
    };
    let completed = m
        .get("snapshot_completed")
        .and_then(J::as_bool)
        .unwrap_or(false)
        || m.get("last_snapshot_record")
            .and_then(J::as_bool)
            .unwrap_or(false);
    if in_snapshot && !completed {
        return Resume::SnapshotIncomplete;
    }
    let lsn = num(m, "lsn_commit")
        .or_else(|| num(m, "lsn_proc"))
        .or_else(|| num(m, "lsn"))
        .unwrap_or(0);
    let tx_id = num(m, "txId").map(|x| x as u32);
    let tx_events = num(m, TX_EVENTS).unwrap_or(0);
    let pos = StreamPos {
        lsn: num(m, "lsn").unwrap_or(lsn),
        lsn_proc: num(m, "lsn_proc").unwrap_or(lsn),
        lsn_commit: lsn,
        tx_id,
        ts_usec: m.get("ts_usec").and_then(J::as_i64).unwrap_or(0),
        tx_events: 0,
    };
    Resume::Stream {
        lsn,
        skip_tx: if tx_events > 0 { tx_id } else { None },
        skip_events: tx_events,
        pos,
    }
}

/// The LSN that may be confirmed to PostgreSQL once this offset is stored:
/// the end of the last complete transaction.
pub fn flushable_lsn(m: &OffsetMap) -> Option<u64> {
    if matches!(resume_from(Some(m)), Resume::SnapshotIncomplete) {
        return None;
    }
    num(m, "lsn_commit").filter(|l| *l > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_offsets_round_trip_and_mid_transaction_skips() {
        let pos = StreamPos {
            lsn: 200,
            lsn_proc: 200,
            lsn_commit: 100,
            tx_id: Some(7),
            ts_usec: 5,
            tx_events: 3,
        };
        let m = pos.to_map(Some("INSERT"));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"lsn_proc":200,"messageType":"INSERT","lsn_commit":100,"lsn":200,"txId":7,"ts_usec":5,"ferry_tx_events":3}"#
        );
        match resume_from(Some(&m)) {
            Resume::Stream {
                lsn,
                skip_tx,
                skip_events,
                ..
            } => {
                assert_eq!((lsn, skip_tx, skip_events), (100, Some(7), 3));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(flushable_lsn(&m), Some(100));
    }

    #[test]
    fn debezium_offsets_are_understood() {
        let m: OffsetMap = serde_json::from_str(
            r#"{"lsn_proc":37051152,"messageType":"INSERT","lsn_commit":36989040,"lsn":37051152,"txId":1007,"ts_usec":1767208115470483}"#,
        )
        .unwrap();
        assert!(matches!(
            resume_from(Some(&m)),
            Resume::Stream {
                lsn: 36989040,
                skip_tx: None,
                ..
            }
        ));
    }

    #[test]
    fn snapshot_offsets() {
        let mid = snapshot_offset(50, Some(9), 1, "INITIAL", false);
        assert_eq!(resume_from(Some(&mid)), Resume::SnapshotIncomplete);
        assert_eq!(flushable_lsn(&mid), None);
        let last = snapshot_offset(50, Some(9), 1, "INITIAL", true);
        assert!(matches!(
            resume_from(Some(&last)),
            Resume::Stream { lsn: 50, .. }
        ));
        assert_eq!(resume_from(None), Resume::Fresh);
    }
}
