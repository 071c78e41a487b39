//! Counts the records of a one-partition topic by fetching it (Fetch v4)
//! over xtask's own Kafka client ([`crate::kafka`]), reading only
//! record-batch headers: no trust in high watermarks (tansu's are wrong).

use std::time::Duration;

use crate::bail;
use crate::error::Result;
use crate::kafka::{put_string, Connection, Reader};

const FETCH: i16 = 1;
/// How long one fetch may take to answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);
/// Attributes bit of control batches (transaction markers), not records.
const CONTROL_BATCH: i16 = 0x20;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;

/// Follows partition 0 of a topic from offset 0.
pub struct TopicCounter {
    port: u16,
    topic: String,
    /// Kept open between polls; dropped after a failed fetch.
    connection: Option<Connection>,
    next_offset: i64,
    /// Consecutive responses that skipped offsets (see `count_batches`).
    gap_retries: u32,
    /// Records counted so far.
    pub count: u64,
}

impl TopicCounter {
    /// A counter of `topic` on the broker at 127.0.0.1:`port`, at offset 0.
    pub fn new(port: u16, topic: &str) -> TopicCounter {
        TopicCounter {
            port,
            topic: topic.to_string(),
            connection: None,
            next_offset: 0,
            gap_retries: 0,
            count: 0,
        }
    }

    /// One fetch (waiting up to `max_wait` for data); returns the new count.
    /// A topic that does not exist yet counts as empty.
    pub fn poll(&mut self, max_wait: Duration) -> Result<u64> {
        let mut body = Vec::with_capacity(64);
        body.extend((-1i32).to_be_bytes()); // replica id
        body.extend((max_wait.as_millis() as i32).to_be_bytes());
        body.extend(1i32.to_be_bytes()); // min bytes
        body.extend((16 * 1024 * 1024i32).to_be_bytes()); // max bytes
        body.push(0); // read uncommitted
        body.extend(1i32.to_be_bytes()); // one topic
        put_string(&mut body, &self.topic);
        body.extend(1i32.to_be_bytes()); // one partition
        body.extend(0i32.to_be_bytes());
        body.extend(self.next_offset.to_be_bytes());
        body.extend((8 * 1024 * 1024i32).to_be_bytes());
        let response = match self.fetch(&body) {
            Ok(r) => r,
            Err(e) => {
                self.connection = None;
                return Err(e);
            }
        };
        let mut r = Reader(&response);
        let _throttle = r.i32()?;
        for _ in 0..r.i32()? {
            let _topic = r.string()?;
            for _ in 0..r.i32()? {
                let _partition = r.i32()?;
                let code = r.i16()?;
                let _hw = r.i64()?;
                let _lso = r.i64()?;
                let aborted = r.i32()?;
                for _ in 0..aborted.max(0) {
                    r.take(16)?;
                }
                let len = r.i32()?;
                let records = if len > 0 { r.take(len as usize)? } else { &[] };
                match code {
                    0 => self.count_batches(records),
                    UNKNOWN_TOPIC_OR_PARTITION => {}
                    other => bail!("fetching {}: broker error code {other}", self.topic),
                }
            }
        }
        Ok(self.count)
    }

    /// Counts the complete batches of a fetch response's record set.
    fn count_batches(&mut self, mut data: &[u8]) {
        while data.len() >= 61 {
            let base = i64::from_be_bytes(data[0..8].try_into().unwrap());
            let len = i32::from_be_bytes(data[8..12].try_into().unwrap()) as usize;
            if data.len() < 12 + len {
                break; // a partial batch at the end of the response
            }
            let attributes = i16::from_be_bytes(data[21..23].try_into().unwrap());
            let last_delta = i32::from_be_bytes(data[23..27].try_into().unwrap()) as i64;
            let records = i32::from_be_bytes(data[57..61].try_into().unwrap()) as i64;
            let last = base + last_delta;
            if base > self.next_offset && self.gap_retries < 50 {
                // tansu sometimes leaves a batch out of a response while the
                // topic is written: fetch again from the first missing offset.
                self.gap_retries += 1;
                break;
            }
            self.gap_retries = 0;
            if last >= self.next_offset && attributes & CONTROL_BATCH == 0 {
                // A batch that started before the fetch offset: only its tail is new.
                let skipped = (self.next_offset - base).max(0);
                self.count += (records - skipped).max(0) as u64;
            }
            self.next_offset = self.next_offset.max(last + 1);
            data = &data[12 + len..];
        }
    }

    /// Sends a Fetch request, connecting first when not connected.
    fn fetch(&mut self, body: &[u8]) -> Result<Vec<u8>> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self
                .connection
                .insert(Connection::open(self.port, FETCH_TIMEOUT)?),
        };
        connection.request(FETCH, 4, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(base: i64, n: i32, attributes: i16) -> Vec<u8> {
        let mut b = vec![0u8; 61];
        b[0..8].copy_from_slice(&base.to_be_bytes());
        b[8..12].copy_from_slice(&49i32.to_be_bytes());
        b[21..23].copy_from_slice(&attributes.to_be_bytes());
        b[23..27].copy_from_slice(&(n - 1).to_be_bytes());
        b[57..61].copy_from_slice(&n.to_be_bytes());
        b
    }

    #[test]
    fn counts_whole_batches_tails_and_skips_control_and_partial() {
        let mut c = TopicCounter::new(0, "t");
        let mut data = batch(0, 10, 0);
        data.extend(batch(10, 1, CONTROL_BATCH));
        data.extend(&batch(11, 5, 0)[..30]); // partial
        c.count_batches(&data);
        assert_eq!((c.count, c.next_offset), (10, 11));
        c.next_offset = 13;
        c.count_batches(&batch(11, 5, 0)); // fetched mid-batch
        assert_eq!((c.count, c.next_offset), (13, 16));
        c.count_batches(&batch(20, 5, 0)); // offsets 16..19 left out: not counted
        assert_eq!((c.count, c.next_offset), (13, 16));
    }
}
