//! Values computed on first use without a lock held while computing.
//!
//! Much of what this crate computes on first use runs on the rayon pool:
//! reading every unit's ranges, finding the source roots, loading a module
//! (which finds its roots) and building its index. Under
//! [`OnceLock::get_or_init`], such work can hang the process. A thread
//! outside the pool computing it while every pool thread waits on the lock
//! leaves none to run it. A pool thread computing it, while waiting for its
//! share of the work, may take up another job that asks for the same value,
//! and then waits for the lock it holds itself.

use std::sync::OnceLock;

/// `cell`'s value, made by `compute` if it has none yet, outside the
/// cell's lock. Threads that ask at once may each compute; the first value
/// stored is kept, the others are dropped.
pub(crate) fn get_or_compute<T>(cell: &OnceLock<T>, compute: impl FnOnce() -> T) -> &T {
    if let Some(value) = cell.get() {
        return value;
    }
    let value = compute();
    cell.get_or_init(|| value)
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// A pool thread that, while computing the value, takes up another job
    /// asking for it (as a thread waiting for its share of rayon work
    /// does) gets it, and so does that job: nothing waits for a lock its
    /// own thread holds.
    #[test]
    fn a_job_taken_up_while_computing_the_value_gets_it() {
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let cell = OnceLock::new();
            let (mut first, mut second) = (0, 0);
            pool.install(|| {
                rayon::scope(|scope| {
                    // Taken up last (the thread takes its newest job first),
                    // by the job below, while it computes.
                    scope.spawn(|_| second = *get_or_compute(&cell, || 2));
                    scope.spawn(|_| {
                        first = *get_or_compute(&cell, || {
                            assert!(rayon::yield_now().is_some());
                            1
                        })
                    });
                })
            });
            // The job taken up stored its value first; both see it.
            done.send((first, second)).unwrap();
        });
        let found = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("the jobs asking for the value are stuck");
        assert_eq!(found, (2, 2));
    }
}
