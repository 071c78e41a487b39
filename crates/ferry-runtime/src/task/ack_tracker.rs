//! Tracks which source records Kafka has acknowledged, so that a source
//! offset becomes committable only when every earlier record of the same
//! source partition is acknowledged too.

use std::collections::{HashMap, VecDeque};

use ferry_api::{OffsetMap, SourcePosition};

use crate::offsets::partition_key;

/// Identifies one sent record: its source partition's slot and sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AckToken {
    slot: usize,
    seq: u64,
}

#[derive(Debug)]
struct PartitionAcks {
    partition: OffsetMap,
    /// Sequence number of `pending[0]`.
    base_seq: u64,
    /// Offsets of records not yet folded into `committable`, in send order,
    /// with whether each is acknowledged.
    pending: VecDeque<(OffsetMap, bool)>,
    /// Latest offset whose record and all earlier ones are acknowledged,
    /// not yet handed out.
    committable: Option<OffsetMap>,
}

/// Acknowledgement state of all source partitions of one task.
#[derive(Debug, Default)]
pub(crate) struct AckTracker {
    slots: HashMap<String, usize>,
    partitions: Vec<PartitionAcks>,
    in_flight: usize,
    failure: Option<String>,
}

impl AckTracker {
    /// Registers a record about to be sent.
    pub(crate) fn register(&mut self, partition: &OffsetMap, offset: OffsetMap) -> AckToken {
        let key = partition_key(partition);
        let slot = match self.slots.get(&key) {
            Some(&s) => s,
            None => {
                self.partitions.push(PartitionAcks {
                    partition: partition.clone(),
                    base_seq: 0,
                    pending: VecDeque::new(),
                    committable: None,
                });
                self.slots.insert(key, self.partitions.len() - 1);
                self.partitions.len() - 1
            }
        };
        let p = &mut self.partitions[slot];
        let seq = p.base_seq + p.pending.len() as u64;
        p.pending.push_back((offset, false));
        self.in_flight += 1;
        AckToken { slot, seq }
    }

    /// Kafka acknowledged the record.
    pub(crate) fn ack(&mut self, token: AckToken) {
        let Some(p) = self.partitions.get_mut(token.slot) else {
            return;
        };
        let Some(index) = token.seq.checked_sub(p.base_seq) else {
            return;
        };
        if let Some(entry) = p.pending.get_mut(index as usize) {
            if !entry.1 {
                entry.1 = true;
                self.in_flight -= 1;
            }
        }
        while p.pending.front().is_some_and(|(_, acked)| *acked) {
            let (offset, _) = p.pending.pop_front().expect("front exists");
            p.base_seq += 1;
            p.committable = Some(offset);
        }
    }

    /// The record could not be delivered; the task must fail.
    pub(crate) fn fail(&mut self, reason: String) {
        self.failure.get_or_insert(reason);
    }

    /// The first delivery failure, if any.
    pub(crate) fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// Records sent and not yet acknowledged.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Takes the offsets that became committable since the last call.
    pub(crate) fn take_committable(&mut self) -> Vec<SourcePosition> {
        self.partitions
            .iter_mut()
            .filter_map(|p| {
                p.committable.take().map(|offset| SourcePosition {
                    partition: p.partition.clone(),
                    offset,
                })
            })
            .collect()
    }
}

impl AckTracker {
    /// Gives back offsets that could not be stored, unless a newer offset
    /// became committable meanwhile.
    pub(crate) fn restore(&mut self, positions: Vec<SourcePosition>) {
        for pos in positions {
            if let Some(&slot) = self.slots.get(&partition_key(&pos.partition)) {
                let p = &mut self.partitions[slot];
                if p.committable.is_none() {
                    p.committable = Some(pos.offset);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::test_support::offset_map as map;
    use serde_json::json;

    #[test]
    fn offset_is_committable_only_when_all_earlier_records_are_acked() {
        let mut t = AckTracker::default();
        let p = map(json!({"file": "a"}));
        let t1 = t.register(&p, map(json!({"pos": 1})));
        let t2 = t.register(&p, map(json!({"pos": 2})));
        let t3 = t.register(&p, map(json!({"pos": 3})));
        t.ack(t2);
        t.ack(t3);
        assert!(t.take_committable().is_empty(), "record 1 is not acked yet");
        assert_eq!(t.in_flight(), 1);
        t.ack(t1);
        let c = t.take_committable();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].offset, map(json!({"pos": 3})));
        assert!(t.take_committable().is_empty(), "handed out once");
    }

    #[test]
    fn partitions_progress_independently() {
        let mut t = AckTracker::default();
        let a = map(json!({"p": "a"}));
        let b = map(json!({"p": "b"}));
        let ta = t.register(&a, map(json!({"o": 1})));
        let _tb = t.register(&b, map(json!({"o": 1})));
        t.ack(ta);
        let c = t.take_committable();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].partition, a);
    }

    #[test]
    fn duplicate_acks_are_ignored() {
        let mut t = AckTracker::default();
        let p = map(json!({"p": 1}));
        let t1 = t.register(&p, map(json!({"o": 1})));
        t.ack(t1);
        t.ack(t1);
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn offsets_given_back_are_handed_out_again_unless_newer_ones_are_committable() {
        let mut t = AckTracker::default();
        let a = map(json!({"p": "a"}));
        let b = map(json!({"p": "b"}));
        let ta = t.register(&a, map(json!({"o": 1})));
        let tb = t.register(&b, map(json!({"o": 1})));
        t.ack(ta);
        t.ack(tb);
        let taken = t.take_committable();
        assert_eq!(taken.len(), 2);
        // While the store was failing, b acknowledged a newer record.
        let tb2 = t.register(&b, map(json!({"o": 2})));
        t.ack(tb2);
        t.restore(taken);
        let mut again = t.take_committable();
        again.sort_by_key(|p| p.partition["p"].as_str().unwrap().to_string());
        assert_eq!(again[0].offset, map(json!({"o": 1})), "a given back");
        assert_eq!(
            again[1].offset,
            map(json!({"o": 2})),
            "b's newer offset wins"
        );
    }
}
