//! Lanes allocate per run, not per sample: the allocations a thread makes
//! while solving n inputs, counted by the test binary's allocator.

use odeon::ensemble::Runs;
use odeon::{Dopri5, Options, models::VanDerPol};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The system allocator, counting each thread's allocations.
pub struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call goes to the system allocator unchanged; the count is a
// const-initialised thread-local cell, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations this thread makes while `runs` solves `n` W4 inputs.
fn allocations(lanes: usize, n: usize) -> u64 {
    let inputs: Vec<([f64; 2], [f64; 1])> = (0..n)
        .map(|k| ([1.0 + 2.0 * (k as f64 * 0.618).fract(), 0.0], [0.5 + 1.5 * (k as f64 * 0.414).fract()]))
        .collect();
    let runs = Runs::new(&VanDerPol, Dopri5, (0.0, 20.0))
        .options(Options::default().rtol(1e-6).atol(1e-6).save_final())
        .lanes(lanes);
    let mut x = vec![0.0; n];
    let before = ALLOCATIONS.with(Cell::get);
    runs.solve_each(n, &|k| (&inputs[k].0[..], &inputs[k].1[..]), &mut |k, r| x[k] = r.unwrap().y[0]).unwrap();
    let used = ALLOCATIONS.with(Cell::get) - before;
    assert!(x.iter().all(|v| v.is_finite()));
    used
}

#[test]
fn lanes_allocate_per_run_not_per_sample() {
    for lanes in [2, 4, 8] {
        let (small, large) = (allocations(lanes, 500), allocations(lanes, 1500));
        assert!(large < small + 10, "{lanes} lanes: {small} allocations for 500 samples, {large} for 1500");
    }
    // One sample at a time allocates each solve's buffers and solution:
    // the counter does see per-sample allocations.
    let (small, large) = (allocations(1, 500), allocations(1, 1500));
    assert!(large >= small + 1000, "one at a time: {small} for 500 samples, {large} for 1500");
}
