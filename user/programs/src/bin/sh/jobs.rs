//! Jobs: what `&` started, and what Ctrl-Z stopped; listed by `jobs`, resumed by `fg` and
//! `bg`, collected by `wait` or, when they end on their own, announced before the next prompt.

use alloc::string::String;
use alloc::vec::Vec;
use runtime::sys;

/// A job: its number, its processes (the last one's status is the job's), and its text.
#[derive(Clone)]
pub struct Job {
    /// The number `jobs` shows and `wait %N` takes.
    pub number: usize,
    /// Its processes, still running or not yet collected.
    pub pids: Vec<u32>,
    /// The last process's pid.
    pub last: u32,
    /// Its process group (its first process's pid): `kill %N` signals the whole group.
    pub group: u32,
    /// The last process's wait status, once collected.
    pub status: Option<i32>,
    /// The command line that started it.
    pub text: String,
    /// Whether it is stopped (Ctrl-Z, SIGSTOP, or a background read from the terminal).
    pub stopped: bool,
}

/// Every job not yet reported as done.
#[derive(Default, Clone)]
pub struct Jobs {
    jobs: Vec<Job>,
}

impl Jobs {
    /// Adds a job of `pids`; returns its number (the lowest free one, from 1).
    pub fn add(&mut self, pids: Vec<u32>, text: String) -> usize {
        self.add_job(pids, text, false)
    }

    /// Adds a job of `pids` that has just stopped; returns its number.
    pub fn add_stopped(&mut self, pids: Vec<u32>, text: String) -> usize {
        self.add_job(pids, text, true)
    }

    /// Adds a job; returns its number (the lowest free one, from 1).
    fn add_job(&mut self, pids: Vec<u32>, text: String, stopped: bool) -> usize {
        let number = (1..)
            .find(|n| self.jobs.iter().all(|j| j.number != *n))
            .unwrap_or(1);
        let last = *pids.last().unwrap_or(&0);
        let group = *pids.first().unwrap_or(&0);
        self.jobs.push(Job {
            number,
            pids,
            last,
            group,
            status: None,
            text,
            stopped,
        });
        number
    }

    /// Takes job `number` out of the list (`fg` waits for it in the foreground).
    pub fn take(&mut self, number: usize) -> Option<Job> {
        let at = self.jobs.iter().position(|j| j.number == number)?;
        Some(self.jobs.remove(at))
    }

    /// Marks job `number` running again (`bg`).
    pub fn mark_running(&mut self, number: usize) {
        if let Some(job) = self.jobs.iter_mut().find(|j| j.number == number) {
            job.stopped = false;
        }
    }

    /// Collects whatever has ended, and notes what stopped or was continued, without waiting.
    pub fn poll(&mut self) {
        use runtime::abi::wait::{self, WCONTINUED, WNOHANG, WUNTRACED};
        for job in &mut self.jobs {
            let mut stopped = job.stopped;
            job.pids.retain(|&pid| {
                match sys::wait4(pid as i32, WNOHANG | WUNTRACED | WCONTINUED) {
                    Ok(Some((_, status))) if wait::stopped(status) => {
                        stopped = true;
                        true
                    }
                    Ok(Some((_, status))) if wait::continued(status) => {
                        stopped = false;
                        true
                    }
                    Ok(Some((_, status))) => {
                        if pid == job.last {
                            job.status = Some(status);
                        }
                        false
                    }
                    Ok(None) => true,
                    Err(_) => false,
                }
            });
            job.stopped = stopped;
        }
    }

    /// Removes and returns the jobs that have ended.
    pub fn take_done(&mut self) -> Vec<Job> {
        let (done, running) = core::mem::take(&mut self.jobs)
            .into_iter()
            .partition(|j| j.pids.is_empty());
        self.jobs = running;
        done
    }

    /// The job a job spec names: `%N`, or `%%` and `%+` for the newest job.
    pub fn find(&self, spec: &str) -> Option<&Job> {
        match spec.strip_prefix('%')? {
            "%" | "+" => self.jobs.iter().max_by_key(|j| j.number),
            number => {
                let number: usize = number.parse().ok()?;
                self.jobs.iter().find(|j| j.number == number)
            }
        }
    }

    /// Every job, in number order.
    pub fn list(&self) -> impl Iterator<Item = &Job> {
        self.jobs.iter()
    }

    /// Waits for job `number` (or every job if `None`); returns the last one's status, or
    /// `None` if there is no such job.
    pub fn wait(&mut self, number: Option<usize>) -> Option<i32> {
        let mut last = Some(0);
        for job in &mut self.jobs {
            if number.is_some_and(|n| n != job.number) {
                continue;
            }
            for &pid in &job.pids {
                if let Ok(Some((_, status))) = sys::wait4(pid as i32, 0) {
                    if pid == job.last {
                        job.status = Some(status);
                    }
                }
            }
            job.pids.clear();
            last = Some(job.status.map_or(0, crate::run::status_code));
        }
        let found = number.is_none_or(|n| self.jobs.iter().any(|j| j.number == n));
        self.jobs.retain(|j| !j.pids.is_empty());
        if found {
            last
        } else {
            None
        }
    }
}
