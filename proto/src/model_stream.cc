#include "bb/ir/model_stream.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <new>
#include <stop_token>
#include <thread>
#include <vector>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/cpus.h"
#include "bb/ir/passport.h"
#include "bb/ir/sha256.h"
#include "bb/ir/wire_format.h"

namespace bb::ir {
namespace {


// Nodes parsed per batch: a few dozen nodes, their strings and attributes stay within
// the caches until the sink has read them.
constexpr int kBatch = 32;

// Merges the fields in `bytes` into `message`, as parsing the whole model does when it
// reaches them. `recursion_limit` is the model's less how far below the model the
// message is.
bool merge(std::string_view bytes, google::protobuf::MessageLite& message, int recursion_limit) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetRecursionLimit(recursion_limit);
  return message.MergePartialFromCodedStream(&in) && in.ConsumedEntireMessage();
}

// The graph's body: where each node entry is (tag to end), and the runs of other fields.
struct GraphFields {
  std::vector<std::uint32_t> node_begin, node_end;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> others;
};

std::optional<GraphFields> graph_fields(std::string_view body) {
  GraphFields f;
  // Room for a node per 16 bytes (entries are longer), up to 4M nodes: reserved, not
  // touched, so the vectors do not copy themselves while growing through a large graph.
  const std::size_t room = std::min(body.size() / 16, std::size_t{1} << 22);
  f.node_begin.reserve(room);
  f.node_end.reserve(room);
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(body.data()),
                                            static_cast<int>(body.size()));
  for (;;) {
    const auto start = static_cast<std::uint32_t>(in.CurrentPosition());
    const std::uint32_t tag = in.ReadTag();
    if (tag == 0) {
      if (!in.ConsumedEntireMessage()) return std::nullopt;
      return f;
    }
    if (tag_field(tag) == kGraphNodeField) {
      if (tag_type(tag) != WireType::kLengthDelimited || !skip_field(in, tag)) return std::nullopt;
      f.node_begin.push_back(start);
      f.node_end.push_back(static_cast<std::uint32_t>(in.CurrentPosition()));
      continue;
    }
    if (!skip_field(in, tag)) return std::nullopt;
    const auto end = static_cast<std::uint32_t>(in.CurrentPosition());
    if (!f.others.empty() && f.others.back().second == start)
      f.others.back().second = end;
    else
      f.others.emplace_back(start, end);
  }
}

// The graph's nodes parsed into messages on the arena, a batch at a time, and the bytes
// of the digest hashed. With a thread of its own (a graph large enough to pay for one),
// that thread hashes the bytes and then parses batches ahead of the caller, who takes
// each batch in order and parses the next one itself when the thread has not claimed
// it: neither waits for the other but on a batch the other is parsing. The caller adds
// the parsed nodes to the graph in order.
class NodeParser {
 public:
  NodeParser(const ModelLayout& layout, const GraphFields& fields, google::protobuf::Arena& arena, int depth)
      : layout_(layout), fields_(fields), arena_(arena), depth_(depth),
        parsed_(fields.node_begin.size(), nullptr) {
    const int n = node_count();
    for (int i = 0; i < n;) {
      int j = i + 1;
      while (j < n && j - i < kBatch && fields.node_begin[j] == fields.node_end[j - 1]) ++j;
      batch_end_.push_back(j);
      i = j;
    }
    state_ = std::vector<std::atomic<std::uint32_t>>(batch_end_.size());
  }
  NodeParser(const NodeParser&) = delete;
  NodeParser& operator=(const NodeParser&) = delete;

  int node_count() const { return static_cast<int>(fields_.node_begin.size()); }
  const std::vector<int>& batch_ends() const { return batch_end_; }

