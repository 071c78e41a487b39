use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::Value;

/// A shared, immutable schema. Records of one stream usually share one.
pub type SchemaRef = Arc<Schema>;

/// The physical type of a Connect schema, as Kafka Connect's `Schema.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    /// 8-bit signed integer.
    Int8,
    /// 16-bit signed integer.
    Int16,
    /// 32-bit signed integer.
    Int32,
    /// 64-bit signed integer.
    Int64,
    /// 32-bit IEEE 754 float.
    Float32,
    /// 64-bit IEEE 754 float.
    Float64,
    /// Boolean.
    Boolean,
    /// UTF-8 string.
    String,
    /// Raw bytes.
    Bytes,
    /// A list of values of one element schema.
    Array,
    /// A map from key schema values to value schema values.
    Map,
    /// A record of named, ordered fields.
    Struct,
}

impl SchemaType {
    /// The lower-case name Kafka Connect uses for the type (`Schema.Type.getName()`),
    /// e.g. `int32`, `float64`, `struct`.
    pub fn connect_name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "int8",
            SchemaType::Int16 => "int16",
            SchemaType::Int32 => "int32",
            SchemaType::Int64 => "int64",
            SchemaType::Float32 => "float32",
            SchemaType::Float64 => "float64",
            SchemaType::Boolean => "boolean",
            SchemaType::String => "string",
            SchemaType::Bytes => "bytes",
            SchemaType::Array => "array",
            SchemaType::Map => "map",
            SchemaType::Struct => "struct",
        }
    }

    /// Whether the type is primitive (not ARRAY, MAP or STRUCT).
    pub fn is_primitive(self) -> bool {
        !matches!(
            self,
            SchemaType::Array | SchemaType::Map | SchemaType::Struct
        )
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.connect_name())
    }
}

/// A field of a STRUCT schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Position of the field in its struct, from 0.
    pub index: usize,
    /// The field's schema.
    pub schema: SchemaRef,
}

/// A Connect schema: a type plus optional name, version, doc, default,
/// parameters, and (for complex types) fields or element schemas.
///
/// Build one with [`SchemaBuilder`]:
///
/// ```
/// use ferry_api::{Schema, SchemaBuilder};
/// let schema = SchemaBuilder::struct_()
///     .name("com.example.Order")
///     .field("id", Schema::int64())
///     .field("note", Schema::optional_string())
///     .build();
/// assert_eq!(schema.field("id").unwrap().index, 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The physical type.
    pub schema_type: SchemaType,
    /// Whether `null` is a valid value.
    pub optional: bool,
    /// The default value, used when a value is missing.
    pub default: Option<Value>,
    /// Fully qualified name, e.g. `org.apache.kafka.connect.data.Decimal`.
    pub name: Option<String>,
    /// Schema version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Free-form parameters, e.g. `scale` for Decimal.
    pub parameters: BTreeMap<String, String>,
    /// Fields, for STRUCT.
    pub fields: Vec<Field>,
    /// Key schema, for MAP.
    pub key_schema: Option<SchemaRef>,
    /// Value schema, for MAP; element schema, for ARRAY.
    pub value_schema: Option<SchemaRef>,
}

macro_rules! primitive_constructors {
    ($( $req:ident, $opt:ident, $ty:expr );* $(;)?) => {
        $(
            #[doc = concat!("A required `", stringify!($req), "` schema.")]
            pub fn $req() -> SchemaRef {
                SchemaBuilder::new($ty).build()
            }
            #[doc = concat!("An optional `", stringify!($req), "` schema.")]
            pub fn $opt() -> SchemaRef {
                SchemaBuilder::new($ty).optional().build()
            }
        )*
    };
}

impl Schema {
    primitive_constructors! {
        int8, optional_int8, SchemaType::Int8;
        int16, optional_int16, SchemaType::Int16;
        int32, optional_int32, SchemaType::Int32;
        int64, optional_int64, SchemaType::Int64;
        float32, optional_float32, SchemaType::Float32;
        float64, optional_float64, SchemaType::Float64;
        boolean, optional_boolean, SchemaType::Boolean;
        string, optional_string, SchemaType::String;
        bytes, optional_bytes, SchemaType::Bytes;
    }

    /// Looks up a STRUCT field by name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The parameter `key`, if set.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters.get(key).map(String::as_str)
    }

    /// Whether this schema is the named logical type (see [`logical`]).
    pub fn is_logical(&self, logical_name: &str) -> bool {
        self.name.as_deref() == Some(logical_name)
    }

    /// The `scale` of a Decimal schema, if this is one.
    pub fn decimal_scale(&self) -> Option<i32> {
        if self.is_logical(logical::DECIMAL) {
            self.parameter(logical::DECIMAL_SCALE)
                .and_then(|s| s.parse().ok())
        } else {
            None
        }
    }
}

