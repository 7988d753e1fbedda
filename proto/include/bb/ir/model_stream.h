// A binary model parsed by protobuf a field at a time, the graph's nodes a batch at a
// time, so that a loader does its work on each node while the node is still in the
// cache (bbrun start-up: docs/performance.md, "Round 5"). The model is the one
// parse_model gives for the same bytes; the digest is file_graph_digest's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <google/protobuf/arena.h>
#include <onnx/onnx_pb.h>

#include "bb/ir/model_io.h"

namespace bb::ir {

// What the loader does while the model is parsed.
class NodeSink {
 public:
  virtual ~NodeSink() = default;
  // Every field of the model but the graph's nodes is parsed; the graph will have
  // `node_count` nodes.
  virtual void begin(const onnx::ModelProto& model, int node_count) = 0;
  // Nodes [first, first + count) of model.graph() are parsed.
  virtual void nodes(int first, int count) = 0;
};

struct StreamOptions {
  // From this many nodes, when the process may run on two CPUs or more, a thread of the
  // parse's own hashes the digest's bytes and then parses batches ahead of the sink,
  // beside the caller, who parses any batch the thread has not reached; otherwise
  // everything runs on the caller's thread. The model, the digest and the sink's calls
  // are the same either way, and the thread is joined before parse_model_streamed
  // returns.
  int thread_min_nodes = 2048;
};

struct StreamedModel {
  onnx::ModelProto* model = nullptr;  // on the arena
  std::string digest;                 // file_graph_digest of the bytes (empty if memory ran out)
};

// nullopt when the bytes are not laid out as this expects (a well-formed message with one
// graph field, its nodes at most `max_nodes` length-delimited entries) or a part of them
// does not parse. The caller then parses them whole with parse_model, which says what is
// wrong; whatever the sink built and the arena holds is to be dropped.
std::optional<StreamedModel> parse_model_streamed(std::string_view bytes, google::protobuf::Arena& arena,
                                                  const LoadLimits& limits, std::uint64_t max_nodes, NodeSink& sink,
                                                  const StreamOptions& options = {});

// A binary model's fields parsed, but for its graph's nodes, which stay bytes: for a
// loader that parses only the nodes it needs (bbc compile's verbatim nodes, docs/
// compiler.md). nullopt as for parse_model_streamed.
struct ModelWithoutNodes {
  onnx::ModelProto* model = nullptr;  // on the arena; its graph holds no node
  std::string_view graph_body;        // the graph message's fields, in `bytes`
  // Each node's entry in graph_body: its tag, length and bytes.
  std::vector<std::uint32_t> node_begin, node_end;
};
std::optional<ModelWithoutNodes> parse_model_without_nodes(std::string_view bytes, google::protobuf::Arena& arena,
                                                           const LoadLimits& limits, std::uint64_t max_nodes);

}  // namespace bb::ir
