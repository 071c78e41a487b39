//! The connector's configuration: Confluent's keys with Confluent's
//! defaults, plus a few `ferry.s3.*` keys (memory budget, spill directory,
//! state prefix). [`S3SinkConfig::parse`] reports every problem at once,
//! including contradictions between keys.

use std::path::PathBuf;

use ferry_api::{
    ConfigDef, ConfigError, ConfigErrors, ConfigKey, ConfigType, Importance, ParsedConfig,
    PropertyMap, Validator,
};

use crate::compatibility::Compatibility;
use crate::error::S3SinkError;
use crate::format::FormatKind;
use crate::partitioner::{joda::JodaPattern, PartitionerKind, TimestampExtractorKind};

pub const BUCKET: &str = "s3.bucket.name";
pub const REGION: &str = "s3.region";
pub const STORE_URL: &str = "store.url";
pub const PATH_STYLE: &str = "s3.path.style.access.enabled";
pub const PART_SIZE: &str = "s3.part.size";
pub const COMPRESSION_TYPE: &str = "s3.compression.type";
pub const COMPRESSION_LEVEL: &str = "s3.compression.level";
pub const FORMAT_CLASS: &str = "format.class";
pub const PARQUET_CODEC: &str = "parquet.codec";
pub const AVRO_CODEC: &str = "avro.codec";
pub const CONNECT_META_DATA: &str = "connect.meta.data";
pub const ENHANCED_AVRO_SCHEMA_SUPPORT: &str = "enhanced.avro.schema.support";
pub const FLUSH_SIZE: &str = "flush.size";
pub const ROTATE_INTERVAL: &str = "rotate.interval.ms";
pub const ROTATE_SCHEDULE_INTERVAL: &str = "rotate.schedule.interval.ms";
pub const ROTATE_ON_PARTITION_CHANGE: &str = "rotate.file.on.partition.change";
pub const PARTITIONER_CLASS: &str = "partitioner.class";
pub const PARTITION_FIELD_NAME: &str = "partition.field.name";
pub const PATH_FORMAT: &str = "path.format";
pub const PARTITION_DURATION: &str = "partition.duration.ms";
pub const LOCALE: &str = "locale";
pub const TIMEZONE: &str = "timezone";
pub const TIMESTAMP_EXTRACTOR: &str = "timestamp.extractor";
pub const TIMESTAMP_FIELD: &str = "timestamp.field";
pub const TOPICS_DIR: &str = "topics.dir";
pub const DIRECTORY_DELIM: &str = "directory.delim";
pub const FILE_DELIM: &str = "file.delim";
pub const ZERO_PAD_WIDTH: &str = "filename.offset.zero.pad.width";
pub const SCHEMA_COMPATIBILITY: &str = "schema.compatibility";
pub const NULL_VALUES: &str = "behavior.on.null.values";
pub const REPORT_NULL_VALUES: &str = "report.null.values.to.dlq";
pub const STORE_KEYS: &str = "store.kafka.keys";
pub const STORE_HEADERS: &str = "store.kafka.headers";
pub const KEYS_FORMAT: &str = "keys.format.class";
pub const HEADERS_FORMAT: &str = "headers.format.class";
pub const TOMBSTONE_PARTITION: &str = "tombstone.encoded.partition";
pub const SSE_ALGORITHM: &str = "s3.ssea.name";
pub const SSE_KMS_KEY: &str = "s3.sse.kms.key.id";
pub const SSE_CUSTOMER_KEY: &str = "s3.sse.customer.key";
pub const ACCESS_KEY_ID: &str = "aws.access.key.id";
pub const SECRET_ACCESS_KEY: &str = "aws.secret.access.key";
pub const CREDENTIALS_PROVIDER: &str = "s3.credentials.provider.class";
/// The credential provider classes that mean "the default chain".
const DEFAULT_CHAINS: &[&str] = &[
    "com.amazonaws.auth.DefaultAWSCredentialsProviderChain",
    "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider",
    "DefaultAWSCredentialsProviderChain",
];
pub const ACL_CANNED: &str = "s3.acl.canned";
pub const RETRY_BACKOFF: &str = "s3.retry.backoff.ms";
pub const PART_RETRIES: &str = "s3.part.retries";
pub const OBJECT_TAGGING: &str = "s3.object.tagging";
pub const OBJECT_TAGGING_PAIRS: &str = "s3.object.tagging.key.value.pairs";
pub const BYTEARRAY_EXTENSION: &str = "format.bytearray.extension";
pub const BYTEARRAY_SEPARATOR: &str = "format.bytearray.separator";
pub const JSON_DECIMAL_FORMAT: &str = "json.decimal.format";
pub const ELASTIC_BUFFER: &str = "s3.elastic.buffer.enable";
pub const CONDITIONAL_WRITES: &str = "enable.conditional.writes";
pub const BUFFER_MAX_BYTES: &str = "ferry.s3.buffer.max.bytes";
pub const SPILL_DIR: &str = "ferry.s3.spill.dir";
pub const UPLOAD_CONCURRENCY: &str = "ferry.s3.upload.concurrency";
pub const STATE_PREFIX: &str = "ferry.s3.state.prefix";
pub const PARQUET_ROW_GROUP_BYTES: &str = "ferry.s3.parquet.row.group.bytes";

