//! A small bounded cache of derived schemas, keyed by the input schema and
//! one more key (Debezium's `BoundedConcurrentHashMap`, Kafka's
//! `LRUCache`): records of one table share one input schema, so they get
//! one shared output schema, and the transforms after this one see a
//! stable `Arc` to cache on in turn.

use std::borrow::Borrow;
use std::collections::VecDeque;
use std::sync::Arc;

use ferry_api::SchemaRef;

/// Derived schemas by (input schema, key); the oldest entry goes first.
#[derive(Debug)]
pub(crate) struct SchemaCache<K> {
    capacity: usize,
    entries: VecDeque<(SchemaRef, K, SchemaRef)>,
}

impl<K> SchemaCache<K> {
    /// A cache holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        SchemaCache {
            capacity: capacity.max(1),
            entries: VecDeque::new(),
        }
    }

    /// The schema derived from `input` under `key`, derived by `make` the
    /// first time. An input is found by identity first, then by equality
    /// (a converter may build an equal schema per record).
    pub(crate) fn get_or_try_insert<Q, E>(
        &mut self,
        input: &SchemaRef,
        key: &Q,
        make: impl FnOnce() -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E>
    where
        K: Borrow<Q>,
        Q: ?Sized + PartialEq + ToOwned<Owned = K>,
    {
        let hit = self
            .entries
            .iter()
            .find(|(i, k, _)| Arc::ptr_eq(i, input) && k.borrow() == key)
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|(i, k, _)| k.borrow() == key && **i == **input)
            });
        if let Some((_, _, out)) = hit {
            return Ok(out.clone());
        }
        let out = make()?;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries
            .push_back((input.clone(), key.to_owned(), out.clone()));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use ferry_api::{Schema, SchemaBuilder};

    use super::*;

    fn derive(cache: &mut SchemaCache<String>, input: &SchemaRef, key: &str) -> SchemaRef {
        cache
            .get_or_try_insert(input, key, || {
                Ok::<_, Infallible>(SchemaBuilder::struct_().name(key).build())
            })
            .unwrap()
    }

    #[test]
    fn equal_inputs_share_one_output_and_keys_keep_them_apart() {
        let mut cache = SchemaCache::new(2);
        let a = SchemaBuilder::struct_().field("x", Schema::int32()).build();
        let a_again = SchemaBuilder::struct_().field("x", Schema::int32()).build();
        let first = derive(&mut cache, &a, "c");
        assert!(Arc::ptr_eq(&first, &derive(&mut cache, &a, "c")));
        assert!(Arc::ptr_eq(&first, &derive(&mut cache, &a_again, "c")));
        assert!(!Arc::ptr_eq(&first, &derive(&mut cache, &a, "u")));
    }

    #[test]
    fn the_oldest_entry_goes_when_full() {
        let mut cache = SchemaCache::new(1);
        let a = Schema::int32();
        let b = Schema::int64();
        let first = derive(&mut cache, &a, "k");
        derive(&mut cache, &b, "k");
        assert!(!Arc::ptr_eq(&first, &derive(&mut cache, &a, "k")));
    }
}
