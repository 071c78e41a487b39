//! A sink task's per-partition bookkeeping, and the commit and rewind
//! decisions made from it: which partitions are assigned, the offset after
//! the last record handed to `put` (what `pre_commit` is told), the offset
//! last committed, and which partitions wait for a requested rewind.
//!
//! As in Kafka Connect, the runtime commits what `pre_commit` returns for
//! partitions still assigned, skips offsets equal to the last committed one,
//! and does not second-guess the task otherwise (an offset lower than the
//! last committed one is committed too: the task asked to re-read).

use std::collections::{BTreeSet, HashSet};

use ferry_api::sink::PartitionOffsets;
use ferry_api::{SinkRecord, TopicPartition};

/// Offsets of one sink task's assigned partitions.
#[derive(Debug, Default)]
pub(crate) struct SinkProgress {
    assignment: BTreeSet<TopicPartition>,
    /// Offset after the last record handed to `put`, per partition.
    current: PartitionOffsets,
    /// Last committed offset per partition.
    committed: PartitionOffsets,
    /// Partitions whose rewind has been asked for but not yet applied.
    rewinding: HashSet<TopicPartition>,
}

impl SinkProgress {
    /// The assigned partitions.
    pub(crate) fn assignment(&self) -> &BTreeSet<TopicPartition> {
        &self.assignment
    }

    /// Partitions were assigned (added to the assignment: an incremental
    /// assignment keeps the partitions already owned).
    pub(crate) fn assign(&mut self, partitions: &[TopicPartition]) {
        self.assignment.extend(partitions.iter().cloned());
    }

    /// The group's committed offsets of newly assigned partitions.
    pub(crate) fn group_committed(&mut self, offsets: &[(TopicPartition, i64)]) {
        self.committed.extend(offsets.iter().cloned());
    }

    /// Drops the records of partitions whose rewind is still pending: they
    /// were fetched from the old position and come again from the new one.
    pub(crate) fn drop_rewinding(&self, records: &mut Vec<SinkRecord>) {
        if !self.rewinding.is_empty() {
            records.retain(|r| !self.rewinding.contains(&r.original));
        }
    }

    /// Like [`SinkProgress::drop_rewinding`], for positions of records
    /// that were skipped rather than converted.
    pub(crate) fn drop_rewinding_positions(&self, positions: &mut Vec<(TopicPartition, i64)>) {
        if !self.rewinding.is_empty() {
            positions.retain(|(tp, _)| !self.rewinding.contains(tp));
        }
    }

    /// `put` took `records`: each one's original partition has processed
    /// up to its original offset, so the next offset to read is one more.
    pub(crate) fn processed(&mut self, records: &[SinkRecord]) {
        self.processed_at(
            records
                .iter()
                .map(|r| (r.original.clone(), r.original_offset)),
        );
    }

    /// Like [`SinkProgress::processed`], for records read at these
    /// positions, in any order (including those a transform dropped or that
    /// were skipped as bad): a partition's position only moves forward
    /// here; a rewind or revocation forgets it first.
    pub(crate) fn processed_at(&mut self, read: impl IntoIterator<Item = (TopicPartition, i64)>) {
        for (tp, offset) in read {
            let next = self.current.entry(tp).or_insert(offset + 1);
            *next = (*next).max(offset + 1);
        }
    }

    /// What to pass to `pre_commit`; `None` when no record was processed
    /// (then there is nothing to commit and `pre_commit` is not called).
    pub(crate) fn pre_commit_input(&self) -> Option<&PartitionOffsets> {
        (!self.current.is_empty()).then_some(&self.current)
    }

    /// Of the offsets `pre_commit` returned, those to commit: partitions
    /// still assigned whose offset differs from the last committed one.
    pub(crate) fn to_commit(&self, durable: PartitionOffsets) -> Vec<(TopicPartition, i64)> {
        durable
            .into_iter()
            .filter(|(tp, o)| self.assignment.contains(tp) && self.committed.get(tp) != Some(o))
            .collect()
    }

    /// The offsets were committed.
    pub(crate) fn committed(&mut self, offsets: Vec<(TopicPartition, i64)>) {
        self.committed.extend(offsets);
    }

    /// Partitions were revoked (after the task closed them): forgets all
    /// about them, so a later assignment starts from the group's offsets.
    pub(crate) fn revoke(&mut self, partitions: &[TopicPartition]) {
        for tp in partitions {
            self.assignment.remove(tp);
            self.current.remove(tp);
            self.committed.remove(tp);
            self.rewinding.remove(tp);
        }
    }

