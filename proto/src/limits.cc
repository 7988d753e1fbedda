#include "bb/ir/limits.h"

#include <vector>

namespace bb::ir {
namespace {

using Kind = LimitError::Kind;

// The bytes of a tensor's data, whichever field holds it (sizes only: no copy).
std::uint64_t tensor_bytes(const onnx::TensorProto& t) {
  std::uint64_t bytes = t.raw_data().size();
  bytes += 4 * static_cast<std::uint64_t>(t.float_data_size() + t.int32_data_size());
  bytes += 8 * static_cast<std::uint64_t>(t.int64_data_size() + t.double_data_size() + t.uint64_data_size());
  for (const auto& s : t.string_data()) bytes += s.size();
  return bytes;
}

// The data of one attribute value; subgraphs are walked as graphs instead.
std::uint64_t attribute_bytes(const onnx::AttributeProto& a) {
  std::uint64_t bytes = a.s().size();
  for (const auto& s : a.strings()) bytes += s.size();
  bytes += 4 * static_cast<std::uint64_t>(a.floats_size()) + 8 * static_cast<std::uint64_t>(a.ints_size());
  if (a.has_t()) bytes += tensor_bytes(a.t());
  for (const auto& t : a.tensors()) bytes += tensor_bytes(t);
  if (a.has_sparse_tensor()) bytes += tensor_bytes(a.sparse_tensor().values()) + tensor_bytes(a.sparse_tensor().indices());
  for (const auto& s : a.sparse_tensors()) bytes += tensor_bytes(s.values()) + tensor_bytes(s.indices());
  return bytes;
}

// An attribute the walk looks into further: tensors (their dims) and subgraphs.
bool has_nested(const onnx::AttributeProto& a) {
  return a.has_t() || a.tensors_size() > 0 || a.has_sparse_tensor() || a.sparse_tensors_size() > 0 || a.has_g() ||
         a.graphs_size() > 0;
}

std::string node_label(const onnx::NodeProto& node, int index) {
  std::string out = "node ";
  if (!node.name().empty()) out += "'" + node.name() + "' ";
  return out + "(" + node.op_type() + " #" + std::to_string(index) + ")";
}

class Walker {
 public:
  explicit Walker(const ModelLimits& limits) : limits_(limits) {}

  Expected<void, LimitError> model(const onnx::ModelProto& m, bool main_nodes_checked) {
    pending_.push_back({&m.graph(), "", main_nodes_checked});
    for (const auto& f : m.functions()) {
      const std::string scope = "function '" + f.domain() + "." + f.name() + "' ";
      if (auto r = nodes(f.node(), scope, false); !r) return r;
    }
    while (!pending_.empty()) {
      const Pending next = std::move(pending_.back());
      pending_.pop_back();
      if (auto r = graph(*next.graph, next.scope, next.nodes_checked); !r) return r;
    }
    return {};
  }

 private:
  struct Pending {
    const onnx::GraphProto* graph;
    std::string scope;  // "" for the main graph; "node 'if' (If #3) attribute 'then_branch' " for a subgraph
    bool nodes_checked = false;  // each node passed node_within_limits: only their count is left
  };

  static Unexpected<LimitError> fail(Kind kind, std::string where, std::uint64_t value, std::uint64_t limit) {
    return unexpected(LimitError{kind, std::move(where), value, limit});
  }

  Expected<void, LimitError> graph(const onnx::GraphProto& g, const std::string& scope, bool nodes_checked) {
    for (const auto& init : g.initializer()) {
      const std::string where = scope + "initializer '" + init.name() + "'";
      if (auto r = tensor(init, where); !r) return r;
      if (const auto bytes = tensor_bytes(init); bytes > limits_.max_attribute_bytes)
        return fail(Kind::kAttributeTooLarge, where, bytes, limits_.max_attribute_bytes);
    }
    for (const auto& init : g.sparse_initializer()) {
      const std::string where = scope + "sparse initializer '" + init.values().name() + "'";
      if (auto r = sparse(init, where); !r) return r;
      if (const auto bytes = tensor_bytes(init.values()) + tensor_bytes(init.indices());
          bytes > limits_.max_attribute_bytes)
        return fail(Kind::kAttributeTooLarge, where, bytes, limits_.max_attribute_bytes);
    }
    return nodes(g.node(), scope, nodes_checked);
  }

