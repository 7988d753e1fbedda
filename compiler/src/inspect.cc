#include "bb/compiler/inspect.h"

#include <map>
#include <ostream>
#include <sstream>
#include <string>

#include "bb/compiler/diagnostics.h"
#include "bb/ir/escape.h"
#include "bb/ir/names.h"
#include "bb/ir/passport.h"
#include "bb/ir/wire_shape.h"
#include "body.h"
#include "wire_view.h"

namespace bb::compiler {
namespace {

// One line per Send: its gate chain, then where it sends.
void report_sends(const Body& body, std::ostream& out) {
  const WireView view(body);
  for (const auto& node : body.nodes()) {
    if (!ir::is_send(node)) continue;
    std::string chain;
    for (auto gate : view.tx_chain(node)) chain += std::string(gate) + " -> ";
    out << "  Send '" << node.name() << "'" << body.where << ": " << chain << ir::kSend << ", "
        << view.destination(node) << '\n';
  }
}

// One line per Recv: its channel, then the rx gate chain its envelopes pass.
void report_recvs(const Body& body, std::ostream& out) {
  const WireView view(body);
  for (const auto& node : body.nodes()) {
    if (!ir::is_recv(node)) continue;
    std::string chain;
    for (auto gate : view.rx_chain(node)) chain += " -> " + std::string(gate);
    out << "  Recv '" << node.name() << "'" << body.where << ": channel \"" << printable(ir::channel_of(node))
        << "\", " << node.output_size() - 1 << " payload(s): " << ir::kRecv << chain << '\n';
  }
}

void inspect_raw(const onnx::ModelProto& model, std::ostream& out) {
  const bool compiled = ir::read_passport(model).has_value();
  if (!compiled)
    out << "not compiled: this model has no passport, so no Send or Recv has its gates yet (bbc compile "
           "FILE writes the .bb that bbrun runs)\n";
  const auto bodies = collect_bodies(model);
  std::map<std::string, std::size_t> counts;
  std::size_t total = 0;
  for (const auto& body : bodies) {
    for (const auto& node : body.nodes()) {
      ++counts[ir::is_onnx_domain(node.domain()) ? std::string(ir::kOnnxDomainAlias) : node.domain()];
      ++total;
    }
  }
  out << "ops (" << total << " nodes):\n";
  for (const auto& [domain, n] : counts) out << "  " << domain << ' ' << n << '\n';
  out << "sends:\n";
  for (const auto& body : bodies) report_sends(body, out);
  out << "recvs:\n";
  for (const auto& body : bodies) report_recvs(body, out);
  out << "passport:\n";
  if (!compiled) {
    out << "  none (not compiled)\n";
    return;
  }
  for (auto key : {ir::kPassportCompiled, ir::kPassportCompiler, ir::kPassportPasses, ir::kPassportDigest})
    out << "  " << key << " = " << printable(ir::get_metadata(model, key).value_or(""), 1024) << '\n';
}

}  // namespace

// Names and domains are the model's own bytes: every line is escaped (ir::escape_lines).
void inspect_model(const onnx::ModelProto& model, std::ostream& out) {
  std::ostringstream text;
  inspect_raw(model, text);
  out << ir::escape_lines(text.str());
}

}  // namespace bb::compiler
