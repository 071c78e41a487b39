//! AvroFormat: Avro object container files. The Connect schema maps to
//! Avro with `ferry_api::data::avro` — Confluent's `AvroData`, the mapping
//! Confluent's S3 sink and AvroConverter use (so records that came in
//! through the AvroConverter land with their registry schema), honouring
//! `connect.meta.data` and `enhanced.avro.schema.support`.
//!
//! The container is written here (header, blocks, sync markers); datums
//! are encoded with `apache-avro`.

use std::io::Write;

use ferry_api::data::avro::apache_avro;
use ferry_api::data::avro::{AvroData, AvroDataConfig, AvroSchemaText};
use ferry_api::{ConnectResult, SchemaRef, SinkRecord};

use super::{view_of, FormatWriter, View};
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

const BLOCK_BYTES: usize = 64 * 1024;

/// Avro codecs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Null,
    Deflate,
    Snappy,
}

pub struct AvroWriter {
    view: View,
    data: AvroData,
    schema: AvroSchemaText,
    connect: SchemaRef,
    codec: Codec,
    sync: [u8; 16],
    out: Vec<u8>,
    block: Vec<u8>,
    block_count: i64,
}

/// Zig-zag varint, Avro's `long`.
pub(crate) fn write_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    loop {
        if z < 0x80 {
            out.push(z as u8);
            return;
        }
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
}

fn write_bytes(out: &mut Vec<u8>, b: &[u8]) {
    write_long(out, b.len() as i64);
    out.extend_from_slice(b);
}

impl AvroWriter {
    pub fn new(view: View, schema: Option<&SchemaRef>, cfg: &S3SinkConfig) -> ConnectResult<Self> {
        let connect = schema.cloned().ok_or_else(|| {
            S3SinkError::BadRecord("AvroFormat needs records with a schema".into())
        })?;
        let data = AvroData::new(AvroDataConfig {
            connect_meta_data: cfg.connect_meta_data,
            enhanced_avro_schema_support: cfg.enhanced_avro_schema_support,
        });
        let parsed = data.from_connect_schema(&connect).map_err(|e| {
            S3SinkError::BadRecord(format!("cannot map the Connect schema to Avro: {e}"))
        })?;
        let codec = match cfg.avro_codec.as_str() {
            "deflate" => Codec::Deflate,
            "snappy" => Codec::Snappy,
            _ => Codec::Null,
        };
        let sync = random_sync();
        let mut out = Vec::new();
        out.extend_from_slice(b"Obj\x01");
        write_long(&mut out, 2);
        write_bytes(&mut out, b"avro.schema");
        write_bytes(&mut out, parsed.text.as_bytes());
        write_bytes(&mut out, b"avro.codec");
        write_bytes(
            &mut out,
            match codec {
                Codec::Null => b"null".as_slice(),
                Codec::Deflate => b"deflate",
                Codec::Snappy => b"snappy",
            },
        );
        write_long(&mut out, 0);
        out.extend_from_slice(&sync);
        Ok(AvroWriter {
            view,
            data,
            schema: parsed,
            connect,
            codec,
            sync,
            out,
            block: Vec::new(),
            block_count: 0,
        })
    }

    fn flush_block(&mut self) -> ConnectResult<()> {
        if self.block_count == 0 {
            return Ok(());
        }
        let data = match self.codec {
            Codec::Null => std::mem::take(&mut self.block),
            Codec::Deflate => {
                let mut e =
                    flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(&self.block)?;
                self.block.clear();
                e.finish()?
            }
            Codec::Snappy => {
                let mut c = snap::raw::Encoder::new()
                    .compress_vec(&self.block)
                    .map_err(S3SinkError::Snappy)?;
                c.extend_from_slice(&crc32fast::hash(&self.block).to_be_bytes());
                self.block.clear();
                c
            }
        };
        write_long(&mut self.out, self.block_count);
        write_bytes(&mut self.out, &data);
        self.out.extend_from_slice(&self.sync);
        self.block_count = 0;
        Ok(())
    }
}

impl FormatWriter for AvroWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let (_, value) = view_of(r, self.view)?;
            let v = self
                .data
                .from_connect_data(&self.connect, &value)
                .map_err(|e| S3SinkError::BadRecord(format!("record {}: {e}", r.position())))?;
            let datum = apache_avro::to_avro_datum(&self.schema.schema, v).map_err(|e| {
                S3SinkError::BadRecord(format!(
                    "record {}: cannot encode it as Avro: {e}",
                    r.position()
                ))
            })?;
            self.block.extend_from_slice(&datum);
            self.block_count += 1;
            if self.block.len() >= BLOCK_BYTES {
                self.flush_block()?;
            }
        }
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.out)
    }

    fn buffered_bytes(&self) -> usize {
        self.block.len()
    }

    fn flush_buffered(&mut self) -> ConnectResult<()> {
        self.flush_block()
    }

    fn finish(&mut self) -> ConnectResult<()> {
        self.flush_block()
    }
}

/// 16 random bytes (std's randomly keyed hasher is the entropy source).
fn random_sync() -> [u8; 16] {
    use std::hash::{BuildHasher, Hasher};
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(8) {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use apache_avro::types::Value as AvroValue;
    use ferry_api::{Schema, SchemaBuilder, Struct, Value};

    #[test]
    fn values_encode_and_container_reads_back() {
        let s = SchemaBuilder::struct_()
            .field("id", Schema::int32())
            .field("n", Schema::optional_string())
            .build();
        let cfg = crate::config::S3SinkConfig::parse(
            &[
                ("s3.bucket.name", "b"),
                ("format.class", "AvroFormat"),
                ("flush.size", "1"),
                ("avro.codec", "deflate"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        )
        .unwrap();
        let mut w = AvroWriter::new(View::Value, Some(&s), &cfg).unwrap();
        let recs: Vec<SinkRecord> = (0..3)
            .map(|i| {
                let v = Value::Struct(
                    Struct::new(s.clone())
                        .with("id", i)
                        .with("n", if i == 1 { Value::Null } else { "x".into() }),
                );
                crate::test_support::record(0, i as i64, Some(s.clone()), v)
            })
            .collect();
        let refs: Vec<&SinkRecord> = recs.iter().collect();
        w.write(&refs).unwrap();
        w.finish().unwrap();
        let bytes = w.take_output();
        let reader = apache_avro::Reader::new(&bytes[..]).unwrap();
        let rows: Vec<AvroValue> = reader.map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            AvroValue::Record(vec![
                ("id".into(), AvroValue::Int(1)),
                ("n".into(), AvroValue::Union(0, Box::new(AvroValue::Null)))
            ])
        );
    }
}
