//! Bounded memory for file buffers.
//!
//! Every open file accumulates the bytes of its next multipart part in a
//! [`PartBuffer`]. All buffers of the process draw on one
//! [`MemoryBudget`] (`ferry.s3.buffer.max.bytes`); a buffer that cannot get
//! memory moves its bytes to a file in `ferry.s3.spill.dir` and keeps
//! appending there until its part is uploaded. So memory stays near the
//! budget whatever the number of open files; disk takes the rest.

use std::io::{Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aws_sdk_s3::primitives::ByteStream;
use ferry_api::ConnectResult;

use crate::error::S3SinkError;

/// A process-wide memory budget for buffered bytes.
#[derive(Debug)]
pub struct MemoryBudget {
    limit: AtomicU64,
    used: AtomicU64,
    spill_dir: std::sync::Mutex<Option<PathBuf>>,
}

static GLOBAL: OnceLock<Arc<MemoryBudget>> = OnceLock::new();

impl MemoryBudget {
    /// A budget of `limit` bytes (tests; tasks use [`MemoryBudget::global`]).
    pub fn new(limit: u64, spill_dir: Option<PathBuf>) -> Arc<Self> {
        Arc::new(MemoryBudget {
            limit: AtomicU64::new(limit),
            used: AtomicU64::new(0),
            spill_dir: std::sync::Mutex::new(spill_dir),
        })
    }

    /// The budget shared by every S3 sink task of the process. The most
    /// recently started task's settings apply.
    pub fn global(limit: u64, spill_dir: Option<PathBuf>) -> Arc<Self> {
        let b = GLOBAL
            .get_or_init(|| MemoryBudget::new(limit, spill_dir.clone()))
            .clone();
        b.limit.store(limit, Ordering::Relaxed);
        if spill_dir.is_some() {
            *b.spill_dir.lock().unwrap_or_else(|e| e.into_inner()) = spill_dir;
        }
        b
    }

    /// Bytes in use.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Whether the budget is used up.
    pub fn exhausted(&self) -> bool {
        self.used() >= self.limit()
    }

    /// Takes `n` bytes if they fit.
    pub fn try_reserve(&self, n: u64) -> bool {
        let limit = self.limit();
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
                (u + n <= limit).then_some(u + n)
            })
            .is_ok()
    }

    /// Takes `n` bytes whether or not they fit (memory a library holds).
    pub fn force_reserve(&self, n: u64) {
        self.used.fetch_add(n, Ordering::AcqRel);
    }

    /// Gives `n` bytes back.
    pub fn release(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }

    fn spill_file(&self) -> std::io::Result<std::fs::File> {
        let dir = self
            .spill_dir
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match dir {
            Some(d) => {
                std::fs::create_dir_all(&d)?;
                tempfile::tempfile_in(d)
            }
            None => tempfile::tempfile(),
        }
    }
}

/// Memory taken from a budget, given back on drop.
pub struct Reservation {
    budget: Arc<MemoryBudget>,
    bytes: u64,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.release(self.bytes);
    }
}

/// The bytes of one part, ready to upload.
pub enum PartBody {
    Memory(Vec<u8>, Reservation),
    Disk(std::fs::File, u64),
}

impl PartBody {
    /// Its length.
    pub fn len(&self) -> u64 {
        match self {
            PartBody::Memory(v, _) => v.len() as u64,
            PartBody::Disk(_, n) => *n,
        }
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A request body, and the budget memory it holds: the caller keeps
    /// that until the request is done (the client holds the bytes until then).
    pub async fn stream(self) -> ConnectResult<(ByteStream, Option<Reservation>)> {
        match self {
            PartBody::Memory(v, reservation) => Ok((ByteStream::from(v), Some(reservation))),
            PartBody::Disk(mut f, n) => {
                f.seek(SeekFrom::Start(0))?;
                // The spilled part is read back into memory only while it
                // is sent; the file (unlinked already) goes with it.
                let mut bytes = Vec::with_capacity(n as usize);
                std::io::copy(&mut std::io::Read::take(&mut f, n), &mut bytes)?;
                Ok((ByteStream::from(bytes), None))
            }
        }
    }
}

/// The pending bytes of one file's next part.
pub struct PartBuffer {
    budget: Arc<MemoryBudget>,
    mem: Vec<u8>,
    disk: Option<(std::fs::File, u64)>,
}

impl PartBuffer {
    /// An empty buffer.
    pub fn new(budget: Arc<MemoryBudget>) -> Self {
        PartBuffer {
            budget,
            mem: Vec::new(),
            disk: None,
        }
    }

    /// Bytes buffered.
    pub fn len(&self) -> u64 {
        match &self.disk {
            Some((_, n)) => *n,
            None => self.mem.len() as u64,
        }
    }

    /// Whether nothing is buffered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the buffer lives on disk.
    pub fn spilled(&self) -> bool {
        self.disk.is_some()
    }

    /// Appends bytes, spilling to disk when the budget is used up.
    pub fn append(&mut self, bytes: &[u8]) -> ConnectResult<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if let Some((f, n)) = &mut self.disk {
            f.write_all(bytes).map_err(S3SinkError::Spill)?;
            *n += bytes.len() as u64;
            return Ok(());
        }
        if self.budget.try_reserve(bytes.len() as u64) {
            self.mem.extend_from_slice(bytes);
            return Ok(());
        }
        let mut f = self.budget.spill_file().map_err(S3SinkError::Spill)?;
        f.write_all(&self.mem).map_err(S3SinkError::Spill)?;
        f.write_all(bytes).map_err(S3SinkError::Spill)?;
        let n = (self.mem.len() + bytes.len()) as u64;
        self.budget.release(self.mem.len() as u64);
        self.mem = Vec::new();
        self.disk = Some((f, n));
        Ok(())
    }

    /// Takes the buffered bytes as a part body, leaving the buffer empty.
    pub fn take(&mut self) -> PartBody {
        match self.disk.take() {
            Some((f, n)) => PartBody::Disk(f, n),
            None => {
                let v = std::mem::take(&mut self.mem);
                let bytes = v.len() as u64;
                PartBody::Memory(
                    v,
                    Reservation {
                        budget: self.budget.clone(),
                        bytes,
                    },
                )
            }
        }
    }
}

impl Drop for PartBuffer {
    fn drop(&mut self) {
        self.budget.release(self.mem.len() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_spill_to_disk_beyond_the_budget_and_give_memory_back() {
        let budget = MemoryBudget::new(100, None);
        let mut a = PartBuffer::new(budget.clone());
        let mut b = PartBuffer::new(budget.clone());
        a.append(&[1; 60]).unwrap();
        assert_eq!(budget.used(), 60);
        b.append(&[2; 30]).unwrap();
        b.append(&[2; 30]).unwrap(); // does not fit: b moves to disk
        assert!(b.spilled());
        assert_eq!(budget.used(), 60);
        assert_eq!(b.len(), 60);
        let body = a.take();
        assert_eq!(body.len(), 60);
        drop(body);
        let PartBody::Disk(_, n) = b.take() else {
            panic!("b should be on disk")
        };
        assert_eq!(n, 60);
        drop(a);
        assert_eq!(budget.used(), 0);
    }
}
