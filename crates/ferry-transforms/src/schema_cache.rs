//! A small cache of derived schemas per input schema, as Kafka's
//! transforms keep (`SynchronizedCache<>(new LRUCache<>(16))`).

use ferry_api::{Schema, SchemaRef};

/// How many input schemas a cache remembers, as Kafka's LRU caches.
const CAPACITY: usize = 16;

/// Derived schemas keyed by input schema: the same `Arc` is found at once,
/// an equal schema in another `Arc` by comparison (Kafka keys by
/// `Schema.equals`). The least recently used entry goes when full.
#[derive(Debug, Default)]
pub(crate) struct SchemaCache {
    /// Most recently used last.
    entries: Vec<(SchemaRef, SchemaRef)>,
}

impl SchemaCache {
    /// The schema derived from `input`, deriving and remembering it on a
    /// miss. A derivation error is returned and nothing is remembered.
    pub(crate) fn get_or_derive<E>(
        &mut self,
        input: &SchemaRef,
        derive: impl FnOnce(&Schema) -> Result<SchemaRef, E>,
    ) -> Result<SchemaRef, E> {
        let hit = self
            .entries
            .iter()
            .rposition(|(k, _)| SchemaRef::ptr_eq(k, input))
            .or_else(|| self.entries.iter().rposition(|(k, _)| **k == **input));
        if let Some(i) = hit {
            let entry = self.entries.remove(i);
            let derived = entry.1.clone();
            self.entries.push(entry);
            return Ok(derived);
        }
        let derived = derive(input)?;
        if self.entries.len() == CAPACITY {
            self.entries.remove(0);
        }
        self.entries.push((input.clone(), derived.clone()));
        Ok(derived)
    }

    /// [`Self::get_or_derive`] for a derivation that cannot fail.
    pub(crate) fn get_or_build(
        &mut self,
        input: &SchemaRef,
        build: impl FnOnce(&Schema) -> SchemaRef,
    ) -> SchemaRef {
        match self.get_or_derive(input, |s| Ok::<_, std::convert::Infallible>(build(s))) {
            Ok(derived) => derived,
            Err(never) => match never {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::SchemaBuilder;

    #[test]
    fn equal_schemas_share_one_derivation_and_old_ones_are_evicted() {
        let mut cache = SchemaCache::default();
        let mut derivations = 0;
        let a = SchemaBuilder::struct_().name("a").build();
        let a_again = SchemaBuilder::struct_().name("a").build();
        for input in [&a, &a_again, &a] {
            let out = cache
                .get_or_derive(input, |s| {
                    derivations += 1;
                    Ok::<_, ()>(
                        SchemaBuilder::struct_()
                            .doc(s.name.clone().unwrap())
                            .build(),
                    )
                })
                .unwrap();
            assert_eq!(out.doc.as_deref(), Some("a"));
        }
        assert_eq!(derivations, 1);
        for i in 0..CAPACITY {
            let s = SchemaBuilder::struct_().version(i as i32).build();
            cache.get_or_derive(&s, |_| Ok::<_, ()>(s.clone())).unwrap();
        }
        assert_eq!(cache.entries.len(), CAPACITY);
        assert!(!cache.entries.iter().any(|(k, _)| **k == *a));
    }
}
