// Factories of the registered passes (one pass per file in this folder). The registry
// hands each factory its own PassInfo.
#pragma once

#include <memory>

#include "bb/compiler/pass.h"

namespace bb::compiler {

std::unique_ptr<Pass> create_validate_pass(const PassInfo& info);
std::unique_ptr<Pass> create_canonicalize_pass(const PassInfo& info);
// One pass per gate of the catalogue: `info.inserts` names it.
std::unique_ptr<Pass> create_insert_gate_pass(const PassInfo& info);
std::unique_ptr<Pass> create_verify_gates_pass(const PassInfo& info);
std::unique_ptr<Pass> create_stamp_passport_pass(const PassInfo& info);

}  // namespace bb::compiler