const MIB: i64 = 1024 * 1024;

/// Canned ACLs S3 accepts.
const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "log-delivery-write",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "aws-exec-read",
];

fn key(name: &str, t: ConfigType) -> ConfigKey {
    ConfigKey::new(name, t).group("S3")
}

/// Every key the connector accepts.
pub fn config_def() -> ConfigDef {
    use ConfigType::*;
    ConfigDef::new()
        .define(key(BUCKET, String).required().validator(Validator::NonEmptyString).importance(Importance::High).doc("The S3 bucket."))
        .define(key(REGION, String).default_value("us-west-2").importance(Importance::Medium).doc("The AWS region of the bucket."))
        .define(key(STORE_URL, String).doc("Endpoint URL of an S3-compatible store (MinIO, SeaweedFS, LocalStack); unset for AWS."))
        .define(key(PATH_STYLE, Boolean).default_value("true").doc("Path-style bucket addressing (`endpoint/bucket/key`)."))
        .define(key(PART_SIZE, Int).default_value((25 * MIB).to_string()).validator(Validator::between((5 * MIB) as f64, i32::MAX as f64)).doc("Size of the parts of multipart uploads, 5 MiB to 2 GiB."))
        .define(key(COMPRESSION_TYPE, String).default_value("none").validator(Validator::one_of(["none", "gzip"])).doc("Compression of JSON and ByteArray files."))
        .define(key(COMPRESSION_LEVEL, Int).default_value("-1").validator(Validator::between(-1.0, 9.0)).doc("gzip level; -1 is the default (6)."))
        .define(key(FORMAT_CLASS, Class).required().importance(Importance::High).doc("Output format: JsonFormat, AvroFormat, ParquetFormat or ByteArrayFormat (Confluent class names accepted)."))
        .define(key(PARQUET_CODEC, String).default_value("snappy").validator(Validator::one_of(["none", "uncompressed", "snappy", "gzip", "zstd", "lz4", "brotli"])).doc("Parquet compression codec."))
        .define(key(AVRO_CODEC, String).default_value("null").validator(Validator::one_of(["null", "deflate", "snappy"])).doc("Avro container codec."))
        .define(key(CONNECT_META_DATA, Boolean).default_value("true").doc("Carry Connect schema names, versions, docs, parameters and defaults in connect.* properties of the Avro schema (AvroFormat)."))
        .define(key(ENHANCED_AVRO_SCHEMA_SUPPORT, Boolean).default_value("false").doc("Write Connect strings that came from Avro enums as enums, and union structs as unions (AvroFormat)."))
        .define(key(FLUSH_SIZE, Int).required().validator(Validator::at_least(1.0)).importance(Importance::High).doc("Records per Kafka partition (across its open files) before the files are committed."))
        .define(key(ROTATE_INTERVAL, Long).default_value("-1").doc("Commit files when the record time advances this far past a file's first record (time-based partitioners)."))
        .define(key(ROTATE_SCHEDULE_INTERVAL, Long).default_value("-1").doc("Commit files on this wall-clock schedule, aligned to midnight of `timezone`."))
        .define(key(ROTATE_ON_PARTITION_CHANGE, Boolean).default_value("true").doc("With rotate.interval.ms, also commit when the encoded partition changes."))
        .define(key(PARTITIONER_CLASS, Class).default_value("io.confluent.connect.storage.partitioner.DefaultPartitioner").doc("Default, Field, TimeBased, Daily or Hourly partitioner."))
        .define(key(PARTITION_FIELD_NAME, List).default_value("").doc("Fields of the value for the FieldPartitioner; dots reach into nested fields."))
        .define(key(PATH_FORMAT, String).default_value("").doc("Joda-style pattern of the time-based path, e.g. 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH."))
        .define(key(PARTITION_DURATION, Long).default_value("-1").doc("Width of a time bucket in ms."))
        .define(key(LOCALE, String).default_value("").doc("Locale of the time-based path, e.g. en-US."))
        .define(key(TIMEZONE, String).default_value("").doc("Time zone of the time-based path and the rotation schedule, e.g. UTC or Europe/Berlin."))
        .define(key(TIMESTAMP_EXTRACTOR, String).default_value("Wallclock").doc("Wallclock, Record or RecordField."))
        .define(key(TIMESTAMP_FIELD, String).default_value("timestamp").doc("Field holding the record time for RecordField; dots reach into nested fields."))
        .define(key(TOPICS_DIR, String).default_value("topics").doc("Top-level prefix of the objects."))
        .define(key(DIRECTORY_DELIM, String).default_value("/").doc("Directory delimiter of object keys."))
        .define(key(FILE_DELIM, String).default_value("+").doc("Delimiter between topic, partition and offset in file names."))
        .define(key(ZERO_PAD_WIDTH, Int).default_value("10").validator(Validator::at_least(0.0)).doc("Width the start offset is zero-padded to."))
        .define(key(SCHEMA_COMPATIBILITY, String).default_value("NONE").validator(Validator::one_of(["NONE", "BACKWARD", "FORWARD", "FULL"])).doc("What a schema change does: NONE rotates the file; BACKWARD/FULL rotate on a newer schema version and project older records onto the file's schema; FORWARD the reverse."))
        .define(key(NULL_VALUES, String).default_value("fail").validator(Validator::one_of(["fail", "ignore", "write"])).doc("What a record with a null value does."))
        .define(key(REPORT_NULL_VALUES, Boolean).default_value("true").doc("With behavior.on.null.values=ignore and errors.tolerance=all, also report each skipped null-value record through the errant record reporter (to the error log and dead letter queue)."))
        .define(key(STORE_KEYS, Boolean).default_value("false").doc("Also write record keys to `<file>.keys.<ext>` objects."))
        .define(key(STORE_HEADERS, Boolean).default_value("false").doc("Also write record headers to `<file>.headers.<ext>` objects."))
        .define(key(KEYS_FORMAT, Class).default_value("io.confluent.connect.s3.format.avro.AvroFormat").doc("Format of key objects."))
        .define(key(HEADERS_FORMAT, Class).default_value("io.confluent.connect.s3.format.avro.AvroFormat").doc("Format of header objects."))
        .define(key(TOMBSTONE_PARTITION, String).default_value("tombstone").doc("Encoded partition of null-value records with behavior.on.null.values=write."))
        .define(key(SSE_ALGORITHM, String).default_value("").validator(Validator::one_of(["", "AES256", "aws:kms", "aws:kms:dsse"])).doc("Server-side encryption algorithm."))
        .define(key(SSE_KMS_KEY, String).default_value("").doc("KMS key id for aws:kms."))
        .define(key(SSE_CUSTOMER_KEY, Password).doc("Base64 SSE-C key (AES256)."))
        .define(key(ACCESS_KEY_ID, String).default_value("").doc("Static AWS access key id (with aws.secret.access.key); empty: the default credential chain."))
        .define(key(SECRET_ACCESS_KEY, Password).default_value("").doc("Static AWS secret access key (with aws.access.key.id)."))
        .define(key(CREDENTIALS_PROVIDER, Class).default_value("com.amazonaws.auth.DefaultAWSCredentialsProviderChain").doc("The default chain (environment, profile, web identity/IRSA, ECS task role, instance metadata); other provider classes are not supported yet."))
        .define(key(ACL_CANNED, String).doc("Canned ACL of the objects."))
        .define(key(RETRY_BACKOFF, Long).default_value("200").validator(Validator::at_least(0.0)).doc("Wait before the first retry of an S3 request; later waits double."))
        .define(key(PART_RETRIES, Int).default_value("3").validator(Validator::at_least(0.0)).doc("Retries of an S3 request."))
        .define(key(OBJECT_TAGGING, Boolean).default_value("false").doc("Tag objects with startOffset, endOffset and recordCount."))
        .define(key(OBJECT_TAGGING_PAIRS, List).default_value("").doc("Extra tags, key:value pairs."))
        .define(key(BYTEARRAY_EXTENSION, String).default_value(".bin").doc("Extension of ByteArray files."))
        .define(key(BYTEARRAY_SEPARATOR, String).doc("Separator between ByteArray records; default a line feed."))
        .define(key(JSON_DECIMAL_FORMAT, String).default_value("BASE64").validator(Validator::one_of(["BASE64", "NUMERIC"])).doc("How JsonFormat writes decimals."))
        .define(key(ELASTIC_BUFFER, Boolean).default_value("false").doc("Accepted for compatibility; Ferry's buffers always grow on demand."))
        .define(key(CONDITIONAL_WRITES, Boolean).default_value("true").doc("Accepted for compatibility; Ferry's exactly-once state makes overwrites impossible without it."))
        .define(key(BUFFER_MAX_BYTES, Long).default_value((128 * MIB).to_string()).validator(Validator::at_least(MIB as f64)).group("Ferry").doc("Process-wide budget for file buffers in memory; beyond it buffers spill to ferry.s3.spill.dir."))
        .define(key(UPLOAD_CONCURRENCY, Int).default_value("4").validator(Validator::between(1.0, 64.0)).group("Ferry").doc("Part uploads a task runs in the background at once; the sink waits for a free slot (in-flight parts count against ferry.s3.buffer.max.bytes while in memory)."))
        .define(key(SPILL_DIR, String).default_value("").group("Ferry").doc("Directory for spilled buffers; empty = the system temp dir."))
        .define(key(STATE_PREFIX, String).default_value("").group("Ferry").doc("Prefix of the exactly-once state objects; empty = `<topics.dir>/_ferry`."))
        .define(key(PARQUET_ROW_GROUP_BYTES, Long).default_value((64 * MIB).to_string()).validator(Validator::at_least(1024.0)).group("Ferry").doc("Close a Parquet row group when its in-memory size reaches this."))
}

