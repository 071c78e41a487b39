//! The fetch position of each assigned partition, as the Java consumer
//! keeps it: a record below the partition's next expected offset was
//! already handed to the task and is dropped instead of delivered twice.
//!
//! librdkafka can re-serve the start of a partition when a second offset
//! lookup races the first fetch after an assignment (seen on a clean run:
//! the first 10,000 records of a fresh group delivered twice). Kafka's own
//! consumer never returns a record below its position, and sink connectors
//! are written for that contract, so the fetch thread enforces it.
//!
//! Positions only hold within one assignment: a rebalance forgets them all
//! (the task closed its partitions and the next owner, maybe this task
//! again, must re-read from the committed offset), and a rewind requested
//! by the task moves the position to the rewind target.

use std::collections::HashMap;
use std::sync::Arc;

/// Next expected offset per partition, by topic then partition (looked up
/// by the topic's name, so the per-record check copies nothing).
#[derive(Debug, Default)]
pub(crate) struct FetchPositions {
    next: HashMap<Arc<str>, HashMap<i32, i64>>,
    /// The rebalance count the positions belong to.
    generation: u64,
}

impl FetchPositions {
    /// Forgets every position when the consumer went through a rebalance
    /// since the last call (`rebalances` is the consumer's running count).
    pub(crate) fn sync_generation(&mut self, rebalances: u64) {
        if rebalances != self.generation {
            self.next.clear();
            self.generation = rebalances;
        }
    }

    /// Whether the record at `offset` is new; records it as delivered when
    /// it is. A record below the position is a repeat.
    pub(crate) fn accept(&mut self, topic: &Arc<str>, partition: i32, offset: i64) -> bool {
        let partitions = match self.next.get_mut(&**topic) {
            Some(p) => p,
            None => self.next.entry(Arc::clone(topic)).or_default(),
        };
        let next = partitions.entry(partition).or_insert(offset);
        if offset < *next {
            return false;
        }
        *next = offset + 1;
        true
    }

    /// The task rewound the partition: records from `offset` on are
    /// delivered again.
    pub(crate) fn rewind(&mut self, topic: &str, partition: i32, offset: i64) {
        self.next
            .entry(Arc::from(topic))
            .or_default()
            .insert(partition, offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic() -> Arc<str> {
        Arc::from("orders")
    }

    #[test]
    fn a_repeat_below_the_position_is_dropped_and_new_records_pass() {
        let mut p = FetchPositions::default();
        let t = topic();
        assert!(p.accept(&t, 0, 0));
        assert!(p.accept(&t, 0, 1));
        assert!(!p.accept(&t, 0, 0), "offset 0 again");
        assert!(!p.accept(&t, 0, 1), "offset 1 again");
        assert!(p.accept(&t, 0, 2));
        // Gaps (compacted topics, transaction markers) are fine.
        assert!(p.accept(&t, 0, 10));
        assert!(!p.accept(&t, 0, 5));
    }

    #[test]
    fn partitions_are_tracked_separately() {
        let mut p = FetchPositions::default();
        let t = topic();
        assert!(p.accept(&t, 0, 100));
        assert!(p.accept(&t, 1, 0), "partition 1 starts on its own");
        assert!(p.accept(&Arc::from("other"), 0, 0), "another topic too");
    }

    #[test]
    fn a_rewind_lets_the_partition_be_read_again_from_its_target() {
        let mut p = FetchPositions::default();
        let t = topic();
        for o in 0..10 {
            assert!(p.accept(&t, 0, o));
        }
        p.rewind("orders", 0, 4);
        assert!(!p.accept(&t, 0, 3), "below the rewind target");
        assert!(p.accept(&t, 0, 4));
        assert!(p.accept(&t, 0, 5));
    }

    #[test]
    fn a_rebalance_forgets_every_position() {
        let mut p = FetchPositions::default();
        let t = topic();
        p.sync_generation(0);
        assert!(p.accept(&t, 0, 50));
        p.sync_generation(0);
        assert!(!p.accept(&t, 0, 10), "same assignment: a repeat");
        p.sync_generation(1);
        assert!(
            p.accept(&t, 0, 10),
            "after a rebalance the committed offset is the new start"
        );
    }
}
