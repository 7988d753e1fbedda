#include "model_bytes.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <google/protobuf/io/coded_stream.h>

#include "bb/compiler/codes.h"
#include "bb/ir/model_io.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_format.h"
#include "bb/ir/wire_shape.h"
#include "gate_records.h"
#include "verbatim.h"
#include "wire_index.h"

namespace bb::compiler {
namespace {

using ir::kModelFunctionsField;
using ir::kModelGraphField;
using ir::offset_after_field;
constexpr std::size_t kStreamBuffer = std::size_t{4} << 20;  // as ir::AtomicWriter's chunks
constexpr std::size_t kDigestHexSize = 64;  // graph_sha256: a SHA-256 in lowercase hex

// `model` without graph and functions (detached and put back without copying: the
// unsafe_arena calls only move pointers, on the heap and on an arena alike).
std::string serialize_rest(onnx::ModelProto& model) {
  onnx::GraphProto* graph = model.has_graph() ? model.unsafe_arena_release_graph() : nullptr;
  google::protobuf::RepeatedPtrField<onnx::FunctionProto> functions(model.GetArena());
  functions.UnsafeArenaSwap(model.mutable_functions());
  std::string rest = ir::serialize_deterministic(model);
  model.unsafe_arena_set_allocated_graph(graph);
  model.mutable_functions()->UnsafeArenaSwap(&functions);
  return rest;
}

// The main graph with the gates a BodyIndex records (gate_records.h) spliced in between
// its nodes: a GraphProto's deterministic bytes are its nodes (field 1), each as tag,
// length, bytes, then its other fields in order, which a serialization of the graph
// without its nodes gives.
class GraphWithGates {
 public:
  // `gates`: the main graph's index when it recorded gates, else null; `verbatim`: the
  // main graph's nodes left as bytes, whose entries go between the list's nodes, or null.
  GraphWithGates(onnx::GraphProto& graph, const BodyIndex* gates, const VerbatimNodes* verbatim)
      : graph_(graph), gates_(gates), verbatim_(verbatim) {
    google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes(graph.GetArena());
    nodes.UnsafeArenaSwap(graph.mutable_node());
    rest_ = ir::serialize_deterministic(graph);
    graph.mutable_node()->UnsafeArenaSwap(&nodes);
  }

  // The graph's size (and every node's, cached for write).
  std::uint64_t size() {
    std::uint64_t size = rest_.size();
    walk(
        [&](const onnx::NodeProto& node, bool tx, std::size_t k) {
          size += node_field_size(node.ByteSizeLong() + (k == kNone ? 0 : gates_->recorded_stamps_size(tx, k)));
        },
        [&](std::string_view entry) { size += entry.size(); });
    if (gates_ == nullptr) return size;
    for (const bool tx : {true, false}) {
      const std::size_t ops = (tx ? gates_->sends() : gates_->recvs()).size();
      for (std::size_t k = 0; k < ops; ++k) size += gates_->chain_bytes(tx, k);
    }
    return size;
  }

  void write(google::protobuf::io::CodedOutputStream& coded) {
    walk(
        [&](const onnx::NodeProto& node, bool tx, std::size_t k) {
          if (k != kNone && tx) write_chain(coded, true, k);
          write_node(coded, node, tx, k);
          if (k != kNone && !tx) write_chain(coded, false, k);
        },
        [&](std::string_view entry) { coded.WriteRaw(entry.data(), static_cast<int>(entry.size())); });
    coded.WriteRaw(rest_.data(), static_cast<int>(rest_.size()));
  }

 private:
  static constexpr int kNodeAttributeField = 5;
  static constexpr std::uint32_t kNodeTag = ir::make_tag(ir::kGraphNodeField, ir::WireType::kLengthDelimited);
  static constexpr std::size_t kNone = ~std::size_t{0};

