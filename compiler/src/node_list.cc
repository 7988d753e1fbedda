#include "node_list.h"

#include <algorithm>

namespace bb::compiler {
namespace {

// The list's pointer array (the list must not be empty).
onnx::NodeProto** pointers(NodeList& nodes) { return &*nodes.pointer_begin(); }

}  // namespace

// Both rewrite the list's pointer array in place: no node is copied or moved, which
// keeps every NodeProto* valid and works the same for a model on the heap and on an
// arena (ExtractSubrange would copy every node of an arena-owned list).
void rebuild_node_list(NodeList& nodes, std::vector<Insertion>& plan) {
  if (plan.empty()) return;
  std::stable_sort(plan.begin(), plan.end(), [](const Insertion& a, const Insertion& b) {
    return a.position != b.position ? a.position < b.position : (!a.after && b.after);
  });
  const int n = nodes.size();
  nodes.Reserve(n + static_cast<int>(plan.size()));
  for (const auto& insertion : plan) nodes.UnsafeArenaAddAllocated(insertion.node);
  // Merge from the back: slot w is always at or after the old node it receives.
  onnx::NodeProto** p = pointers(nodes);
  int w = nodes.size() - 1;
  int k = static_cast<int>(plan.size()) - 1;
  while (k >= 0 && plan[static_cast<std::size_t>(k)].position >= n) p[w--] = plan[static_cast<std::size_t>(k--)].node;
  for (int i = n - 1; i >= 0 && w > i; --i) {
    while (k >= 0 && plan[static_cast<std::size_t>(k)].position == i && plan[static_cast<std::size_t>(k)].after)
      p[w--] = plan[static_cast<std::size_t>(k--)].node;
    p[w--] = p[i];
    while (k >= 0 && plan[static_cast<std::size_t>(k)].position == i && !plan[static_cast<std::size_t>(k)].after)
      p[w--] = plan[static_cast<std::size_t>(k--)].node;
  }
}

void reorder_node_list(NodeList& nodes, const std::vector<int>& order) {
  if (nodes.empty()) return;
  onnx::NodeProto** p = pointers(nodes);
  const std::vector<onnx::NodeProto*> old(p, p + nodes.size());
  for (std::size_t k = 0; k < order.size(); ++k) p[k] = old[static_cast<std::size_t>(order[k])];
}

}  // namespace bb::compiler
