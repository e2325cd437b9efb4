//! Pipes: a bounded buffer in the kernel with a reading end and a writing end.
//!
//! `pipe()` gives a program two descriptors; after a `fork`, one process writes into one end and
//! the other reads from the other, and the shell's `a | b` is exactly that. The rules, Linux's:
//!
//! * A read takes what is there, blocking only while the buffer is empty; it returns 0 (end of
//!   file) once the buffer is empty and no writer is left, which is how `b` learns `a` is done.
//! * A write blocks while the buffer is full, so a fast writer cannot run ahead of a slow reader
//!   by more than [`CAPACITY`] bytes. A write of at most [`PIPE_BUF`] bytes goes in as one piece,
//!   never interleaved with another writer's.
//! * Writing when no reader is left fails with `EPIPE` (and the kernel sends the writer
//!   `SIGPIPE`, which ends it): `yes | head -1` ends `yes` as soon as `head` is done.
//!
//! A blocked reader or writer waits on the pipe's own list of threads, interruptibly: a `kill`
//! (or the terminal's Ctrl-C) wakes it, and the call returns `EINTR` (the program then ends).

use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use abi::Errno;
use alloc::collections::VecDeque;
use alloc::vec::Vec;

/// How many bytes a pipe buffers: four pages (Linux buffers 64 KiB; a smaller buffer only
/// makes writers wait sooner).
pub const CAPACITY: usize = 16 * 1024;
/// The largest write that is atomic (POSIX's `PIPE_BUF`; Linux's value).
pub const PIPE_BUF: usize = 4096;

/// A pipe's state; the lock guards all of it (held briefly, interrupts off).
struct State {
    /// Bytes written and not yet read.
    buffer: VecDeque<u8>,
    /// Open descriptions of the reading end.
    readers: usize,
    /// Open descriptions of the writing end.
    writers: usize,
    /// Threads blocked until there is something to read (or no writer).
    waiting_readers: Vec<ThreadId>,
    /// Threads blocked until there is room (or no reader).
    waiting_writers: Vec<ThreadId>,
}

/// A pipe; each end's open description holds an `Arc` of it.
pub struct Pipe {
    state: IrqMutex<State>,
}

/// Wakes every thread in `list`, emptying it.
fn wake_all(list: &mut Vec<ThreadId>) {
    for thread in list.drain(..) {
        sched::wake_thread(thread);
    }
    // Whoever polls a pipe waits elsewhere (see `poll`).
    super::poll::notify();
}

impl Pipe {
    /// A new pipe with one reader and one writer.
    pub fn new() -> Result<Pipe, Errno> {
        let mut buffer = VecDeque::new();
        buffer
            .try_reserve_exact(CAPACITY)
            .map_err(|_| Errno::ENOMEM)?;
        Ok(Pipe {
            state: IrqMutex::new(State {
                buffer,
                readers: 1,
                writers: 1,
                waiting_readers: Vec::new(),
                waiting_writers: Vec::new(),
            }),
        })
    }

    /// Another description of the reading (or writing) end was made.
    pub fn add_end(&self, reader: bool) {
        let mut state = self.state.lock();
        if reader {
            state.readers += 1;
        } else {
            state.writers += 1;
        }
    }

    /// A description of the reading (or writing) end was closed: the other side's waiters wake
    /// to see end of file or `EPIPE`.
    pub fn close_end(&self, reader: bool) {
        let mut state = self.state.lock();
        if reader {
            state.readers -= 1;
            if state.readers == 0 {
                wake_all(&mut state.waiting_writers);
            }
        } else {
            state.writers -= 1;
            if state.writers == 0 {
                wake_all(&mut state.waiting_readers);
            }
        }
    }