/// Names and helpers of Kafka Connect's logical types.
pub mod logical {
    use super::{SchemaBuilder, SchemaType};

    /// Schema name of the Decimal logical type (BYTES).
    pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";
    /// Parameter holding a Decimal's scale.
    pub const DECIMAL_SCALE: &str = "scale";
    /// Schema name of the Date logical type (INT32 days since epoch).
    pub const DATE: &str = "org.apache.kafka.connect.data.Date";
    /// Schema name of the Time logical type (INT32 ms since midnight).
    pub const TIME: &str = "org.apache.kafka.connect.data.Time";
    /// Schema name of the Timestamp logical type (INT64 ms since epoch).
    pub const TIMESTAMP: &str = "org.apache.kafka.connect.data.Timestamp";

    /// A builder for a Decimal schema of the given scale.
    pub fn decimal(scale: i32) -> SchemaBuilder {
        SchemaBuilder::new(SchemaType::Bytes)
            .name(DECIMAL)
            .version(1)
            .parameter(DECIMAL_SCALE, scale.to_string())
    }

    /// A builder for a Date schema.
    pub fn date() -> SchemaBuilder {
        SchemaBuilder::new(SchemaType::Int32).name(DATE).version(1)
    }

    /// A builder for a Time schema.
    pub fn time() -> SchemaBuilder {
        SchemaBuilder::new(SchemaType::Int32).name(TIME).version(1)
    }

    /// A builder for a Timestamp schema.
    pub fn timestamp() -> SchemaBuilder {
        SchemaBuilder::new(SchemaType::Int64)
            .name(TIMESTAMP)
            .version(1)
    }
}

/// Builds a [`Schema`], like Kafka Connect's `SchemaBuilder`.
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema: Schema,
}

impl SchemaBuilder {
    /// Starts a schema of the given type.
    pub fn new(schema_type: SchemaType) -> Self {
        SchemaBuilder {
            schema: Schema {
                schema_type,
                optional: false,
                default: None,
                name: None,
                version: None,
                doc: None,
                parameters: BTreeMap::new(),
                fields: Vec::new(),
                key_schema: None,
                value_schema: None,
            },
        }
    }

    /// Starts a STRUCT schema.
    pub fn struct_() -> Self {
        Self::new(SchemaType::Struct)
    }

    /// Starts an ARRAY schema of the given element schema.
    pub fn array(items: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Array);
        b.schema.value_schema = Some(items);
        b
    }

    /// Starts a MAP schema.
    pub fn map(keys: SchemaRef, values: SchemaRef) -> Self {
        let mut b = Self::new(SchemaType::Map);
        b.schema.key_schema = Some(keys);
        b.schema.value_schema = Some(values);
        b
    }

    /// Starts a schema of a primitive type (alias of [`SchemaBuilder::new`]).
    pub fn primitive(schema_type: SchemaType) -> Self {
        Self::new(schema_type)
    }

    /// Marks the schema optional.
    pub fn optional(mut self) -> Self {
        self.schema.optional = true;
        self
    }

    /// Sets whether the schema is optional.
    pub fn set_optional(mut self, optional: bool) -> Self {
        self.schema.optional = optional;
        self
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.schema.name = Some(name.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        self.schema.version = Some(version);
        self
    }

    /// Sets the documentation.
    pub fn doc(mut self, doc: impl Into<String>) -> Self {
        self.schema.doc = Some(doc.into());
        self
    }

    /// Sets the default value.
    pub fn default_value(mut self, value: Value) -> Self {
        self.schema.default = Some(value);
        self
    }

    /// Adds a parameter.
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.schema.parameters.insert(key.into(), value.into());
        self
    }

    /// Adds a STRUCT field. Fields keep the order they are added in.
    pub fn field(mut self, name: impl Into<String>, schema: SchemaRef) -> Self {
        let index = self.schema.fields.len();
        self.schema.fields.push(Field {
            name: name.into(),
            index,
            schema,
        });
        self
    }

    /// Finishes the schema.
    pub fn build(self) -> SchemaRef {
        Arc::new(self.schema)
    }

    /// Finishes the schema without wrapping it in an [`Arc`].
    pub fn build_owned(self) -> Schema {
        self.schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_fields_keep_order_and_index() {
        let s = SchemaBuilder::struct_()
            .field("a", Schema::int32())
            .field("b", Schema::optional_string())
            .build();
        assert_eq!(s.fields[1].name, "b");
        assert_eq!(s.field("b").unwrap().index, 1);
        assert!(s.field("b").unwrap().schema.optional);
        assert!(s.field("c").is_none());
    }

    #[test]
    fn decimal_scale_is_read_from_parameters() {
        let d = logical::decimal(3).build();
        assert_eq!(d.decimal_scale(), Some(3));
        assert_eq!(Schema::bytes().decimal_scale(), None);
    }
}
