#include "bb/runtime/transport.h"

namespace bb::runtime {

std::string_view to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kDelivered: return "delivered";
    case OutcomeKind::kUnreachable: return "unreachable";
    case OutcomeKind::kTimeout: return "timeout";
    case OutcomeKind::kRejected: return "rejected";
    case OutcomeKind::kAdvised: return "advised";
  }
  return "unknown";
}

}  // namespace bb::runtime
