// The table of bb ops (docs/spec.md, docs/ops.md): arity, attributes and documentation of every op
// in the wire and syscall domains. The compiler validates against it (BB008), the
// runtime's registry must describe the same ops (a test keeps them equal), and
// docs/ops.md is checked against it.
#pragma once

#include <span>
#include <string_view>

#include <onnx/onnx_pb.h>

namespace bb::ir {

inline constexpr int kVariadic = -1;

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
};

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
};

std::span<const OpSpec> bb_op_table();
const OpSpec* find_bb_op(std::string_view domain, std::string_view op_type);
const AttrSpec* find_attr_spec(const OpSpec& op, std::string_view name);

}  // namespace bb::ir
