#include "node_list.h"

#include <algorithm>

namespace bb::compiler {

void rebuild_node_list(NodeList& nodes, std::vector<Insertion>& plan) {
  if (plan.empty()) return;
  std::stable_sort(plan.begin(), plan.end(), [](const Insertion& a, const Insertion& b) {
    return a.position != b.position ? a.position < b.position : (!a.after && b.after);
  });
  const int n = nodes.size();
  std::vector<onnx::NodeProto*> old(static_cast<std::size_t>(n));
  nodes.ExtractSubrange(0, n, old.data());
  nodes.Reserve(n + static_cast<int>(plan.size()));
  std::size_t k = 0;
  for (int i = 0; i < n; ++i) {
    while (k < plan.size() && plan[k].position == i && !plan[k].after) nodes.AddAllocated(plan[k++].node);
    nodes.AddAllocated(old[static_cast<std::size_t>(i)]);
    while (k < plan.size() && plan[k].position == i && plan[k].after) nodes.AddAllocated(plan[k++].node);
  }
  while (k < plan.size()) nodes.AddAllocated(plan[k++].node);  // positions past the end (none expected)
}

void reorder_node_list(NodeList& nodes, const std::vector<int>& order) {
  const int n = nodes.size();
  std::vector<onnx::NodeProto*> old(static_cast<std::size_t>(n));
  nodes.ExtractSubrange(0, n, old.data());
  nodes.Reserve(n);
  for (int i : order) nodes.AddAllocated(old[static_cast<std::size_t>(i)]);
}

}  // namespace bb::compiler
