// A program of your own with kernels linked in: loads a compiled graph (.bb), makes a
// node on a virtual clock and runs it until its executions are done. The ClippedSum
// kernel needs no plugin here: clipped_sum.cc is compiled into this program, and its
// registrar joins the registry before main(), like bb's own kernels (bb::ops).
//
//   clipped_sum_host clipped_sum.bb
#include <iostream>
#include <memory>

#include "bb/ir/peer_id.h"
#include "bb/runtime/clock.h"
#include "bb/runtime/node.h"
#include "bb/runtime/program.h"
#include "bb/runtime/registry.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/transport.h"

int main(int argc, char** argv) {
  namespace rt = bb::runtime;
  if (argc != 2) {
    std::cerr << "usage: clipped_sum_host GRAPH.bb\n";
    return 2;
  }
  if (auto ok = rt::registry::check(); !ok) {
    std::cerr << ok.error() << '\n';
    return 1;
  }
  auto program = rt::Program::load(argv[1], rt::LoadOptions{});
  if (!program) {
    std::cerr << program.error().message << '\n';
    return 1;
  }
  rt::VirtualClock clock;
  rt::Scheduler scheduler(clock);
  rt::NodeConfig config;
  config.peer = *bb::PeerId::from_text("id:host");
  auto node = rt::Node::create(*program, scheduler, std::move(config));
  if (!node) {
    std::cerr << node.error().message << '\n';
    return 1;
  }
  (*node)->start();
  // Log writes each total through spdlog (stderr).
  while (!(*node)->done() && scheduler.run_one()) {
  }
  std::cout << "executions done at t=" << scheduler.now_ns() << "ns\n";
  return 0;
}