  // Calls f(node, tx, k) for every node of the list in order: k is the node's place in
  // the index's sends() (tx) or recvs(), kNone for the other nodes; and bytes(entry) for
  // every verbatim node's entry, where it stood among them. A gate the list holds (the
  // gates were materialised) goes right after its Recv, or right before its Send: after
  // the verbatim nodes before the Send.
  template <class F, class B>
  void walk(F&& f, B&& bytes) {
    static const std::vector<int> kNoOps;
    const auto& sends = gates_ != nullptr ? gates_->sends() : kNoOps;
    const auto& recvs = gates_ != nullptr ? gates_->recvs() : kNoOps;
    std::size_t s = 0, r = 0;
    std::size_t kept = 0;      // verbatim_'s next parsed node
    std::size_t replaced = 0;  // verbatim_'s next replaced entry
    int next = 0;              // the next position not written
    auto bytes_until = [&](int position) {
      const auto& replacements = verbatim_->replaced_positions();
      for (; next < position; ++next) {
        if (replaced < replacements.size() && replacements[replaced] == next) {
          bytes(verbatim_->replacement(replaced++));
        } else {
          bytes(verbatim_->entry(next));
        }
      }
    };
    for (int i = 0; i < graph_.node_size(); ++i) {
      const auto& node = graph_.node(i);
      if (verbatim_ != nullptr) {
        const auto& parsed = verbatim_->kept();
        if (kept < parsed.size() && parsed[kept] == &node) {
          const int at = verbatim_->position_of(static_cast<int>(kept++));
          bytes_until(at);
          next = at + 1;
        } else if (ir::is_tx_gate(node)) {
          bytes_until(kept < parsed.size() ? verbatim_->position_of(static_cast<int>(kept)) : verbatim_->size());
        }
      }
      if (s < sends.size() && sends[s] == i) {
        f(node, true, s++);
      } else if (r < recvs.size() && recvs[r] == i) {
        f(node, false, r++);
      } else {
        f(node, false, kNone);
      }
    }
    if (verbatim_ != nullptr) bytes_until(verbatim_->size());
  }

  // The node's bytes; a wire op's recorded stamps go after its own attributes (field 5),
  // where protobuf would write the attributes BodyIndex::stamp adds.
  void write_node(google::protobuf::io::CodedOutputStream& coded, const onnx::NodeProto& node, bool tx,
                  std::size_t k) {
    const auto size = static_cast<std::size_t>(node.GetCachedSize());
    stamps_.clear();
    if (k != kNone) gates_->encode_recorded_stamps(tx, k, stamps_);
    coded.WriteTag(kNodeTag);
    coded.WriteVarint32(static_cast<std::uint32_t>(size + stamps_.size()));
    if (stamps_.empty()) {
      node.SerializeWithCachedSizes(&coded);
      return;
    }
    bytes_.resize(size);
    google::protobuf::io::ArrayOutputStream array(bytes_.data(), static_cast<int>(size));
    {
      google::protobuf::io::CodedOutputStream node_coded(&array);
      node_coded.SetSerializationDeterministic(true);
      node.SerializeWithCachedSizes(&node_coded);
    }
    const std::size_t split = ir::offset_after_field(bytes_, kNodeAttributeField);
    coded.WriteRaw(bytes_.data(), static_cast<int>(split));
    coded.WriteRaw(stamps_.data(), static_cast<int>(stamps_.size()));
    coded.WriteRaw(bytes_.data() + split, static_cast<int>(size - split));
  }

  void write_chain(google::protobuf::io::CodedOutputStream& coded, bool tx, std::size_t k) {
    gates_->spell_chain(tx, k, [&](const GateSpelling& gate) {
      const std::size_t size = gate_node_size(gate);
      coded.WriteTag(kNodeTag);
      coded.WriteVarint32(static_cast<std::uint32_t>(size));
      // Straight into the stream's buffer, unless the gate straddles two of them.
      if (auto* at = coded.GetDirectBufferForNBytesAndAdvance(static_cast<int>(size))) {
        encode_gate_node(gate, reinterpret_cast<char*>(at));
        return;
      }
      bytes_.clear();
      encode_gate_node(gate, bytes_);
      coded.WriteRaw(bytes_.data(), static_cast<int>(bytes_.size()));
    });
  }

