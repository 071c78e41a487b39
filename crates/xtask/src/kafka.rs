//! Just enough of the Kafka wire protocol for xtask: check a broker, create
//! and delete topics, and the connection and response reader the
//! benchmarks' topic counter fetches with — so xtask needs no Kafka client
//! library (or CLI).
//!
//! Uses non-flexible request versions understood by Kafka 2.x–4.x and tansu:
//! ApiVersions v0, CreateTopics v2, DeleteTopics v1 (and Fetch v4 in
//! `bench/topic_counter.rs`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::bail;
use crate::error::{Context, Result};

const API_VERSIONS: i16 = 18;
const CREATE_TOPICS: i16 = 19;
const DELETE_TOPICS: i16 = 20;
const TOPIC_ALREADY_EXISTS: i16 = 36;

/// True when a Kafka broker answers an ApiVersions request on `port`.
pub fn broker_answers(port: u16) -> bool {
    request(port, API_VERSIONS, 0, &[], Duration::from_secs(2))
        .is_ok_and(|body| body.len() >= 2 && i16::from_be_bytes([body[0], body[1]]) == 0)
}

/// Creates `topic` with `partitions` partitions (replication factor 1).
/// Returns false when it already existed.
pub fn create_topic(port: u16, topic: &str, partitions: i32) -> Result<bool> {
    let mut body = Vec::new();
    body.extend(1i32.to_be_bytes()); // one topic
    put_string(&mut body, topic);
    body.extend(partitions.to_be_bytes());
    body.extend(1i16.to_be_bytes()); // replication factor
    body.extend(0i32.to_be_bytes()); // no manual assignments
    body.extend(0i32.to_be_bytes()); // no configs
    body.extend(30_000i32.to_be_bytes()); // timeout ms
    body.push(0); // validate_only = false

    let response = request(port, CREATE_TOPICS, 2, &body, Duration::from_secs(35))
        .with_context(|| format!("creating topic {topic}"))?;
    let mut r = Reader(&response);
    let _throttle = r.i32()?;
    if r.i32()? < 1 {
        bail!("creating topic {topic}: empty CreateTopics response");
    }
    let _name = r.string()?;
    let code = r.i16()?;
    let message = r.string().unwrap_or_default();
    match code {
        0 => Ok(true),
        TOPIC_ALREADY_EXISTS => Ok(false),
        _ => bail!("creating topic {topic}: broker error code {code} {message}"),
    }
}

/// Asks the broker to delete `topic` (frees a memory-backed broker's
/// memory). The response is not inspected: only a failed exchange is an
/// error.
pub fn delete_topic(port: u16, topic: &str) -> Result<()> {
    let mut body = Vec::new();
    body.extend(1i32.to_be_bytes()); // one topic
    put_string(&mut body, topic);
    body.extend(30_000i32.to_be_bytes()); // timeout ms
    request(port, DELETE_TOPICS, 1, &body, Duration::from_secs(30))
        .with_context(|| format!("deleting topic {topic}"))?;
    Ok(())
}

/// Sends one request on a fresh connection and returns the response body.
fn request(
    port: u16,
    api_key: i16,
    version: i16,
    body: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>> {
    Connection::open(port, timeout)?.request(api_key, version, body)
}

/// A connection to the broker on 127.0.0.1, one request at a time.
pub struct Connection {
    stream: TcpStream,
}

impl Connection {
    /// Connects to 127.0.0.1:`port` (giving up after 2 s); `timeout`
    /// bounds every read and write after that.
    pub fn open(port: u16, timeout: Duration) -> Result<Connection> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_nodelay(true)?;
        Ok(Connection { stream })
    }

    /// Sends one request (header v1, client id `ferry-xtask`) and returns
    /// the response body (after the correlation id).
    pub fn request(&mut self, api_key: i16, version: i16, body: &[u8]) -> Result<Vec<u8>> {
        const CORRELATION_ID: i32 = 1;
        let mut frame = Vec::with_capacity(body.len() + 32);
        frame.extend(0i32.to_be_bytes()); // size, patched below
        frame.extend(api_key.to_be_bytes());
        frame.extend(version.to_be_bytes());
        frame.extend(CORRELATION_ID.to_be_bytes());
        put_string(&mut frame, "ferry-xtask");
        frame.extend_from_slice(body);
        let size = (frame.len() - 4) as i32;
        frame[..4].copy_from_slice(&size.to_be_bytes());
        self.stream.write_all(&frame)?;

        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size)?;
        let size = i32::from_be_bytes(size);
        if !(4..=64 * 1024 * 1024).contains(&size) {
            bail!("implausible Kafka response size {size}");
        }
        let mut response = vec![0u8; size as usize];
        self.stream.read_exact(&mut response)?;
        if i32::from_be_bytes([response[0], response[1], response[2], response[3]])
            != CORRELATION_ID
        {
            bail!("Kafka response has the wrong correlation id");
        }
        response.drain(..4);
        Ok(response)
    }
}

/// Appends a Kafka `STRING` (i16 length + UTF-8).
pub fn put_string(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as i16).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// A cursor over a response body.
pub struct Reader<'a>(pub &'a [u8]);

impl<'a> Reader<'a> {
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            bail!("truncated Kafka response");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    /// An `INT16`.
    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.take(2)?.try_into().unwrap()))
    }

    /// An `INT32`.
    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.take(4)?.try_into().unwrap()))
    }

    /// An `INT64`.
    pub fn i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.take(8)?.try_into().unwrap()))
    }

    /// A `STRING` or `NULLABLE_STRING` (null reads as empty).
    pub fn string(&mut self) -> Result<String> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(String::new());
        }
        Ok(String::from_utf8_lossy(self.take(len as usize)?).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-connection broker that records the request it reads and
    /// answers with `correlation_id` and `body`.
    fn answer_once(
        correlation_id: i32,
        body: &'static [u8],
    ) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let broker = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut size = [0u8; 4];
            stream.read_exact(&mut size).unwrap();
            let mut request = vec![0u8; i32::from_be_bytes(size) as usize];
            stream.read_exact(&mut request).unwrap();
            let mut response = ((4 + body.len()) as i32).to_be_bytes().to_vec();
            response.extend(correlation_id.to_be_bytes());
            response.extend_from_slice(body);
            stream.write_all(&response).unwrap();
            request
        });
        (port, broker)
    }

    #[test]
    fn request_frames_the_header_and_returns_the_body() {
        let (port, broker) = answer_once(1, b"\x00\x00ok");
        let mut connection = Connection::open(port, Duration::from_secs(5)).unwrap();
        let body = connection.request(CREATE_TOPICS, 2, b"xyz").unwrap();
        assert_eq!(body, b"\x00\x00ok");
        let mut r = Reader(&broker.join().unwrap());
        assert_eq!(r.i16().unwrap(), CREATE_TOPICS);
        assert_eq!(r.i16().unwrap(), 2);
        assert_eq!(r.i32().unwrap(), 1);
        assert_eq!(r.string().unwrap(), "ferry-xtask");
        assert_eq!(r.0, b"xyz");
    }

    #[test]
    fn request_refuses_a_foreign_correlation_id() {
        let (port, broker) = answer_once(7, b"");
        let mut connection = Connection::open(port, Duration::from_secs(5)).unwrap();
        let error = connection.request(API_VERSIONS, 0, &[]).unwrap_err();
        assert!(error.to_string().contains("correlation id"), "{error}");
        broker.join().unwrap();
    }
}
