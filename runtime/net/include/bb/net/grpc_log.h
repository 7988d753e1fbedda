// gRPC's own log lines go to spdlog's default logger (the one bbrun formats), not raw
// to stderr.
#pragma once

namespace bb::net {

// Installs the hook (gpr_set_log_function) once per process; later calls do nothing.
// gRPC's severities map down one step — ERROR to warn, INFO to debug, DEBUG to trace —
// since what gRPC calls an error (a refused handshake, a reset stream) is an outcome bb
// reports itself. Each line reads "grpc: <message> (<file>:<line>)".
void route_grpc_logs();

}  // namespace bb::net