    /// The `POLL*` events of the reading end (`reader`) or the writing end: data (or end of
    /// file, `POLLHUP`, when no writer is left) to read; room to write (or `POLLERR` when no
    /// reader is left), as Linux's `pipe_poll` reports them.
    pub fn poll(&self, reader: bool) -> i16 {
        use abi::poll::*;
        let state = self.state.lock();
        let mut events = 0;
        if reader {
            if !state.buffer.is_empty() {
                events |= POLLIN | POLLRDNORM;
            }
            if state.writers == 0 {
                events |= POLLHUP;
            }
        } else {
            if state.buffer.len() < CAPACITY {
                events |= POLLOUT | POLLWRNORM;
            }
            if state.readers == 0 {
                events |= POLLERR;
            }
        }
        events
    }

    /// Bytes waiting to be read (`FIONREAD`).
    pub fn available(&self) -> usize {
        self.state.lock().buffer.len()
    }

    /// Blocks until `ready` holds for the state, taking the thread off the list `waiters`
    /// chooses afterwards. `EINTR` if a stop was requested instead.
    fn wait(
        &self,
        ready: impl Fn(&State) -> bool,
        waiters: fn(&mut State) -> &mut Vec<ThreadId>,
    ) -> Result<(), Errno> {
        sched::block_interruptible(|me| {
            let mut state = self.state.lock();
            if ready(&state) {
                return false;
            }
            waiters(&mut state).push(me);
            true
        });
        let me = sched::current();
        waiters(&mut self.state.lock()).retain(|&t| t != me);
        if sched::should_stop() {
            return Err(Errno::EINTR);
        }
        Ok(())
    }

    /// Reads into `buf`: what is there, at least one byte, blocking while there is nothing and
    /// a writer is left; 0 at end of file.
    pub fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            {
                let mut state = self.state.lock();
                if !state.buffer.is_empty() {
                    let n = buf.len().min(state.buffer.len());
                    for (slot, byte) in buf.iter_mut().zip(state.buffer.drain(..n)) {
                        *slot = byte;
                    }
                    wake_all(&mut state.waiting_writers);
                    return Ok(n);
                }
                if state.writers == 0 {
                    return Ok(0);
                }
                if nonblocking {
                    return Err(Errno::EAGAIN);
                }
            }
            self.wait(
                |s| !s.buffer.is_empty() || s.writers == 0,
                |s| &mut s.waiting_readers,
            )?;
        }
    }

    /// Writes all of `data`, blocking for room as it must; a write of at most [`PIPE_BUF`]
    /// bytes waits until it fits whole. `EPIPE` if no reader is left (or, after part was
    /// written, the count so far).
    pub fn write(&self, data: &[u8], nonblocking: bool) -> Result<usize, Errno> {
        let atomic = data.len() <= PIPE_BUF;
        let mut done = 0;
        while done < data.len() || data.is_empty() {
            let outcome = {
                let mut state = self.state.lock();
                if state.readers == 0 {
                    return if done == 0 {
                        Err(Errno::EPIPE)
                    } else {
                        Ok(done)
                    };
                }
                let room = CAPACITY - state.buffer.len();
                let left = data.len() - done;
                let fits = if atomic { room >= left } else { room > 0 };
                if fits {
                    let n = room.min(left);
                    state.buffer.extend(&data[done..done + n]);
                    done += n;
                    wake_all(&mut state.waiting_readers);
                    None
                } else if nonblocking {
                    Some(if done == 0 {
                        Err(Errno::EAGAIN)
                    } else {
                        Ok(done)
                    })
                } else {
                    Some(Ok(0)) // wait below
                }
            };
            match outcome {
                None if data.is_empty() => break,
                None => continue,
                Some(Err(e)) => return Err(e),
                Some(Ok(n)) if n > 0 => return Ok(n),
                Some(Ok(_)) => {}
            }
            let wanted = if atomic { data.len() - done } else { 1 };
            if let Err(e) = self.wait(
                move |s| s.readers == 0 || CAPACITY - s.buffer.len() >= wanted,
                |s| &mut s.waiting_writers,
            ) {
                return if done == 0 { Err(e) } else { Ok(done) };
            }
        }
        Ok(done)
    }
}