  // The thread: the digest's bytes, then every batch nobody has claimed.
  void start_thread() {
    worker_ = std::jthread([this](const std::stop_token& stop) {
      try {
        hash();
      } catch (const std::bad_alloc&) {
        digest_.clear();  // no digest: the loader checks the parsed graph instead
      }
      onnx::GraphProto* scratch = nullptr;
      while (!stop.stop_requested()) {
        const std::size_t b = next_.fetch_add(1, std::memory_order_relaxed);
        if (b >= batch_end_.size()) break;
        try {
          if (scratch == nullptr) scratch = google::protobuf::Arena::CreateMessage<onnx::GraphProto>(&arena_);
          if (!parse_batch(b, *scratch)) break;
        } catch (const std::bad_alloc&) {
          finish(b, false);  // the caller gives up; its whole parse meets the same shortage
          break;
        }
      }
    });
  }

  // Batch `b`'s nodes (from its first), parsed: their messages, or null when one of them
  // does not parse. Called for each batch in order.
  onnx::NodeProto* const* batch(std::size_t b) {
    std::atomic<std::uint32_t>& state = state_[b];
    std::uint32_t now = state.load(std::memory_order_acquire);
    if (now == kPending) {
      std::size_t unclaimed = b;
      if (next_.compare_exchange_strong(unclaimed, b + 1, std::memory_order_relaxed)) {
        if (caller_scratch_ == nullptr) caller_scratch_ = google::protobuf::Arena::CreateMessage<onnx::GraphProto>(&arena_);
        parse_batch(b, *caller_scratch_);
      } else {
        // The thread is parsing it: a few microseconds, unless it was descheduled.
        for (int spins = 0; spins < 4096 && state.load(std::memory_order_acquire) == kPending; ++spins)
          spin_pause();
        if (worker_.joinable())
          while (state.load(std::memory_order_acquire) == kPending) state.wait(kPending, std::memory_order_acquire);
      }
      now = state.load(std::memory_order_acquire);
    }
    return now == kParsed ? parsed_.data() : nullptr;
  }

  // The digest of the graph's bytes and the functions'.
  std::string digest() {
    if (worker_.joinable())
      worker_.join();
    else
      hash();
    return std::move(digest_);
  }

 private:
  static constexpr std::uint32_t kPending = 0, kParsed = 1, kFailed = 2;

  static void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  // Parses batch `b` (claimed by the caller) with `scratch`, an empty graph of the
  // calling thread's; false when a node entry does not parse. The batch's entries are
  // merged into the scratch graph, as the whole parse merges them into the model's
  // graph, and their messages taken out of it (one parse of the batch: a parse context
  // per node cost about 425 instructions more per node).
  bool parse_batch(std::size_t b, onnx::GraphProto& scratch) {
    const int first = b == 0 ? 0 : batch_end_[b - 1], end = batch_end_[b];
    const std::string_view body = layout_.graph.substr(layout_.graph_body);
    const std::uint32_t begin = fields_.node_begin[first], stop = fields_.node_end[end - 1];
    const bool ok = merge(body.substr(begin, stop - begin), scratch, depth_ - 1) && scratch.node_size() == end - first;
    if (ok) scratch.mutable_node()->UnsafeArenaExtractSubrange(0, end - first, parsed_.data() + first);
    finish(b, ok);
    return ok;
  }

  void finish(std::size_t b, bool ok) {
    state_[b].store(ok ? kParsed : kFailed, std::memory_order_release);
    state_[b].notify_one();  // a load and no call when nobody waits
  }

  void hash() {
    Sha256 sha;
    sha.update(layout_.graph);
    for (const std::string_view f : layout_.functions) sha.update(f);
    digest_ = sha.finish_hex();
  }

  const ModelLayout& layout_;
  const GraphFields& fields_;
  google::protobuf::Arena& arena_;  // thread-safe for allocation
  const int depth_;
  std::vector<int> batch_end_;
  std::vector<onnx::NodeProto*> parsed_;
  std::vector<std::atomic<std::uint32_t>> state_;  // per batch: kPending, kParsed, kFailed
  std::atomic<std::size_t> next_{0};                // the first batch nobody has claimed
  onnx::GraphProto* caller_scratch_ = nullptr;      // on the arena (the thread has its own)
  std::string digest_;
  std::jthread worker_;  // last: joined (after a stop request) before the rest goes
};

}  // namespace

