// The op registry (docs/runtime.md): every kernel registers itself next to its implementation
// with a static OpRegistrar — the C++ counterpart of Rust's `inventory::submit!`:
//
//   const bb::runtime::OpRegistrar kPassThrough{
//       bb::ir::kSyscallDomain, bb::ir::kPassThrough, bb::ir::OpKind::kCompute,
//       &bb::runtime::make_kernel<PassThroughKernel>};
//
// Registrars link themselves into an intrusive list: no allocation, nothing that can
// throw during static initialization. Duplicates are found by check() at start-up.
// Static linking drops unreferenced objects, so kernel libraries are OBJECT libraries
// (bb::ops) or linked whole-archive.
#pragma once

#include <climits>
#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/names.h"
#include "bb/ir/op_table.h"
#include "bb/runtime/kernel.h"

namespace bb::runtime {

// The opset versions a kernel implements, as ONNX versions an op: [since, end]. A
// kernel for an op whose signature changed (an attribute that became an input) is
// registered once per range, as ONNX Runtime registers kernels by since-version.
struct OpsetRange {
  int since = 1;
  int end = kLatestOpset;
  static constexpr int kLatestOpset = INT_MAX;
  bool contains(int version) const { return since <= version && version <= end; }
};

struct OpRegistration {
  std::string_view domain;  // canonical: the default ONNX domain is "" (see canonical_domain)
  std::string_view op_type;
  ir::OpKind kind;
  KernelFactory factory;
  OpsetRange opsets;
  // The element types the kernel computes on, as people read them ("float, double,
  // int32, int64"; docs/ops.md); empty for kernels of values other than tensors.
  std::string_view types;
  // Where the kernel came from: empty for a kernel linked in, else the path of the
  // plugin that registered it (as given to bbrun).
  std::string_view origin;
};

// The origin as `bbrun --list-ops` prints it.
constexpr std::string_view kBuiltInOrigin = "built-in";

// The empty domain and "ai.onnx" are one domain: both map to "".
constexpr std::string_view canonical_domain(std::string_view domain) {
  return domain == ir::kOnnxDomainAlias ? std::string_view{} : domain;
}
// The domain as people read it: "ai.onnx" for the default domain.
constexpr std::string_view display_domain(std::string_view domain) {
  return domain.empty() ? ir::kOnnxDomainAlias : domain;
}

class OpRegistrar {
 public:
  OpRegistrar(std::string_view domain, std::string_view op_type, ir::OpKind kind, KernelFactory factory) noexcept;
  OpRegistrar(std::string_view domain, std::string_view op_type, OpsetRange opsets, ir::OpKind kind,
              KernelFactory factory, std::string_view types = {}) noexcept;
  OpRegistrar(const OpRegistrar&) = delete;
  OpRegistrar& operator=(const OpRegistrar&) = delete;
  const OpRegistration& registration() const { return registration_; }
  const OpRegistrar* next() const { return next_; }

 private:
  OpRegistration registration_;
  const OpRegistrar* next_;
};


namespace registry {

// Every registration, sorted by (domain, op_type, since); duplicates appear twice.
std::vector<OpRegistration> all();
// Fails naming every (domain, op_type) registered more than once for one opset version.
Expected<void, std::string> check();
// The registration for (domain, op_type) at `opset` (the model's import of the
// domain), or null. "" and "ai.onnx" name the same domain.
const OpRegistration* find(std::string_view domain, std::string_view op_type,
                           int opset = OpsetRange::kLatestOpset);
// The opset ranges registered for (domain, op_type), sorted by since-version; empty
// when the op has no kernel at any version.
std::vector<OpsetRange> opsets(std::string_view domain, std::string_view op_type);
// "6-12, 13+": the ranges as people read them.
std::string opsets_text(const std::vector<OpsetRange>& ranges);

// Plugins (bb/runtime/plugin_loader.h): registrars constructed between begin_staging()
// and the end of staging link into a staging list, not the registry. adopt_staged()
// moves them into the registry, all or none: it fails, naming `origin` and the other
// claimant, when one of them claims a key already registered (or claimed twice among
// them), and then drops them. discard_staged() drops them. Start-up only (one thread).
void begin_staging();
Expected<void, std::string> adopt_staged(std::string_view origin);
void discard_staged();
// The number of registrars staged since begin_staging().
std::size_t staged_count();

// `domain<TAB>op_type<TAB>kind<TAB>origin` per op, sorted (bbrun --list-ops); origin
// is "built-in" or the plugin's path.
std::string list_text();
// docs/ops.md: every op with inputs, outputs, attributes and deny reasons, from the
// registry and the bb op table (bbrun --list-ops --markdown).
std::string list_markdown();

}  // namespace registry
}  // namespace bb::runtime