  onnx::GraphProto& graph_;
  const BodyIndex* gates_;
  const VerbatimNodes* verbatim_;
  std::string rest_;
  std::string bytes_;
  std::string stamps_;
};

// The `functions` fields.
std::string serialize_functions(const onnx::ModelProto& model) {
  std::string out;
  for (const auto& function : model.functions())
    append_field(kModelFunctionsField, function, function.ByteSizeLong(), out);
  return out;
}

}  // namespace

void append_field(int field, const google::protobuf::MessageLite& message, std::size_t size, std::string& out) {
  const std::size_t start = out.size();
  out.resize(start + ir::kMaxTagAndLengthBytes + size);
  google::protobuf::io::ArrayOutputStream array(out.data() + start, static_cast<int>(out.size() - start));
  google::protobuf::io::CodedOutputStream coded(&array);
  coded.SetSerializationDeterministic(true);
  coded.WriteTag(ir::make_tag(field, ir::WireType::kLengthDelimited));
  coded.WriteVarint64(size);
  message.SerializeWithCachedSizes(&coded);
  out.resize(start + static_cast<std::size_t>(coded.ByteCount()));
}

void settle_digest(PassContext& context) {
  if (context.analyses.cached<PendingDigest>() == nullptr) return;
  ir::set_metadata(context.model, ir::kPassportDigest, ir::graph_digest(context.model));
  context.analyses.erase<PendingDigest>();
}

// The thread that writes a large file output's full buffers: the caller hands one buffer
// and fills the other while the thread works (write(2) was a tenth of a million-node
// compile: docs/performance.md, "Round 10"). One buffer at a time, in order. The caller
// hashes a buffer before handing it: copying 4 MiB into the page cache takes the thread
// longer than serializing it takes the caller, so the hash rides on the shorter side
// ("Round 14").
class OutputStream::Drain {
 public:
  explicit Drain(ir::AtomicWriter& file) : file_(file), thread_([this] { run(); }) {}
  Drain(const Drain&) = delete;
  Drain& operator=(const Drain&) = delete;
  ~Drain() {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  // Waits for the buffer handed before, then hands `bytes` (untouched by the caller until
  // the next hand or wait). The first error of the thread's so far, if any.
  std::optional<ir::IoError> hand(std::string_view bytes) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !job_; });
    if (error_) return error_;
    job_ = bytes;
    lock.unlock();
    changed_.notify_all();
    return std::nullopt;
  }

  // Waits until the thread holds no buffer; its first error, if any.
  std::optional<ir::IoError> wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !job_; });
    return error_;
  }

 private:
  void run() {
    for (;;) {
      std::string_view bytes;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return job_.has_value() || stop_; });
        if (!job_) return;
        bytes = *job_;
      }
      auto written = file_.write(bytes);
      {
        const std::lock_guard lock(mutex_);
        if (!written && !error_) error_ = written.error();
        job_.reset();
      }
      changed_.notify_all();
    }
  }

  ir::AtomicWriter& file_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<std::string_view> job_;  // the buffer the thread holds
  std::optional<ir::IoError> error_;
  bool stop_ = false;
  std::thread thread_;  // last: started once the rest exists
};

// The buffer is not initialised: a small model's output touches a page or two of it,
// where zero-filling it faulted in all 1,024 pages first (6-15 us each on some VMs).
OutputStream::OutputStream(std::filesystem::path path)
    : path_(std::move(path)), buffer_(std::make_unique_for_overwrite<char[]>(kStreamBuffer)) {}

OutputStream::OutputStream(std::string& bytes)
    : bytes_(&bytes), buffer_(std::make_unique_for_overwrite<char[]>(kStreamBuffer)) {}

OutputStream::~OutputStream() = default;

bool OutputStream::Next(void** data, int* size) {
  if (used_ == kStreamBuffer && !flush()) return false;
  *data = buffer_.get() + used_;
  *size = static_cast<int>(kStreamBuffer - used_);
  used_ = kStreamBuffer;
  return true;
}

void OutputStream::BackUp(int count) { used_ -= static_cast<std::size_t>(count); }

void OutputStream::expect(std::uint64_t bytes) {
  if (bytes_ != nullptr) bytes_->reserve(static_cast<std::size_t>(bytes));
}

void OutputStream::append(std::string_view bytes) {
  while (!bytes.empty()) {
    if (used_ == kStreamBuffer && !flush()) return;
    const std::size_t take = std::min(bytes.size(), kStreamBuffer - used_);
    std::copy_n(bytes.data(), take, buffer_.get() + used_);
    used_ += take;
    bytes.remove_prefix(take);
  }
}

void OutputStream::set_hashing(bool on) {
  (void)flush();  // an error stays in error_
  hashing_ = on;
}

