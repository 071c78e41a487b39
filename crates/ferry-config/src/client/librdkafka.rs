//! librdkafka's own settings: which exist, and which clients they apply to.

use super::ClientRole;

/// Which clients a librdkafka setting applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scope {
    /// Every client.
    Any,
    /// Consumers only.
    Consumer,
    /// Producers (and admin clients, which are producer handles) only.
    Producer,
}

impl Scope {
    pub(super) fn applies_to(self, role: ClientRole) -> bool {
        match self {
            Scope::Any => true,
            Scope::Consumer => role == ClientRole::Consumer,
            // rdkafka's admin client is a producer handle.
            Scope::Producer => role != ClientRole::Consumer,
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Scope::Any => "all clients",
            Scope::Consumer => "consumers",
            Scope::Producer => "producers",
        }
    }
}

pub(super) fn librdkafka_scope(key: &str) -> Option<Scope> {
    LIBRDKAFKA_SETTINGS
        .binary_search_by(|(name, _)| name.cmp(&key))
        .ok()
        .map(|i| LIBRDKAFKA_SETTINGS[i].1)
}

/// Every string-settable property of librdkafka 2.12.1 (global and topic
/// level), from its CONFIGURATION.md, sorted by name.
pub(super) const LIBRDKAFKA_SETTINGS: &[(&str, Scope)] = &[
    ("acks", Scope::Producer),
    ("allow.auto.create.topics", Scope::Any),
    ("api.version.fallback.ms", Scope::Any),
    ("api.version.request", Scope::Any),
    ("api.version.request.timeout.ms", Scope::Any),
    ("auto.commit.enable", Scope::Consumer),
    ("auto.commit.interval.ms", Scope::Consumer),
    ("auto.offset.reset", Scope::Consumer),
    ("batch.num.messages", Scope::Producer),
    ("batch.size", Scope::Producer),
    ("bootstrap.servers", Scope::Any),
    ("broker.address.family", Scope::Any),
    ("broker.address.ttl", Scope::Any),
    ("broker.version.fallback", Scope::Any),
    ("check.crcs", Scope::Consumer),
    ("client.dns.lookup", Scope::Any),
    ("client.id", Scope::Any),
    ("client.rack", Scope::Any),
    ("compression.codec", Scope::Producer),
    ("compression.level", Scope::Producer),
    ("compression.type", Scope::Producer),
    ("connections.max.idle.ms", Scope::Any),
    ("consume.callback.max.messages", Scope::Consumer),
    ("coordinator.query.interval.ms", Scope::Consumer),
    ("debug", Scope::Any),
    ("delivery.report.only.error", Scope::Producer),
    ("delivery.timeout.ms", Scope::Producer),
    ("enable.auto.commit", Scope::Consumer),
    ("enable.auto.offset.store", Scope::Consumer),
    ("enable.gapless.guarantee", Scope::Producer),
    ("enable.idempotence", Scope::Producer),
    ("enable.metrics.push", Scope::Any),
    ("enable.partition.eof", Scope::Consumer),
    ("enable.random.seed", Scope::Any),
    ("enable.sasl.oauthbearer.unsecure.jwt", Scope::Any),
    ("enable.ssl.certificate.verification", Scope::Any),
    ("enabled_events", Scope::Any),
    ("fetch.error.backoff.ms", Scope::Consumer),
    ("fetch.max.bytes", Scope::Consumer),
    ("fetch.message.max.bytes", Scope::Consumer),
    ("fetch.min.bytes", Scope::Consumer),
    ("fetch.queue.backoff.ms", Scope::Consumer),
    ("fetch.wait.max.ms", Scope::Consumer),
    ("group.id", Scope::Consumer),
    ("group.instance.id", Scope::Consumer),
    ("group.protocol", Scope::Consumer),
    ("group.protocol.type", Scope::Consumer),
    ("group.remote.assignor", Scope::Consumer),
    ("heartbeat.interval.ms", Scope::Consumer),
    ("https.ca.location", Scope::Any),
    ("https.ca.pem", Scope::Any),
    ("internal.termination.signal", Scope::Any),
    ("isolation.level", Scope::Consumer),
    ("linger.ms", Scope::Producer),
    ("log.connection.close", Scope::Any),
    ("log.queue", Scope::Any),
    ("log.thread.name", Scope::Any),
    ("log_level", Scope::Any),
    ("max.in.flight", Scope::Any),
    ("max.in.flight.requests.per.connection", Scope::Any),
    ("max.partition.fetch.bytes", Scope::Consumer),
    ("max.poll.interval.ms", Scope::Consumer),
    ("message.copy.max.bytes", Scope::Any),
    ("message.max.bytes", Scope::Any),
    ("message.send.max.retries", Scope::Producer),
    ("message.timeout.ms", Scope::Producer),
    ("metadata.broker.list", Scope::Any),
    ("metadata.max.age.ms", Scope::Any),
    ("metadata.recovery.rebootstrap.trigger.ms", Scope::Any),
    ("metadata.recovery.strategy", Scope::Any),
    ("offset.store.method", Scope::Consumer),
    ("offset.store.path", Scope::Consumer),
    ("offset.store.sync.interval.ms", Scope::Consumer),
    ("partition.assignment.strategy", Scope::Consumer),
    ("partitioner", Scope::Producer),
    ("plugin.library.paths", Scope::Any),
    ("produce.offset.report", Scope::Producer),
    ("queue.buffering.backpressure.threshold", Scope::Producer),
    ("queue.buffering.max.kbytes", Scope::Producer),
    ("queue.buffering.max.messages", Scope::Producer),
    ("queue.buffering.max.ms", Scope::Producer),
    ("queued.max.messages.kbytes", Scope::Consumer),
    ("queued.min.messages", Scope::Consumer),
    ("queuing.strategy", Scope::Producer),
    ("receive.message.max.bytes", Scope::Any),
    ("reconnect.backoff.jitter.ms", Scope::Any),
    ("reconnect.backoff.max.ms", Scope::Any),
    ("reconnect.backoff.ms", Scope::Any),
    ("request.required.acks", Scope::Producer),
    ("request.timeout.ms", Scope::Producer),
    ("retries", Scope::Producer),
    ("retry.backoff.max.ms", Scope::Any),
    ("retry.backoff.ms", Scope::Any),
    ("sasl.kerberos.keytab", Scope::Any),
    ("sasl.kerberos.kinit.cmd", Scope::Any),
    ("sasl.kerberos.min.time.before.relogin", Scope::Any),
    ("sasl.kerberos.principal", Scope::Any),
    ("sasl.kerberos.service.name", Scope::Any),
    ("sasl.mechanism", Scope::Any),
    ("sasl.mechanisms", Scope::Any),
    ("sasl.oauthbearer.assertion.algorithm", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.aud", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.exp.seconds", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.iss", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.jti.include", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.nbf.seconds", Scope::Any),
    ("sasl.oauthbearer.assertion.claim.sub", Scope::Any),
    ("sasl.oauthbearer.assertion.file", Scope::Any),
    ("sasl.oauthbearer.assertion.jwt.template.file", Scope::Any),
    ("sasl.oauthbearer.assertion.private.key.file", Scope::Any),
    (
        "sasl.oauthbearer.assertion.private.key.passphrase",
        Scope::Any,
    ),
    ("sasl.oauthbearer.assertion.private.key.pem", Scope::Any),
    ("sasl.oauthbearer.client.credentials.client.id", Scope::Any),
    (
        "sasl.oauthbearer.client.credentials.client.secret",
        Scope::Any,
    ),
    ("sasl.oauthbearer.client.id", Scope::Any),
    ("sasl.oauthbearer.client.secret", Scope::Any),
    ("sasl.oauthbearer.config", Scope::Any),
    ("sasl.oauthbearer.extensions", Scope::Any),
    ("sasl.oauthbearer.grant.type", Scope::Any),
    ("sasl.oauthbearer.metadata.authentication.type", Scope::Any),
    ("sasl.oauthbearer.method", Scope::Any),
    ("sasl.oauthbearer.scope", Scope::Any),
    ("sasl.oauthbearer.token.endpoint.url", Scope::Any),
    ("sasl.password", Scope::Any),
    ("sasl.username", Scope::Any),
    ("security.protocol", Scope::Any),
    ("session.timeout.ms", Scope::Consumer),
    ("socket.blocking.max.ms", Scope::Any),
    ("socket.connection.setup.timeout.ms", Scope::Any),
    ("socket.keepalive.enable", Scope::Any),
    ("socket.max.fails", Scope::Any),
    ("socket.nagle.disable", Scope::Any),
    ("socket.receive.buffer.bytes", Scope::Any),
    ("socket.send.buffer.bytes", Scope::Any),
    ("socket.timeout.ms", Scope::Any),
    ("ssl.ca.certificate.stores", Scope::Any),
    ("ssl.ca.location", Scope::Any),
    ("ssl.ca.pem", Scope::Any),
    ("ssl.certificate.location", Scope::Any),
    ("ssl.certificate.pem", Scope::Any),
    ("ssl.cipher.suites", Scope::Any),
    ("ssl.crl.location", Scope::Any),
    ("ssl.curves.list", Scope::Any),
    ("ssl.endpoint.identification.algorithm", Scope::Any),
    ("ssl.engine.id", Scope::Any),
    ("ssl.engine.location", Scope::Any),
    ("ssl.key.location", Scope::Any),
    ("ssl.key.password", Scope::Any),
    ("ssl.key.pem", Scope::Any),
    ("ssl.keystore.location", Scope::Any),
    ("ssl.keystore.password", Scope::Any),
    ("ssl.providers", Scope::Any),
    ("ssl.sigalgs.list", Scope::Any),
    ("statistics.interval.ms", Scope::Any),
    ("sticky.partitioning.linger.ms", Scope::Producer),
    ("topic.blacklist", Scope::Any),
    ("topic.metadata.propagation.max.ms", Scope::Any),
    ("topic.metadata.refresh.fast.cnt", Scope::Any),
    ("topic.metadata.refresh.fast.interval.ms", Scope::Any),
    ("topic.metadata.refresh.interval.ms", Scope::Any),
    ("topic.metadata.refresh.sparse", Scope::Any),
    ("transaction.timeout.ms", Scope::Producer),
    ("transactional.id", Scope::Producer),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_table_is_sorted_and_known_to_librdkafka() {
        use rdkafka::error::KafkaError;
        use rdkafka::types::RDKafkaConfRes;
        assert!(LIBRDKAFKA_SETTINGS.windows(2).all(|w| w[0].0 < w[1].0));
        let unknown = |key: &str| {
            let mut config = rdkafka::ClientConfig::new();
            config.set(key, "1");
            matches!(
                config.create_native_config(),
                Err(KafkaError::ClientConfig(
                    RDKafkaConfRes::RD_KAFKA_CONF_UNKNOWN,
                    ..
                ))
            )
        };
        for (key, _) in LIBRDKAFKA_SETTINGS {
            if *key == "plugin.library.paths" {
                continue; // setting it loads libraries
            }
            assert!(!unknown(key), "{key} is not a librdkafka setting");
        }
        // And librdkafka refuses the Java names Ferry translates or drops
        // (unknown, or known only to point at the librdkafka wiki).
        let refused = |key: &str| {
            let mut config = rdkafka::ClientConfig::new();
            config.set(key, "1");
            config.create_native_config().is_err()
        };
        for key in [
            "fetch.max.wait.ms",
            "send.buffer.bytes",
            "receive.buffer.bytes",
            "max.request.size",
            "buffer.memory",
            "max.poll.records",
            "max.block.ms",
            "partitioner.class",
            "sasl.jaas.config",
            "ssl.truststore.location",
            "ssl.truststore.type",
            "ssl.keystore.type",
            "ssl.protocol",
            "ssl.enabled.protocols",
            "socket.connection.setup.timeout.max.ms",
            "metadata.max.idle.ms",
            "default.api.timeout.ms",
            "exclude.internal.topics",
            "interceptor.classes",
            "compression.gzip.level",
        ] {
            assert!(refused(key), "{key} is a librdkafka setting after all");
        }
    }
}
