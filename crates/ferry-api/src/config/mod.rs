//! Typed configuration definitions, as Kafka's `ConfigDef`.
//!
//! A connector describes its keys with a [`ConfigDef`]; the runtime parses
//! the string properties against it, and reports *every* problem at once as
//! [`ConfigErrors`], each naming the key, the value and the reason. Values
//! of type [`ConfigType::Password`] are wrapped in [`Password`], which never
//! prints its contents.
//!
//! ```
//! use ferry_api::{ConfigDef, ConfigKey, ConfigType, Importance, Validator, PropertyMap};
//!
//! let def = ConfigDef::new()
//!     .define(ConfigKey::new("file", ConfigType::String).required()
//!         .importance(Importance::High).doc("File to read."))
//!     .define(ConfigKey::new("batch.size", ConfigType::Int).default_value("2000")
//!         .validator(Validator::at_least(1.0)).doc("Lines per poll."));
//! let mut props = PropertyMap::new();
//! props.insert("file".into(), "/tmp/in.txt".into());
//! let parsed = def.parse(&props).unwrap();
//! assert_eq!(parsed.int("batch.size"), Some(2000));
//! ```

mod def;
mod errors;
mod parsed;
mod value;

pub use def::{ConfigDef, ConfigKey, ConfigType, DefaultValue, Importance, Validator};
pub use errors::{ConfigError, ConfigErrors};
pub use parsed::ParsedConfig;
pub use value::{ConfigValue, Password};