Expected<void, ir::IoError> OutputStream::flush() {
  if (error_) return unexpected(*error_);
  const std::string_view bytes(buffer_.get(), used_);
  const bool full = used_ == kStreamBuffer;
  flushed_ += used_;
  used_ = 0;
  if (hashing_) hasher_.update(bytes);  // here, not on the thread: see Drain
  if (bytes_ != nullptr) {
    bytes_->append(bytes);
    return {};
  }
  if (!writer_) {
    auto created = ir::AtomicWriter::create(*path_);
    if (!created) {
      error_ = created.error();
      return unexpected(*error_);
    }
    writer_ = std::move(*created);
  }
  if (!drain_ && full) {  // more than a buffer: worth a thread
    spare_ = std::make_unique_for_overwrite<char[]>(kStreamBuffer);
    drain_ = std::make_unique<Drain>(*writer_);
  }
  if (drain_) {
    if (auto failed = drain_->hand(bytes)) {
      error_ = std::move(failed);
      return unexpected(*error_);
    }
    std::swap(buffer_, spare_);
    return {};
  }
  if (auto written = writer_->write(bytes); !written) {
    error_ = written.error();
    return written;
  }
  return {};
}

Expected<void, ir::IoError> OutputStream::commit() {
  if (auto flushed = flush(); !flushed) return flushed;
  if (drain_) {
    if (auto failed = drain_->wait()) {
      error_ = std::move(failed);
      return unexpected(*error_);
    }
  }
  if (!writer_) return {};  // a string: nothing to commit
  if (auto committed = writer_->commit(); !committed) {
    error_ = committed.error();
    return committed;
  }
  return {};
}

Expected<void, std::uint64_t> write_model(onnx::ModelProto& model, OutputStream& out, std::uint64_t max_bytes,
                                          bool pending, WireIndex* gates, const VerbatimNodes* verbatim) {
  const std::uint64_t digest_bytes = pending ? kDigestHexSize : 0;  // the passport holds it empty until then
  if (gates != nullptr) gates->settle_renames();  // (the PassManager leaves none waiting)
  if (gates != nullptr && gates->recorded() && (!model.unknown_fields().empty() || !model.has_graph()))
    gates->materialise();  // (a model with unknown fields is written whole, below; load_verbatim refuses one)
  std::optional<GraphWithGates> spliced;
  const bool recorded = gates != nullptr && gates->recorded();
  if (recorded || verbatim != nullptr)
    spliced.emplace(*model.mutable_graph(), recorded ? &gates->body(0) : nullptr, verbatim);
  if (!model.unknown_fields().empty()) {
    // Unknown fields are serialized last, behind the functions (rare): the digest from a
    // serialization of its own, then the whole model.
    const std::uint64_t size = model.ByteSizeLong() + digest_bytes;
    if (size > max_bytes) return unexpected(size);
    out.expect(size);
    if (pending) ir::set_metadata(model, ir::kPassportDigest, ir::graph_digest(model));
    out.append(ir::serialize_deterministic(model));
    return {};
  }
  const std::string functions = serialize_functions(model);
  std::string rest = serialize_rest(model);
  const std::uint64_t graph_size = spliced ? spliced->size() : model.has_graph() ? model.graph().ByteSizeLong() : 0;
  const std::uint64_t graph_field =
      model.has_graph() ? 1 + google::protobuf::io::CodedOutputStream::VarintSize64(graph_size) + graph_size : 0;
  const std::uint64_t size = rest.size() + graph_field + functions.size() + digest_bytes;
  if (size > max_bytes) return unexpected(size);
  out.expect(size);
  out.append(std::string_view(rest).substr(0, offset_after_field(rest, kModelGraphField)));
  out.set_hashing(pending);
  if (model.has_graph()) {
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    coded.WriteTag(ir::make_tag(kModelGraphField, ir::WireType::kLengthDelimited));
    coded.WriteVarint64(graph_size);
    if (spliced) {
      spliced->write(coded);
    } else {
      model.graph().SerializeWithCachedSizes(&coded);
    }
  }  // the CodedOutputStream hands back what it did not use
  if (pending) {
    out.set_hashing(false);
    out.hasher().update(functions);
    ir::set_metadata(model, ir::kPassportDigest, out.hasher().finish_hex());
    rest = serialize_rest(model);
  }
  out.append(std::string_view(rest).substr(offset_after_field(rest, kModelGraphField)));
  out.append(functions);
  return {};
}

PassStatus output_too_large(DiagnosticEngine& diags, std::uint64_t size, std::uint64_t limit) {
  diags.report(kBB021, "the compiled model would be " + std::to_string(size) + " bytes, over the limit of " +
                           std::to_string(limit) + " (raise it with " + std::string(kFlagMaxOutputBytes) + ")");
  return PassStatus::input_errors();
}

}  // namespace bb::compiler
