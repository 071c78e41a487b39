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

/// The bytes ByteArrayFormat writes for a value: BYTES as they are, a
/// string (StringConverter output) as its UTF-8 bytes; anything else is
/// refused with the converter to use.
pub fn bytes_of(value: &Value) -> Result<&[u8], String> {
    match value {
        Value::Bytes(b) => Ok(&b[..]),
        Value::String(s) => Ok(s.as_bytes()),
        other => Err(format!(
            "ByteArrayFormat writes BYTES values (use value.converter=org.apache.kafka.connect.converters.ByteArrayConverter), got {}",
            other.natural_type().map(|t| t.connect_name()).unwrap_or("null")
        )),
    }
}

impl FormatWriter for ByteArrayWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        for r in records {
            let (_, value) = view_of(r, self.view)?;
            let bytes = bytes_of(&value)
                .map_err(|e| S3SinkError::BadRecord(format!("record {}: {e}", r.position())))?;
            self.out.write(bytes)?;
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
