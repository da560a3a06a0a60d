//! Work issued once and replayed.
//!
//! On WebGPU a kernel costs what issuing it costs: Burn and cubecl resolve
//! its pipeline, upload its shapes, build a bind group and let wgpu and the
//! browser check it, about 40 µs a kernel on the development machine
//! (docs/benchmarks.md), where the arithmetic of these small layers takes
//! a fraction of that. cubecl can record a sequence of launches instead of
//! running it (a "graph", in Burn's and CUDA's words), with all of that
//! resolved once, and then encode the recording again as often as asked:
//! a pipeline, a bind group and a dispatch per kernel.
//!
//! A recording reads and writes the very buffers it was recorded with. So
//! work that is replayed takes its inputs from buffers of its own, which
//! the caller fills in place before each replay ([`refill`]), and leaves
//! what must outlive the replay in buffers of its own too. Burn's CPU
//! backend records nothing ([`replays_on`]): there the caller runs its
//! work as usual.

use burn::backend::{Backend, Dispatch, DispatchGraph};
use burn::tensor::{Device, Tensor};

use crate::backend::is_cpu;

/// A recording of some work and what it returned when recorded, whose
/// buffers every replay writes again.
pub struct Replay<T> {
    device: Device,
    graph: DispatchGraph,
    output: T,
}

/// Whether work on `device` is recorded and replayed: off the CPU, in the
/// browser's build (the `webgpu` feature). The native GPU path runs Burn's
/// kernel fusion, which queues work lazily, and is not recorded.
pub fn replays_on(device: &Device) -> bool {
    cfg!(feature = "webgpu") && !is_cpu(device)
}

/// The memory cubecl's pools may hold, in bytes, for a large recording to
/// be made. A recording keeps every tensor of its work, and the pools the
/// warm-ups grew, for as long as it lives: a training step at batch 128
/// about 40 MiB in use and as much again held. Seven decoders recorded at
/// that batch held 500 MiB, and Dawn's null adapter ran out of memory at
/// the next job.
const MEMORY_FOR_RECORDING: u64 = 256 << 20;

/// Refuses a large recording (a training step's) on `device` once cubecl's
/// pools hold [`MEMORY_FOR_RECORDING`]: that work then runs as it is.
pub fn room_for_recording(device: &Device) -> Result<(), String> {
    match device.memory_pool_usage() {
        Some(usage) if usage.bytes_reserved >= MEMORY_FOR_RECORDING => Err(format!(
            "the device holds {} MiB already, and a recording would keep more",
            usage.bytes_reserved >> 20
        )),
        _ => Ok(()),
    }
}

/// Which run of some work [`Replay::record`] asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// A run before the recording, to fill cubecl's pools: it must make the
    /// tensors the recording makes, but need not change anything.
    WarmUp,
    /// The run recorded, which executes nothing.
    Recording,
}

/// `record` with more warm-ups each time, 1 to 8, until one has room:
/// what it returned, or why the last failed.
///
/// A recording may not add memory to cubecl's pools and frees nothing
/// until it is dropped, so the pools must already hold room for every
/// tensor the work makes at once, where a run reuses memory as it goes.
/// Each warm-up leaves the pools holding more; how many it takes depends
/// on what they held before, which the lab cannot read.
pub fn with_warm_ups<R>(mut record: impl FnMut(usize) -> Result<R, String>) -> Result<R, String> {
    let mut failure = String::new();
    for warm_ups in [1, 2, 4, 8] {
        match record(warm_ups) {
            Ok(recorded) => return Ok(recorded),
            Err(why) => failure = why,
        }
    }
    Err(failure)
}

impl<T> Replay<T> {
    /// Records `work` after `warm_ups` runs of it (see [`with_warm_ups`]);
    /// the caller then [`replay`](Self::replay)s it to do it. `work` must
    /// issue the same kernels on the same buffers each time, and neither
    /// read from the device nor write to it from the host.
    pub fn record(
        device: &Device,
        warm_ups: usize,
        mut work: impl FnMut(Run) -> Result<T, String>,
    ) -> Result<Self, String> {
        let device = device.clone().without_autodiff();
        if !replays_on(&device) {
            return Err("this backend replays nothing".into());
        }
        let dispatch = device.as_dispatch();
        Dispatch::graph_prepare(dispatch)
            .map_err(|err| format!("preparing a recording: {err:?}"))?;
        // Every way out stops the capture: one prepared or started holds
        // the stream until then.
        let stop = || Dispatch::graph_stop_capture(dispatch);
        for _ in 0..warm_ups {
            if let Err(err) = work(Run::WarmUp) {
                let _ = stop();
                return Err(err);
            }
        }
        if let Err(err) = Dispatch::graph_start_capture(dispatch) {
            let _ = stop();
            return Err(format!("starting a recording: {err:?}"));
        }
        let output = work(Run::Recording);
        let graph = stop().map_err(|err| format!("recording: {err:?}"))?;
        Ok(Self {
            device,
            graph,
            output: output?,
        })
    }

    /// Issues the recorded work again; returns its output tensors, which
    /// it has just overwritten (and the next replay overwrites again).
    pub fn replay(&self) -> Result<&T, String> {
        // SAFETY: the recording's kernels use the buffers the recording
        // touched, and cubecl guards each page they lie on for as long as
        // the graph lives, so none is freed or handed to another tensor
        // meanwhile. This crate issues all its work from one thread, on
        // one stream, so each refill before a replay and each read after
        // it are ordered against it.
        unsafe { Dispatch::graph_replay(self.device.as_dispatch(), &self.graph) }
            .map_err(|err| format!("replaying recorded work: {err:?}"))?;
        Ok(&self.output)
    }
}

/// Writes `values` into `buffer`'s own memory, where a recording reads
/// them. Refused, leaving `buffer` as it was, unless `buffer` is its
/// memory's only handle: Burn would copy it first, and the recording
/// would never see the new values.
///
/// # Shapes
/// - `values`: `buffer`'s shape
pub fn refill<const D: usize>(buffer: &mut Tensor<D>, values: Tensor<D>) -> Result<(), String> {
    if !buffer.can_mut() {
        return Err("a replayed input is shared, so it cannot be written in place".into());
    }
    if buffer.dims() != values.dims() {
        return Err(format!(
            "a replayed input of shape {:?} was given values of shape {:?}",
            buffer.dims(),
            values.dims()
        ));
    }
    let ranges: [std::ops::Range<usize>; D] = std::array::from_fn(|i| 0..buffer.dims()[i]);
    buffer.inplace(|buffer| buffer.slice_assign(ranges, values));
    Ok(())
}

/// A copy of `tensor` in memory of its own: what a recording may write in
/// place, and what outlives the next replay of a recording's output.
pub fn own_copy<const D: usize>(tensor: &Tensor<D>) -> Tensor<D> {
    // Burn writes an element-wise result in place only into a tensor whose
    // memory has no other handle: the clone keeps one, so this allocates.
    tensor.clone().mul_scalar(1.0)
}
