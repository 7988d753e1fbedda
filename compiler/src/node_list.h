// Rebuilding a node list in one linear step: inserting into the middle of a
// RepeatedPtrField one node at a time is quadratic.
#pragma once

#include <vector>

#include <onnx/onnx_pb.h>

#include "body.h"

namespace bb::compiler {

struct Insertion {
  int position;           // index in the current list
  bool after;             // after (true) or before (false) that node
  onnx::NodeProto* node;  // on the list's arena (or the heap without one); the list takes it
};

// Inserts every planned node (stable for equal positions); takes ownership.
void rebuild_node_list(NodeList& nodes, std::vector<Insertion>& plan);

// Reorders the list: `order` is a permutation of the current indices.
void reorder_node_list(NodeList& nodes, const std::vector<int>& order);

}  // namespace bb::compiler
