//! The REST API changes connectors in a running standalone worker, with
//! Kafka Connect's paths, status codes and error shapes: create, replace,
//! delete, and the refusals (name taken, invalid config, malformed JSON,
//! unknown connector).

use std::io::Write;
use std::time::Duration;

use ferry_tests::kafka::create_topic;
use ferry_tests::worker::{worker_properties, write_properties, Worker};
use ferry_tests::{http_get, http_request, read_lines, test_dir, unique, wait_for};
use serde_json::{json, Value};

fn append(path: &std::path::Path, from: usize, to: usize) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    for i in from..to {
        writeln!(f, "line-{i}").unwrap();
    }
}

fn wait_lines(path: &std::path::Path, n: usize) -> Vec<String> {
    wait_for(
        &format!("{n} lines in {}", path.display()),
        Duration::from_secs(60),
        || {
            let lines = read_lines(path);
            (lines.len() >= n).then_some(lines)
        },
    )
}

fn parsed(answer: Option<(u16, String)>) -> (u16, Value) {
    let (status, body) = answer.expect("an HTTP answer");
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn connectors_are_created_replaced_and_deleted_over_rest() {
    let dir = test_dir();
    let topic = unique("rest-lines");
    create_topic(&topic, 1);
    let input = dir.path().join("input.txt");
    std::fs::write(&input, "").unwrap();
    let port = Worker::port();
    let worker_file = worker_properties(dir.path(), port, &[]);
    let source = dir.path().join("source.properties");
    let source_name = unique("rest-source");
    write_properties(
        &source,
        &[
            ("name", &source_name),
            ("connector.class", "FileStreamSource"),
            ("file", input.to_str().unwrap()),
            ("topic", &topic),
        ],
    );
    let mut worker = Worker::start(dir.path(), &worker_file, &[source], port);
    wait_for("the worker to be healthy", Duration::from_secs(30), || {
        http_get(port, "/health").filter(|(s, _)| *s == 200)
    });
    append(&input, 0, 100);

    let name = unique("rest-sink");
    let first = dir.path().join("first.txt");
    let sink = |file: &std::path::Path| {
        json!({
            "connector.class": "FileStreamSink",
            "file": file.to_str().unwrap(),
            "topics": topic,
            "tasks.max": 1
        })
    };
    let create = json!({"name": name, "config": sink(&first)}).to_string();
    let (status, body) = parsed(http_request(port, "POST", "/connectors", Some(&create)));
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], name.as_str());
    assert_eq!(body["type"], "sink");
    assert_eq!(body["config"]["name"], name.as_str());
    assert_eq!(body["tasks"], json!([{"connector": name, "task": 0}]));
    assert_eq!(wait_lines(&first, 100)[99], "line-99");

    // The name is taken.
    let (status, body) = parsed(http_request(port, "POST", "/connectors", Some(&create)));
    assert_eq!((status, &body["error_code"]), (409, &json!(409)), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("already exists"),
        "{body}"
    );

    // An invalid config names the key; nothing is created.
    let bad_name = unique("rest-bad");
    let invalid = json!({"name": bad_name, "config": {"connector.class": "FileStreamSink", "file": "/tmp/x"}}).to_string();
    let (status, body) = parsed(http_request(port, "POST", "/connectors", Some(&invalid)));
    assert_eq!((status, &body["error_code"]), (400, &json!(400)), "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("topics"),
        "{body}"
    );
    assert_eq!(
        http_get(port, &format!("/connectors/{bad_name}"))
            .unwrap()
            .0,
        404
    );

    // Validation (200 either way, errors per key) and plugin definitions.
    let validate = "/connector-plugins/FileStreamSinkConnector/config/validate";
    let (status, v) = parsed(http_request(
        port,
        "PUT",
        validate,
        Some(&json!({"name": "v", "file": "/tmp/x"}).to_string()),
    ));
    assert_eq!(status, 200, "{v}");
    assert!(v["error_count"].as_u64().unwrap() >= 1, "{v}");
    let topics_errors = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["value"]["errors"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        })
        .map(|c| c["value"]["name"].as_str().unwrap().to_string())
        .collect::<Vec<_>>();
    assert!(topics_errors.iter().any(|k| k.starts_with("topics")), "{v}");
    let (_, v) = parsed(http_request(
        port,
        "PUT",
        validate,
        Some(&json!({"name": "v", "file": "/tmp/x", "topics": "t"}).to_string()),
    ));
    assert_eq!(v["error_count"], 0, "{v}");
    assert_eq!(
        v["name"],
        "org.apache.kafka.connect.file.FileStreamSinkConnector"
    );
    let (status, defs) = parsed(http_get(port, "/connector-plugins/FileStreamSink/config"));
    assert_eq!(status, 200);
    assert!(
        defs.as_array().unwrap().iter().any(|d| d["name"] == "file"),
        "{defs}"
    );
    assert_eq!(
        http_get(port, "/connector-plugins/com.example.Nope/config")
            .unwrap()
            .0,
        404
    );

    // KIP-495 loggers.
    let (status, v) = parsed(http_request(
        port,
        "PUT",
        "/admin/loggers/ferry_runtime::herder",
        Some(r#"{"level":"DEBUG"}"#),
    ));
    assert_eq!((status, v.clone()), (200, json!(["ferry_runtime::herder"])));
    let (_, v) = parsed(http_get(port, "/admin/loggers"));
    assert_eq!(v["ferry_runtime::herder"]["level"], "DEBUG", "{v}");
    assert!(v["root"]["level"].is_string(), "{v}");
    let (status, _) = parsed(http_request(
        port,
        "PUT",
        "/admin/loggers/root",
        Some(r#"{"level":"LOUD"}"#),
    ));
    assert_eq!(status, 400);

    // Malformed JSON.
    let (status, body) = parsed(http_request(
        port,
        "POST",
        "/connectors",
        Some("{\"name\":"),
    ));
    assert_eq!((status, &body["error_code"]), (400, &json!(400)), "{body}");

    // Replacing the config moves the sink to another file; it goes on from
    // its committed offsets, so only new lines land there.
    let second = dir.path().join("second.txt");
    let path = format!("/connectors/{name}/config");
    let (status, body) = parsed(http_request(
        port,
        "PUT",
        &path,
        Some(&sink(&second).to_string()),
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["config"]["file"], second.to_str().unwrap());
    append(&input, 100, 150);
    let lines = wait_lines(&second, 50);
    assert_eq!(
        lines.first().map(String::as_str),
        Some("line-100"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 50, "{lines:?}");
    // A config whose name contradicts the URL is refused.
    let wrong = json!({"name": "other", "topics": topic, "connector.class": "FileStreamSink", "file": "/tmp/y"}).to_string();
    assert_eq!(
        http_request(port, "PUT", &path, Some(&wrong)).unwrap().0,
        400
    );

    // Pause: the task commits and stops; new lines wait until resume.
    let state = |port: u16| {
        let (_, v) = parsed(http_get(port, &format!("/connectors/{name}/status")));
        v
    };
    let call = |method: &str, action: &str| {
        http_request(port, method, &format!("/connectors/{name}/{action}"), None)
            .unwrap()
            .0
    };
    assert_eq!(call("PUT", "pause"), 202);
    let v = state(port);
    assert_eq!(v["connector"]["state"], "PAUSED", "{v}");
    assert_eq!(v["tasks"][0]["state"], "PAUSED", "{v}");
    append(&input, 150, 160);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        read_lines(&second).len(),
        50,
        "nothing is written while paused"
    );
    assert_eq!(call("PUT", "resume"), 202);
    assert_eq!(wait_lines(&second, 60)[59], "line-159");
    assert_eq!(state(port)["connector"]["state"], "RUNNING");

    // Stop (KIP-875): no tasks, STOPPED; resume starts it again.
    assert_eq!(call("PUT", "stop"), 202);
    let v = state(port);
    assert_eq!(v["connector"]["state"], "STOPPED", "{v}");
    assert_eq!(v["tasks"], json!([]), "{v}");
    assert_eq!(call("PUT", "resume"), 202);
    append(&input, 160, 170);
    assert_eq!(wait_lines(&second, 70)[69], "line-169");

    // Restarts.
    let (status, v) = parsed(http_request(
        port,
        "POST",
        &format!("/connectors/{name}/restart?includeTasks=true"),
        None,
    ));
    assert_eq!(status, 202, "{v}");
    assert_eq!(v["name"], name.as_str());
    assert_eq!(call("POST", "restart"), 204);
    assert_eq!(call("POST", "tasks/0/restart"), 204);
    assert_eq!(call("POST", "tasks/7/restart"), 404);
    append(&input, 170, 180);
    let lines = wait_lines(&second, 80);
    assert_eq!(lines[79], "line-179", "{lines:?}");
    assert_eq!(
        http_request(port, "PUT", "/connectors/nope/pause", None)
            .unwrap()
            .0,
        404
    );

    // Offsets (KIP-875): read, and moved back on a running sink, which
    // then writes the last ten lines again.
    let (status, v) = parsed(http_get(port, &format!("/connectors/{name}/offsets")));
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["offsets"],
        json!([{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 180}}])
    );
    let back = json!({"offsets": [{"partition": {"kafka_topic": topic, "kafka_partition": 0}, "offset": {"kafka_offset": 170}}]});
    let (status, v) = parsed(http_request(
        port,
        "PATCH",
        &format!("/connectors/{name}/offsets"),
        Some(&back.to_string()),
    ));
    assert_eq!(status, 200, "{v}");
    assert!(v["message"].as_str().unwrap().contains("altered"), "{v}");
    let lines = wait_lines(&second, 90);
    assert_eq!(
        (lines[80].as_str(), lines[89].as_str()),
        ("line-170", "line-179"),
        "{lines:?}"
    );
    let (_, v) = parsed(http_get(
        port,
        &format!("/connectors/{source_name}/offsets"),
    ));
    let position = &v["offsets"][0]["offset"]["position"];
    assert!(position.as_u64().is_some_and(|p| p > 0), "{v}");

    // KIP-558 active topics, for the source and the sink; reset clears.
    for connector in [&source_name, &name] {
        let (status, v) = parsed(http_get(port, &format!("/connectors/{connector}/topics")));
        assert_eq!(status, 200, "{v}");
        assert_eq!(v[connector.as_str()]["topics"], json!([topic]), "{v}");
    }
    assert_eq!(
        http_request(
            port,
            "PUT",
            &format!("/connectors/{name}/topics/reset"),
            None
        )
        .unwrap()
        .0,
        200
    );
    let (_, v) = parsed(http_get(port, &format!("/connectors/{name}/topics")));
    assert_eq!(v[name.as_str()]["topics"], json!([]), "{v}");

    // Deleting stops it; it is gone from every listing.
    assert_eq!(
        http_request(port, "DELETE", &format!("/connectors/{name}"), None)
            .unwrap()
            .0,
        204
    );
    assert_eq!(
        http_get(port, &format!("/connectors/{name}/status"))
            .unwrap()
            .0,
        404
    );
    let (_, list) = parsed(http_get(port, "/connectors"));
    assert!(
        !list.as_array().unwrap().iter().any(|n| n == name.as_str()),
        "{list}"
    );
    assert_eq!(
        http_request(port, "DELETE", &format!("/connectors/{name}"), None)
            .unwrap()
            .0,
        404
    );

    // KIP-980: created STOPPED, no tasks until resumed.
    let later = unique("rest-later");
    let body = json!({"name": later, "config": sink(&dir.path().join("later.txt")), "initial_state": "STOPPED"});
    let (status, _) = parsed(http_request(
        port,
        "POST",
        "/connectors",
        Some(&body.to_string()),
    ));
    assert_eq!(status, 201);
    let (_, v) = parsed(http_get(port, &format!("/connectors/{later}/status")));
    assert_eq!(
        (&v["connector"]["state"], &v["tasks"]),
        (&json!("STOPPED"), &json!([])),
        "{v}"
    );
    assert_eq!(
        http_request(port, "DELETE", &format!("/connectors/{later}"), None)
            .unwrap()
            .0,
        204
    );

    // PUT on a new name creates it (201).
    let third = dir.path().join("third.txt");
    let created = unique("rest-put");
    let (status, _) = parsed(http_request(
        port,
        "PUT",
        &format!("/connectors/{created}/config"),
        Some(&sink(&third).to_string()),
    ));
    assert_eq!(status, 201);

    // A source's offsets are reset: it forgets them.
    let (status, v) = parsed(http_request(
        port,
        "DELETE",
        &format!("/connectors/{source_name}/offsets"),
        None,
    ));
    assert_eq!(status, 200, "{v}");
    // It reads its file again from the start: the new sink (a fresh group,
    // from the earliest offset) sees every line twice.
    let lines = wait_lines(&third, 360);
    assert_eq!(lines.len(), 360, "{lines:?}");
    assert_eq!(
        (lines[180].as_str(), lines[359].as_str()),
        ("line-0", "line-179")
    );
    let exit = worker.terminate(Duration::from_secs(30)).expect("stops");
    assert!(exit.success(), "{}", worker.log_text());
}
