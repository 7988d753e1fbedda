#include "bb/net/grpc_log.h"

#include <cstring>
#include <mutex>

#include <grpc/support/log.h>
#include <spdlog/spdlog.h>

namespace bb::net {
namespace {

spdlog::level::level_enum level_of(gpr_log_severity severity) {
  switch (severity) {
    case GPR_LOG_SEVERITY_ERROR: return spdlog::level::warn;
    case GPR_LOG_SEVERITY_INFO: return spdlog::level::debug;
    case GPR_LOG_SEVERITY_DEBUG: return spdlog::level::trace;
  }
  return spdlog::level::warn;
}

// Any gRPC thread.
void to_spdlog(gpr_log_func_args* args) {
  if (args == nullptr || args->message == nullptr) return;
  const char* file = args->file != nullptr ? args->file : "?";
  if (const char* slash = std::strrchr(file, '/')) file = slash + 1;
  spdlog::log(level_of(args->severity), "grpc: {} ({}:{})", args->message, file, args->line);
}

}  // namespace

void route_grpc_logs() {
  static std::once_flag once;
  std::call_once(once, [] { gpr_set_log_function(to_spdlog); });
}

}  // namespace bb::net
