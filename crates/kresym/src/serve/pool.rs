//! The bounded blocking pool: a fixed number of worker threads take jobs
//! from a queue of fixed length. A full queue refuses a job at once (the
//! client gets 429) instead of letting waiting requests pile up.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

/// One unit of blocking work.
type Job = Box<dyn FnOnce() + Send>;

/// Worker threads fed by a bounded queue.
pub struct Pool {
    queue: SyncSender<Job>,
}

/// The queue is full: try again later.
#[derive(Debug)]
pub struct Full;

impl Pool {
    /// Start `workers` threads (each with `stack` bytes of stack) behind a
    /// queue of `queue` jobs.
    pub fn start(workers: usize, queue: usize, stack: usize) -> std::io::Result<Pool> {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..workers.max(1) {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("kresym-worker-{n}"))
                .stack_size(stack)
                .spawn(move || work(&receiver))?;
        }
        Ok(Pool { queue: sender })
    }

    /// Queue `job`, or refuse it when the queue is full.
    pub fn submit(&self, job: impl FnOnce() + Send + 'static) -> Result<(), Full> {
        match self.queue.try_send(Box::new(job)) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => Err(Full),
        }
    }
}

/// Run jobs until the pool is dropped.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            // A panic ends the job (its client gets a 500), not the worker.
            Ok(job) => drop(std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One worker busy and one job waiting fill a queue of one: the next
    /// job is refused (the client's 429), and taken again once there is room.
    #[test]
    fn a_full_queue_refuses_jobs_until_there_is_room() {
        let pool = Pool::start(1, 1, 1 << 20).unwrap();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let (started, running) = std::sync::mpsc::channel::<()>();
        pool.submit(move || {
            started.send(()).unwrap();
            blocked.recv().unwrap();
        })
        .unwrap();
        running.recv().unwrap();
        let (done, finished) = std::sync::mpsc::channel::<u32>();
        let second = done.clone();
        pool.submit(move || second.send(2).unwrap()).unwrap();
        let third = done.clone();
        assert!(pool.submit(move || third.send(3).unwrap()).is_err());
        release.send(()).unwrap();
        assert_eq!(finished.recv().unwrap(), 2);
        pool.submit(move || done.send(4).unwrap()).unwrap();
        assert_eq!(finished.recv().unwrap(), 4);
    }

    /// A job that panics ends, not its worker.
    #[test]
    fn a_panicking_job_leaves_the_worker_running() {
        let pool = Pool::start(1, 4, 1 << 20).unwrap();
        pool.submit(|| panic!("a bug")).unwrap();
        let (done, finished) = std::sync::mpsc::channel();
        pool.submit(move || done.send(()).unwrap()).unwrap();
        finished.recv().unwrap();
    }
}