  Expected<void, LimitError> nodes(const google::protobuf::RepeatedPtrField<onnx::NodeProto>& list,
                                   const std::string& scope, bool checked) {
    // The count first: a model far over the limit is refused before its attributes are read.
    const auto n = static_cast<std::uint64_t>(list.size());
    if (n > limits_.max_nodes - std::min(count_, limits_.max_nodes)) {
      const auto index = static_cast<int>(limits_.max_nodes - count_);
      return fail(Kind::kTooManyNodes, scope + node_label(list.Get(index), index), count_ + n, limits_.max_nodes);
    }
    count_ += n;
    if (checked) return {};  // the loop below would find nothing and queue no subgraph
    for (int i = 0; i < list.size(); ++i) {
      const onnx::NodeProto& node = list.Get(i);
      for (const auto& a : node.attribute()) {
        // The label only when needed: building it for every attribute cost more than the
        // walk itself (bbrun start-up, bbc).
        const auto label = [&] { return scope + node_label(node, i) + " attribute '" + a.name() + "'"; };
        if (const auto bytes = attribute_bytes(a); bytes > limits_.max_attribute_bytes)
          return fail(Kind::kAttributeTooLarge, label(), bytes, limits_.max_attribute_bytes);
        if (!has_nested(a)) continue;
        const std::string where = label();
        if (a.has_t()) {
          if (auto r = tensor(a.t(), where); !r) return r;
        }
        for (const auto& t : a.tensors())
          if (auto r = tensor(t, where); !r) return r;
        if (a.has_sparse_tensor()) {
          if (auto r = sparse(a.sparse_tensor(), where); !r) return r;
        }
        for (const auto& s : a.sparse_tensors())
          if (auto r = sparse(s, where); !r) return r;
        if (a.has_g()) pending_.push_back({&a.g(), where + ": "});
        for (const auto& g : a.graphs()) pending_.push_back({&g, where + ": "});
      }
    }
    return {};
  }

  // The product of `dims` within max_tensor_elements, without overflow.
  Expected<void, LimitError> dims(const google::protobuf::RepeatedField<std::int64_t>& ds, const std::string& where) {
    std::uint64_t count = 1;
    for (int i = 0; i < ds.size(); ++i) {
      if (ds.Get(i) < 0) return fail(Kind::kNegativeDim, where, static_cast<std::uint64_t>(i), 0);
    }
    for (const std::int64_t d : ds) {
      const auto u = static_cast<std::uint64_t>(d);
      if (u == 0) return {};  // no elements, whatever the other dims say
      if (count > limits_.max_tensor_elements / u) {
        // Report the product when it fits in 64 bits, else the limit + 1 stands for "more".
        std::uint64_t product = 1;
        bool fits = true;
        for (const std::int64_t e : ds) {
          const auto v = static_cast<std::uint64_t>(e);
          if (v != 0 && product > UINT64_MAX / v) {
            fits = false;
            break;
          }
          product *= v;
        }
        return fail(Kind::kTooManyElements, where, fits ? product : UINT64_MAX, limits_.max_tensor_elements);
      }
      count *= u;
    }
    return {};
  }

  Expected<void, LimitError> tensor(const onnx::TensorProto& t, const std::string& where) { return dims(t.dims(), where); }

  Expected<void, LimitError> sparse(const onnx::SparseTensorProto& s, const std::string& where) {
    if (auto r = dims(s.dims(), where); !r) return r;
    if (auto r = tensor(s.values(), where); !r) return r;
    return tensor(s.indices(), where);
  }

  const ModelLimits& limits_;
  std::uint64_t count_ = 0;
  std::vector<Pending> pending_;
};

}  // namespace

std::string_view to_string(LimitError::Kind kind) {
  switch (kind) {
    case Kind::kTooManyNodes: return "too_many_nodes";
    case Kind::kAttributeTooLarge: return "attribute_too_large";
    case Kind::kTooManyElements: return "too_many_elements";
    case Kind::kNegativeDim: return "negative_dim";
  }
  return "unknown";
}

std::string describe(const LimitError& e) {
  const std::string over = ", over the limit of " + std::to_string(e.limit);
  switch (e.kind) {
    case Kind::kTooManyNodes:
      return e.where + ": the model has at least " + std::to_string(e.value) +
             " nodes (graph, subgraphs and functions)" + over + " (raise it with " + std::string(kFlagMaxNodes) + ")";
    case Kind::kAttributeTooLarge:
      return e.where + ": " + std::to_string(e.value) + " bytes of data" + over + " (raise it with " +
             std::string(kFlagMaxAttributeBytes) + ")";
    case Kind::kTooManyElements:
      return e.where + ": tensor declares " +
             (e.value == UINT64_MAX ? std::string("more than 2^64") : std::to_string(e.value)) + " elements" + over +
             " (raise it with " + std::string(kFlagMaxTensorElements) + ")";
    case Kind::kNegativeDim:
      return e.where + ": tensor dim " + std::to_string(e.value) + " is negative (dims are sizes: 0 or more)";
  }
  return e.where;
}

Expected<void, LimitError> check_model_limits(const onnx::ModelProto& model, const ModelLimits& limits,
                                              bool main_nodes_checked) {
  return Walker(limits).model(model, main_nodes_checked);
}

bool node_within_limits(const onnx::NodeProto& node, const ModelLimits& limits) {
  for (const auto& a : node.attribute())
    if (has_nested(a) || attribute_bytes(a) > limits.max_attribute_bytes) return false;
  return true;
}

}  // namespace bb::ir
