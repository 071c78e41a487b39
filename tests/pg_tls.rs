//! `database.sslmode` against a private PostgreSQL that accepts TLS
//! connections only (`hostssl` in pg_hba.conf), with a certificate made by
//! a test CA for the name `localhost`. Both the SQL and the replication
//! connection must honour the mode: a connector that works has streamed
//! (snapshot and a later insert); one that must not connect fails naming
//! the setting to fix.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferry_tests::pg::{connector_properties_owned, ClusterOptions, PrivateCluster, TopicTail};
use ferry_tests::worker::{worker_properties, Worker};
use ferry_tests::{test_dir, unique, wait_for};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate it signed for `localhost` only, and an
/// unrelated CA.
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
    let ca = [
        &["req", "-x509", "-nodes", "-days", "2"][..],
        &ec,
        &[
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-subj",
            "/CN=ferry test CA",
        ],
    ]
    .concat();
    openssl(dir, &ca);
    let other = [
        &["req", "-x509", "-nodes", "-days", "2"][..],
        &ec,
        &[
            "-keyout",
            "other.key",
            "-out",
            "other.crt",
            "-subj",
            "/CN=another CA",
        ],
    ]
    .concat();
    openssl(dir, &other);
    let csr = [
        &["req", "-nodes"][..],
        &ec,
        &[
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    ]
    .concat();
    openssl(dir, &csr);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.crt",
            "-extfile",
            "ext.cnf",
        ],
    );
}

#[test]
fn sslmodes_against_a_tls_only_server() {
    let dir = test_dir();
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    certificates(&certs);
    let read = |name: &str| std::fs::read(certs.join(name)).unwrap();
    let (crt, key) = (read("server.crt"), read("server.key"));
    let pg = PrivateCluster::start(ClusterOptions {
        conf: "wal_level = logical\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'",
        hba: Some(
            "hostssl all all 127.0.0.1/32 scram-sha-256\n\
             hostssl replication all 127.0.0.1/32 scram-sha-256\n\
             hostssl all all ::1/128 scram-sha-256\n\
             hostssl replication all ::1/128 scram-sha-256",
        ),
        files: &[("server.crt", &crt), ("server.key", &key)],
    });
    pg.client()
        .batch_execute("CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1);")
        .unwrap();

    let ca = certs.join("ca.crt").display().to_string();
    let other = certs.join("other.crt").display().to_string();
    let run = unique("tls").replace('-', "_");
    // (connector, host, sslmode, sslrootcert, works?)
    let cases: [(&str, &str, &str, Option<&str>, bool); 7] = [
        ("tls-prefer", "127.0.0.1", "prefer", None, true),
        ("tls-require", "127.0.0.1", "require", None, true),
        ("tls-ca-ok", "127.0.0.1", "verify-ca", Some(&ca), true),
        ("tls-full-ok", "localhost", "verify-full", Some(&ca), true),
        ("tls-full-ip", "127.0.0.1", "verify-full", Some(&ca), false),
        (
            "tls-other-ca",
            "127.0.0.1",
            "verify-ca",
            Some(&other),
            false,
        ),
        ("tls-disable", "127.0.0.1", "disable", None, false),
    ];
    let port = Worker::port();
    let worker = worker_properties(
        dir.path(),
        port,
        &[
            ("ferry.task.restart.backoff.initial.ms", "500"),
            ("ferry.task.restart.backoff.max.ms", "2000"),
        ],
    );
    let mut files = Vec::new();
    for (i, (name, host, mode, root, _)) in cases.iter().enumerate() {
        let mut settings = pg.settings();
        let mut set = |k: &str, v: &str| settings.push((k.to_string(), v.to_string()));
        set("database.hostname", host);
        set("database.sslmode", mode);
        if let Some(root) = root {
            set("database.sslrootcert", root);
        }
        set("topic.prefix", &format!("{run}_{i}"));
        set("slot.name", &format!("slot_{i}"));
        set("publication.name", &format!("pub_{i}"));
        set("heartbeat.interval.ms", "1000");
        set("topic.creation.default.partitions", "1");
        set("topic.creation.default.replication.factor", "1");
        files.push(connector_properties_owned(dir.path(), name, &settings));
    }
    let mut w = Worker::start(dir.path(), &worker, &files, port);
    let tails: Vec<Option<TopicTail>> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| c.4.then(|| TopicTail::new(&format!("{run}_{i}.public.t"))))
        .collect();
    let mut seen = vec![String::new(); cases.len()];
    let read_until = |what: &str, needle: &str, seen: &mut Vec<String>| {
        wait_for(what, Duration::from_secs(90), || {
            for (i, t) in tails.iter().enumerate() {
                if let Some(t) = t {
                    for r in t.poll(Duration::from_millis(100)) {
                        seen[i].push_str(r.value.as_deref().unwrap_or("null"));
                    }
                }
            }
            tails
                .iter()
                .zip(seen.iter())
                .all(|(t, s)| t.is_none() || s.contains(needle))
                .then_some(())
        })
    };
    // The snapshot needs the replication connection (it creates the slot).
    read_until(
        "every working connector's snapshot",
        "\"op\":\"r\"",
        &mut seen,
    );
    pg.client()
        .batch_execute("INSERT INTO t VALUES (2)")
        .unwrap();
    read_until(
        "the insert from every working connector",
        "\"op\":\"c\"",
        &mut seen,
    );

    // The others failed, each naming what to change.
    let expect = |name: &str, needles: &[&str]| {
        wait_for(
            &format!("{name}'s error {needles:?}"),
            Duration::from_secs(60),
            || {
                let log = w.log_text();
                log.lines()
                    .find(|l| {
                        l.contains(&format!("task={name}-0 "))
                            && needles.iter().all(|n| l.contains(n))
                    })
                    .map(str::to_string)
            },
        )
    };
    let line = expect(
        "tls-full-ip",
        &[
            "database.sslmode=verify-full",
            "names database.hostname \"127.0.0.1\"",
        ],
    );
    eprintln!("{line}");
    let line = expect(
        "tls-other-ca",
        &[
            "database.sslmode=verify-ca",
            "database.sslrootcert",
            "other.crt",
        ],
    );
    eprintln!("{line}");
    // Without TLS the server's pg_hba.conf refuses the login: proof that the
    // working connectors used TLS.
    let line = expect("tls-disable", &["no encryption", "pg_hba.conf"]);
    eprintln!("{line}");
    w.terminate(Duration::from_secs(30));
    // The connectors that could not connect left nothing behind.
    let (slots, publications) = pg.slots_and_publications();
    for failed in [4, 5, 6] {
        assert!(!slots.contains(&format!("slot_{failed}")), "{slots:?}");
        assert!(
            !publications.contains(&format!("pub_{failed}")),
            "{publications:?}"
        );
    }
}
