//! Shared by the parser property tests: a counting allocator, so each case
//! can assert a memory bound, and the mutations that turn a real file into a
//! hostile one.
//!
//! Each property test is its own test binary with one test, so nothing else
//! allocates while a case is measured.

// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: defers to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if !moved.is_null() {
            // Counted as both blocks alive at once, the worst case of a move.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

fn grew(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

/// Runs `f` and returns its result with the most heap it held at once,
/// beyond what was allocated before it began.
pub fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// One edit to a file. Positions are taken modulo the file's length, and
/// words go to the first 32 bytes (the headers) half the time.
#[derive(Debug, Clone)]
pub enum Mutation {
    FlipBit {
        at: usize,
        bit: u8,
    },
    SetByte {
        at: usize,
        byte: u8,
    },
    /// A 32-bit value in the byte order the format uses.
    SetWord {
        at: usize,
        value: u32,
        in_header: bool,
    },
    Cut {
        at: usize,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Remove {
        at: usize,
        len: usize,
    },
    /// Appends a copy of a slice: trailing bytes, repeated members.
    AppendCopy {
        from: usize,
        len: usize,
    },
}

fn word() -> impl Strategy<Value = u32> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(u32::MAX),
        Just(u32::MAX - 3),
        Just(0x7fff_ffff),
        Just(0x8000_0000),
        Just(100_000),
        Just(100_001),
        0..70_000u32,
        any::<u32>(),
    ]
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0..8u8).prop_map(|(at, bit)| Mutation::FlipBit { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::SetByte { at, byte }),
        (any::<usize>(), word(), any::<bool>()).prop_map(|(at, value, in_header)| {
            Mutation::SetWord {
                at,
                value,
                in_header,
            }
        }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..16)
        )
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (any::<usize>(), 1..64usize).prop_map(|(at, len)| Mutation::Remove { at, len }),
        (any::<usize>(), 1..4096usize).prop_map(|(from, len)| Mutation::AppendCopy { from, len }),
    ]
}

#[derive(Clone, Copy)]
pub enum Endian {
    Big,
    Little,
}

pub fn apply(bytes: &mut Vec<u8>, mutation: &Mutation, endian: Endian) {
    let len = bytes.len();
    match mutation {
        Mutation::FlipBit { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
        Mutation::SetByte { at, byte } if len > 0 => bytes[at % len] = *byte,
        Mutation::SetWord {
            at,
            value,
            in_header,
        } if len >= 4 => {
            let span = if *in_header { len.min(32) } else { len };
            let at = at % (span - 3);
            let word = match endian {
                Endian::Big => value.to_be_bytes(),
                Endian::Little => value.to_le_bytes(),
            };
            bytes[at..at + 4].copy_from_slice(&word);
        }
        Mutation::Cut { at } => bytes.truncate(at % (len + 1)),
        Mutation::Insert { at, bytes: new } => {
            let at = at % (len + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Remove { at, len: count } if len > 0 => {
            let at = at % len;
            bytes.drain(at..(at + count).min(len));
        }
        Mutation::AppendCopy { from, len: count } if len > 0 => {
            let from = from % len;
            let copy = bytes[from..(from + count).min(len)].to_vec();
            bytes.extend(copy);
        }
        _ => {}
    }
}

/// 10,000 cases by default (`PROPTEST_CASES` raises it), from a fixed seed
/// so that CI explores the same cases every run; long random runs are the
/// `cargo fuzz` targets' job.
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(10_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x00C4_EC6E),
        ..ProptestConfig::default()
    }
}

/// How often each outcome came up: "Ok" or an error's variant name.
#[derive(Default)]
pub struct Outcomes(Mutex<BTreeMap<String, usize>>);

impl Outcomes {
    pub fn count<T, E: Debug>(&self, result: &Result<T, E>) {
        let name = match result {
            Ok(_) => "Ok".to_string(),
            Err(err) => {
                let debug = format!("{err:?}");
                debug
                    .split(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or_default()
                    .to_string()
            }
        };
        *self.0.lock().unwrap().entry(name).or_default() += 1;
    }

    /// Prints the tally as a table (`cargo test -- --nocapture` shows it)
    /// and returns it.
    pub fn report(&self, title: &str) -> BTreeMap<String, usize> {
        let tally = self.0.lock().unwrap().clone();
        println!("\n{title}\n| outcome | cases |\n| --- | --- |");
        tally
            .iter()
            .for_each(|(outcome, cases)| println!("| {outcome} | {cases} |"));
        tally
    }
}
