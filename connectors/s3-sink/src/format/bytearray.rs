//! ByteArrayFormat: the raw bytes of each value, separated by
//! `format.bytearray.separator` (a line feed by default).

use ferry_api::{ConnectResult, SinkRecord, Value};

use super::{view_of, Compressor, FormatWriter, View};
use crate::config::S3SinkConfig;
use crate::error::S3SinkError;

pub struct ByteArrayWriter {
    view: View,
    separator: Vec<u8>,
    out: Compressor,
}

impl ByteArrayWriter {
    pub fn new(view: View, cfg: &S3SinkConfig) -> Self {
        ByteArrayWriter {
            view,
            separator: cfg.bytearray_separator.clone(),
            out: Compressor::new(cfg.compression),
        }
    }
}

impl FormatWriter for ByteArrayWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let (_, value) = view_of(r, self.view)?;
            match &*value {
                Value::Bytes(b) => self.out.write(b)?,
                // StringConverter output: its UTF-8 bytes are the record's bytes.
                Value::String(s) => self.out.write(s.as_bytes())?,
                other => {
                    return Err(S3SinkError::BadRecord(format!(
                        "record {}: ByteArrayFormat writes BYTES values (use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter), got {}",
                        r.position(),
                        other.natural_type().map(|t| t.connect_name()).unwrap_or("null")
                    ))
                    .into())
                }
            }
            self.out.write(&self.separator)?;
        }
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        self.out.take()
    }

    fn finish(&mut self) -> ConnectResult<()> {
        self.out.finish()
    }
}
