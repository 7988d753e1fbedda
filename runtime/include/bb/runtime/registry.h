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

#include <string>
#include <string_view>
#include <vector>

#include "bb/ir/expected.h"
#include "bb/ir/op_table.h"
#include "bb/runtime/kernel.h"

namespace bb::runtime {

struct OpRegistration {
  std::string_view domain;
  std::string_view op_type;
  ir::OpKind kind;
  KernelFactory factory;
};

class OpRegistrar {
 public:
  OpRegistrar(std::string_view domain, std::string_view op_type, ir::OpKind kind, KernelFactory factory) noexcept;
  OpRegistrar(const OpRegistrar&) = delete;
  OpRegistrar& operator=(const OpRegistrar&) = delete;
  const OpRegistration& registration() const { return registration_; }
  const OpRegistrar* next() const { return next_; }

 private:
  OpRegistration registration_;
  const OpRegistrar* next_;
};

namespace registry {

// Every registration, sorted by (domain, op_type); duplicates appear twice.
std::vector<OpRegistration> all();
// Fails naming every (domain, op_type) registered more than once.
Expected<void, std::string> check();
// The registration for (domain, op_type), or null.
const OpRegistration* find(std::string_view domain, std::string_view op_type);

// `domain<TAB>op_type<TAB>kind` per op, sorted (bbrun --list-ops).
std::string list_text();
// docs/ops.md: every op with inputs, outputs, attributes and deny reasons, from the
// registry and the bb op table (bbrun --list-ops --markdown).
std::string list_markdown();

}  // namespace registry
}  // namespace bb::runtime
