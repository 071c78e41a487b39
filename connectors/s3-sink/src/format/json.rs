//! JsonFormat: one JSON document per line, exactly as Confluent's
//! `JsonRecordWriterProvider` (Kafka's JsonConverter, schemas disabled).

use ferry_api::{ConnectError, ConnectResult, SinkRecord, Struct, Value};
use ferry_converters::json::{write_value, DecimalFormat, JsonConverterConfig};

use super::{view_of, Compressor, FormatWriter, View};
use crate::config::S3SinkConfig;

pub struct JsonWriter {
    view: View,
    json: JsonConverterConfig,
    out: Compressor,
    line: Vec<u8>,
}

impl JsonWriter {
    pub fn new(view: View, cfg: &S3SinkConfig) -> Self {
        let json = JsonConverterConfig {
            schemas_enable: false,
            decimal_format: if cfg.json_decimal_numeric {
                DecimalFormat::Numeric
            } else {
                DecimalFormat::Base64
            },
            ..JsonConverterConfig::default()
        };
        JsonWriter {
            view,
            json,
            out: Compressor::new(cfg.compression),
            line: Vec::with_capacity(1024),
        }
    }
}

impl FormatWriter for JsonWriter {
    fn write(&mut self, records: &[&SinkRecord]) -> ConnectResult<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        for r in records {
            let (schema, value) = view_of(r, self.view)?;
            // Confluent envelopes headers for JSON: {"headers":[…]}.
            let (schema, value) = if self.view == View::Headers {
                let env = super::headers::envelope_schema();
                let v = Struct::from_values(env.clone(), vec![value.into_owned()])?;
                (Some(env), std::borrow::Cow::Owned(Value::Struct(v)))
            } else {
                (schema, value)
            };
            write_value(schema.map(|s| &**s), &value, &self.json, &mut line).map_err(|e| {
                ConnectError::data(format!(
                    "record {}: cannot write it as JSON: {}",
                    r.position(),
                    e.full_message()
                ))
            })?;
            line.push(b'\n');
        }
        self.out.write(&line)?;
        self.line = line;
        Ok(())
    }

    fn take_output(&mut self) -> Vec<u8> {
        self.out.take()
    }

    fn finish(&mut self) -> ConnectResult<()> {
        self.out.finish()
    }
}