/// gzip or nothing, for JSON and ByteArray files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip(u32),
}

/// What to do with a null value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullValues {
    Fail,
    Ignore,
    Write,
}

/// Server-side encryption.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sse {
    pub algorithm: Option<String>,
    pub kms_key_id: Option<String>,
    pub customer_key: Option<String>,
}

/// The parsed, cross-checked configuration.
#[derive(Debug, Clone)]
pub struct S3SinkConfig {
    pub bucket: String,
    pub region: String,
    pub store_url: Option<String>,
    pub path_style: bool,
    pub part_size: usize,
    pub compression: Compression,
    pub format: FormatKind,
    pub parquet_codec: String,
    pub avro_codec: String,
    pub connect_meta_data: bool,
    pub enhanced_avro_schema_support: bool,
    pub flush_size: u64,
    pub rotate_interval_ms: i64,
    pub rotate_schedule_interval_ms: i64,
    pub rotate_on_partition_change: bool,
    pub partitioner: PartitionerKind,
    pub partition_fields: Vec<String>,
    pub path_format: String,
    pub partition_duration_ms: i64,
    pub locale: String,
    pub timezone: Option<chrono_tz::Tz>,
    pub extractor: TimestampExtractorKind,
    pub timestamp_field: String,
    pub topics_dir: String,
    pub directory_delim: String,
    pub file_delim: String,
    pub zero_pad_width: usize,
    pub null_values: NullValues,
    pub report_null_values: bool,
    pub compatibility: Compatibility,
    pub store_keys: bool,
    pub store_headers: bool,
    pub keys_format: FormatKind,
    pub headers_format: FormatKind,
    pub tombstone_partition: String,
    pub sse: Sse,
    /// `aws.access.key.id` and `aws.secret.access.key`, when both are set.
    pub static_credentials: Option<(String, ferry_api::Password)>,
    pub acl: Option<String>,
    pub retry_backoff_ms: u64,
    pub part_retries: u32,
    pub object_tagging: bool,
    pub tagging_pairs: Vec<(String, String)>,
    pub bytearray_extension: String,
    pub bytearray_separator: Vec<u8>,
    pub json_decimal_numeric: bool,
    pub buffer_max_bytes: u64,
    pub upload_concurrency: usize,
    pub spill_dir: Option<PathBuf>,
    pub state_prefix: String,
    pub parquet_row_group_bytes: usize,
}

