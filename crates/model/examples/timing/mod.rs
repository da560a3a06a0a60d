//! What the timing examples share. Not an example itself: Cargo takes a
//! folder under `examples/` as one only when it holds a `main.rs`.

use std::time::Instant;

/// The median seconds of `runs` calls of `run` after `warmup` untimed ones.
pub fn median_seconds(warmup: usize, runs: usize, mut run: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        run();
    }
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let began = Instant::now();
            run();
            began.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}
