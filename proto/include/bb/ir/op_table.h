// The table of bb ops (docs/spec.md, docs/ops.md): arity, attributes and documentation of every op
// in the wire and syscall domains. The compiler validates against it (BB008), the
// runtime's registry must describe the same ops (a test keeps them equal), and
// docs/ops.md is checked against it.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <onnx/onnx_pb.h>

namespace bb::ir {

inline constexpr int kVariadic = -1;
inline constexpr std::int64_t kNoMin = std::numeric_limits<std::int64_t>::min();
inline constexpr std::int64_t kNoMax = std::numeric_limits<std::int64_t>::max();

enum class OpKind {
  kGate,     // variadic pass-through that forwards all inputs or denies
  kSource,   // starts executions (Pulse, Interval, After, Recv)
  kCompute,  // computes outputs from inputs
  kEffect,   // acts on the world (Log, IncrMetric, Send)
};
std::string_view to_string(OpKind kind);

struct AttrSpec {
  std::string_view name;
  onnx::AttributeProto::AttributeType type;
  bool required = false;
  // Attributes sharing a non-zero group are alternatives: exactly one must be present.
  int one_of = 0;
  std::string_view doc;
  // What a present value must be. Declared here once: bbc checks it (BB008) and bbrun's
  // loader and kernels read it, so compile, lint and load refuse the same values.
  std::int64_t min = kNoMin;  // INT: the smallest value
  std::int64_t max = kNoMax;  // INT: the largest value
  std::span<const std::string_view> choices = {};  // STRING: the allowed values (empty: any)
  bool non_empty = false;                           // STRING: "" is refused
};

// A rule between attributes of one node (Aggregate's quorum and count): "" when the
// node keeps it, else a sentence saying what is wrong.
using AttrRule = std::string (*)(const onnx::NodeProto& node);

struct OpSpec {
  std::string_view domain;
  std::string_view op_type;
  OpKind kind;
  int min_inputs;
  int max_inputs;  // kVariadic: no upper bound
  int min_outputs;
  int max_outputs;  // kVariadic: no upper bound
  bool outputs_match_inputs;  // gates: output j forwards input j
  std::span<const AttrSpec> attributes;
  std::string_view summary;
  std::string_view inputs;
  std::string_view outputs;
  std::string_view deny_reasons;  // comma-separated stable labels; empty if it never denies
  AttrRule rule = nullptr;        // a rule between its attributes, or none
};

std::span<const OpSpec> bb_op_table();
const OpSpec* find_bb_op(std::string_view domain, std::string_view op_type);
const AttrSpec* find_attr_spec(const OpSpec& op, std::string_view name);

// The constraint of an attribute in words ("at least 1", "one of trace, debug, …",
// "not empty"), or "" when any value of its type is allowed.
std::string describe_constraint(const AttrSpec& spec);

// "" when `attr` (of spec's type) keeps the declaration, else why not, e.g.
// "'period_ns' = 0 is out of range: it must be at least 1".
std::string check_attribute_value(const AttrSpec& spec, const onnx::AttributeProto& attr);

// One way a node breaks its op's attribute declarations.
struct AttrProblem {
  enum class Kind {
    kUnknown,  // an attribute the op does not declare
    kMissing,  // a required attribute is absent
    kType,     // an attribute of another type
    kValue,    // out of range, not one of the choices, or empty
    kOneOf,    // not exactly one attribute of a one-of group
    kRule,     // a rule between attributes
  };
  Kind kind;
  std::string attribute;  // the attribute's name ("" for kOneOf and kRule)
  std::string message;    // a sentence naming the op, the attribute and the value
  std::string hint;       // what to write instead
};

// Every way `node`'s attributes break `op`'s declarations: the declared attributes in
// order, the one-of groups, the attributes it does not declare, then its rule. bbc reports them as BB008; bbrun's loader
// refuses a node with any.
std::vector<AttrProblem> check_node_attributes(const OpSpec& op, const onnx::NodeProto& node);

}  // namespace bb::ir
