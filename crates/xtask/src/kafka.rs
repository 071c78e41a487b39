//! Just enough of the Kafka wire protocol to check a broker and create a
//! topic, so xtask needs no Kafka client library (or CLI).
//!
//! Uses non-flexible request versions understood by Kafka 2.x–4.x and tansu:
//! ApiVersions v0 and CreateTopics v2.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::bail;
use crate::error::{Context, Result};

const API_VERSIONS: i16 = 18;
const CREATE_TOPICS: i16 = 19;
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

/// Sends one request and returns the response body (after the correlation id).
fn request(
    port: u16,
    api_key: i16,
    version: i16,
    body: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>> {
    const CORRELATION_ID: i32 = 1;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    let mut frame = Vec::with_capacity(body.len() + 32);
    frame.extend(0i32.to_be_bytes()); // size, patched below
    frame.extend(api_key.to_be_bytes());
    frame.extend(version.to_be_bytes());
    frame.extend(CORRELATION_ID.to_be_bytes());
    put_string(&mut frame, "ferry-xtask");
    frame.extend_from_slice(body);
    let size = (frame.len() - 4) as i32;
    frame[..4].copy_from_slice(&size.to_be_bytes());
    stream.write_all(&frame)?;

    let mut size = [0u8; 4];
    stream.read_exact(&mut size)?;
    let size = i32::from_be_bytes(size);
    if !(4..=16 * 1024 * 1024).contains(&size) {
        bail!("implausible Kafka response size {size}");
    }
    let mut response = vec![0u8; size as usize];
    stream.read_exact(&mut response)?;
    if i32::from_be_bytes([response[0], response[1], response[2], response[3]]) != CORRELATION_ID {
        bail!("Kafka response has the wrong correlation id");
    }
    response.drain(..4);
    Ok(response)
}

/// Appends a Kafka `STRING` (i16 length + UTF-8).
fn put_string(buf: &mut Vec<u8>, s: &str) {
    buf.extend((s.len() as i16).to_be_bytes());
    buf.extend_from_slice(s.as_bytes());
}

/// A cursor over a response body.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8]> {
        if self.0.len() < n {
            bail!("truncated Kafka response");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn i16(&mut self) -> Result<i16> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A `STRING` or `NULLABLE_STRING` (null reads as empty).
    fn string(&mut self) -> Result<String> {
        let len = self.i16()?;
        if len < 0 {
            return Ok(String::new());
        }
        Ok(String::from_utf8_lossy(self.take(len as usize)?).into_owned())
    }
}
