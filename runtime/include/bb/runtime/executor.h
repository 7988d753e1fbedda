// The dataflow executor of a node (docs/runtime.md): frames, the ready set, dispatch and
// the static run, over a Program's plan and the node's kernels. It knows nothing of the
// wire: what a failure or a frame's end means for the network (rx accounting, held
// sends, peers interned for an envelope) and what is traced are the node's, told
// through ExecutorEvents; asynchronous completion is the node's too (hold / resume).
//
// Execution: static nodes run once at run_static(); execute() starts an execution with
// a fresh frame that runs only what its trigger reaches. A node fires when all its
// non-empty inputs have values; ready nodes run in node-index order. A failed or denied
// node writes nothing and its dependents in that frame are skipped. A frame ends, and
// is recycled, when nothing is ready and nothing is pending. The dispatch path works on
// slot indices only and allocates nothing in steady state.
//
// Single-threaded: all calls come from the scheduler's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "bb/runtime/kernel.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/program.h"

namespace bb::runtime {

// The frame id of the static run in ExecutorEvents (it has no frame; its execution is 0).
inline constexpr std::uint32_t kStaticFrame = UINT32_MAX;

// What the executor tells the node it runs for, on the node's thread.
class ExecutorEvents {
 public:
  virtual ~ExecutorEvents() = default;
  // Tracing only: not called when the executor runs untraced.
  virtual void began(std::uint32_t frame) = 0;
  virtual void ran(std::uint32_t frame, std::uint32_t node) = 0;
  // A node denied or failed, before its dependents are skipped (the static run's too).
  virtual void failed(std::uint32_t frame, std::uint32_t node, const OpResult& result) = 0;
  // A node deferred and returned pending: it waits until resume().
  virtual void deferred(std::uint32_t frame, std::uint32_t node) = 0;
  // Nothing is ready or pending: the frame is about to be recycled.
  virtual void ended(std::uint32_t frame) = 0;
};

class Executor {
 public:
  struct Frame {
    std::uint64_t exec = 0;
    std::uint32_t trigger = 0;  // the source node
    bool has_origin = false;
    EnvelopeMeta origin;        // the envelope that started it (a Recv firing)
  };

  // `kernels` by node index. Kernels see `services` and `network` in their Invocation.
  Executor(std::shared_ptr<const Program> program, std::vector<std::unique_ptr<Kernel>>& kernels,
           KernelServices& services, NetworkServices& network, Invocation::Hooks& hooks, ExecutorEvents& events,
           NodeMetrics& metrics, std::int64_t max_executions, bool traced);

  // Takes the initializers and the given graph inputs; every graph input without a value
  // is reported (all at once).
  Expected<void, LoadError> bind_inputs(std::vector<std::pair<std::string, Value>> inputs);
  void run_static();
  // Starts one execution whose trigger is node `index` and runs it as far as it goes;
  // `origin` is the envelope that started it (a Recv), or null. Ignored once the
  // execution limit is reached.
  void execute(std::uint32_t index, const EnvelopeMeta* origin);
  bool limit_reached() const {
    return max_executions_ >= 0 && static_cast<std::int64_t>(metrics_.executions) >= max_executions_;
  }

  // Asynchronous completion. hold(): the node in compute waits (called from its
  // compute); resume(): it completed, with outputs (a trigger) or with `failure`.
  bool in_static() const { return in_static_; }
  std::uint32_t current_frame() const { return current_frame_; }
  std::uint64_t current_exec() const { return current_exec_; }
  void hold();
  void resume(std::uint32_t frame, std::uint32_t node, Reason failure);

  const Frame& frame(std::uint32_t id) const { return *frames_[id]; }
  std::size_t live_frames() const { return live_frames_; }
  std::size_t frame_pool_size() const { return frames_.size(); }
  const Value& output(std::size_t k) const { return outputs_[k]; }

