//! librdkafka clients from the settings `ferry-config` derives.

use ferry_config::ClientSettings;

/// Builds an rdkafka configuration from [`ClientSettings`].
pub trait ToRdkafka {
    /// An rdkafka configuration with these settings.
    fn to_rdkafka(&self) -> rdkafka::ClientConfig;
}

impl ToRdkafka for ClientSettings {
    fn to_rdkafka(&self) -> rdkafka::ClientConfig {
        let mut config = rdkafka::ClientConfig::new();
        for (key, value) in self.iter() {
            config.set(key, value);
        }
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::property_map;
    use ferry_config::{client_config, ClientRole};

    #[test]
    fn to_rdkafka_carries_every_setting() {
        let worker = property_map([
            ("bootstrap.servers", "k:9092"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="al1ce-s3cret";"#,
            ),
        ]);
        let s = client_config(&worker, ClientRole::Consumer, &Default::default());
        let config = s.to_rdkafka();
        let mut count = 0;
        for (k, v) in s.iter() {
            assert_eq!(config.get(k), Some(v));
            count += 1;
        }
        assert!(count >= 3, "{count} settings");
        config.create_native_config().unwrap();
    }
}
