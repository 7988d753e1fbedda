// Asking for a node's memory before a sweep reaches it (docs/performance.md, "Round 14").
// A NodeProto on the arena is three cache lines; its name, op type and domain are
// std::strings elsewhere, its inputs, outputs and attributes arrays of pointers
// elsewhere again, and each element another object. Reading a wire op's name and inputs
// is four or five dependent cache misses once a graph's nodes outgrow the caches, and
// the passes after validate sweep the wire ops and readers again and again (the index,
// the gate passes, canonicalize, verify-gates). prefetch_nodes_ahead() asks for a node's
// memory in three stages, each reading only what the stage before brought in, so that
// by a node's turn its strings are near. (Not the writer's walks: their nodes are in
// arena order, which the hardware prefetcher follows; asking there cost more.)
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include <onnx/onnx_pb.h>

#include "body.h"

namespace bb::compiler {

namespace node_prefetch {

// How many nodes apart the stages are: a stage's loads have this many nodes' work to
// arrive in.
inline constexpr std::size_t kStage = 8;
// The elements of a repeated field asked for: a wire op has one to three inputs or
// outputs and an attribute or two.
inline constexpr int kElements = 4;

inline void lines(const void* at, std::size_t bytes) {
  const auto* p = static_cast<const char*>(at);
  for (std::size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off);
}

// Stage 1: the node itself.
inline void node(const onnx::NodeProto& n) { lines(&n, sizeof(onnx::NodeProto)); }

// Stage 2 (the node is in the cache): its strings' objects and its arrays.
inline void fields(const onnx::NodeProto& n) {
  __builtin_prefetch(&n.name());
  __builtin_prefetch(&n.op_type());
  __builtin_prefetch(&n.domain());
  if (n.input_size() > 0) __builtin_prefetch(n.input().data());
  if (n.output_size() > 0) __builtin_prefetch(n.output().data());
  if (n.attribute_size() > 0) __builtin_prefetch(n.attribute().data());
}

// Stage 3 (the arrays are in the cache): the elements, and a long domain's characters.
inline void elements(const onnx::NodeProto& n) {
  for (int j = 0, end = std::min(n.input_size(), kElements); j < end; ++j) __builtin_prefetch(&n.input(j));
  for (int j = 0, end = std::min(n.output_size(), kElements); j < end; ++j) __builtin_prefetch(&n.output(j));
  for (int j = 0, end = std::min(n.attribute_size(), kElements); j < end; ++j) lines(&n.attribute(j), 128);
  __builtin_prefetch(n.domain().data());
}

}  // namespace node_prefetch

// Called at the top of iteration k of a sweep over `count` nodes (node_at(k) the kth:
// a pointer from a list, cheap): asks for the memory of the nodes ahead, in stages.
template <class NodeAt>
void prefetch_nodes_ahead(std::size_t k, std::size_t count, NodeAt&& node_at) {
  using node_prefetch::kStage;
  if (k + 3 * kStage < count) node_prefetch::node(node_at(k + 3 * kStage));
  if (k + 2 * kStage < count) node_prefetch::fields(node_at(k + 2 * kStage));
  if (k + kStage < count) node_prefetch::elements(node_at(k + kStage));
}

// The same over the nodes of `nodes` at `positions` (a wire index's sends or recvs).
inline void prefetch_nodes_ahead(std::size_t k, const std::vector<int>& positions, const NodeList& nodes) {
  prefetch_nodes_ahead(k, positions.size(),
                       [&](std::size_t at) -> const onnx::NodeProto& { return nodes.Get(positions[at]); });
}

}  // namespace bb::compiler