namespace {

// Where the graph and its node entries lie in `bytes`, or nullopt when they are not laid
// out as the parse of a part at a time expects (see parse_model_streamed).
struct Located {
  ModelLayout layout;
  GraphFields fields;
  std::string_view body() const { return layout.graph.substr(layout.graph_body); }
};

std::optional<Located> locate(std::string_view bytes, const LoadLimits& limits, std::uint64_t max_nodes) {
  if (limits.max_recursion_depth < 2) return std::nullopt;  // no node parses at that depth: the whole parse says so
  auto layout = model_layout(bytes);  // also refuses over 2 GiB
  if (!layout || layout->graph.empty()) return std::nullopt;
  auto fields = graph_fields(layout->graph.substr(layout->graph_body));
  if (!fields || fields->node_begin.size() > max_nodes || fields->node_begin.size() > INT_MAX) return std::nullopt;
  return Located{std::move(*layout), std::move(*fields)};
}

// The model's fields but the graph's nodes: a merge of each part is what the whole parse
// does when it reaches it.
onnx::ModelProto* parse_all_but_nodes(std::string_view bytes, const Located& at, google::protobuf::Arena& arena,
                                      int depth) {
  auto* model = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  const std::string_view graph_bytes = at.layout.graph;
  const auto graph_at = static_cast<std::size_t>(graph_bytes.data() - bytes.data());
  if (!merge(bytes.substr(0, graph_at), *model, depth) ||
      !merge(bytes.substr(graph_at + graph_bytes.size()), *model, depth))
    return nullptr;
  onnx::GraphProto& graph = *model->mutable_graph();
  const std::string_view body = at.body();
  for (const auto& [begin, end] : at.fields.others)
    if (!merge(body.substr(begin, end - begin), graph, depth - 1)) return nullptr;
  return model;
}

}  // namespace

std::optional<ModelWithoutNodes> parse_model_without_nodes(std::string_view bytes, google::protobuf::Arena& arena,
                                                           const LoadLimits& limits, std::uint64_t max_nodes) {
  auto at = locate(bytes, limits, max_nodes);
  if (!at) return std::nullopt;
  onnx::ModelProto* model = parse_all_but_nodes(bytes, *at, arena, limits.max_recursion_depth);
  if (model == nullptr) return std::nullopt;
  return ModelWithoutNodes{model, at->body(), std::move(at->fields.node_begin), std::move(at->fields.node_end)};
}

std::optional<StreamedModel> parse_model_streamed(std::string_view bytes, google::protobuf::Arena& arena,
                                                  const LoadLimits& limits, std::uint64_t max_nodes, NodeSink& sink,
                                                  const StreamOptions& options) {
  const auto at = locate(bytes, limits, max_nodes);
  if (!at) return std::nullopt;
  NodeParser parser(at->layout, at->fields, arena, limits.max_recursion_depth);
  const int n = parser.node_count();
  if (n >= options.thread_min_nodes && usable_cpus() >= 2) parser.start_thread();

  StreamedModel out;
  out.model = parse_all_but_nodes(bytes, *at, arena, limits.max_recursion_depth);
  if (out.model == nullptr) return std::nullopt;
  auto& nodes = *out.model->mutable_graph()->mutable_node();
  nodes.Reserve(n);
  sink.begin(*out.model, n);

  // Batches of adjacent entries, in order: the sink reads each batch's nodes.
  int first = 0;
  for (std::size_t b = 0; b < parser.batch_ends().size(); ++b) {
    onnx::NodeProto* const* parsed = parser.batch(b);
    if (parsed == nullptr) return std::nullopt;
    const int end = parser.batch_ends()[b];
    for (int k = first; k < end; ++k) nodes.UnsafeArenaAddAllocated(parsed[k]);
    sink.nodes(first, end - first);
    first = end;
  }
  out.digest = parser.digest();
  return out;
}

}  // namespace bb::ir