    /// The task asked to re-read `tp` (`SinkTaskContext::offset`): its
    /// processed offset is forgotten (not offered to `pre_commit`) and its
    /// records are dropped until the rewind took effect.
    pub(crate) fn rewind(&mut self, tp: TopicPartition) {
        self.current.remove(&tp);
        self.rewinding.insert(tp);
    }

    /// The rewind of `tp` took effect: its records are delivered again.
    pub(crate) fn rewound(&mut self, tp: &TopicPartition) {
        self.rewinding.remove(tp);
    }
}

/// The offsets to commit on revocation: those of the revoked partitions.
pub(crate) fn of_revoked(
    offsets: Vec<(TopicPartition, i64)>,
    revoked: &[TopicPartition],
) -> Vec<(TopicPartition, i64)> {
    let revoked: HashSet<&TopicPartition> = revoked.iter().collect();
    offsets
        .into_iter()
        .filter(|(tp, _)| revoked.contains(tp))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::{Headers, TimestampType, Value};

    fn tp(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition::new(topic, partition)
    }

    /// A record read from `topic`-`partition` at `offset`.
    fn record(topic: &str, partition: i32, offset: i64) -> SinkRecord {
        SinkRecord {
            topic: topic.into(),
            partition,
            offset,
            timestamp: None,
            timestamp_type: TimestampType::NoTimestampType,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::from("v"),
            headers: Headers::new(),
            original: tp(topic, partition),
            original_offset: offset,
        }
    }

    fn offsets(pairs: &[(TopicPartition, i64)]) -> PartitionOffsets {
        pairs.iter().cloned().collect()
    }

    fn sorted(mut v: Vec<(TopicPartition, i64)>) -> Vec<(TopicPartition, i64)> {
        v.sort();
        v
    }

    #[test]
    fn positions_in_any_order_move_a_partition_forward_only() {
        let tp = TopicPartition::new("t", 0);
        let mut p = assigned(std::slice::from_ref(&tp));
        p.processed_at([(tp.clone(), 9), (tp.clone(), 4)]);
        assert_eq!(p.pre_commit_input().unwrap()[&tp], 10);
        p.rewind(tp.clone());
        p.rewound(&tp);
        p.processed_at([(tp.clone(), 2)]);
        assert_eq!(
            p.pre_commit_input().unwrap()[&tp],
            3,
            "a rewind starts again"
        );
    }

    fn assigned(partitions: &[TopicPartition]) -> SinkProgress {
        let mut p = SinkProgress::default();
        p.assign(partitions);
        p
    }

    #[test]
    fn pre_commit_is_told_the_offset_after_the_last_processed_record() {
        let mut p = assigned(&[tp("orders", 0), tp("orders", 1)]);
        assert_eq!(p.pre_commit_input(), None, "nothing processed yet");
        p.processed(&[
            record("orders", 0, 10),
            record("orders", 1, 3),
            record("orders", 0, 11),
        ]);
        assert_eq!(
            p.pre_commit_input(),
            Some(&offsets(&[(tp("orders", 0), 12), (tp("orders", 1), 4)]))
        );
    }

    #[test]
    fn records_count_for_the_partition_they_were_read_from() {
        let mut p = assigned(&[tp("orders", 0)]);
        let mut r = record("orders", 0, 7);
        // A transform renamed the topic and moved the record.
        r.topic = "archive.orders".into();
        r.partition = 5;
        r.offset = 700;
        p.processed(&[r]);
        assert_eq!(
            p.pre_commit_input(),
            Some(&offsets(&[(tp("orders", 0), 8)]))
        );
    }

    #[test]
    fn only_assigned_partitions_are_committed() {
        let p = assigned(&[tp("orders", 0)]);
        let durable = offsets(&[(tp("orders", 0), 5), (tp("orders", 9), 5)]);
        assert_eq!(p.to_commit(durable), [(tp("orders", 0), 5)]);
    }

    #[test]
    fn an_offset_equal_to_the_last_committed_one_is_not_committed_again() {
        let mut p = assigned(&[tp("orders", 0), tp("orders", 1)]);
        p.group_committed(&[(tp("orders", 0), 100)]);
        let durable = offsets(&[(tp("orders", 0), 100), (tp("orders", 1), 3)]);
        let first = p.to_commit(durable.clone());
        assert_eq!(first, [(tp("orders", 1), 3)], "the group's offset stands");
        p.committed(first);
        assert!(p.to_commit(durable).is_empty(), "nothing new since");
        let moved = offsets(&[(tp("orders", 0), 150), (tp("orders", 1), 3)]);
        assert_eq!(p.to_commit(moved), [(tp("orders", 0), 150)]);
    }

    #[test]
    fn a_lower_offset_from_pre_commit_is_committed_as_kafka_connect_does() {
        let mut p = assigned(&[tp("orders", 0)]);
        p.committed(vec![(tp("orders", 0), 50)]);
        assert_eq!(
            p.to_commit(offsets(&[(tp("orders", 0), 40)])),
            [(tp("orders", 0), 40)]
        );
    }

    #[test]
    fn a_rewind_drops_records_until_it_took_effect_and_forgets_the_processed_offset() {
        let mut p = assigned(&[tp("orders", 0), tp("orders", 1)]);
        p.processed(&[record("orders", 0, 9), record("orders", 1, 9)]);
        p.rewind(tp("orders", 0));
        assert_eq!(
            p.pre_commit_input(),
            Some(&offsets(&[(tp("orders", 1), 10)])),
            "the rewound partition is not offered to pre_commit"
        );
        // Fetched before the seek: stale.
        let mut batch = vec![record("orders", 0, 10), record("orders", 1, 10)];
        p.drop_rewinding(&mut batch);
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].original, tp("orders", 1));

        p.rewound(&tp("orders", 0));
        let mut batch = vec![record("orders", 0, 3)];
        p.drop_rewinding(&mut batch);
        assert_eq!(batch.len(), 1, "from the new position on, records pass");
        p.processed(&batch);
        assert_eq!(p.pre_commit_input().unwrap()[&tp("orders", 0)], 4);
    }

    #[test]
    fn a_rewind_of_the_only_processed_partition_leaves_nothing_to_commit() {
        let mut p = assigned(&[tp("orders", 0)]);
        p.processed(&[record("orders", 0, 1)]);
        p.rewind(tp("orders", 0));
        assert_eq!(p.pre_commit_input(), None);
    }

    #[test]
    fn on_revocation_only_the_revoked_partitions_are_committed() {
        let to_commit = vec![(tp("orders", 0), 5), (tp("orders", 1), 7)];
        assert_eq!(
            of_revoked(to_commit, &[tp("orders", 1), tp("orders", 2)]),
            [(tp("orders", 1), 7)]
        );
    }

    #[test]
    fn a_revoked_partition_is_forgotten_and_starts_over_when_assigned_again() {
        let mut p = assigned(&[tp("orders", 0), tp("orders", 1)]);
        p.group_committed(&[(tp("orders", 0), 10)]);
        p.processed(&[record("orders", 0, 19), record("orders", 1, 0)]);
        p.rewind(tp("orders", 1));
        p.revoke(&[tp("orders", 0), tp("orders", 1)]);
        assert!(p.assignment().is_empty());
        assert_eq!(p.pre_commit_input(), None);
        assert!(
            p.to_commit(offsets(&[(tp("orders", 0), 20)])).is_empty(),
            "not assigned any more"
        );

        p.assign(&[tp("orders", 1)]);
        let mut batch = vec![record("orders", 1, 0)];
        p.drop_rewinding(&mut batch);
        assert_eq!(batch.len(), 1, "the old rewind does not apply any more");
        p.assign(&[tp("orders", 0)]);
        assert_eq!(
            p.to_commit(offsets(&[(tp("orders", 0), 10)])),
            [(tp("orders", 0), 10)],
            "the old committed offset was forgotten with the partition"
        );
    }

    #[test]
    fn an_incremental_assignment_keeps_the_partitions_already_owned() {
        let mut p = assigned(&[tp("orders", 0)]);
        p.assign(&[tp("orders", 1)]);
        let all: Vec<_> = p.assignment().iter().cloned().collect();
        assert_eq!(all, [tp("orders", 0), tp("orders", 1)]);
        assert_eq!(
            sorted(p.to_commit(offsets(&[(tp("orders", 0), 1), (tp("orders", 1), 1)]))),
            [(tp("orders", 0), 1), (tp("orders", 1), 1)]
        );
    }
}
