// The gRPC transport: bb nodes in separate processes (docs/wire.md).
//
// Every node runs a server (service bb.wire.Transport) and keeps one channel, and on
// it one stream, per destination it sends to; a stream idle for `idle_close_ns` is
// closed. Each destination has a worker thread that writes frames and a reader thread
// that reads acknowledgements; the server has its own threads. None of them touches the
// node: they post decoded envelopes (try_post: bounded, an overloaded node answers
// `advised`) and outcomes (post) to the node's scheduler.
//
// Outcomes, exactly one per attempt: `delivered` / `rejected(reason)` / `advised
// (pushback)` from the receiver's acknowledgement; `unreachable` when the stream cannot
// be opened or breaks (refused, reset, DNS, handshake); `timeout` when no acknowledgement
// came by the envelope's deadline_ns, else `send_timeout_ns` (a timer on the node's
// scheduler), and for attempts still in flight at shutdown(). A channel is dropped when
// its stream fails and made afresh for the next send, so gRPC's reconnect backoff never
// holds back a Send that the node's own backoff lets through.
//
// Threads: send(), add_peer(), stop_accepting(), shutdown(), links() and in_flight()
// run on the node's thread (the scheduler's).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "bb/ir/envelope.h"
#include "bb/ir/expected.h"
#include "bb/ir/peer_id.h"
#include "bb/net/security.h"
#include "bb/runtime/admission.h"
#include "bb/runtime/metrics.h"
#include "bb/runtime/scheduler.h"
#include "bb/runtime/transport.h"

namespace grpc {
class Server;
}

namespace bb::net {

// gRPC's message limits follow the node's envelope limit (at most
// ir::kMaxEnvelopeBytesLimit), plus the frame's few bytes.
inline constexpr std::size_t kFrameOverhead = 64;
// The initial-metadata key carrying the receiver's envelope limit.
inline constexpr char kMaxEnvelopeBytesKey[] = "bb-max-envelope-bytes";

struct PeerAddress {
  PeerId peer;
  std::string address;  // host:port
};

struct GrpcTransportConfig {
  PeerId self;
  std::string listen;                // host:port; port 0 picks a free port
  std::vector<PeerAddress> peers;    // the address book
  ir::EnvelopeLimits limits;         // what this node accepts (inbound admission) and sends at most
  std::size_t max_in_flight = 1024;  // attempts per destination not yet ended; more end at once
  std::int64_t send_timeout_ns = 1'000'000'000;  // deadline of envelopes without deadline_ns
  std::int64_t pushback_ns = 100'000'000;        // what this node asks of senders when overloaded
  std::int64_t idle_close_ns = 60'000'000'000;   // a stream idle this long is closed
  Security security;
  // Channels some Recv listens on; called on network threads (must be thread-safe).
  runtime::ChannelFilter accepts;
};

class GrpcTransport final : public runtime::Transport {
 public:
  // Starts the server on `config.listen`. The endpoint is called on the scheduler's thread.
  static Expected<std::unique_ptr<GrpcTransport>, std::string> start(GrpcTransportConfig config,
                                                                     runtime::Scheduler& scheduler,
                                                                     runtime::TransportEndpoint& endpoint);
  ~GrpcTransport() override;
  GrpcTransport(const GrpcTransport&) = delete;
  GrpcTransport& operator=(const GrpcTransport&) = delete;

  void send(runtime::AttemptId attempt, const bb::Envelope& envelope) override;

  int port() const { return port_; }  // the port the server listens on
  // Adds a destination to the address book (one already there keeps its address).
  void add_peer(const PeerAddress& peer);
  // Closes the server: inbound streams end, new ones are refused.
  void stop_accepting();
  // Attempts sent and not yet ended.
  std::size_t in_flight() const;
  // Stops accepting, closes every stream and joins the threads; attempts still in flight
  // end as `timeout` before this returns. Outcomes already posted run when the scheduler
  // next runs; later sends end as `unreachable`. Idempotent.
  void shutdown();

  // Per destination, sorted by peer text.
  std::vector<runtime::LinkReport> links() const;
  std::uint64_t bytes_received() const { return bytes_received_.load(std::memory_order_relaxed); }
  // Inbound refusals by label.
  runtime::AdmissionCounts refusals() const;

 private:
  class Service;
  class Link;
  struct Pending {
    Link* link = nullptr;
    runtime::EventId timer = 0;
  };
  // Takes `attempt` out of pending_ (mu_ held); false if it had ended.
  bool take(runtime::AttemptId attempt, Pending& out);
  struct Ending {  // an outcome on its way to the node's thread
    runtime::OutcomeKind kind;
    std::int64_t pushback_ns = 0;
    std::string reason = {};
    std::string detail = {};
  };

  struct Ended {  // resolved on a network thread, not yet finished on the node's
    runtime::AttemptId attempt;
    Pending pending;
    Ending ending;
  };

  GrpcTransport(GrpcTransportConfig config, runtime::Scheduler& scheduler, runtime::TransportEndpoint& endpoint);
  // Any thread: ends `attempt` once (false if it had ended); the node hears it on its thread.
  bool resolve(runtime::AttemptId attempt, Ending ending);
  // The node's thread: finishes what resolve() queued.
  void finish_ended();
  // The node's thread: the deadline passed.
  void expire(runtime::AttemptId attempt);
  // The node's thread: counts and tells the endpoint.
  void finish(runtime::AttemptId attempt, Link* link, runtime::EventId timer, const Ending& ending);

  GrpcTransportConfig config_;
  runtime::Scheduler& scheduler_;
  runtime::TransportEndpoint& endpoint_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::map<std::string, std::unique_ptr<Link>> links_;  // by peer bytes; fixed after start
  mutable std::mutex mu_;                                // guards pending_, ended_ and refusals_
  std::unordered_map<runtime::AttemptId, Pending> pending_;
  std::vector<Ended> ended_;      // in the order they ended
  std::vector<Ended> finishing_;  // the node's thread's (reused by finish_ended)
  runtime::AdmissionCounts refusals_;
  std::atomic<std::uint64_t> bytes_received_{0};
  bool stopped_ = false;
  bool accepting_ = true;
};

}  // namespace bb::net
