//! What `ExtractNewRecordState` does with delete events and the tombstones
//! after them: `delete.tombstone.handling.mode`, or the older pair
//! `delete.handling.mode` + `drop.tombstones` that Debezium 3.0 and 3.1
//! still read (3.2 removed them).

/// The values of `delete.tombstone.handling.mode`.
pub(crate) const MODES: [&str; 5] = [
    "drop",
    "tombstone",
    "rewrite",
    "rewrite-with-tombstone",
    "delete-to-tombstone",
];

/// The values of the older `delete.handling.mode`.
pub(crate) const LEGACY_MODES: [&str; 3] = ["drop", "rewrite", "none"];

/// What becomes of a delete event (`op=d`, `after` null).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnDelete {
    /// Dropped.
    Drop,
    /// Kept with a null value and the `after` schema: the flattened delete
    /// a JDBC sink expects (`tombstone`, legacy `none`).
    NullValue,
    /// Kept as a true tombstone, no value schema (`delete-to-tombstone`).
    Tombstone,
    /// The `before` row with `__deleted=true` (`rewrite…`).
    Rewrite,
}

/// The whole policy: deletes, tombstones, and whether rows carry
/// `__deleted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DeleteHandling {
    /// What becomes of a delete event.
    pub(crate) on_delete: OnDelete,
    /// Whether tombstones (null values) pass; otherwise they are dropped.
    pub(crate) keep_tombstones: bool,
}

impl DeleteHandling {
    /// The policy a `delete.tombstone.handling.mode` value names (any case).
    pub(crate) fn from_mode(mode: &str) -> Option<Self> {
        let (on_delete, keep_tombstones) = match mode.trim().to_ascii_lowercase().as_str() {
            "drop" => (OnDelete::Drop, false),
            "tombstone" => (OnDelete::NullValue, false),
            "rewrite" => (OnDelete::Rewrite, false),
            "rewrite-with-tombstone" => (OnDelete::Rewrite, true),
            "delete-to-tombstone" => (OnDelete::Tombstone, false),
            _ => return None,
        };
        Some(DeleteHandling {
            on_delete,
            keep_tombstones,
        })
    }

    /// The policy of `delete.handling.mode` (`drop`, `rewrite`, `none`) with
    /// `drop.tombstones`, as Debezium's `LegacyDeleteHandlingStrategy`.
    pub(crate) fn legacy(mode: &str, drop_tombstones: bool) -> Option<Self> {
        let on_delete = match mode.trim().to_ascii_lowercase().as_str() {
            "drop" => OnDelete::Drop,
            "rewrite" => OnDelete::Rewrite,
            "none" => OnDelete::NullValue,
            _ => return None,
        };
        Some(DeleteHandling {
            on_delete,
            keep_tombstones: !drop_tombstones,
        })
    }

    /// Whether rows get the `__deleted` field (`false` on creates and
    /// updates, `true` on rewritten deletes).
    pub(crate) fn rewrites(&self) -> bool {
        self.on_delete == OnDelete::Rewrite
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mode_parses_and_the_legacy_pair_maps_onto_the_same_policies() {
        for m in MODES {
            assert!(DeleteHandling::from_mode(m).is_some(), "{m}");
        }
        for m in LEGACY_MODES {
            assert!(DeleteHandling::legacy(m, true).is_some(), "{m}");
        }
        let mode = |m| DeleteHandling::from_mode(m).unwrap();
        let legacy = |m, d| DeleteHandling::legacy(m, d).unwrap();
        assert_eq!(legacy("drop", true), mode("drop"));
        assert_eq!(legacy("none", true), mode("tombstone"));
        assert_eq!(legacy("rewrite", true), mode("rewrite"));
        assert_eq!(legacy("rewrite", false), mode("rewrite-with-tombstone"));
        assert_eq!(mode(" REWRITE "), mode("rewrite"));
        assert!(legacy("none", false).keep_tombstones);
        assert!(DeleteHandling::from_mode("none").is_none());
        assert!(mode("rewrite-with-tombstone").rewrites());
        assert!(!mode("delete-to-tombstone").rewrites());
    }
}
