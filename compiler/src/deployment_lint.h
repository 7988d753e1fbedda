// `bbc lint` across programs: the Sends and Recvs of several graphs (given together, or
// named by a deployment file) checked against each other — a Send on a channel no
// receiver listens on, a Recv nobody sends to, a Send to a peer outside the deployment,
// payload counts that differ between files (docs/lint.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "bb/compiler/diagnostics.h"
#include "bb/ir/expected.h"

namespace bb::compiler {

// One Send or Recv of a program, with where it is.
struct WireUse {
  std::string channel;
  std::optional<std::string> peer;  // a Send's static destination (text form); none when dynamic
  int payloads = 0;
  std::optional<std::string> node;
  std::string op_type;
  int index = 0;
  int scope = 0;
};

struct ProgramWire {
  std::string file;
  std::vector<std::string> peers;  // the deployment's peers that run it (text form)
  std::vector<WireUse> sends, recvs;
};

// The wire ops of every graph of `model`.
ProgramWire collect_wire(const onnx::ModelProto& model, const std::string& file);

// A deployment file's nodes: (peer in text form, graph path resolved against the file's folder).
struct DeploymentEntry {
  std::string peer;
  std::string graph;
};
Expected<std::vector<DeploymentEntry>, std::string> read_deployment(const std::string& path);

// The findings across `programs`; `deployment`: the peers are known (a Send to another
// peer is BB034, and a static Send's channel is checked against its destination's graph).
std::vector<Finding> check_across(const std::vector<ProgramWire>& programs, bool deployment);

}  // namespace bb::compiler