fn err(key: &str, value: Option<&str>, reason: impl Into<String>) -> ConfigError {
    ConfigError::new(key, value, reason)
}

impl S3SinkConfig {
    /// Parses and validates; every problem is reported at once.
    pub fn parse(props: &PropertyMap) -> Result<Self, ConfigErrors> {
        let def = config_def();
        let parsed = match def.parse(props) {
            Ok(p) => p,
            Err(mut errors) => {
                // Cross-key checks still run on what parsed, so that every
                // problem shows at once.
                let lenient = lenient_parse(&def, props);
                for e in cross_check(&lenient).0 {
                    if !errors.iter().any(|x| x.key == e.key) {
                        errors.push(e);
                    }
                }
                return Err(errors);
            }
        };
        let errors = cross_check(&parsed);
        errors.into_result()?;
        Ok(Self::build(&parsed))
    }

    fn build(p: &ParsedConfig) -> Self {
        let s = |k: &str| p.string(k).unwrap_or_default().to_string();
        let compression = match s(COMPRESSION_TYPE).to_ascii_lowercase().as_str() {
            "gzip" => {
                let level = p.int(COMPRESSION_LEVEL).unwrap_or(-1);
                Compression::Gzip(if level < 0 { 6 } else { level as u32 })
            }
            _ => Compression::None,
        };
        let topics_dir = s(TOPICS_DIR);
        let directory_delim = s(DIRECTORY_DELIM);
        let state_prefix = match s(STATE_PREFIX) {
            x if x.is_empty() => {
                if topics_dir.trim().is_empty() {
                    "_ferry".to_string()
                } else {
                    format!("{topics_dir}{directory_delim}_ferry")
                }
            }
            x => x,
        };
        let sse_alg = s(SSE_ALGORITHM);
        let kms = s(SSE_KMS_KEY);
        S3SinkConfig {
            bucket: s(BUCKET),
            region: s(REGION),
            store_url: p
                .string(STORE_URL)
                .filter(|u| !u.is_empty())
                .map(str::to_string),
            path_style: p.boolean(PATH_STYLE).unwrap_or(true),
            part_size: p.int(PART_SIZE).unwrap_or(25 << 20) as usize,
            compression,
            format: FormatKind::from_class(&s(FORMAT_CLASS)).unwrap_or(FormatKind::Json),
            parquet_codec: s(PARQUET_CODEC).to_ascii_lowercase(),
            avro_codec: s(AVRO_CODEC).to_ascii_lowercase(),
            connect_meta_data: p.boolean(CONNECT_META_DATA).unwrap_or(true),
            enhanced_avro_schema_support: p.boolean(ENHANCED_AVRO_SCHEMA_SUPPORT).unwrap_or(false),
            flush_size: p.int(FLUSH_SIZE).unwrap_or(1) as u64,
            rotate_interval_ms: p.long(ROTATE_INTERVAL).unwrap_or(-1),
            rotate_schedule_interval_ms: p.long(ROTATE_SCHEDULE_INTERVAL).unwrap_or(-1),
            rotate_on_partition_change: p.boolean(ROTATE_ON_PARTITION_CHANGE).unwrap_or(true),
            partitioner: PartitionerKind::from_class(&s(PARTITIONER_CLASS))
                .unwrap_or(PartitionerKind::Default),
            partition_fields: p.list(PARTITION_FIELD_NAME).to_vec(),
            path_format: s(PATH_FORMAT),
            partition_duration_ms: p.long(PARTITION_DURATION).unwrap_or(-1),
            locale: s(LOCALE),
            timezone: parse_timezone(&s(TIMEZONE)).ok().flatten(),
            extractor: TimestampExtractorKind::from_name(&s(TIMESTAMP_EXTRACTOR))
                .unwrap_or(TimestampExtractorKind::Wallclock),
            timestamp_field: s(TIMESTAMP_FIELD),
            topics_dir,
            directory_delim,
            file_delim: s(FILE_DELIM),
            zero_pad_width: p.int(ZERO_PAD_WIDTH).unwrap_or(10) as usize,
            null_values: match s(NULL_VALUES).to_ascii_lowercase().as_str() {
                "ignore" => NullValues::Ignore,
                "write" => NullValues::Write,
                _ => NullValues::Fail,
            },
            report_null_values: p.boolean(REPORT_NULL_VALUES).unwrap_or(true),
            compatibility: Compatibility::parse(&s(SCHEMA_COMPATIBILITY))
                .unwrap_or(Compatibility::None),
            store_keys: p.boolean(STORE_KEYS).unwrap_or(false),
            store_headers: p.boolean(STORE_HEADERS).unwrap_or(false),
            keys_format: FormatKind::from_class(&s(KEYS_FORMAT)).unwrap_or(FormatKind::Avro),
            headers_format: FormatKind::from_class(&s(HEADERS_FORMAT)).unwrap_or(FormatKind::Avro),
            tombstone_partition: s(TOMBSTONE_PARTITION),
            static_credentials: p
                .string(ACCESS_KEY_ID)
                .filter(|k| !k.is_empty())
                .zip(
                    p.password(SECRET_ACCESS_KEY)
                        .filter(|k| !k.expose().is_empty()),
                )
                .map(|(id, secret)| (id.to_string(), secret.clone())),
            sse: Sse {
                algorithm: (!sse_alg.is_empty()).then_some(sse_alg),
                kms_key_id: (!kms.is_empty()).then_some(kms),
                customer_key: p
                    .password(SSE_CUSTOMER_KEY)
                    .map(|k| k.expose().to_string())
                    .filter(|k| !k.is_empty()),
            },
            acl: p
                .string(ACL_CANNED)
                .filter(|a| !a.is_empty())
                .map(str::to_string),
            retry_backoff_ms: p.long(RETRY_BACKOFF).unwrap_or(200) as u64,
            part_retries: p.int(PART_RETRIES).unwrap_or(3) as u32,
            object_tagging: p.boolean(OBJECT_TAGGING).unwrap_or(false),
            tagging_pairs: p
                .list(OBJECT_TAGGING_PAIRS)
                .iter()
                .filter_map(|kv| kv.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect(),
            bytearray_extension: s(BYTEARRAY_EXTENSION),
            bytearray_separator: match p.originals().get(BYTEARRAY_SEPARATOR) {
                Some(sep) => unescape(sep).into_bytes(),
                None => b"\n".to_vec(),
            },
            json_decimal_numeric: s(JSON_DECIMAL_FORMAT).eq_ignore_ascii_case("NUMERIC"),
            buffer_max_bytes: p.long(BUFFER_MAX_BYTES).unwrap_or(128 << 20) as u64,
            upload_concurrency: p.int(UPLOAD_CONCURRENCY).unwrap_or(4).max(1) as usize,
            spill_dir: p
                .string(SPILL_DIR)
                .filter(|d| !d.is_empty())
                .map(PathBuf::from),
            state_prefix,
            parquet_row_group_bytes: p.long(PARQUET_ROW_GROUP_BYTES).unwrap_or(64 << 20) as usize,
        }
    }

    /// Whether the partitioner is one of the time-based ones.
    pub fn time_based(&self) -> bool {
        self.partitioner.is_time_based()
    }
}

/// `\n`, `\t`, `\r`, `\\` escapes as Java properties files would give them
/// when written literally in JSON configs.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Parses what it can, key by key, ignoring failures (they are reported
/// by the strict parse).
fn lenient_parse(def: &ConfigDef, props: &PropertyMap) -> ParsedConfig {
    let mut values = std::collections::BTreeMap::new();
    for k in def.keys() {
        let raw = props.get(&k.name).cloned().or(match &k.default {
            ferry_api::config::DefaultValue::Value(v) => Some(v.clone()),
            _ => None,
        });
        let v = raw.and_then(|r| k.parse_value(&r).ok());
        values.insert(k.name.clone(), v);
    }
    ParsedConfig::new(values, props.clone())
}

/// `Ok(None)` for an empty zone.
pub fn parse_timezone(tz: &str) -> Result<Option<chrono_tz::Tz>, S3SinkError> {
    let tz = tz.trim();
    if tz.is_empty() {
        return Ok(None);
    }
    tz.parse::<chrono_tz::Tz>()
        .map(Some)
        .map_err(|_| S3SinkError::UnknownTimeZone)
}

/// Checks that involve several keys, and class names.
fn cross_check(p: &ParsedConfig) -> ConfigErrors {
    let mut errors = ConfigErrors::default();
    let s = |k: &str| p.string(k).unwrap_or_default().trim().to_string();

    let format_class = s(FORMAT_CLASS);
    let format = FormatKind::from_class(&format_class);
    if !format_class.is_empty() && format.is_none() {
        errors.push(err(
            FORMAT_CLASS,
            Some(&format_class),
            format!(
                "unknown format; use one of {}",
                FormatKind::NAMES.join(", ")
            ),
        ));
    }
    for k in [KEYS_FORMAT, HEADERS_FORMAT] {
        let v = s(k);
        if FormatKind::from_class(&v).is_none() {
            errors.push(err(
                k,
                Some(&v),
                format!(
                    "unknown format; use one of {}",
                    FormatKind::NAMES.join(", ")
                ),
            ));
        }
    }
    let partitioner_class = s(PARTITIONER_CLASS);
    let partitioner = PartitionerKind::from_class(&partitioner_class);
    if partitioner.is_none() {
        errors.push(err(
            PARTITIONER_CLASS,
            Some(&partitioner_class),
            format!(
                "unknown partitioner; use one of {}",
                PartitionerKind::NAMES.join(", ")
            ),
        ));
    }
    let time_based = partitioner.is_some_and(|k| k.is_time_based());

    let tz = s(TIMEZONE);
    let tz_ok = match parse_timezone(&tz) {
        Ok(z) => z.is_some(),
        Err(reason) => {
            errors.push(err(TIMEZONE, Some(&tz), reason.to_string()));
            true
        }
    };
    let locale = s(LOCALE);
    if !locale.is_empty() && !valid_locale(&locale) {
        errors.push(err(
            LOCALE,
            Some(&locale),
            "is not a locale tag (e.g. en, en-US, de_DE)",
        ));
    }

    if time_based {
        let kind = partitioner.unwrap_or(PartitionerKind::TimeBased);
        if !tz_ok {
            errors.push(err(
                TIMEZONE,
                None,
                format!("is required by the {} partitioner", kind.name()),
            ));
        }
        if locale.is_empty() {
            errors.push(err(
                LOCALE,
                None,
                format!("is required by the {} partitioner", kind.name()),
            ));
        }
        if kind == PartitionerKind::TimeBased {
            let pf = s(PATH_FORMAT);
            if pf.is_empty() {
                errors.push(err(PATH_FORMAT, None, "is required by the TimeBasedPartitioner (e.g. 'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH)"));
            }
            if p.long(PARTITION_DURATION).unwrap_or(-1) <= 0 {
                let v = p.long(PARTITION_DURATION).unwrap_or(-1).to_string();
                errors.push(err(
                    PARTITION_DURATION,
                    Some(&v),
                    "must be a positive number of ms for the TimeBasedPartitioner",
                ));
            }
        }
        let extractor_name = s(TIMESTAMP_EXTRACTOR);
        match TimestampExtractorKind::from_name(&extractor_name) {
            None => errors.push(err(
                TIMESTAMP_EXTRACTOR,
                Some(&extractor_name),
                "unknown timestamp extractor; use Wallclock, Record or RecordField",
            )),
            Some(TimestampExtractorKind::RecordField) if s(TIMESTAMP_FIELD).is_empty() => errors
                .push(err(
                    TIMESTAMP_FIELD,
                    None,
                    "is required by the RecordField timestamp extractor",
                )),
            _ => {}
        }
    }
    let pf = s(PATH_FORMAT);
    if !pf.is_empty() {
        if let Err(reason) = JodaPattern::parse(&pf) {
            errors.push(err(PATH_FORMAT, Some(&pf), reason.to_string()));
        }
    }
    if partitioner == Some(PartitionerKind::Field) && p.list(PARTITION_FIELD_NAME).is_empty() {
        errors.push(err(
            PARTITION_FIELD_NAME,
            None,
            "is required by the FieldPartitioner",
        ));
    }
    let rotate = p.long(ROTATE_INTERVAL).unwrap_or(-1);
    if rotate > 0 && partitioner.is_some() && !time_based {
        errors.push(err(
            ROTATE_INTERVAL,
            Some(&rotate.to_string()),
            format!(
                "needs a time-based partitioner (TimeBased, Daily, Hourly), not {}",
                partitioner_class
            ),
        ));
    }
    if rotate == 0 || rotate < -1 {
        errors.push(err(
            ROTATE_INTERVAL,
            Some(&rotate.to_string()),
            "must be -1 (off) or a positive number of ms",
        ));
    }
    let schedule = p.long(ROTATE_SCHEDULE_INTERVAL).unwrap_or(-1);
    if schedule > 0 && !tz_ok {
        errors.push(err(TIMEZONE, None, "is required by rotate.schedule.interval.ms (the schedule is aligned to midnight of this zone)"));
    }
    if schedule == 0 || schedule < -1 {
        errors.push(err(
            ROTATE_SCHEDULE_INTERVAL,
            Some(&schedule.to_string()),
            "must be -1 (off) or a positive number of ms",
        ));
    }
    let compression = s(COMPRESSION_TYPE);
    if compression.eq_ignore_ascii_case("gzip")
        && matches!(format, Some(FormatKind::Avro | FormatKind::Parquet))
    {
        errors.push(err(COMPRESSION_TYPE, Some(&compression), format!("applies to JsonFormat and ByteArrayFormat only; {format_class} has its own codec setting")));
    }
    let compat = s(SCHEMA_COMPATIBILITY);
    if Compatibility::parse(&compat).is_none() {
        errors.push(err(
            SCHEMA_COMPATIBILITY,
            Some(&compat),
            "must be NONE, BACKWARD, FORWARD or FULL",
        ));
    }
    let nulls = s(NULL_VALUES);
    if nulls.eq_ignore_ascii_case("write") && p.boolean(STORE_KEYS) != Some(true) {
        errors.push(err(
            NULL_VALUES,
            Some(&nulls),
            "write needs store.kafka.keys=true (tombstones are stored as keys)",
        ));
    }
    let has_id = !s(ACCESS_KEY_ID).is_empty();
    let has_secret = p
        .password(SECRET_ACCESS_KEY)
        .is_some_and(|k| !k.expose().is_empty());
    if has_id != has_secret {
        let (missing, given) = if has_id {
            (SECRET_ACCESS_KEY, ACCESS_KEY_ID)
        } else {
            (ACCESS_KEY_ID, SECRET_ACCESS_KEY)
        };
        errors.push(err(
            missing,
            None,
            format!("is required when {given} is set"),
        ));
    }
    let provider = s(CREDENTIALS_PROVIDER);
    if !provider.is_empty() && !DEFAULT_CHAINS.contains(&provider.as_str()) {
        errors.push(err(
            CREDENTIALS_PROVIDER,
            Some(&provider),
            "only the default credential chain is supported yet (com.amazonaws.auth.DefaultAWSCredentialsProviderChain); for a role, use the chain's web identity (IRSA), ECS task role or a profile with role_arn",
        ));
    }
    let sse = s(SSE_ALGORITHM);
    if !s(SSE_KMS_KEY).is_empty() && !sse.starts_with("aws:kms") {
        errors.push(err(
            SSE_KMS_KEY,
            None,
            "needs s3.ssea.name=aws:kms or aws:kms:dsse",
        ));
    }
    if p.password(SSE_CUSTOMER_KEY)
        .is_some_and(|k| !k.expose().is_empty())
        && !sse.is_empty()
    {
        errors.push(err(
            SSE_CUSTOMER_KEY,
            None,
            "cannot be combined with s3.ssea.name",
        ));
    }
    if let Some(acl) = p.string(ACL_CANNED).filter(|a| !a.is_empty()) {
        if !CANNED_ACLS.contains(&acl) {
            errors.push(err(
                ACL_CANNED,
                Some(acl),
                format!("must be one of {}", CANNED_ACLS.join(", ")),
            ));
        }
    }
    for pair in p.list(OBJECT_TAGGING_PAIRS) {
        if !pair.contains(':') {
            errors.push(err(
                OBJECT_TAGGING_PAIRS,
                Some(pair),
                "each tag must be key:value",
            ));
        }
    }
    if s(DIRECTORY_DELIM).is_empty() {
        errors.push(err(DIRECTORY_DELIM, None, "must not be empty"));
    }
    errors
}

fn valid_locale(l: &str) -> bool {
    let mut parts = l.split(['-', '_']);
    let lang = parts.next().unwrap_or("");
    (2..=3).contains(&lang.len())
        && lang.chars().all(|c| c.is_ascii_alphabetic())
        && parts
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            (BUCKET, "b"),
            (
                FORMAT_CLASS,
                "io.confluent.connect.s3.format.json.JsonFormat",
            ),
            (FLUSH_SIZE, "3"),
        ]
    }

    fn errors(extra: &[(&'static str, &'static str)]) -> Vec<String> {
        let mut p = base();
        p.extend_from_slice(extra);
        match S3SinkConfig::parse(&property_map(p.clone())) {
            Ok(_) => vec![],
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn confluent_defaults_apply() {
        let c = S3SinkConfig::parse(&property_map(base())).unwrap();
        assert_eq!(c.region, "us-west-2");
        assert!(c.path_style);
        assert_eq!(c.part_size, 25 * 1024 * 1024);
        assert_eq!(c.topics_dir, "topics");
        assert_eq!(c.directory_delim, "/");
        assert_eq!(c.file_delim, "+");
        assert_eq!(c.zero_pad_width, 10);
        assert_eq!(c.partitioner, PartitionerKind::Default);
        assert_eq!(c.format, FormatKind::Json);
        assert_eq!(c.null_values, NullValues::Fail);
        assert_eq!(c.parquet_codec, "snappy");
        assert_eq!(c.state_prefix, "topics/_ferry");
        assert_eq!(c.bytearray_separator, b"\n");
    }

    #[test]
    fn class_aliases_are_accepted() {
        for (k, v) in [
            (FORMAT_CLASS, "JsonFormat"),
            (
                FORMAT_CLASS,
                "io.confluent.connect.s3.format.avro.AvroFormat",
            ),
            (FORMAT_CLASS, "parquet"),
            (FORMAT_CLASS, "ByteArrayFormat"),
            (
                PARTITIONER_CLASS,
                "io.confluent.connect.storage.partitioner.FieldPartitioner",
            ),
            (PARTITIONER_CLASS, "DefaultPartitioner"),
        ] {
            let mut p = base();
            p.retain(|(key, _)| *key != k);
            p.push((k, v));
            if v.contains("Field") {
                p.push((PARTITION_FIELD_NAME, "a"));
            }
            assert!(
                S3SinkConfig::parse(&property_map(p.clone())).is_ok(),
                "{k}={v}"
            );
        }
    }

    #[test]
    fn time_based_without_its_keys_lists_every_missing_key() {
        let e = errors(&[(
            PARTITIONER_CLASS,
            "io.confluent.connect.storage.partitioner.TimeBasedPartitioner",
        )]);
        let text = e.join("\n");
        assert!(
            text.contains("timezone: is required by the TimeBasedPartitioner"),
            "{text}"
        );
        assert!(text.contains("locale: is required"), "{text}");
        assert!(text.contains("path.format: is required"), "{text}");
        assert!(
            text.contains("partition.duration.ms = \"-1\": must be a positive"),
            "{text}"
        );
        assert_eq!(e.len(), 4, "{text}");
    }

    #[test]
    fn contradictions_and_bad_values_are_all_reported() {
        let e = errors(&[
            (ROTATE_INTERVAL, "60000"),
            (FORMAT_CLASS, "com.example.CsvFormat"),
            (FLUSH_SIZE, "0"),
            (TIMEZONE, "Mars/Olympus"),
            (NULL_VALUES, "write"),
            (PATH_FORMAT, "'year'=YYYY/'unterminated"),
        ]);
        let text = e.join("\n");
        assert!(
            text.contains("rotate.interval.ms = \"60000\": needs a time-based partitioner"),
            "{text}"
        );
        assert!(
            text.contains("format.class = \"com.example.CsvFormat\": unknown format"),
            "{text}"
        );
        assert!(
            text.contains("flush.size = \"0\": must be at least 1"),
            "{text}"
        );
        assert!(text.contains("timezone = \"Mars/Olympus\""), "{text}");
        assert!(
            text.contains("behavior.on.null.values = \"write\": write needs store.kafka.keys=true"),
            "{text}"
        );
        assert!(text.contains("path.format"), "{text}");
    }

    #[test]
    fn schedule_needs_timezone_and_gzip_needs_a_text_format() {
        let e = errors(&[
            (ROTATE_SCHEDULE_INTERVAL, "1000"),
            (FORMAT_CLASS, "ParquetFormat"),
            (COMPRESSION_TYPE, "gzip"),
        ]);
        let text = e.join("\n");
        assert!(
            text.contains("timezone: is required by rotate.schedule.interval.ms"),
            "{text}"
        );
        assert!(
            text.contains("s3.compression.type = \"gzip\": applies to JsonFormat"),
            "{text}"
        );
    }

    #[test]
    fn static_credentials_come_in_pairs_and_other_providers_are_refused() {
        let mut p = base();
        p.push((ACCESS_KEY_ID, "AKIAEXAMPLE"));
        p.push((SECRET_ACCESS_KEY, "wJalrXUtnFEMI"));
        let c = S3SinkConfig::parse(&property_map(p)).unwrap();
        let (id, secret) = c.static_credentials.clone().unwrap();
        assert_eq!(
            (id.as_str(), secret.expose()),
            ("AKIAEXAMPLE", "wJalrXUtnFEMI")
        );
        assert!(
            !format!("{c:?}").contains("wJalrXUtnFEMI"),
            "the secret never prints"
        );
        assert!(S3SinkConfig::parse(&property_map(base()))
            .unwrap()
            .static_credentials
            .is_none());
        let e = errors(&[(ACCESS_KEY_ID, "AKIAEXAMPLE")]).join("\n");
        assert!(
            e.contains("aws.secret.access.key")
                && e.contains("is required when aws.access.key.id is set"),
            "{e}"
        );
        let e = errors(&[(CREDENTIALS_PROVIDER, "com.example.MyProvider")]).join("\n");
        assert!(e.contains("s3.credentials.provider.class"), "{e}");
        assert!(errors(&[(
            CREDENTIALS_PROVIDER,
            "com.amazonaws.auth.DefaultAWSCredentialsProviderChain"
        )])
        .is_empty());
    }

    #[test]
    fn schema_compatibility_modes_are_accepted_and_others_refused_by_key() {
        for (v, want) in [
            ("NONE", Compatibility::None),
            ("BACKWARD", Compatibility::Backward),
            ("FORWARD", Compatibility::Forward),
            ("FULL", Compatibility::Full),
        ] {
            let mut p = base();
            p.push((SCHEMA_COMPATIBILITY, v));
            assert_eq!(
                S3SinkConfig::parse(&property_map(p.clone()))
                    .unwrap()
                    .compatibility,
                want
            );
        }
        assert_eq!(
            S3SinkConfig::parse(&property_map(base()))
                .unwrap()
                .compatibility,
            Compatibility::None
        );
        let e = errors(&[(SCHEMA_COMPATIBILITY, "SIDEWAYS")]).join("\n");
        assert!(e.contains("schema.compatibility = \"SIDEWAYS\""), "{e}");
    }

    #[test]
    fn daily_needs_locale_and_timezone_but_not_path_format() {
        let e = errors(&[(PARTITIONER_CLASS, "DailyPartitioner")]);
        assert_eq!(e.len(), 2, "{e:?}");
        let ok = errors(&[
            (
                PARTITIONER_CLASS,
                "io.confluent.connect.storage.partitioner.HourlyPartitioner",
            ),
            (LOCALE, "en-US"),
            (TIMEZONE, "UTC"),
            (ROTATE_INTERVAL, "60000"),
        ]);
        assert!(ok.is_empty(), "{ok:?}");
    }
}
