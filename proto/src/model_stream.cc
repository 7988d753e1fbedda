#include "bb/ir/model_stream.h"

#include <climits>
#include <vector>

#include <google/protobuf/io/coded_stream.h>

#include "bb/ir/passport.h"
#include "bb/ir/sha256.h"
#include "bb/ir/wire_format.h"

namespace bb::ir {
namespace {

constexpr int kGraphNodeField = 1;  // onnx.GraphProto.node (repeated)

// Nodes parsed per batch: a few dozen nodes, their strings and attributes stay within
// the L1/L2 caches until the sink has read them.
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

}  // namespace

std::optional<StreamedModel> parse_model_streamed(std::string_view bytes, google::protobuf::Arena& arena,
                                                  const LoadLimits& limits, std::uint64_t max_nodes, NodeSink& sink) {
  const int depth = limits.max_recursion_depth;
  if (depth < 1) return std::nullopt;
  const auto layout = model_layout(bytes);  // also refuses over 2 GiB
  if (!layout || layout->graph.empty()) return std::nullopt;
  const std::string_view graph_bytes = layout->graph;
  const std::string_view body = graph_bytes.substr(layout->graph_body);
  auto fields = graph_fields(body);
  if (!fields || fields->node_begin.size() > max_nodes || fields->node_begin.size() > INT_MAX) return std::nullopt;
  const auto n = static_cast<int>(fields->node_begin.size());

  // The model's other fields, then the graph's: a merge of each part is what the whole
  // parse does when it reaches it.
  StreamedModel out;
  out.model = google::protobuf::Arena::CreateMessage<onnx::ModelProto>(&arena);
  const auto graph_at = static_cast<std::size_t>(graph_bytes.data() - bytes.data());
  if (!merge(bytes.substr(0, graph_at), *out.model, depth) ||
      !merge(bytes.substr(graph_at + graph_bytes.size()), *out.model, depth))
    return std::nullopt;
  onnx::GraphProto& graph = *out.model->mutable_graph();
  for (const auto& [begin, end] : fields->others)
    if (!merge(body.substr(begin, end - begin), graph, depth - 1)) return std::nullopt;
  graph.mutable_node()->Reserve(n);
  sink.begin(*out.model, n);

  // Nodes in batches of adjacent entries; the digest hashes each batch's bytes as they
  // go by, and the sink reads the batch's nodes.
  Sha256 sha;
  std::size_t hashed = 0;  // of graph_bytes
  for (int i = 0; i < n;) {
    int j = i + 1;
    while (j < n && j - i < kBatch && fields->node_begin[j] == fields->node_end[j - 1]) ++j;
    const std::uint32_t begin = fields->node_begin[i], end = fields->node_end[j - 1];
    if (!merge(body.substr(begin, end - begin), graph, depth - 1) || graph.node_size() != j) return std::nullopt;
    const std::size_t upto = layout->graph_body + end;
    sha.update(graph_bytes.substr(hashed, upto - hashed));
    hashed = upto;
    sink.nodes(i, j - i);
    i = j;
  }
  sha.update(graph_bytes.substr(hashed));
  for (const std::string_view f : layout->functions) sha.update(f);
  out.digest = sha.finish_hex();
  return out;
}

}  // namespace bb::ir
