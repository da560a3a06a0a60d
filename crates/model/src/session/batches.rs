//! The order training digits are drawn in: shuffled passes over the set,
//! the same for every model a session trains and for the CLI's epochs.

use crate::init::SeededRng;

/// Shuffled passes over `0..len`, each a fresh permutation from one seed.
#[derive(Debug, Clone)]
pub struct BatchOrder {
    rng: SeededRng,
    order: Vec<usize>,
    cursor: usize,
}

impl BatchOrder {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: SeededRng::new(seed),
            order: Vec::new(),
            cursor: 0,
        }
    }

    /// The next whole pass: a permutation of `0..len` (an epoch).
    pub fn pass(&mut self, len: usize) -> Vec<usize> {
        self.rng.permutation(len)
    }

    /// The next `size` indices into a set of `len`, starting a new pass
    /// whenever one runs out, so a batch may straddle two passes.
    pub fn next(&mut self, size: usize, len: usize) -> Vec<usize> {
        (0..size)
            .map(|_| {
                if self.cursor >= self.order.len() {
                    self.order = self.pass(len);
                    self.cursor = 0;
                }
                self.cursor += 1;
                self.order[self.cursor - 1]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_every_index_once_per_pass() {
        let mut order = BatchOrder::new(3);
        let mut seen: Vec<usize> = (0..5).flat_map(|_| order.next(4, 20)).collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
    }

    #[test]
    fn a_batch_straddles_two_passes_without_losing_an_index() {
        let mut order = BatchOrder::new(9);
        let first = order.next(7, 10); // 7 of the first pass
        let second = order.next(7, 10); // its last 3, then 4 of the next
        let mut first_pass: Vec<usize> = first.iter().chain(&second[..3]).copied().collect();
        first_pass.sort_unstable();
        assert_eq!(first_pass, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn the_same_seed_gives_the_same_batches_and_passes() {
        let (mut a, mut b) = (BatchOrder::new(5), BatchOrder::new(5));
        assert_eq!(a.next(16, 100), b.next(16, 100));
        assert_eq!(BatchOrder::new(5).pass(50), BatchOrder::new(5).pass(50));
        assert_ne!(BatchOrder::new(5).pass(50), BatchOrder::new(6).pass(50));
    }
}
