// Factories of the registered passes (one pass per file in this folder).
#pragma once

#include <memory>

#include "bb/compiler/pass.h"

namespace bb::compiler {

std::unique_ptr<Pass> create_validate_pass();
std::unique_ptr<Pass> create_canonicalize_pass();
std::unique_ptr<Pass> create_insert_dedup_gate_rx_pass();
std::unique_ptr<Pass> create_insert_peer_health_gate_rx_pass();
std::unique_ptr<Pass> create_insert_backoff_gate_rx_pass();
std::unique_ptr<Pass> create_insert_peer_health_gate_tx_pass();
std::unique_ptr<Pass> create_insert_backoff_gate_tx_pass();
std::unique_ptr<Pass> create_verify_gates_pass();
std::unique_ptr<Pass> create_stamp_passport_pass();

}  // namespace bb::compiler