 private:
  enum class NodeStatus : std::uint8_t { kWaiting, kReady, kDone, kPending, kFailed, kSkipped };
  struct NodeState {
    std::uint32_t epoch = 0;
    std::uint32_t missing = 0;
    NodeStatus status = NodeStatus::kWaiting;
  };
  // What dispatch reads of a node's plan, packed (20 bytes instead of a PlanNode's 56):
  // the dispatch path touches this, not the plan, per node it runs or readies.
  struct Wiring {
    std::uint32_t input_begin, input_count, output_begin, output_count, dynamic_inputs;
  };
  // What publish reads of a slot, in one place instead of three of the plan's arrays.
  // `holds`: the readers a written value waits for, plus one for a graph output, which
  // stays until its frame ends.
  struct SlotWiring {
    const std::uint32_t* readers;
    std::uint32_t reader_count, holds, output;
  };
  struct FrameData : Frame {
    std::uint32_t epoch = 0;
    std::uint32_t pending = 0;
    bool running = false;             // inside run_frame
    std::vector<Value> values;        // by slot
    std::vector<std::uint32_t> uses;  // by slot: holds left (SlotWiring::holds when written)
    std::vector<NodeState> state;     // by node
    std::vector<std::uint32_t> written;  // slots written in this frame: the first n_written (sized once)
    std::uint32_t n_written = 0;
    // Node indices waiting to run, the smallest next: sorted, smallest at the back, while
    // at most kSortedReady wait (a chain readies one node, a fan-out a few); a min-heap
    // from the push that would pass it until the frame has none ready again (a wide
    // fan-out costs log n a node, never n).
    // Sized to the node count once (a node is ready at most once a frame): the first
    // n_ready wait, and pushing never checks the capacity.
    std::vector<std::uint32_t> ready;
    std::uint32_t n_ready = 0;
    bool ready_heap = false;
    // By input ref (Program::input_refs): where that node input's value is, in this
    // frame, the static slots or empty_. Filled once when the frame is made: the slot
    // arrays never move, so a dispatch passes its node's run of it as is.
    std::vector<const Value*> inputs;
  };

  std::uint32_t acquire_frame();
  void release_frame(std::uint32_t id);
  NodeState& state_of(FrameData& f, std::uint32_t node);
  void run_frame(std::uint32_t id);
  void dispatch(FrameData& f, Invocation& inv, std::uint32_t frame_id, std::uint32_t node);
  void publish(FrameData& f, std::uint32_t node);
  static void push_ready(FrameData& f, std::uint32_t node);
  static std::uint32_t pop_ready(FrameData& f);
  void release_inputs(FrameData& f, std::uint32_t node);
  void fail_node(std::uint32_t frame_id, std::uint32_t node, const OpResult& result);
  void skip_downstream(FrameData& f, std::uint32_t node);

  std::shared_ptr<const Program> program_;
  std::vector<Wiring> wiring_;  // by node
  std::vector<SlotWiring> slots_;  // by slot
  std::vector<std::unique_ptr<Kernel>>& kernels_;
  KernelServices& services_;
  NetworkServices& network_;
  Invocation::Hooks& hooks_;
  ExecutorEvents& events_;
  NodeMetrics& metrics_;
  std::int64_t max_executions_;
  bool traced_;
  std::vector<Value> static_values_;
  std::vector<Value> outputs_;               // by graph output: the last value each one had
  std::vector<const Value*> static_inputs_;  // gather buffer of the static run
  const Value empty_;
  std::vector<std::unique_ptr<FrameData>> frames_;
  std::vector<std::uint32_t> free_frames_;
  std::size_t live_frames_ = 0;
  std::vector<std::uint32_t> skip_stack_;
  std::uint32_t current_frame_ = 0;  // the frame being run (set for its whole run_frame)
  std::uint64_t current_exec_ = 0;
  bool deferred_ = false;            // set by hold() during one compute
  bool in_static_ = false;           // the static run: no frame, exec 0
};

}  // namespace bb::runtime
